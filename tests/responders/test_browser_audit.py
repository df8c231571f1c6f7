"""Issue 18 points that had no Chromium test: the queue's deadlines, saved views and team list (point 6), and
Russian everywhere a user reads, with the metrics page's topic names, chart, n and moved default period
(point 8)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from responders.models import TicketEvent
from responders.services import workflow as wf
from responders.services.sweep import sweep
from tests.responders.test_browser import browser_page  # noqa: F401 - the shared Chromium fixture
from tests.responders.test_browser_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
H = timedelta(hours=1)
ENGLISH_STATES = re.compile(r"\b(new|claimed|replied|waiting|closed|opened)\b")


def rows(page) -> list[str]:
    return page.locator("tr.ticket-row").evaluate_all("rows => rows.map(r => r.dataset.ticket)")


def test_queue_shows_both_deadlines_saved_views_and_the_team_list(live_server, browser_page, make_user,  # noqa: F811
                                                                  open_ticket):
    page, base = browser_page, live_server.url
    ann = make_user("ann", password="desk-pass-123")
    make_user("bob", password="desk-pass-123")
    now = timezone.now()
    late = open_ticket("Где мой заказ? Жду ответа со вчерашнего дня", posted_at=now - 30 * H)  # first reply late
    risky = open_ticket("Посылка застряла на сортировке", posted_at=now - 40 * H)  # closing due in 8 h
    fresh = open_ticket("Курьер не позвонил перед доставкой", posted_at=now - H)
    wf.claim(risky.pk, ann)
    wf.reply(risky.pk, ann, "Проверяем, напишем сегодня")
    sweep()
    log_in(page, base, "ann", "desk-pass-123")
    assert sorted(rows(page)) == sorted(str(t.pk) for t in (late, risky, fresh))

    # Both deadlines in every row, with what is left or how late it is.
    row = f"tr.ticket-row[data-ticket='{late.pk}']"
    assert re.search(r"просрочено на [56] ч", page.inner_text(f"{row} td.due-first"))
    assert re.search(r"осталось 1[78] ч", page.inner_text(f"{row} td.due-close"))
    assert "отвечено" in page.inner_text(f"tr.ticket-row[data-ticket='{risky.pk}'] td.due-first")
    assert re.search(r"осталось [78] ч", page.inner_text(f"tr.ticket-row[data-ticket='{risky.pk}'] td.due-close"))

    # Saved views.
    for view, expected in (("Под угрозой", [risky]), ("Просроченные", [late]), ("Мои", [risky]),
                           ("Без ответа", [late, fresh]), ("Свободные", [late, fresh])):
        page.click(f"#saved-views a:text-is('{view}')")
        page.wait_for_load_state()
        assert page.inner_text("#saved-views b") == view
        assert sorted(rows(page)) == sorted(str(t.pk) for t in expected), view

    # The assignee is picked from the team's list, not typed.
    options = page.locator("#filters select[name=assignee] option").all_inner_texts()
    assert {"ann", "bob"} <= set(options)
    page.select_option("#filters select[name=assignee]", label="ann")
    page.click("#filters button[type=submit]")
    page.wait_for_load_state()
    assert rows(page) == [str(risky.pk)]

    # The ticket page shows both deadlines too.
    page.goto(f"{base}/desk/tickets/{late.pk}/")
    assert re.search(r"просрочено на [56] ч", page.inner_text("#first-reply-left"))
    assert re.search(r"осталось 1[78] ч", page.inner_text("#resolution-left"))


def test_history_errors_and_metrics_read_in_russian(live_server, browser_page, make_user, open_ticket):  # noqa: F811
    page, base = browser_page, live_server.url
    make_user("ann", password="desk-pass-123")
    # Ten days old: the default 7 days hold nothing, so the metrics page moves back to the newest ticket.
    t = open_ticket("Заказ опаздывает уже на три дня, курьер не звонит", posted_at=timezone.now() - 240 * H)
    log_in(page, base, "ann", "desk-pass-123")
    page.goto(f"{base}/desk/tickets/{t.pk}/")
    page.click("#claim")
    page.wait_for_load_state()
    assert page.inner_text("#ticket-state") == "В работе"
    # A refused action explains itself in Russian.
    page.click("#close")
    page.wait_for_load_state()
    assert "чтобы закрыть жалобу без ответа, укажите причину" in page.inner_text(".messages")
    assert TicketEvent.objects.filter(ticket=t, to_state="closed").count() == 0
    history = page.locator("h2:text-is('История') + table").inner_text()
    assert "Новый → В работе" in history and "система" in history
    assert not ENGLISH_STATES.search(history), history

    page.goto(f"{base}/desk/metrics/")
    assert page.locator("#by-moderator").count() == 0  # per-moderator figures: leads and admins only
    assert page.is_visible("#moved-period")
    assert page.inner_text("#m-tickets") == "1"
    topics = page.inner_text("#by-topic")
    assert "Задержка доставки" in topics and "delivery_delay" not in topics
    assert page.locator("#chart-days rect").count() >= 2  # the per-day chart
    kpis = page.inner_text("#kpis")
    assert kpis.count("n = ") == 4 and "по клиентам с заказами в периоде" in kpis
    assert "Жалоб на 1000" in kpis and page.get_attribute("#m-claim-rate", "title")
    # The CSV keeps the codes.
    csv = page.request.get(base + "/desk/metrics/" + page.get_attribute("#csv-export", "href")).text()
    assert "delivery_delay" in csv
