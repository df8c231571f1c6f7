"""The report page, cached per period, filters and data version.

The charts (matplotlib, the slowest part) are kept for a day; the whole page's context (the typical quotes'
lemmas and TF-IDF, the service metrics over every ticket of the period) for PAGE_TIMEOUT, since open tickets'
"at risk" and "overdue" counts move with the clock as well as with the data. bench/desk_load.py times both.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Max

from reports import charts

CHART_KEYS = ("volume_chart", "sentiment_chart", "channel_chart", "service_chart", "sov_chart")
TIMEOUT = 24 * 3600
PAGE_TIMEOUT = 300


def data_version() -> tuple:
    """Changes whenever anything a chart shows may have changed: mentions, classifications, tickets, and the
    active-customer counts the claim rate is divided by."""
    from responders.models import ActiveCustomers, Ticket
    from store.models import Classification, Mention

    m = Mention.objects.aggregate(n=Count("id"), last=Max("id"))
    c = Classification.objects.aggregate(n=Count("id"), last=Max("id"))
    t = Ticket.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    a = ActiveCustomers.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    return m["n"], m["last"], c["n"], c["last"], t["n"], str(t["changed"]), a["n"], str(a["changed"])


def cache_key(start: datetime, end: datetime, sources, topics) -> str:
    raw = repr((start.isoformat(), end.isoformat(), sorted(sources or []), sorted(topics or []), data_version()))
    return "report-charts:" + hashlib.sha256(raw.encode()).hexdigest()


def draw(context: dict) -> dict:
    """The charts of a context built with charts_too=False (as report_context would draw them)."""
    data, metrics, trend = context["data"], context["metrics"], context["trend"]
    return {
        "volume_chart": charts.volume_chart(data) if data.total else "",
        "sentiment_chart": charts.sentiment_chart(data) if data.total else "",
        "channel_chart": charts.channel_chart(data) if data.total else "",
        "service_chart": charts.service_chart(trend) if metrics.tickets else "",
        "sov_chart": charts.share_of_voice_chart(data) if context["share_of_voice"] else "",
        "spike_charts": [charts.spike_chart(s["s"]) for s in context["spikes"]],
    }


def with_charts(context: dict, key: str) -> dict:
    """Fill the context's charts from the cache, drawing and storing them on a miss."""
    drawn = cache.get(key)
    if drawn is None:
        drawn = draw(context)
        cache.set(key, drawn, TIMEOUT)
    context.update({k: drawn[k] for k in CHART_KEYS})
    for spike, chart in zip(context["spikes"], drawn["spike_charts"]):
        spike["chart"] = chart
    return context


def report_page(start: datetime, end: datetime, sources, topics) -> dict:
    """The report page's context with its charts: from the cache while the data is unchanged (PAGE_TIMEOUT)."""
    from reports.build import report_context

    key = cache_key(start, end, sources, topics)
    page = cache.get("page:" + key)
    if page is None:
        page = with_charts(report_context(start, end, charts_too=False, sources=sources, topics=topics), key)
        cache.set("page:" + key, page, PAGE_TIMEOUT)
    return page
