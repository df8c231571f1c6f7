"""The lead's SLA and assignment settings page (overrides of rules.yaml's defaults)."""

from __future__ import annotations

from django.contrib import messages
from django.forms.models import model_to_dict
from django.shortcuts import redirect, render

from responders.config import load_config
from responders.forms import DeskSettingsForm
from responders.models import DeskSettings
from responders.roles import LEAD, role_required
from responders.services.sla import targets_for
from store.services.audit import record

FIELDS = DeskSettingsForm.Meta.fields


@role_required(LEAD)
def desk_settings(request):
    row = DeskSettings.current()
    if request.method == "POST":
        before = model_to_dict(row, fields=FIELDS)
        form = DeskSettingsForm(request.POST, instance=row)
        if form.is_valid():
            row = form.save(commit=False)
            row.updated_by = request.user
            row.save()
            record("desk.settings", row, actor=request.user, before=before, after=model_to_dict(row, fields=FIELDS))
            messages.success(request, "Настройки сохранены; новые сроки действуют для новых обращений.")
            return redirect("desk:settings")
    else:
        form = DeskSettingsForm(instance=row)
    cfg = load_config()
    return render(request, "desk/settings.html", {
        "form": form, "file_defaults": targets_for(cfg, kind="complaint", topic="", channel="", use_desk_settings=False),
        "effective": targets_for(cfg, kind="complaint", topic="", channel=""), "cfg": cfg,
    })
