"""Bulk actions on the queue (assign, close as spam / off-topic, change topic) and the nav's live counter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from responders.models import SlaState, Ticket, TicketEvent
from responders.services import workflow as wf
from responders.services.bulk import bulk_assign, bulk_close, bulk_topic
from store.models import AuditEvent

pytestmark = pytest.mark.django_db


def texts(response) -> list[str]:
    """The messages the queue showed after the redirect (follow=True consumes them)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_bulk_close_skips_a_ticket_someone_else_holds_and_closes_the_rest(open_ticket, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    tickets = [open_ticket(f"Спам номер {i}, купите криптовалюту") for i in range(4)]
    wf.claim(tickets[1].pk, bob)
    wf.claim(tickets[2].pk, ann)
    result = bulk_close([t.pk for t in tickets], ann, "spam", "рассылка")
    assert result.done == [tickets[0].pk, tickets[2].pk, tickets[3].pk]
    assert result.message() == f"Закрыто 3 из 4: №{tickets[1].pk} занят другим модератором"
    states = dict(Ticket.objects.values_list("pk", "state"))
    assert [states[t.pk] for t in tickets] == ["closed", "claimed", "closed", "closed"]
    for t in (tickets[0], tickets[2], tickets[3]):
        close = TicketEvent.objects.get(ticket=t, to_state="closed")
        assert (close.note, close.actor) == ("спам: рассылка", ann)
        assert AuditEvent.objects.filter(action="ticket.close", object_id=str(t.pk)).count() == 1
    assert not TicketEvent.objects.filter(ticket=tickets[1], to_state="closed").exists()
    # Closed tickets are reported too, not closed twice.
    again = bulk_close([tickets[0].pk], ann, "irrelevant")
    assert again.done == [] and again.message() == f"Закрыто 0 из 1: №{tickets[0].pk} закрыто"


def test_a_lead_closes_and_assigns_any_ticket(open_ticket, make_user):
    ann, bob, lena = make_user("ann"), make_user("bob"), make_user("lena", role="lead")
    a, b = open_ticket("Курьер не приехал"), open_ticket("Заказ не пришёл")
    wf.claim(a.pk, ann)
    result = bulk_assign([a.pk, b.pk], bob, lena)
    assert result.done == [a.pk, b.pk] and result.message() == "Назначено 2 из 2."
    assert set(Ticket.objects.values_list("assignee__username", flat=True)) == {"bob"}
    assert TicketEvent.objects.filter(ticket=a, note="assigned to bob").count() == 1
    # ann no longer holds a: a moderator may not hand it on.
    refused = bulk_assign([a.pk], ann, ann)
    assert refused.done == [] and refused.refused == [(a.pk, "занят другим модератором")]
    assert bulk_close([a.pk, b.pk], lena, "irrelevant").done == [a.pk, b.pk]


def test_bulk_topic_is_a_correction_per_ticket(open_ticket, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    a, b, c = (open_ticket(f"Где трек-номер заказа {i}?") for i in range(3))
    wf.claim(c.pk, bob)
    result = bulk_topic([a.pk, b.pk, c.pk], ann, "tracking")
    assert result.done == [a.pk, b.pk] and result.refused == [(c.pk, "занят другим модератором")]
    for t in (a, b):
        t.refresh_from_db()
        cl = t.mention.current_classification
        assert (t.topic, cl.topics, cl.corrected_by) == ("tracking", ["tracking", "delivery_delay"], ann)
        assert TicketEvent.objects.filter(ticket=t, note__startswith="классификация исправлена").count() == 1
    c.refresh_from_db()
    assert c.topic == "delivery_delay"


def test_the_bulk_view_is_post_only_checks_csrf_and_reports_in_russian(client, open_ticket, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    a, b = open_ticket("Спам"), open_ticket("Спам ещё")
    wf.claim(b.pk, bob)
    client.force_login(ann)
    url = reverse("desk:bulk")
    assert client.get(url).status_code == 405
    data = {"tickets": [a.pk, b.pk], "action": "close", "reason": "spam", "back": "sla_state=breached&page=2"}
    r = client.post(url, data, follow=True)
    assert r.redirect_chain == [("/desk/?sla_state=breached&page=2", 302)]
    assert texts(r) == [f"Закрыто 1 из 2: №{b.pk} занят другим модератором"]
    assert Ticket.objects.get(pk=a.pk).state == "closed"
    # A close without a reason, a missing action, no tickets: refused with a Russian message, nothing changes.
    r = client.post(url, {"tickets": [b.pk], "action": "close"}, follow=True)
    assert texts(r) == ["Укажите причину закрытия: спам или не по теме."]
    assert texts(client.post(url, {"tickets": [b.pk]}, follow=True)) == ["Выберите действие."]
    assert texts(client.post(url, {"action": "close", "reason": "spam"}, follow=True)) == [
        "Отметьте обращения в очереди."]
    # The redirect only ever goes to the queue, whatever `back` holds.
    r = client.post(url, {"tickets": [b.pk], "action": "topic", "topic": "tracking", "back": "//evil.example/x"})
    assert r["Location"].startswith("/desk/?")
    assert Ticket.objects.get(pk=b.pk).state == "claimed"
    # CSRF is enforced on the bulk form like on every other action.
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ann)
    assert strict.post(url, data).status_code == 403


def test_the_queue_has_the_bulk_bar_and_row_checkboxes(client, open_ticket, make_user):
    ann = make_user("ann")
    t = open_ticket()
    client.force_login(ann)
    html = client.get(reverse("desk:queue")).content.decode()
    assert 'id="select-page"' in html and f'name="tickets" value="{t.pk}" form="bulk"' in html
    assert 'id="shortcuts-help"' in html and 'id="live-counter"' in html


def test_the_counter_counts_new_and_at_risk_open_tickets(client, open_ticket, make_user):
    ann, mark = make_user("ann"), make_user("mark", role="marketer")
    a, b, c = open_ticket("Раз"), open_ticket("Два"), open_ticket("Три")
    wf.claim(b.pk, ann)
    Ticket.objects.filter(pk__in=[b.pk, c.pk]).update(sla_state=SlaState.AT_RISK)
    wf.close(c.pk, ann, reason="дубль", now=timezone.now() + timedelta(minutes=1))
    url = reverse("desk:counters")
    assert client.get(url).status_code == 302  # login first
    client.force_login(mark)
    assert client.get(url).status_code == 403  # not a moderator
    client.force_login(ann)
    r = client.get(url)
    assert r.json() == {"new": 1, "at_risk": 1, "breached": 0} and r["Cache-Control"] == "no-store"
    assert client.post(url).status_code == 405
