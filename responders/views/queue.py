"""Desk pages: the queue (earliest due first) and one ticket."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from responders.models import Ticket
from responders.roles import MODERATOR, role_required
from responders.services.templates import render as render_template
from responders.services.templates import suggest


@role_required(MODERATOR)
def queue(request):
    tickets = Ticket.objects.open().by_due().select_related("mention", "mention__source", "assignee")
    page = Paginator(tickets, 50).get_page(request.GET.get("page"))
    return render(request, "desk/queue.html", {"page": page})


@role_required(MODERATOR)
def ticket_detail(request, pk: int):
    ticket = get_object_or_404(Ticket.objects.select_related("mention", "mention__source", "assignee"), pk=pk)
    template = suggest(ticket)
    return render(request, "desk/ticket.html", {
        "ticket": ticket,
        "mention": ticket.mention,
        "classification": ticket.mention.current_classification,
        "links": ticket.order_links.select_related("order", "order__customer"),
        "template": template,
        "suggested_text": render_template(template, ticket) if template else "",
    })
