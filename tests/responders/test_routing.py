from datetime import timedelta

import pytest

from responders.config import load_config
from responders.models import Ticket, TicketKind, TicketState
from responders.services.routing import route_pending
from tests.factories import T0, classified, mention, source

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "sentiment, topics, channel, kind, state",
    [
        ("negative", ["delivery_delay"], "telegram", TicketKind.COMPLAINT, TicketState.NEW),
        ("neutral", ["tracking"], "vk", TicketKind.COMPLAINT, TicketState.NEW),
        ("neutral", ["question"], "vk", TicketKind.QUESTION, TicketState.NEW),
        ("neutral", ["address_change"], "appstore", TicketKind.QUESTION, TicketState.NEW),
        ("positive", ["praise"], "appstore", TicketKind.PRAISE, TicketState.NEW),
        ("neutral", ["spam"], "vk", TicketKind.SPAM, TicketState.CLOSED),
        ("neutral", ["delivery_delay"], "rss", TicketKind.OTHER, TicketState.CLOSED),
        ("negative", ["other"], "vk", TicketKind.COMPLAINT, TicketState.NEW),
        ("neutral", ["other"], "vk", TicketKind.OTHER, TicketState.NEW),
    ],
)
def test_routing_rules_pick_the_kind(sentiment, topics, channel, kind, state):
    classified("текст", sentiment=sentiment, topics=topics, src=source(channel, channel))
    route_pending()
    t = Ticket.objects.get()
    assert (t.kind, t.state) == (kind, state)
    assert t.dismissed == (state == TicketState.CLOSED)


def test_clocks_start_when_the_customer_spoke():
    classified("Курьер опоздал", topics=["delivery_delay"])
    route_pending()
    t = Ticket.objects.get()
    assert t.opened_at == T0
    assert t.first_reply_due == T0 + timedelta(hours=24)
    assert t.resolution_due == T0 + timedelta(hours=48)
    assert t.events.count() == 1


def test_priority_and_overrides_come_from_config():
    classified("Потеряли посылку", topics=["lost_item"])
    classified("Спасибо!", sentiment="positive", topics=["praise"])
    route_pending()
    lost = Ticket.objects.get(topic="lost_item")
    praise = Ticket.objects.get(topic="praise")
    assert lost.priority == 1 and praise.priority == 3
    assert praise.resolution_due - praise.opened_at == timedelta(hours=72)


def test_copies_do_not_open_a_second_ticket_and_rerun_is_idempotent():
    original = classified("Курьер опоздал на три часа и не позвонил")
    classified("Курьер опоздал на три часа и не позвонил", duplicate_of=original)
    mention("ещё не классифицировано")
    first = route_pending()
    assert (first.opened, first.skipped_duplicates) == (1, 1)
    second = route_pending()
    assert (second.opened, second.dismissed) == (0, 0)
    assert Ticket.objects.count() == 1


def test_config_without_catch_all_is_rejected(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("routing:\n  rules: []\n")
    with pytest.raises(ValueError, match="routing.rules is empty"):
        load_config(path)


def test_the_companys_own_posts_are_dismissed_not_queued():
    classified("Добрый день! Курьеры работают ежедневно с 9 до 22.", sentiment="positive", topics=["praise"],
               author="СкороДоставка | Поддержка")
    classified("Спасибо за доставку!", sentiment="positive", topics=["praise"], author="Ирина")
    route_pending()
    own = Ticket.objects.get(mention__author="СкороДоставка | Поддержка")
    assert (own.kind, own.state, own.dismissed, own.close_reason) == (
        TicketKind.OTHER, TicketState.CLOSED, True, "собственная публикация компании")
    assert Ticket.objects.get(mention__author="Ирина").state == TicketState.NEW



def _routing_rows() -> dict:
    """What routing wrote, keyed by mention text (ids differ between runs)."""
    from responders.models import TicketEvent, TicketOrderLink
    from search.models import IndexOutbox
    from store.models import AuditEvent

    tickets = {t.mention.text: (t.kind, t.state, t.topic, t.sentiment, t.channel, t.priority, t.opened_at,
                                t.first_reply_due, t.resolution_due, t.dismissed, t.close_reason)
               for t in Ticket.objects.select_related("mention")}
    text = dict(Ticket.objects.values_list("id", "mention__text"))
    events = sorted((text[e.ticket_id], e.from_state, e.to_state, e.note) for e in TicketEvent.objects.all())
    links = sorted((text[x.ticket_id], x.order.order_number, x.matched_by, x.matched_value)
                   for x in TicketOrderLink.objects.select_related("order"))
    audit = sorted((text[int(a.object_id)], a.actor_label, str(a.after))
                   for a in AuditEvent.objects.filter(action="ticket.open") if int(a.object_id) in text)
    queued = set(IndexOutbox.objects.filter(reason="ticket").values_list("mention_id", flat=True))
    return {"tickets": tickets, "events": events, "links": links, "audit": audit,
            "queued": sorted(t for m, t in Ticket.objects.values_list("mention_id", "mention__text") if m in queued)}


def test_bulk_routing_writes_what_opening_one_by_one_writes():
    from responders.models import TicketEvent, TicketOrderLink
    from responders.services.routing import open_ticket
    from search.models import IndexOutbox
    from store.models import Customer, Mention, Order

    customer = Customer.objects.create(external_id="c1", phone="79161234567")
    Order.objects.create(order_number="40012345", created_at=T0)
    Order.objects.create(order_number="40054321", tracking_number="RA123456789RU", created_at=T0, customer=customer)
    texts = [
        ("Заказ 4001 2345 опоздал на неделю", "negative", ["delivery_delay"], "u1"),
        ("Трек RA123456789RU стоит на месте, и заказ 40012345 тоже", "neutral", ["tracking"], "u2"),
        ("Позвоните мне +7 916 123-45-67, где посылка?", "neutral", ["question"], "u3"),
        ("Купите криптовалюту 40012345", "neutral", ["spam"], "u4"),
        ("Мы работаем без выходных", "positive", ["praise"], "СкороДоставка"),
        ("Спасибо курьеру!", "positive", ["praise"], "u5"),
    ]
    for i, (text, sentiment, topics, author) in enumerate(texts):
        classified(text, sentiment=sentiment, topics=topics, author=author, posted_at=T0 + timedelta(hours=i))
    cfg = load_config()
    IndexOutbox.objects.all().delete()
    for m in Mention.objects.order_by("id"):
        open_ticket(m, cfg)
    one_by_one = _routing_rows()
    assert len(one_by_one["links"]) == 5 and len(one_by_one["queued"]) == 6 and len(one_by_one["audit"]) == 6

    TicketOrderLink.objects.all().delete()
    TicketEvent.objects.all().delete()
    Ticket.objects.all().delete()  # the audit log is append-only: the old entries point at deleted ids
    IndexOutbox.objects.all().delete()
    stats = route_pending(cfg)
    assert (stats.opened, stats.dismissed, stats.linked_to_order) == (4, 2, 4)
    assert _routing_rows() == one_by_one
