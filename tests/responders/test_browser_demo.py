"""Issue 18 point 1 in Chromium: a fortnight played by the demo's team through the desk's services opens on a
working day — a queue of new, in-work and waiting tickets, on time, at risk and overdue, and metrics with a
plausible claim rate. (The whole `otklik demo` on the bundled snapshot is tests/flows/test_demo.py.)"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from responders.demo import play, seed_active_customers
from responders.models import Ticket
from responders.services.sweep import sweep
from responders.services.templates import load_templates
from tests.responders.test_browser import browser_page  # noqa: F401 - the shared Chromium fixture
from tests.responders.test_browser_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
H = timedelta(hours=1)
TEXTS = ("Заказ опаздывает уже на три дня", "Курьер не позвонил и уехал", "Посылка пришла мятая",
         "Где моя посылка? Трек не обновляется")


def test_a_played_fortnight_opens_on_a_working_day(live_server, browser_page, make_user, open_ticket,  # noqa: F811
                                                   rules):
    cfg = rules(csat={"enabled": True})
    load_templates()
    now = timezone.now()
    # Complaints every 2 hours over the last 4 days and every 8 hours over the 10 before (78); fixed ids,
    # because each ticket's plan is seeded by its id.
    ages = [2 * i + 0.25 for i in range(48)] + [96 + 8 * i for i in range(30)]
    for i, age in enumerate(ages):
        open_ticket(TEXTS[i % 4], posted_at=now - age * H, external_id=f"fortnight-{i}", cfg=cfg)
    stats = play(now=now, cfg=cfg)
    assert stats.played and stats.tickets == len(ages)
    sweep(now=now, cfg=cfg)
    seed_active_customers(now - 15 * 24 * H, now + H)
    states = Counter(Ticket.objects.open().values_list("state", flat=True))
    make_user("anna", password="desk-pass-123")

    log_in(page := browser_page, base := live_server.url, "anna", "desk-pass-123")
    queue = page.locator("tr.ticket-row")
    assert queue.count() == sum(states.values()) and 3 <= queue.count() <= 30, states
    shown = Counter(page.locator("tr.ticket-row td:nth-child(10)").all_inner_texts())
    assert shown["Новый"] >= 1 and shown["Отвечен"] + shown["В работе"] + shown["Ждём клиента"] >= 1, shown
    sla = Counter(page.locator("tr.ticket-row td:nth-child(5)").all_inner_texts())
    assert sla["В срок"] >= 1 and sla["Под угрозой"] + sla["Просрочен"] >= 1, sla
    closing = " ".join(page.locator("tr.ticket-row td.due-close").all_inner_texts())
    assert "осталось" in closing, closing
    assert page.locator("tr.ticket-row td", has_text="marina").count() + page.locator(
        "tr.ticket-row td", has_text="oleg").count() + page.locator("tr.ticket-row td", has_text="sveta").count() >= 1

    page.goto(f"{base}/desk/metrics/")
    closed, sl = int(page.inner_text("#m-closed")), page.inner_text("#m-sl")
    assert closed >= 10 and re.fullmatch(r"\d+\.\d %", sl), (closed, sl)
    assert 40 <= float(sl.split()[0]) <= 100, sl
    rate = float(page.inner_text("#m-claim-rate b"))
    assert 1 <= rate <= 50 and "активных клиентов" in page.inner_text("#m-claim-n"), rate
