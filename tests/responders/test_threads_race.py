"""Two routers at once (two workers' claimed chunks, each in its own transaction and connection): a customer's
first message in one, their follow-up in the other, still make one ticket. Runs on SQLite here and on
PostgreSQL through test_threads_postgres.py, where the routers really overlap."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction

from responders.config import load_config
from responders.models import Ticket, TicketMessage
from responders.services.routing import RoutingStats, route_batch
from store.models import Mention
from tests.factories import T0, classified, source

H = timedelta(hours=1)
HOLD_SECONDS = 1.5  # how long the first router keeps its transaction open after routing


def vk(text: str, at, author: str = "Ирина Волкова") -> Mention:
    return classified(text, src=source("vk", "vk"), posted_at=at, author=author, conversation_key="vk:-100_7")


def loaded(mention: Mention) -> list[Mention]:
    return list(Mention.objects.filter(pk=mention.pk).select_related("source").prefetch_related("classifications"))


@pytest.mark.django_db(transaction=True)
def test_a_followup_routed_while_its_first_message_is_being_routed_joins_its_ticket():
    first = vk("Курьер не привёз заказ, жду третий день", T0)
    later = vk("Так и не привезли, что происходит?", T0 + H)
    cfg = load_config()
    routed_first = threading.Event()
    errors: list[BaseException] = []

    def router(mention: Mention, wait: threading.Event | None) -> None:
        try:
            if wait is not None:
                assert wait.wait(60)
            with transaction.atomic():
                route_batch(loaded(mention), cfg, RoutingStats(), now=T0 + 2 * H)
                if wait is None:
                    routed_first.set()
                    time.sleep(HOLD_SECONDS)  # the rest of a big chunk: nothing is committed yet
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
            routed_first.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=router, args=(first, None)),
               threading.Thread(target=router, args=(later, routed_first))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    ticket = Ticket.objects.get()  # one ticket, not one per router
    assert ticket.mention_id == first.pk
    assert list(TicketMessage.objects.values_list("ticket_id", "mention_id")) == [(ticket.pk, later.pk)]
