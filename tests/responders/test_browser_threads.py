"""Threads in Chromium: the ticket page shows both messages of one conversation, in time order, as text; a
follow-up moves a waiting ticket back into work by itself."""

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


def test_a_followup_moves_the_waiting_ticket_back_by_itself(live_server, browser_page, make_user):  # noqa: F811
    """Issue 18 point 7: «Клиент ответил» happens without anyone pressing the button."""
    from responders.services import workflow

    page, base = browser_page, live_server.url
    vk, start = source("vk", "vk"), timezone.now().replace(microsecond=0) - timedelta(hours=6)
    first = classified("Курьер не привёз заказ, жду третий день", src=vk, posted_at=start, author="Ирина Волкова",
                       conversation_key="vk:-100_9")
    route_pending()
    t = Ticket.objects.get(mention=first)
    ann = make_user("ann", password="desk-pass-123")
    workflow.claim(t.pk, ann, now=start + timedelta(hours=1))
    workflow.reply(t.pk, ann, "Ирина, проверяем, напишите номер заказа", now=start + timedelta(hours=1))
    workflow.wait_for_customer(t.pk, ann, now=start + timedelta(hours=1))
    log_in(page, base, "ann", "desk-pass-123")
    page.goto(f"{base}/desk/tickets/{t.pk}/")
    assert page.inner_text("#ticket-state") == "Ждём клиента" and page.is_visible("#resume")
    classified("Номер заказа 40012345, всё ещё жду", src=vk, posted_at=start + timedelta(hours=4),
               author="Ирина Волкова", conversation_key="vk:-100_9")
    assert route_pending().attached == 1
    page.reload()
    # Back in work (the holder's claim has expired since, so it is back in the queue): no button was pressed.
    assert page.inner_text("#ticket-state") in ("В работе", "Новый") and page.locator("#resume").count() == 0
    assert page.locator("#thread li.thread-message").count() == 2
    history = page.locator("h2:text-is('История') + table").inner_text()
    assert "Клиент ответил: новое сообщение в той же ветке" in history
