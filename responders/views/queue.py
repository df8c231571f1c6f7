"""Desk pages: the queue (earliest due first, filters, search) and one ticket."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from responders.forms import (
    AssignForm,
    BulkForm,
    CloseForm,
    CorrectionForm,
    LinkOrderForm,
    QueueFilterForm,
    ReplyForm,
)
from responders.models import ReplyTemplate, Ticket, TicketState, next_due_expression
from responders.roles import LEAD, MODERATOR, has_role, role_required
from responders.services import presence
from responders.services.customers import customer_card
from responders.services.search import search_tickets
from responders.services.templates import render as render_template
from responders.services.templates import placeholder_values, suggest
from responders.services.workflow import holder, may_change


def with_next_due(qs):
    """Annotate `next_due`: the first-reply due time until the first reply, then the resolution due time."""
    return qs.annotate(next_due=next_due_expression())


def filtered_tickets(form: QueueFilterForm, user):
    """The queue's tickets for a (validated) filter form, earliest due first."""
    data = form.cleaned_data if form.is_valid() else {}
    state = data.get("state") or ""
    qs = Ticket.objects.all() if state == "all" else (
        Ticket.objects.filter(state=state) if state else Ticket.objects.open())
    for field in ("topic", "sentiment", "channel", "sla_state", "kind"):
        if data.get(field):
            qs = qs.filter(**{field: data[field]})
    who = (data.get("assignee") or "").strip()
    if who == "me":
        qs = qs.filter(assignee=user)
    elif who == "none":
        qs = qs.filter(assignee__isnull=True)
    elif who:
        qs = qs.filter(assignee__username=who)
    if data.get("unanswered"):
        qs = qs.filter(first_replied_at__isnull=True)
    qs = search_tickets(qs, data.get("q") or "")
    return with_next_due(qs).select_related("mention", "mention__source", "assignee").order_by("next_due", "id")


# Saved views: (title, query string) shown above the filters.
SAVED_VIEWS = (("Все открытые", ""), ("Мои", "assignee=me"), ("Под угрозой", "sla_state=at_risk"),
               ("Просроченные", "sla_state=breached"), ("Без ответа", "unanswered=on"),
               ("Свободные", "assignee=none"))


@role_required(MODERATOR)
def queue(request):
    form = QueueFilterForm(request.GET or None)
    tickets = filtered_tickets(form, request.user)
    page = Paginator(tickets, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "desk/queue.html", {"page": page, "form": form, "query": query.urlencode(),
                                               "now": timezone.now(), "views": SAVED_VIEWS,
                                               "current_view": request.GET.urlencode(),
                                               "bulk_form": BulkForm(initial={"back": request.GET.urlencode()})})


@role_required(MODERATOR)
def ticket_detail(request, pk: int):
    ticket = get_object_or_404(Ticket.objects.select_related("mention", "mention__source", "assignee", "escalated_to"),
                               pk=pk)
    now = timezone.now()
    presence.seen(ticket, request.user, now)
    templates = list(ReplyTemplate.objects.filter(active=True))
    chosen = None
    if request.GET.get("template", "").isdigit():
        chosen = next((t for t in templates if t.pk == int(request.GET["template"])), None)
    template = chosen or suggest(ticket)
    values = placeholder_values(ticket)
    template_texts = {str(t.pk): render_template(t, ticket, values) for t in templates}
    reply_text = template_texts.get(str(template.pk), "") if template else ""
    classification = ticket.mention.current_classification
    current = holder(ticket, now)
    return render(request, "desk/ticket.html", {
        "ticket": ticket,
        "mention": ticket.mention,
        "classification": classification,
        "links": ticket.order_links.select_related("order", "order__customer"),
        "card": customer_card(ticket),
        "templates": templates,
        "template": template,
        "reply_form": ReplyForm(initial={"text": reply_text, "template": template.pk if template else None}),
        "reply_text": reply_text.strip(),
        "template_texts": template_texts,
        "close_form": CloseForm(),
        "correction_form": CorrectionForm(initial={"sentiment": classification.sentiment if classification else "",
                                                   "topics": classification.topics if classification else []}),
        "link_form": LinkOrderForm(),
        "assign_form": AssignForm() if has_role(request.user, LEAD) else None,
        "holder": current,
        "mine": current is not None and current.pk == request.user.pk,
        "may_change": may_change(ticket, request.user, now),
        "locked_reason": "Менять обращение может {} или руководитель".format(
            (current or ticket.assignee).get_username() if (current or ticket.assignee) else "исполнитель"),
        "viewers": presence.viewers(ticket, exclude=request.user, now=now),
        "replies": ticket.replies.prefetch_related("attempt_log"),
        "events": ticket.events.select_related("actor"),
        "surveys": ticket.surveys.all(),
        "is_closed": ticket.state == TicketState.CLOSED,
        "now": now,
    })
