"""The start page: every role lands where its work is (lead → metrics, moderator → queue, marketer → reports)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from responders.roles import landing_url_name


@login_required
def home(request):
    name = landing_url_name(request.user)
    if name is None:
        raise PermissionDenied("У вашей учётной записи нет роли: попросите администратора её назначить.")
    return redirect(name)
