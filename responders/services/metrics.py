"""Customer-service metrics over a period: SL, time to first reply and to close, FCR, backlog, claim rate.

Definitions (tickets opened in [start, end), dismissed ones excluded):
- SL %: closed within the resolution target / (closed + still open past their due time).
- closed within 24 h %: same denominator, closed no later than 24 h after opening.
- time to first reply / to close: hours from opening, mean, median and 90th percentile.
- FCR %: closed with exactly one reply / closed with at least one reply.
- claim rate: complaints per 1,000 customers with an order created in the period.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from responders.models import SlaState, Ticket, TicketKind, TicketState
from store.models import Order


@dataclass
class Durations:
    count: int
    mean_h: float | None
    median_h: float | None
    p90_h: float | None


@dataclass
class ServiceMetrics:
    tickets: int
    closed: int
    sl_pct: float | None
    closed_24h_pct: float | None
    first_reply: Durations
    close: Durations
    fcr_pct: float | None
    backlog: int
    at_risk: int
    breached_open: int
    complaints: int
    active_customers: int
    claim_rate_per_1000: float | None
    csat: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100) of `values`; None if empty."""
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def durations(hours: list[float]) -> Durations:
    if not hours:
        return Durations(0, None, None, None)
    return Durations(len(hours), statistics.fmean(hours), statistics.median(hours), percentile(hours, 90))


def _pct(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 2) if den else None


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def service_metrics(start: datetime, end: datetime, tickets=None, now: datetime | None = None) -> ServiceMetrics:
    """Compute the metrics for tickets opened in [start, end) (optionally a pre-filtered queryset)."""
    now = now or timezone.now()
    qs = (tickets if tickets is not None else Ticket.objects.all()).filter(
        opened_at__gte=start, opened_at__lt=end, dismissed=False
    )
    rows = list(qs.values("kind", "state", "opened_at", "first_replied_at", "closed_at", "resolution_due",
                          "resolution_met", "reply_count", "sla_state"))
    closed = [r for r in rows if r["state"] == TicketState.CLOSED and r["closed_at"]]
    overdue_open = [r for r in rows if r["state"] != TicketState.CLOSED and r["resolution_due"] < now]
    denominator = len(closed) + len(overdue_open)
    met = sum(1 for r in closed if r["closed_at"] <= r["resolution_due"] or r["resolution_met"])
    within_24h = sum(1 for r in closed if r["closed_at"] - r["opened_at"] <= timedelta(hours=24))
    replied_closed = [r for r in closed if r["reply_count"] >= 1]
    complaints = sum(1 for r in rows if r["kind"] == TicketKind.COMPLAINT)
    active = Order.objects.filter(created_at__gte=start, created_at__lt=end, customer__isnull=False).values(
        "customer").distinct().count()
    open_rows = [r for r in rows if r["state"] != TicketState.CLOSED]
    return ServiceMetrics(
        tickets=len(rows),
        closed=len(closed),
        sl_pct=_pct(met, denominator),
        closed_24h_pct=_pct(within_24h, denominator),
        first_reply=durations([_hours(r["opened_at"], r["first_replied_at"]) for r in rows if r["first_replied_at"]]),
        close=durations([_hours(r["opened_at"], r["closed_at"]) for r in closed]),
        fcr_pct=_pct(sum(1 for r in replied_closed if r["reply_count"] == 1), len(replied_closed)),
        backlog=len(open_rows),
        at_risk=sum(1 for r in open_rows if r["sla_state"] == SlaState.AT_RISK),
        breached_open=len(overdue_open),
        complaints=complaints,
        active_customers=active,
        claim_rate_per_1000=round(1000.0 * complaints / active, 2) if active else None,
        csat=None,
    )
