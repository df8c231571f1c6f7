"""Service metrics on a hand-computed fixture."""

from datetime import datetime, timedelta, timezone

import pytest

from responders.models import Ticket, TicketKind, TicketState
from responders.services.metrics import percentile, service_metrics
from store.models import Customer, Order
from tests.factories import mention

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 1, tzinfo=timezone.utc)
END = datetime(2026, 11, 8, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 8, 12, tzinfo=timezone.utc)  # 180 h after START
H = timedelta(hours=1)


def ticket(opened_h, *, first_reply_h=None, closed_h=None, replies=0, kind=TicketKind.COMPLAINT, dismissed=False):
    opened = START + opened_h * H
    return Ticket.objects.create(
        mention=mention(f"t{opened_h}"), kind=kind, opened_at=opened, first_reply_due=opened + 24 * H,
        resolution_due=opened + 48 * H, first_replied_at=opened + first_reply_h * H if first_reply_h is not None else None,
        closed_at=opened + closed_h * H if closed_h is not None else None,
        state=TicketState.CLOSED if closed_h is not None else TicketState.CLAIMED, reply_count=replies,
        dismissed=dismissed,
    )


def test_percentile():
    assert percentile([], 90) is None
    assert percentile([5], 90) == 5
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == pytest.approx(9.1)
    assert percentile([10, 0], 50) == 5


def test_service_metrics_hand_computed():
    ticket(0, first_reply_h=2, closed_h=10, replies=1)          # closed in 10 h: in 24 h, in SL
    ticket(10, first_reply_h=4, closed_h=30, replies=2)         # 30 h: in SL, not in 24 h
    ticket(20, first_reply_h=30, closed_h=60, replies=1)        # 60 h: SL miss
    ticket(30, first_reply_h=1)                                  # open, due at 78 h < NOW: breached
    ticket(140)                                                  # open, due at 188 h > NOW (180 h): not yet due
    ticket(5, closed_h=1, kind=TicketKind.SPAM, dismissed=True)  # dismissed: excluded everywhere
    ticket(500)                                                  # outside the period
    customer = Customer.objects.create(external_id="c1")
    Customer.objects.create(external_id="c2")
    for i, c in enumerate(["c1", "c1", "c2"]):
        Order.objects.create(order_number=str(i), customer=Customer.objects.get(external_id=c), created_at=START + H)
    Order.objects.create(order_number="old", customer=customer, created_at=START - 100 * H)

    m = service_metrics(START, END, now=NOW)
    assert m.tickets == 5 and m.closed == 3
    # denominator: 3 closed + 1 open past due = 4; met: 2 → 50 %; within 24 h: 1 → 25 %
    assert m.sl_pct == 50.0 and m.closed_24h_pct == 25.0
    assert m.first_reply.count == 4
    assert m.first_reply.mean_h == pytest.approx((2 + 4 + 30 + 1) / 4)
    assert m.first_reply.median_h == pytest.approx(3.0)
    assert m.close.mean_h == pytest.approx((10 + 30 + 60) / 3) and m.close.median_h == 30
    assert m.close.p90_h == pytest.approx(54.0)  # 30 + 0.8 * (60 - 30)
    assert m.fcr_pct == pytest.approx(66.67)  # 2 of 3 replied-and-closed with one reply
    assert (m.backlog, m.breached_open) == (2, 1)
    assert (m.complaints, m.active_customers) == (5, 2)
    assert m.claim_rate_per_1000 == 2500.0 and m.active_customers_supplied is False  # no base supplied


def test_empty_period_has_no_rates():
    m = service_metrics(START, END, now=NOW)
    assert m.tickets == 0 and m.sl_pct is None and m.fcr_pct is None and m.claim_rate_per_1000 is None
