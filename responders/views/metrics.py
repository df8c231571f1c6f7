"""Desk metrics page: totals and breakdowns per channel, topic, moderator and day, with CSV export."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from responders.forms import PeriodForm
from responders.roles import LEAD, MARKETER, MODERATOR, has_role, role_required
from responders.services.metrics import metrics_by, service_metrics, write_csv


@role_required(MODERATOR, MARKETER)
def metrics(request):
    form = PeriodForm(request.GET or None)
    first, last = form.period()
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    now = timezone.now()
    dimensions = ["channel", "topic", "day"]
    if has_role(request.user, LEAD):
        dimensions.insert(2, "moderator")  # per-moderator figures: leads and admins only
    groups = {d: metrics_by(d, start, end, now=now) for d in dimensions}
    total = service_metrics(start, end, now=now)
    if request.GET.get("format") == "csv":
        buf = io.StringIO()
        write_csv(buf, {"total": [("all", total)], **groups})
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="otklik-metrics-{first}-{last}.csv"'
        return response
    query = request.GET.copy()
    query["format"] = "csv"
    return render(request, "desk/metrics.html", {
        "form": form, "first": first, "last": last, "total": total, "groups": groups, "csv_query": query.urlencode(),
        "titles": {"channel": "По каналам", "topic": "По темам", "moderator": "По модераторам", "day": "По дням"},
    })
