"""The queue's power tools in Chromium: bulk close with a refused row, keyboard shortcuts, the live counter."""

from __future__ import annotations

import pytest

from responders.models import Ticket, TicketEvent
from responders.services import workflow as wf
from tests.responders.test_browser import browser_page  # noqa: F401 - the shared Chromium fixture
from tests.responders.test_browser_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_row(page) -> str | None:
    return page.evaluate("(document.querySelector('tr.ticket-row.current') || {dataset: {}}).dataset.ticket || null")


def test_bulk_close_of_the_page_reports_the_refused_ticket(live_server, browser_page, make_user,  # noqa: F811
                                                           open_ticket):
    page, base = browser_page, live_server.url
    make_user("ann", password="desk-pass-123")
    bob = make_user("bob", password="desk-pass-123")
    tickets = [open_ticket(f"Купите крипту, ссылка в профиле {i}") for i in range(3)]
    wf.claim(tickets[1].pk, bob)
    log_in(page, base, "ann", "desk-pass-123")
    page.check("#select-page")  # "select all on page"
    assert page.inner_text("#bulk-count") == "Отмечено: 3"
    assert page.is_hidden("#bulk select[name=reason]")
    page.select_option("#bulk select[name=action]", "close")
    assert page.is_visible("#bulk select[name=reason]") and page.is_hidden("#bulk select[name=topic]")
    page.select_option("#bulk select[name=reason]", "spam")
    page.fill("#bulk input[name=note]", "рассылка")
    page.click("#bulk-apply")
    page.wait_for_load_state()
    assert page.inner_text(".messages") == f"Закрыто 2 из 3: №{tickets[1].pk} занят другим модератором"
    states = dict(Ticket.objects.values_list("pk", "state"))
    assert [states[t.pk] for t in tickets] == ["closed", "claimed", "closed"]
    assert TicketEvent.objects.filter(to_state="closed", note="спам: рассылка").count() == 2
    # The queue now lists only bob's ticket.
    assert page.locator("tr.ticket-row").evaluate_all("rows => rows.map(r => r.dataset.ticket)") == [
        str(tickets[1].pk)]


def test_keyboard_shortcuts_move_open_claim_and_show_help(live_server, browser_page, make_user,  # noqa: F811
                                                          open_ticket):
    page, base = browser_page, live_server.url
    make_user("ann", password="desk-pass-123")
    tickets = [open_ticket(f"Заказ {i} опаздывает") for i in range(3)]
    log_in(page, base, "ann", "desk-pass-123")
    order = page.locator("tr.ticket-row").evaluate_all("rows => rows.map(r => r.dataset.ticket)")
    assert sorted(order) == sorted(str(t.pk) for t in tickets)
    assert current_row(page) is None
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert current_row(page) == order[1]
    page.keyboard.press("k")
    assert current_row(page) == order[0]
    # Typing in a field never fires a shortcut.
    page.click("input[name=q]")
    page.keyboard.type("jjk")
    assert page.input_value("input[name=q]") == "jjk" and current_row(page) == order[0]
    page.click("h1")  # leave the field
    page.keyboard.press("j")
    assert current_row(page) == order[1]
    # `?` opens the help in Russian, Escape closes it.
    assert page.is_hidden("#shortcuts-help")
    page.keyboard.press("?")
    assert page.is_visible("#shortcuts-help") and "взять в работу" in page.inner_text("#shortcuts-help")
    page.keyboard.press("Escape")
    assert page.is_hidden("#shortcuts-help")
    # Enter opens the row; c claims it; r focuses the reply; g q goes back to the queue.
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/desk/tickets/{order[1]}/")
    page.keyboard.press("c")
    page.wait_for_load_state()
    assert "ann (вы)" in page.inner_text("#holder")
    assert Ticket.objects.get(pk=order[1]).assignee.username == "ann"
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reply-text"
    page.keyboard.press("g")  # typed into the reply box: no navigation
    assert page.url == f"{base}/desk/tickets/{order[1]}/"
    page.click("h1")
    page.keyboard.press("g")
    page.keyboard.press("q")
    page.wait_for_url(f"{base}/desk/")
    # In the queue, c claims the selected row (and opens it).
    page.keyboard.press("j")
    page.keyboard.press("c")
    page.wait_for_url(f"{base}/desk/tickets/{order[0]}/")
    assert Ticket.objects.get(pk=order[0]).assignee.username == "ann"


def test_the_counter_updates_when_a_ticket_arrives(live_server, browser_page, make_user, open_ticket,  # noqa: F811
                                                    settings):
    from playwright.sync_api import expect

    settings.OTKLIK = {**settings.OTKLIK, "DESK_POLL_SECONDS": 0.5}
    page, base = browser_page, live_server.url
    ann = make_user("ann", password="desk-pass-123")
    first, second = open_ticket("Заказ опаздывает"), open_ticket("Курьер грубил")
    wf.claim(second.pk, ann)
    log_in(page, base, "ann", "desk-pass-123")
    expect(page.locator("#count-new")).to_have_text("1", timeout=20_000)
    assert page.title() == "(1) Очередь — Отклик" and page.inner_text("#count-at-risk") == "0"
    open_ticket("Где мой заказ? Третий день жду")
    Ticket.objects.filter(pk=first.pk).update(sla_state="at_risk")
    expect(page.locator("#count-new")).to_have_text("2", timeout=20_000)  # no reload: the poll brought it
    expect(page.locator("#count-at-risk")).to_have_text("1", timeout=20_000)
    expect(page).to_have_title("(2) Очередь — Отклик")
