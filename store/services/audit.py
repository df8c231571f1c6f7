"""Write to the append-only audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from store.models import AuditEvent


def record(action: str, obj: models.Model, *, actor=None, before: Any = None, after: Any = None, label: str = "") -> AuditEvent:
    """Append one event: who (`actor` user or `label` such as 'system'), what, on which object, before/after."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=label or (actor.get_username() if getattr(actor, "is_authenticated", False) else "system"),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=before,
        after=after,
    )
