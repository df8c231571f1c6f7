"""Desk actions (POST only): claim, release, reply, wait, resume, close, reopen, assign, corrections, links."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from responders.forms import (
    AssignForm,
    CloseForm,
    CorrectionForm,
    LinkOrderForm,
    ReplyForm,
)
from responders.models import ReplyTemplate, Ticket, TicketOrderLink
from responders.roles import LEAD, MODERATOR, role_required
from responders.services import orders, outbox, presence
from responders.services import workflow as wf
from responders.services.corrections import correct


def _back(pk: int):
    return redirect("desk:ticket", pk=pk)


def _reply(request, pk):
    form = ReplyForm(request.POST)
    if not form.is_valid():
        raise wf.TransitionError("; ".join(e for errs in form.errors.values() for e in errs))
    tpl = ReplyTemplate.objects.filter(pk=form.cleaned_data.get("template")).first()
    wf.reply(pk, request.user, form.cleaned_data["text"], template=tpl)
    return "Ответ поставлен в очередь отправки."


def _close(request, pk):
    form = CloseForm(request.POST)
    form.is_valid()
    wf.close(pk, request.user, reason=form.cleaned_data.get("reason", ""))
    return "Обращение закрыто."


def _reopen(request, pk):
    wf.reopen(pk, request.user, reason=request.POST.get("reason", "")[:200])
    return "Обращение открыто снова."


ACTIONS = {
    "claim": lambda request, pk: (wf.claim(pk, request.user), "Обращение закреплено за вами.")[1],
    "release": lambda request, pk: (wf.release(pk, request.user), "Обращение возвращено в очередь.")[1],
    "reply": _reply,
    "wait": lambda request, pk: (wf.wait_for_customer(pk, request.user), "Ждём ответа клиента: часы на паузе.")[1],
    "resume": lambda request, pk: (wf.resume(pk, request.user), "Клиент ответил: часы снова идут.")[1],
    "close": _close,
    "reopen": _reopen,
}


@require_POST
@role_required(MODERATOR)
def ticket_action(request, pk: int, action: str):
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("unknown action")
    get_object_or_404(Ticket, pk=pk)
    try:
        messages.success(request, handler(request, pk))
    except wf.TransitionError as exc:
        messages.error(request, str(exc))
    return _back(pk)


@require_POST
@role_required(LEAD)
def assign(request, pk: int):
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            wf.assign(pk, form.cleaned_data["assignee"], by=request.user)
            messages.success(request, f"Назначено: {form.cleaned_data['assignee'].get_username()}.")
        except wf.TransitionError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "Выберите модератора.")
    return _back(pk)


@require_POST
@role_required(MODERATOR)
def correct_classification(request, pk: int):
    get_object_or_404(Ticket, pk=pk)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            correct(pk, request.user, sentiment=form.cleaned_data["sentiment"], topics=form.cleaned_data["topics"])
            messages.success(request, "Классификация исправлена и сохранена для дообучения.")
        except wf.TransitionError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "Проверьте тональность и темы.")
    return _back(pk)


@require_POST
@role_required(MODERATOR)
def link_order(request, pk: int):
    get_object_or_404(Ticket, pk=pk)
    form = LinkOrderForm(request.POST)
    if form.is_valid():
        try:
            link = orders.link_manually(pk, form.cleaned_data["reference"], request.user)
            messages.success(request, f"Привязан заказ {link.order.order_number}.")
        except (LookupError, wf.TransitionError) as exc:
            messages.error(request, str(exc))
    return _back(pk)


@require_POST
@role_required(MODERATOR)
def unlink_order(request, link_id: int):
    link = get_object_or_404(TicketOrderLink, pk=link_id)
    try:
        orders.unlink(link.pk, request.user)
        messages.success(request, "Связь с заказом удалена.")
    except wf.TransitionError as exc:
        messages.error(request, str(exc))
    return _back(link.ticket_id)


@require_POST
@role_required(MODERATOR)
def mark_posted(request, reply_id: int):
    from responders.models import Reply

    reply = get_object_or_404(Reply, pk=reply_id)
    try:
        outbox.mark_posted(reply.pk, request.user)
        messages.success(request, "Отмечено как опубликованное.")
    except ValueError as exc:
        messages.error(request, str(exc))
    return _back(reply.ticket_id)


@require_POST
@role_required(MODERATOR)
def heartbeat(request, pk: int):
    """The ticket page's heartbeat: mark presence, renew one's claim while the page is visible, list viewers."""
    ticket = get_object_or_404(Ticket, pk=pk)
    now = timezone.now()
    presence.seen(ticket, request.user, now)
    renewed = wf.touch(ticket, request.user, now) if request.POST.get("visible") == "1" else False
    return JsonResponse({"viewers": presence.viewers(ticket, exclude=request.user, now=now), "renewed": renewed})


@require_POST
@role_required(MODERATOR)
def take_next(request):
    """Claim the free ticket with the earliest due time."""
    from responders.services.assignment import free_tickets
    from responders.views.queue import with_next_due

    for ticket in with_next_due(free_tickets(timezone.now())).order_by("next_due", "id")[:20]:
        try:
            wf.claim(ticket.pk, request.user)
        except wf.TransitionError:
            continue
        return _back(ticket.pk)
    messages.info(request, "Свободных обращений нет.")
    return redirect("desk:queue")
