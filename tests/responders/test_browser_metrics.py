"""The metrics page in Chromium: the claim rate before and after a lead enters the company's active customers
in the admin (issue 18, points 1 and 8: what it is divided by, n beside it, the tooltip)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from responders.models import ActiveCustomers, Ticket, TicketKind, TicketState
from store.models import Customer, Order
from tests.factories import mention
from tests.responders.test_browser import browser_page  # noqa: F401 - the shared Chromium fixture
from tests.responders.test_browser_desk import log_in
from tests.responders.test_customer_base import grant_lead_permissions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 11, 28, tzinfo=MSK)  # 28 November – 4 December: 3 days of November, 4 of December
PERIOD = "?start=2026-11-28&end=2026-12-04"


def fill_period() -> None:
    for i in range(14):
        opened = START + timedelta(hours=11 * i)
        Ticket.objects.create(mention=mention(f"жалоба {i}"), kind=TicketKind.COMPLAINT, opened_at=opened,
                              state=TicketState.NEW, first_reply_due=opened + timedelta(hours=24),
                              resolution_due=opened + timedelta(hours=48))
    for i, cid in enumerate(("a", "b", "b", "c", "d")):
        customer = Customer.objects.get_or_create(external_id=cid)[0]
        Order.objects.create(order_number=f"o{i}", customer=customer, created_at=START + timedelta(days=2))


def claim_kpi(page) -> tuple[str, str, str]:
    kpi = page.locator("#m-claim-rate")
    return kpi.inner_text(), page.inner_text("#m-claim-n"), kpi.get_attribute("title")


def test_claim_rate_uses_the_active_customers_a_lead_enters(live_server, browser_page, make_user,  # noqa: F811
                                                            settings):
    settings.TIME_ZONE = "Europe/Moscow"
    page, base = browser_page, live_server.url
    fill_period()
    make_user("lena", role="lead", password="desk-pass-123", is_staff=True)
    grant_lead_permissions()
    log_in(page, base, "lena", "desk-pass-123")

    # No base supplied: 14 complaints over the 4 customers with orders, and the page says so.
    page.goto(f"{base}/desk/metrics/{PERIOD}")
    assert page.is_visible("#by-moderator")  # a lead sees the per-moderator table
    text, caption, title = claim_kpi(page)
    assert "Жалоб на 1000 клиентов" in text and "3500.0" in text
    assert caption == "жалоб 14 / клиентов 4 · по клиентам с заказами в периоде"
    assert "не задано" in title and "(4)" in title and "otklik customers import-active" in title

    # The lead enters November and December in the admin.
    for month, count in (("01.11.2026", "30000"), ("01.12.2026", "31000")):
        page.goto(f"{base}/admin/responders/activecustomers/add/")
        page.fill("input[name=month]", month)
        page.fill("input[name=count]", count)
        page.click("input[name=_save]")
        page.wait_for_load_state()
    assert ActiveCustomers.objects.count() == 2

    # 30,000 × 3/30 + 31,000 × 4/31 = 7,000 active customers in the period: 14 / 7,000 × 1,000 = 2.0.
    page.goto(f"{base}/desk/metrics/{PERIOD}")
    text, caption, title = claim_kpi(page)
    assert "Жалоб на 1000 активных клиентов" in text and "2.0" in text.split("\n")
    assert caption == "жалоб 14 / активных клиентов 7 000"
    assert "ноябрь 2026: 30 000 × 3.0 из 30 дн." in title and "декабрь 2026: 31 000 × 4.0 из 31 дн." in title
    assert "Итого 7 000" in title
