"""Desk roles as Django groups: moderator < lead; marketer reads reports; admin is a superuser.

A lead can do everything a moderator can. Check roles with `has_role` in code and
`role_required` on views, never by comparing group names inline.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

MODERATOR, LEAD, MARKETER = "moderator", "lead", "marketer"
ROLES = (MODERATOR, LEAD, MARKETER)
# Which groups grant each role (a lead is also a moderator).
GRANTED_BY = {MODERATOR: {MODERATOR, LEAD}, LEAD: {LEAD}, MARKETER: {MARKETER, LEAD}}


def has_role(user, role: str) -> bool:
    """True if the user is active and holds `role` (superusers hold every role)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=GRANTED_BY[role]).exists()


def role_required(*roles: str):
    """View decorator: log in first, then 403 unless the user holds one of `roles`."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not any(has_role(request.user, r) for r in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def landing_url_name(user) -> str | None:
    """Where a user starts: a lead (or admin) on the metrics, a moderator on the queue, a marketer on the
    reports; None for a user without a desk role."""
    if has_role(user, LEAD):
        return "desk:metrics"
    if has_role(user, MODERATOR):
        return "desk:queue"
    if has_role(user, MARKETER):
        return "reports:index"
    return None
