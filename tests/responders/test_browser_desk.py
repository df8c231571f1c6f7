"""The desk's newer behaviour in Chromium: role landing pages, ownership in the buttons, replies (template
switching keeps typed text, preview), login lockout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from responders.models import Reply
from responders.services import workflow as wf
from responders.services.templates import load_templates
from tests.responders.test_browser import browser_page  # noqa: F401 - the shared Chromium fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, name: str, password: str) -> None:
    page.set_default_timeout(120_000)  # the reports page draws charts: slow on a loaded 2-core machine
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def nav(page) -> list[str]:
    return [a.strip() for a in page.locator("header a").all_inner_texts()]


def test_each_role_lands_on_its_page_with_its_own_nav(live_server, browser_page, make_user):  # noqa: F811
    page, base = browser_page, live_server.url
    for name, role, path, links in (
        ("mod", "moderator", "/desk/", ["Очередь", "Метрики", "Поиск"]),
        ("lead", "lead", "/desk/metrics/", ["Очередь", "Метрики", "Поиск", "Отчёты", "Настройки SLA"]),
        ("mark", "marketer", "/reports/", ["Метрики", "Отчёты"]),
    ):
        make_user(name, role=role, password="desk-pass-123")
        log_in(page, base, name, "desk-pass-123")
        assert page.url == f"{base}{path}", (role, page.url)
        assert nav(page) == links, role
        page.click("header button[type=submit]")  # log out
    # The marketer opening the queue sees a Russian page with the navigation.
    log_in(page, base, "mark", "desk-pass-123")
    page.goto(f"{base}/desk/")
    assert "Нет доступа" in page.inner_text("h1") and nav(page) == ["Метрики", "Отчёты"]


def test_replies_keep_typed_text_and_show_the_exact_text_sent(live_server, browser_page, make_user,  # noqa: F811
                                                             open_ticket):
    page, base = browser_page, live_server.url
    load_templates()
    make_user("ann", password="desk-pass-123")
    t = open_ticket("Заказ опаздывает уже на три дня", author='<b>olga</b>"><img src=x>',
                    posted_at=timezone.now() - timedelta(hours=3))
    log_in(page, base, "ann", "desk-pass-123")
    page.goto(f"{base}/desk/tickets/{t.pk}/")
    first = page.input_value("#reply-text")
    assert first.startswith("Здравствуйте! Приносим извинения") and "olga" not in first
    assert page.inner_text("#reply-preview") == first.strip()
    # Typed text survives a template switch when the moderator declines (the fixture dismisses dialogs).
    page.fill("#reply-text", "Ольга, мы нашли вашу посылку, завтра привезём.")
    assert page.inner_text("#reply-preview") == "Ольга, мы нашли вашу посылку, завтра привезём."
    url = page.url
    page.select_option("#template-picker", index=1)
    assert page.dialogs and "Заменить набранный текст" in page.dialogs[-1]
    assert page.input_value("#reply-text") == "Ольга, мы нашли вашу посылку, завтра привезём." and page.url == url
    # Accepting replaces it without a reload; text that is still the previous template's is switched unasked.
    page.evaluate("window.asked = 0; window.confirm = () => { window.asked += 1; return true; }; null")
    page.select_option("#template-picker", index=2)
    second = page.input_value("#reply-text")
    assert page.evaluate("window.asked") == 1 and second != first and page.url == url
    assert page.inner_text("#reply-preview") == second.strip()
    page.select_option("#template-picker", index=3)
    assert page.evaluate("window.asked") == 1 and page.input_value("#reply-text") != second
    page.fill("#reply-text", "  Здравствуйте! Привезём завтра до 18:00.  ")
    page.click("#send-reply")
    page.wait_for_load_state()
    assert Reply.objects.get(ticket=t).text == "Здравствуйте! Привезём завтра до 18:00."


def test_buttons_follow_the_ownership_rule(live_server, browser_page, make_user, open_ticket):  # noqa: F811
    page, base = browser_page, live_server.url
    ann = make_user("ann", password="desk-pass-123")
    make_user("bob", password="desk-pass-123")
    make_user("lena", role="lead", password="desk-pass-123")
    t = open_ticket()
    wf.claim(t.pk, ann)
    log_in(page, base, "bob", "desk-pass-123")
    page.goto(f"{base}/desk/tickets/{t.pk}/")
    for button in ("#close", "#save-correction", "#link-order"):
        assert page.is_disabled(button), button
    assert "ann или руководитель" in page.get_attribute("#close", "title")
    page.click("header button[type=submit]")
    log_in(page, base, "lena", "desk-pass-123")
    page.goto(f"{base}/desk/tickets/{t.pk}/")
    assert page.is_enabled("#close")


def test_wrong_passwords_lock_the_login(live_server, browser_page, make_user):  # noqa: F811
    page, base = browser_page, live_server.url
    make_user("ann", password="desk-pass-123")
    for _ in range(5):
        log_in(page, base, "ann", "wrong-password")
    assert "Вход временно закрыт" in page.inner_text("h1")
    log_in(page, base, "ann", "desk-pass-123")
    assert "Вход временно закрыт" in page.inner_text("h1") and page.url.endswith("/login/")
