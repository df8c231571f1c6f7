"""The ticket state machine: transitions, holders, history, audit, frozen hit/miss."""

from datetime import timedelta

import pytest
from django.db.models import F

from responders.models import CsatSurvey, Reply, Ticket, TicketEvent, TicketState
from responders.services import workflow as wf
from responders.services.workflow import ClaimConflict, TransitionError
from store.models import AuditEvent
from tests.factories import T0

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def states(ticket):
    """The ticket's state changes in order (assignment and escalation notes left out)."""
    return list(TicketEvent.objects.filter(ticket=ticket).exclude(from_state=F("to_state"))
                .values_list("to_state", flat=True))


def test_the_closed_loop_with_a_wait(open_ticket, make_user):
    ann = make_user("ann")
    t = open_ticket()
    wf.claim(t.pk, ann, now=T0 + 1 * H)
    r = wf.reply(t.pk, ann, "Здравствуйте! Разбираемся.", now=T0 + 2 * H)
    wf.wait_for_customer(t.pk, ann, now=T0 + 3 * H)
    wf.resume(t.pk, ann, now=T0 + 13 * H)
    wf.reply(t.pk, ann, "Посылка у курьера, будет сегодня.", now=T0 + 14 * H)
    t = wf.close(t.pk, ann, now=T0 + 20 * H)
    assert states(t) == ["new", "claimed", "replied", "waiting", "claimed", "replied", "closed"]
    assert (t.state, t.reply_count, t.first_replied_at, t.closed_at) == ("closed", 2, T0 + 2 * H, T0 + 20 * H)
    assert t.first_reply_met is True and t.resolution_met is True
    assert t.resolution_seconds == 10 * 3600 and t.paused_seconds == 10 * 3600
    assert t.first_reply_seconds == 2 * 3600 and t.resolution_due == T0 + 58 * H
    assert r.status == Reply.Status.PENDING and r.author == ann
    actions = list(AuditEvent.objects.filter(object_id=str(t.pk), object_type="responders.ticket")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["ticket.open", "ticket.claim", "ticket.reply", "ticket.wait", "ticket.resume", "ticket.reply",
                       "ticket.close"]
    close_event = AuditEvent.objects.filter(action="ticket.close").get()
    assert close_event.actor == ann and close_event.before["state"] == "replied"
    assert close_event.after["state"] == "closed" and close_event.after["resolution_met"] is True
    # a closed complaint with a reply queues the CSAT question
    assert CsatSurvey.objects.get(ticket=t).reply.purpose == Reply.Purpose.CSAT


def test_hit_and_miss_are_frozen_at_close(open_ticket, make_user):
    ann = make_user("ann")
    t = open_ticket()
    wf.reply(t.pk, ann, "Извините за задержку", now=T0 + 30 * H)  # first reply after 24 h: miss
    t = wf.close(t.pk, ann, now=T0 + 50 * H)  # closed after 48 h: miss
    assert (t.first_reply_met, t.resolution_met) == (False, False)
    wf.refresh_clocks(t, now=T0 + 500 * H)
    assert (t.first_reply_met, t.resolution_met) == (False, False)


def test_reopen_continues_the_clock(open_ticket, make_user):
    ann, bob = make_user("ann"), make_user("bob", role="lead")
    t = open_ticket()
    wf.reply(t.pk, ann, "Ответ", now=T0 + 1 * H)
    wf.close(t.pk, ann, now=T0 + 10 * H)
    t = wf.reopen(t.pk, bob, reason="клиент написал снова", now=T0 + 100 * H)
    assert (t.state, t.assignee, t.resolution_met, t.closed_at) == ("claimed", bob, None, None)
    assert t.resolution_due == T0 + 138 * H  # 10 h used before closing, 38 h left from the reopen
    t = wf.close(t.pk, bob, now=T0 + 120 * H)
    assert t.resolution_met is True and t.resolution_seconds == 30 * 3600


def test_only_the_holder_acts_until_the_claim_expires(open_ticket, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    t = open_ticket()
    wf.claim(t.pk, ann, now=T0)
    for action in (lambda: wf.claim(t.pk, bob, now=T0 + timedelta(minutes=10)),
                   lambda: wf.reply(t.pk, bob, "Я тоже отвечу", now=T0 + 0.2 * H),
                   lambda: wf.close(t.pk, bob, reason="дубль", now=T0 + 0.2 * H),
                   lambda: wf.release(t.pk, bob, now=T0 + 0.2 * H)):
        with pytest.raises(ClaimConflict, match="в работе у ann"):
            action()
    assert Reply.objects.count() == 0
    wf.reply(t.pk, ann, "Отвечаю", now=T0 + 0.25 * H)  # activity renews the 30-minute claim
    with pytest.raises(ClaimConflict):
        wf.claim(t.pk, bob, now=T0 + 0.7 * H)
    t = wf.claim(t.pk, bob, now=T0 + 0.8 * H)  # idle for 33 minutes: expired
    assert t.assignee == bob and t.state == "replied"


def test_release_puts_the_ticket_back(open_ticket, make_user):
    ann = make_user("ann")
    lead = make_user("lena", role="lead")
    t = open_ticket()
    wf.claim(t.pk, ann, now=T0)
    t = wf.release(t.pk, ann, now=T0 + 0.1 * H)
    assert (t.state, t.assignee, t.claim_expires_at) == ("new", None, None)
    wf.claim(t.pk, ann, now=T0 + 0.2 * H)
    t = wf.release(t.pk, lead, now=T0 + 0.3 * H)  # a lead may take a ticket away
    assert t.assignee is None
    t = wf.assign(t.pk, ann, by=lead, now=T0 + 0.4 * H)
    assert (t.state, t.assignee) == ("claimed", ann)
    assert AuditEvent.objects.filter(action="ticket.assign", actor=lead).exists()


@pytest.mark.parametrize("action, message", [
    (lambda t, u: wf.wait_for_customer(t.pk, u, now=T0), "только после ответа"),
    (lambda t, u: wf.resume(t.pk, u, now=T0), "ждёт клиента"),
    (lambda t, u: wf.reopen(t.pk, u, now=T0), "только закрытое"),
    (lambda t, u: wf.close(t.pk, u, now=T0), "укажите причину"),
    (lambda t, u: wf.reply(t.pk, u, "   ", now=T0), "пустой"),
])
def test_invalid_transitions_are_refused(open_ticket, make_user, action, message):
    t = open_ticket()
    with pytest.raises(TransitionError, match=message):
        action(t, make_user("ann"))
    assert Ticket.objects.get(pk=t.pk).state == TicketState.NEW


def test_closed_tickets_refuse_work(open_ticket, make_user):
    ann = make_user("ann")
    t = open_ticket()
    wf.close(t.pk, ann, reason="ответили в личке", now=T0 + H)
    for action in (lambda: wf.claim(t.pk, ann, now=T0 + 2 * H), lambda: wf.reply(t.pk, ann, "x", now=T0 + 2 * H)):
        with pytest.raises(TransitionError, match="закрыто"):
            action()
    assert not CsatSurvey.objects.exists()  # no reply was sent: nobody to ask
