"""Customer-service metrics over a period: SL, time to first reply and to close, FCR, backlog, claim rate.

Definitions (tickets opened in [start, end), dismissed ones excluded):
- SL %: closed within the resolution target / (closed + still open past their due time).
- closed within 24 h %: same denominator, closed no later than 24 h after opening.
- time to first reply / to close: hours from opening, mean, median and 90th percentile.
- FCR %: closed with exactly one reply / closed with at least one reply.
- claim rate: complaints per 1,000 active customers: the company's monthly counts prorated over the period
  (responders.services.customer_base); without any, the customers with an order created in the period.
- first-reply SL %: first replies within their target / (replied + unreplied past their first-reply due).
- CSAT: mean answer (1–5) of the follow-up surveys of these tickets that were answered.
A closed ticket's hit/miss is the value frozen at closing (`resolution_met`, pauses excluded); tickets from
before it was recorded fall back to comparing the close time with the due time.
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from responders.models import CsatSurvey, SlaState, Ticket, TicketKind, TicketState
from responders.services.customer_base import CustomerBase, customer_base


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
    csat_responses: int = 0
    first_reply_sl_pct: float | None = None
    # The denominators behind the percentages (the "n" the desk shows beside each one).
    sl_n: int = 0
    first_reply_sl_n: int = 0
    fcr_n: int = 0
    # True: active_customers is the company's supplied monthly base; False: customers with orders in the period.
    active_customers_supplied: bool = False

    def as_dict(self) -> dict:
        return asdict(self)

    def flat(self) -> dict:
        """One level of keys (durations as first_reply_mean_h …), for CSV."""
        out = {}
        for key, value in self.as_dict().items():
            if isinstance(value, dict):
                out.update({f"{key}_{k}": v for k, v in value.items() if k != "count"})
            else:
                out[key] = value
        return out


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


def service_metrics(start: datetime, end: datetime, tickets=None, now: datetime | None = None,
                    base: CustomerBase | None = None) -> ServiceMetrics:
    """Compute the metrics for tickets opened in [start, end) (optionally a pre-filtered queryset).

    `base`: the period's customer_base(start, end), when the caller already has it."""
    now = now or timezone.now()
    base = base or customer_base(start, end)
    qs = (tickets if tickets is not None else Ticket.objects.all()).filter(
        opened_at__gte=start, opened_at__lt=end, dismissed=False
    )
    rows = list(qs.values("pk", "kind", "state", "opened_at", "first_replied_at", "closed_at", "resolution_due",
                          "resolution_met", "reply_count", "sla_state", "first_reply_due", "first_reply_met"))
    closed = [r for r in rows if r["state"] == TicketState.CLOSED and r["closed_at"]]
    overdue_open = [r for r in rows if r["state"] != TicketState.CLOSED and r["resolution_due"] < now]
    denominator = len(closed) + len(overdue_open)
    met = sum(1 for r in closed if (r["resolution_met"] if r["resolution_met"] is not None
                                    else r["closed_at"] <= r["resolution_due"]))
    replied = [r for r in rows if r["first_replied_at"]]
    fr_met = sum(1 for r in replied if (r["first_reply_met"] if r["first_reply_met"] is not None
                                        else r["first_replied_at"] <= r["first_reply_due"]))
    fr_late_unreplied = sum(1 for r in rows if not r["first_replied_at"] and r["state"] != TicketState.CLOSED
                            and r["first_reply_due"] < now)
    scores = list(CsatSurvey.objects.filter(ticket_id__in=[r["pk"] for r in rows], score__isnull=False)
                  .values_list("score", flat=True))
    within_24h = sum(1 for r in closed if r["closed_at"] - r["opened_at"] <= timedelta(hours=24))
    replied_closed = [r for r in closed if r["reply_count"] >= 1]
    complaints = sum(1 for r in rows if r["kind"] == TicketKind.COMPLAINT)
    active = base.count
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
        csat=round(statistics.fmean(scores), 2) if scores else None,
        csat_responses=len(scores),
        first_reply_sl_pct=_pct(fr_met, len(replied) + fr_late_unreplied),
        sl_n=denominator,
        first_reply_sl_n=len(replied) + fr_late_unreplied,
        fcr_n=len(replied_closed),
        active_customers_supplied=base.supplied,
    )


DIMENSIONS = {"channel": "channel", "topic": "topic", "moderator": "assignee__username", "day": None}


def metrics_by(dimension: str, start: datetime, end: datetime, tickets=None,
               now: datetime | None = None) -> list[tuple[str, ServiceMetrics]]:
    """The metrics per channel, topic, moderator (the assignee) or day (local days of settings.TIME_ZONE)."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}")
    now = now or timezone.now()
    base = tickets if tickets is not None else Ticket.objects.all()
    if dimension == "day":
        tz = timezone.get_current_timezone()
        out = []
        day = start.astimezone(tz).date()
        while True:
            a = max(start, datetime.combine(day, time.min, tzinfo=tz))
            b = min(end, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz))
            if a >= end:
                return out
            out.append((day.isoformat(), service_metrics(a, b, tickets=base, now=now)))
            day += timedelta(days=1)
    field = DIMENSIONS[dimension]
    customers = customer_base(start, end)  # one base for every group of the period
    period = base.filter(opened_at__gte=start, opened_at__lt=end, dismissed=False)
    keys = sorted(set(period.values_list(field, flat=True)), key=lambda k: (k is None, k or ""))
    return [(k if k is not None else "—",
             service_metrics(start, end, tickets=base.filter(**{field: k}) if k is not None
                             else base.filter(**{f"{field}__isnull": True}), now=now, base=customers))
            for k in keys]


def write_csv(fh, groups: dict[str, list[tuple[str, ServiceMetrics]]]) -> None:
    """Write {dimension: [(key, metrics)]} as one CSV table (dimension, key, then every metric)."""
    writer = None
    for dimension, rows in groups.items():
        for key, m in rows:
            flat = m.flat()
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=["dimension", "key", *flat])
                writer.writeheader()
            writer.writerow({"dimension": dimension, "key": key, **flat})
