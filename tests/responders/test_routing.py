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
