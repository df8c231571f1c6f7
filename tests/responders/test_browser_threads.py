"""Threads in Chromium: the ticket page shows both messages of one conversation, in time order, as text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from responders.models import Ticket, TicketState
from responders.services.routing import route_pending
from tests.factories import classified, source
from tests.responders.test_browser import browser_page  # noqa: F401 - the shared Chromium fixture
from tests.responders.test_browser_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ticket_page_shows_the_two_messages_of_one_thread(live_server, browser_page, make_user):  # noqa: F811
    page, base = browser_page, live_server.url
    vk, start = source("vk", "vk"), timezone.now().replace(microsecond=0) - timedelta(hours=5)
    later_text = 'Всё ещё жду курьера <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    # The later message is stored first (a newer page), the thread still reads in the order they were written.
    classified(later_text, src=vk, posted_at=start + timedelta(hours=2), author="Ирина Волкова",
               conversation_key="vk:-100_5")
    first = classified("Курьер не привёз заказ, жду третий день", src=vk, posted_at=start, author="Ирина Волкова",
                       conversation_key="vk:-100_5")
    assert route_pending().attached == 1
    t = Ticket.objects.get()
    assert t.mention == first and t.state == TicketState.NEW
    make_user("ann", password="desk-pass-123")
    log_in(page, base, "ann", "desk-pass-123")
    page.goto(f"{base}/desk/tickets/{t.pk}/")
    items = page.locator("#thread li.thread-message")
    assert items.count() == 2
    texts = [items.nth(i).locator(".mention-text").inner_text() for i in range(2)]
    assert texts == ["Курьер не привёз заказ, жду третий день", later_text]
    assert page.locator("#thread h2").inner_text() == "Ветка: 2 сообщ."
    assert page.evaluate("window.pwned === undefined") and page.locator("#thread img").count() == 0
    assert "Клиент ответил: новое сообщение в той же ветке" in page.inner_text("body")
