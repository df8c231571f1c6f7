"""The queue's bulk actions (POST) and the nav's live counter (JSON)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import JsonResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from responders.forms import BulkForm
from responders.models import SlaState, Ticket, TicketState
from responders.roles import MODERATOR, role_required
from responders.services import bulk


def _queue_url(back: str) -> str:
    """The queue with the filters the moderator came from (re-encoded: only a query string, never a URL)."""
    query = QueryDict(back or "")
    return reverse("desk:queue") + (f"?{query.urlencode()}" if query else "")


@require_POST
@role_required(MODERATOR)
def bulk_action(request):
    form = BulkForm(request.POST)
    ids = [int(v) for v in request.POST.getlist("tickets") if v.isdigit()]
    back = _queue_url(request.POST.get("back", ""))
    if not ids:
        messages.error(request, "Отметьте обращения в очереди.")
        return redirect(back)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(back)
    data = form.cleaned_data
    if data["action"] == "assign":
        result = bulk.bulk_assign(ids, data["assignee"], request.user)
    elif data["action"] == "close":
        result = bulk.bulk_close(ids, request.user, data["reason"], data.get("note", ""))
    else:
        result = bulk.bulk_topic(ids, request.user, data["topic"])
    (messages.success if not result.refused else messages.warning)(request, result.message())
    return redirect(back)


def poll_seconds() -> float:
    """How often the nav's counter asks for fresh numbers (OTKLIK_DESK_POLL_SECONDS, default 30)."""
    return float(settings.OTKLIK.get("DESK_POLL_SECONDS", 30))


@require_GET
@role_required(MODERATOR)
def counters(request):
    """New and at-risk open tickets: one aggregate query over the open tickets (the sweep keeps sla_state)."""
    row = Ticket.objects.open().filter(dismissed=False).aggregate(
        new=Count("id", filter=Q(state=TicketState.NEW)),
        at_risk=Count("id", filter=Q(sla_state=SlaState.AT_RISK)),
        breached=Count("id", filter=Q(sla_state=SlaState.BREACHED)),
    )
    response = JsonResponse(row)
    response["Cache-Control"] = "no-store"
    return response
