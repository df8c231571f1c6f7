"""The SLA sweep: at risk and breached per clock, escalation to a lead, e-mail and webhook once per clock."""

from datetime import timedelta

import pytest
from django.core import mail

from responders.models import SlaNotification, Ticket
from responders.services import workflow as wf
from responders.services.sweep import sweep
from store.models import AuditEvent
from tests.factories import T0
from tests.responders.receiver import Receiver

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def notify(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.OTKLIK = {**settings.OTKLIK, "SLA_NOTIFY_EMAILS": ["duty@example.ru"], "PUBLIC_URL": "http://desk.local"}
    with Receiver() as hook:
        settings.OTKLIK = {**settings.OTKLIK, "SLA_WEBHOOK_URL": hook.url + "/sla"}
        yield hook


def notices(ticket):
    return sorted(SlaNotification.objects.filter(ticket=ticket).values_list("clock", "level"))


def test_at_risk_then_breached_once_per_clock_with_escalation(open_ticket, make_user, notify):
    lead = make_user("lena", role="lead", email="lena@example.ru")
    t = open_ticket()  # first reply due T0+24 h, resolution T0+48 h, at risk 12 h before
    assert sweep(now=T0 + 11 * H).notified == 0
    s = sweep(now=T0 + 13 * H)
    assert (s.at_risk, s.notified, s.escalated) == (1, 1, 0)
    assert notices(t) == [("first_reply", "at_risk")]
    assert Ticket.objects.get(pk=t.pk).sla_state == "at_risk"
    assert sweep(now=T0 + 14 * H).notified == 0  # once per clock and level
    s = sweep(now=T0 + 25 * H)  # first reply breached (resolution not yet at risk: due in 23 h)
    assert (s.breached, s.notified, s.escalated) == (1, 1, 1)
    t = Ticket.objects.get(pk=t.pk)
    assert (t.sla_state, t.escalated_to) == ("breached", lead)
    assert sweep(now=T0 + 37 * H).notified == 1  # resolution at risk
    assert sweep(now=T0 + 49 * H).notified == 1  # resolution breached; already escalated
    assert sweep(now=T0 + 60 * H).notified == 0
    assert notices(t) == [("first_reply", "at_risk"), ("first_reply", "breached"),
                          ("resolution", "at_risk"), ("resolution", "breached")]
    # every notice went out once by e-mail (the lead added on breach) and once by webhook
    assert len(mail.outbox) == 4 and len(notify.requests) == 4
    breach_mail = mail.outbox[1]
    assert "просрочен" in breach_mail.subject and set(breach_mail.to) == {"duty@example.ru", "lena@example.ru"}
    body = notify.requests[1]["json"]
    assert body["event"] == "sla.breached" and body["clock"] == "first_reply" and body["ticket"] == t.pk
    assert body["escalated_to"] == "lena" and body["url"] == f"http://desk.local/desk/tickets/{t.pk}/"
    assert AuditEvent.objects.filter(action="ticket.escalate", object_id=str(t.pk)).count() == 1


def test_a_late_discovery_sends_only_the_breach(open_ticket, make_user, notify):
    make_user("lena", role="lead")
    t = open_ticket()
    sweep(now=T0 + 100 * H)
    assert notices(t) == [("first_reply", "breached"), ("resolution", "breached")]


def test_replied_and_waiting_tickets_stop_their_clocks(open_ticket, make_user, notify):
    ann = make_user("ann")
    t = open_ticket()
    wf.reply(t.pk, ann, "Разбираемся", now=T0 + 1 * H)
    wf.wait_for_customer(t.pk, ann, now=T0 + 2 * H)
    assert sweep(now=T0 + 47 * H).notified == 0  # first reply done, resolution paused
    assert Ticket.objects.get(pk=t.pk).sla_state == "ok"
    wf.resume(t.pk, now=T0 + 100 * H)  # 98 h paused: due at T0 + 146 h
    assert sweep(now=T0 + 133 * H).notified == 0
    assert sweep(now=T0 + 135 * H).notified == 1 and notices(t) == [("resolution", "at_risk")]


def test_closed_tickets_are_left_alone(open_ticket, make_user, notify):
    ann = make_user("ann")
    t = open_ticket()
    wf.reply(t.pk, ann, "Ответ", now=T0 + H)
    wf.close(t.pk, ann, now=T0 + 2 * H)
    assert sweep(now=T0 + 100 * H).checked == 0 and not notify.requests


def test_failed_webhook_is_retried_by_the_next_sweep(open_ticket, make_user, settings):
    settings.OTKLIK = {**settings.OTKLIK, "SLA_NOTIFY_EMAILS": []}
    with Receiver([503]) as hook:
        settings.OTKLIK = {**settings.OTKLIK, "SLA_WEBHOOK_URL": hook.url}
        t = open_ticket()
        s = sweep(now=T0 + 13 * H)
        n = SlaNotification.objects.get(ticket=t)
        assert s.delivery_failures == 1 and not n.delivered and n.webhook_status == "503"
        sweep(now=T0 + 14 * H)
        n.refresh_from_db()
        assert n.delivered and n.attempts == 2 and n.webhook_status == "200"
        assert len(hook.requests) == 2 and SlaNotification.objects.count() == 1


def test_configured_lead_must_exist(open_ticket, rules, notify):
    cfg = rules(escalation={"lead": "ghost"})
    open_ticket()
    with pytest.raises(ValueError, match="ghost"):
        sweep(now=T0 + 30 * H, cfg=cfg)


def test_a_breach_stays_visible_while_waiting(open_ticket, make_user, notify):
    ann = make_user("ann")
    make_user("lena", role="lead")
    t = open_ticket()
    wf.reply(t.pk, ann, "Ответ", now=T0 + 50 * H)  # resolution clock used up at T0 + 48 h
    wf.wait_for_customer(t.pk, ann, now=T0 + 51 * H)
    sweep(now=T0 + 60 * H)
    t.refresh_from_db()
    assert t.sla_state == "breached" and ("resolution", "breached") in notices(t)
