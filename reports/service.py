"""Service metrics for a report: the whole period and its trend, computed by the responder's metrics service."""

from __future__ import annotations

from datetime import datetime, timedelta

from responders.services.metrics import ServiceMetrics, service_metrics


def trend_slices(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Days for periods up to a week, else seven-day slices from the start (the last may be shorter)."""
    step = timedelta(days=1) if end - start <= timedelta(days=7) else timedelta(days=7)
    out, t = [], start
    while t < end:
        out.append((t, min(t + step, end)))
        t += step
    return out


def slice_label(a: datetime, b: datetime) -> str:
    last = b - timedelta(microseconds=1)
    return f"{a:%d.%m}" if a.date() == last.date() else f"{a:%d.%m}–{last:%d.%m}"


def service_summary(start: datetime, end: datetime, now: datetime | None = None
                    ) -> tuple[ServiceMetrics, list[tuple[str, ServiceMetrics]]]:
    """Metrics over [start, end) and per slice of it (tickets are counted in the slice they were opened in)."""
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    trend = [(slice_label(a.astimezone(tz), b.astimezone(tz)), service_metrics(a, b, now=now))
             for a, b in trend_slices(start, end)]
    return service_metrics(start, end, now=now), trend
