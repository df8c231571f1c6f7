"""The desk in a real browser: Playwright drives Debian's Chromium against a live test server."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from responders.services.templates import load_templates
from tests.responders.conftest import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HOSTILE = '<script>window.__pwned = 1; alert("xss")</script><img src=x onerror="window.__pwned = 2">'


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--headless", "--no-sandbox", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="ru-RU")
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs
        yield page
        browser.close()


def log_in(page, base: str, name: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/desk/")


def closed_count(page, base: str) -> int:
    page.goto(f"{base}/desk/metrics/")
    return int(page.inner_text("#m-closed"))


def test_moderator_claims_replies_closes_and_sees_the_metrics(live_server, browser_page, make_user, open_ticket):
    page, base = browser_page, live_server.url
    load_templates()
    make_user("ann", password="desk-pass-123")
    t = open_ticket("Заказ опаздывает уже на три дня, курьер не звонит", author="Ольга Петрова",
                    posted_at=timezone.now() - timedelta(hours=3))
    log_in(page, base, "ann", "desk-pass-123")
    assert page.locator(f"tr.ticket-row[data-ticket='{t.pk}']").count() == 1
    assert closed_count(page, base) == 0

    page.goto(f"{base}/desk/")
    page.click(f"tr.ticket-row[data-ticket='{t.pk}'] a")
    page.click("#claim")
    assert "ann (вы)" in page.inner_text("#holder")
    reply = page.input_value("#reply-text")
    assert reply.startswith("Ольга, здравствуйте! Приносим извинения за задержку")
    page.click("#send-reply")
    assert "Ответ поставлен в очередь" in page.inner_text(".messages")
    assert page.inner_text("#ticket-state") == "Отвечен"
    page.click("#close")
    assert page.inner_text("#ticket-state") == "Закрыт"

    assert closed_count(page, base) == 1
    assert page.inner_text("#m-sl").startswith("100")
    if os.environ.get("OTKLIK_SCREENSHOT_DIR"):  # docs/img/desk-*.png for the README
        out = Path(os.environ["OTKLIK_SCREENSHOT_DIR"])
        page.screenshot(path=str(out / "desk-metrics.png"), full_page=False)


def test_a_script_in_a_mention_is_shown_as_text(live_server, browser_page, make_user, open_ticket):
    page, base = browser_page, live_server.url
    make_user("ann", password="desk-pass-123")
    t = open_ticket(HOSTILE, author="<b>hacker</b>")
    log_in(page, base, "ann", "desk-pass-123")
    page.goto(f"{base}/desk/tickets/{t.pk}/")
    assert page.inner_text("#mention-text") == HOSTILE
    assert page.locator("#mention-text script, #mention-text img").count() == 0
    assert page.evaluate("window.__pwned") is None and page.dialogs == []
    page.goto(f"{base}/desk/")
    assert page.evaluate("window.__pwned") is None and page.dialogs == []
    assert "<script>window.__pwned" in page.inner_text(f"tr.ticket-row[data-ticket='{t.pk}']")
