"""Threads at the service level: a later message of the same customer in the same conversation joins their
ticket (attach, «Клиент ответил» by itself, reopen within the window, a new ticket after it), other authors and
reruns do not, an edited review updates its ticket's thread."""

from datetime import timedelta

import pytest
from django.utils.timezone import now as django_now

from responders.models import Ticket, TicketEvent, TicketMessage, TicketState
from responders.services import workflow
from responders.services.routing import route_pending
from store.models import AuditEvent, Classification, Customer, Order, Source
from store.services.ingest import MentionInput, ingest
from tests.factories import T0, classified, source

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
D = timedelta(days=1)
KEY = "vk:-100_5"
FOLLOWUP = "Клиент ответил: новое сообщение в той же ветке"


def vk(text, at, author="Ирина Волкова", key=KEY, **kw):
    return classified(text, src=source("vk", "vk"), posted_at=at, author=author, conversation_key=key, **kw)


def first_ticket(make_user):
    """The customer's complaint, answered and waiting for the customer from T0+1h."""
    vk("Курьер не привёз заказ 40012345, жду третий день", T0)
    route_pending(now=T0)
    t = Ticket.objects.get()
    anna = make_user("anna")
    workflow.reply(t.pk, anna, "Ирина, проверяем заказ, напишем в течение дня", now=T0 + H)
    workflow.wait_for_customer(t.pk, anna, now=T0 + H)
    return t, anna


def test_followup_joins_the_waiting_ticket_and_resumes_it(make_user):
    t, _ = first_ticket(make_user)
    later = vk("Так и не привезли, когда будет курьер?", T0 + 3 * H)
    stats = route_pending(now=T0 + 4 * H)
    assert (stats.opened, stats.attached, stats.reopened) == (0, 1, 0)
    assert Ticket.objects.count() == 1
    t.refresh_from_db()
    # The claim expired while waiting: back in the queue, as the manual button would put it.
    assert t.state == TicketState.NEW
    assert [m.pk for m in t.thread()] == [t.mention_id, later.pk]
    ev = t.events.get(note=FOLLOWUP)
    assert (ev.from_state, ev.to_state, ev.at, ev.actor) == (TicketState.WAITING, TicketState.NEW, T0 + 3 * H, None)
    assert t.paused_seconds == pytest.approx(2 * 3600)  # waited from T0+1h until the customer wrote at T0+3h
    assert TicketMessage.objects.get(mention=later).effect == TicketMessage.Effect.RESUMED
    audit = AuditEvent.objects.filter(action="ticket.resume", object_id=str(t.pk)).get()
    assert audit.actor_label == "system" and audit.before["state"] == "waiting"


def test_followup_while_held_stays_with_the_holder(make_user):
    t, anna = first_ticket(make_user)
    workflow.claim(t.pk, anna, now=T0 + 2 * H)  # renews the claim (the ticket stays waiting)
    vk("Жду ответа по заказу", T0 + 2 * H + 5 * 60 * timedelta(seconds=1))
    route_pending(now=T0 + 2 * H + 10 * 60 * timedelta(seconds=1))
    t.refresh_from_db()
    assert (t.state, t.assignee) == (TicketState.CLAIMED, anna)


def test_closed_ticket_is_reopened_within_the_window(make_user):
    t, anna = first_ticket(make_user)
    workflow.close(t.pk, anna, now=T0 + 2 * H)
    later = vk("Посылку так и не получила, откройте обращение", T0 + 2 * H + 6 * D)
    stats = route_pending(now=T0 + 7 * D)
    assert (stats.opened, stats.attached, stats.reopened) == (0, 1, 1)
    t.refresh_from_db()
    assert (t.state, t.closed_at, t.assignee, t.resolution_met) == (TicketState.NEW, None, None, None)
    assert t.events.filter(from_state=TicketState.CLOSED, to_state=TicketState.NEW,
                           note__contains=FOLLOWUP).exists()
    assert TicketMessage.objects.get(mention=later).effect == TicketMessage.Effect.REOPENED


def test_after_the_window_a_new_ticket_opens(make_user, rules):
    t, anna = first_ticket(make_user)
    workflow.close(t.pk, anna, now=T0 + 2 * H)
    later = vk("Снова проблема с доставкой, теперь другой заказ", T0 + 2 * H + 8 * D)
    stats = route_pending(now=T0 + 9 * D)
    assert (stats.opened, stats.attached) == (1, 0)
    assert Ticket.objects.get(mention=later).state == TicketState.NEW
    # The window is configurable: with one day, two days after closing is a new ticket too.
    cfg = rules(threads={"reopen_days": 1})
    again = vk("И ещё вопрос по доставке в субботу", T0 + 2 * H + 8 * D + 2 * D)
    workflow.close(Ticket.objects.get(mention=later).pk, anna, reason="ответили", now=T0 + 2 * H + 8 * D)
    assert route_pending(cfg, now=T0 + 11 * D).opened == 1 and Ticket.objects.filter(mention=again).exists()


def test_another_author_in_the_same_thread_gets_a_ticket_of_their_own(make_user):
    first_ticket(make_user)
    other = vk("У меня тоже не привезли посылку", T0 + 2 * H, author="Олег Петров")
    stats = route_pending(now=T0 + 3 * H)
    assert (stats.opened, stats.attached) == (1, 0)
    assert Ticket.objects.get(mention=other).events.count() == 1


def test_another_conversation_of_the_same_author_gets_a_ticket_of_its_own(make_user):
    first_ticket(make_user)
    vk("А ещё курьер нагрубил в другой раз", T0 + 2 * H, key="vk:-100_9")
    assert route_pending(now=T0 + 3 * H).opened == 1


def test_orders_of_another_customer_are_not_the_same_customer(make_user):
    ira = Customer.objects.create(external_id="c1", name="Ирина")
    olga = Customer.objects.create(external_id="c2", name="Ольга")
    Order.objects.create(order_number="40012345", customer=ira, created_at=T0 - D)
    Order.objects.create(order_number="40099999", customer=olga, created_at=T0 - D)
    t, _ = first_ticket(make_user)
    assert t.order_links.get().order.customer == ira
    vk("Пишу за маму, заказ 40099999 тоже не пришёл", T0 + 2 * H)
    assert route_pending(now=T0 + 3 * H).opened == 1
    vk("По заказу 40012345 так и нет новостей", T0 + 4 * H)
    assert route_pending(now=T0 + 5 * H).attached == 1


def test_rerun_attaches_nothing_twice(make_user):
    t, _ = first_ticket(make_user)
    vk("Так и не привезли", T0 + 3 * H)
    route_pending(now=T0 + 4 * H)
    again = route_pending(now=T0 + 5 * H)
    assert (again.opened, again.attached) == (0, 0)
    assert TicketMessage.objects.count() == 1
    assert TicketEvent.objects.filter(ticket=t, note=FOLLOWUP).count() == 1


def test_first_message_and_followup_in_one_batch_make_one_ticket():
    later = vk("Ответьте, пожалуйста, где заказ", T0 + 2 * H)  # stored first (a newer page), written later
    first = vk("Курьер не привёз заказ, жду третий день", T0)
    stats = route_pending(now=T0 + 3 * H)
    assert (stats.opened, stats.attached) == (1, 1)
    t = Ticket.objects.get()
    assert t.mention == first and [m.pk for m in t.thread()] == [first.pk, later.pk]
    assert TicketMessage.objects.get().effect == TicketMessage.Effect.ATTACHED
    assert t.events.filter(note=FOLLOWUP, from_state=TicketState.NEW, to_state=TicketState.NEW).exists()


def test_dismissed_ticket_takes_no_followups():
    vk("Промокод SKORO50 на скидку", T0, topics=("spam",), sentiment="neutral")
    vk("Ещё промокод SKORO70", T0 + H, topics=("spam",), sentiment="neutral")
    stats = route_pending(now=T0 + 2 * H)
    assert (stats.dismissed, stats.attached) == (2, 0)


def _classify(mention):
    Classification.objects.create(mention=mention, model_name="test", model_version="test-v1",
                                  sentiment="negative", topics=["lost_item"], primary_topic="lost_item")


def test_edited_review_updates_the_thread_of_its_ticket(make_user):
    Source.objects.create(name="otz", kind="review_site", config={"site": "otzovik"})
    # The site keeps the review's first date: the edit is dated when it is seen (now), so the test runs
    # relative to now rather than to a fixed day.
    at = django_now().replace(microsecond=0) - 10 * D
    _, v1 = ingest(MentionInput(source="otz", external_id="777", author="Ирина", rating=1, posted_at=at,
                                text="Потеряли посылку и не отвечают на звонки"))
    _classify(v1)
    route_pending(now=at + H)
    t = Ticket.objects.get()
    anna = make_user("anna")
    workflow.reply(t.pk, anna, "Ирина, нашли посылку, привезём завтра", now=at + 2 * H)
    _, v2 = ingest(MentionInput(source="otz", external_id="777", author="Ирина", rating=2, posted_at=at,
                                text="Посылку нашли, но привезут только завтра. Посмотрим"))
    _classify(v2)
    stats = route_pending()
    assert (stats.opened, stats.attached, stats.skipped_duplicates) == (0, 1, 0)
    t.refresh_from_db()
    assert [m.text for m in t.thread()] == [v1.text, v2.text]
    # Answered, then the customer's edit (days later, the claim long expired): back in the queue.
    assert t.state == TicketState.NEW
    ev = t.events.get(note="Клиент ответил: отзыв отредактирован")
    assert (ev.from_state, ev.to_state) == (TicketState.REPLIED, TicketState.NEW)
    assert Ticket.objects.count() == 1


def test_forgetting_a_customer_covers_the_messages_threaded_into_their_ticket(make_user):
    from responders.services.privacy import customer_mentions

    ira = Customer.objects.create(external_id="c1", name="Ирина")
    Order.objects.create(order_number="40012345", customer=ira, created_at=T0 - D)
    t, _ = first_ticket(make_user)
    later = vk("Ирина Волкова снова: так и не привезли", T0 + 3 * H)
    route_pending(now=T0 + 4 * H)
    assert set(customer_mentions(ira)) == {t.mention, later}


def test_two_commenters_of_one_name_are_two_customers_by_their_vk_ids():
    vk("Курьер не привёз заказ 40012345, жду третий день", T0, raw={"author_id": 501})
    vk("И мне не привезли заказ 40067890", T0 + H, raw={"author_id": 777})  # another Ирина Волкова
    vk("Так и не привезли, когда будет курьер?", T0 + 2 * H, raw={"author_id": 501})
    stats = route_pending(now=T0 + 3 * H)
    assert (stats.opened, stats.attached) == (2, 1)
    first, second = Ticket.objects.order_by("opened_at")
    assert [m.text[:18] for m in first.thread()] == ["Курьер не привёз з", "Так и не привезли,"]
    assert [m.text[:18] for m in second.thread()] == ["И мне не привезли "]


def test_a_message_stored_before_author_ids_were_kept_still_joins_by_name(make_user):
    vk("Курьер не привёз заказ 40012345, жду третий день", T0)  # no raw.author_id: crawled before they were kept
    route_pending(now=T0)
    vk("Так и не привезли, когда будет курьер?", T0 + 2 * H, raw={"author_id": 501})
    stats = route_pending(now=T0 + 3 * H)
    assert (stats.opened, stats.attached) == (0, 1)
