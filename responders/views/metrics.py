"""Desk metrics page: totals and breakdowns per channel, topic, moderator and day, with CSV export."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from responders.forms import PeriodForm
from responders.models import Ticket
from responders.roles import LEAD, MARKETER, MODERATOR, has_role, role_required
from responders.services.customer_base import CustomerBase, customer_base, next_month
from responders.services.metrics import ServiceMetrics, metrics_by, service_metrics, write_csv

MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
          "декабрь")


def _int(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def claim_rate_note(total: ServiceMetrics, base: CustomerBase) -> dict:
    """The claim rate's tooltip and the line under it: which base it was divided by, and how it was made."""
    if not base.supplied:
        return {"fallback": True,
                "caption": f"жалоб {total.complaints} / клиентов {_int(base.count)} · по клиентам с заказами в периоде",
                "title": f"Число активных клиентов компании не задано, поэтому жалобы, открытые за период "
                         f"({total.complaints}), делятся на клиентов, у которых в этом периоде был заказ среди "
                         f"загруженных заказов ({_int(base.count)}). Их меньше, чем активных клиентов, и значение "
                         f"завышено. Задайте число активных клиентов по месяцам: otklik customers import-active "
                         f"ФАЙЛ.csv или админка."}
    parts = []
    for month, count, share in base.months:
        days = (next_month(month) - month).days
        guess = " (по ближайшему заданному месяцу)" if month in base.estimated else ""
        parts.append(f"{MONTHS[month.month - 1]} {month.year}: {_int(count)}{guess} × {share * days:.1f} из {days} дн.")
    return {"fallback": False,
            "caption": f"жалоб {total.complaints} / активных клиентов {_int(base.count)}"
                       + (" · часть месяцев оценена" if base.estimated else ""),
            "title": f"Жалобы, открытые за период ({total.complaints}), на 1000 активных клиентов компании. Число "
                     f"активных клиентов за месяц задаёт компания (otklik customers import-active или админка); "
                     f"период берёт из каждого месяца долю по времени: " + "; ".join(parts)
                     + f". Итого {_int(base.count)}."}


def period_with_data(first, last) -> tuple:
    """The default 7 days, or, when they hold no tickets, the 7 days up to the newest ticket (moved=True)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    tickets = Ticket.objects.filter(dismissed=False)
    if tickets.filter(opened_at__gte=start, opened_at__lt=end).exists():
        return first, last, False
    newest = tickets.filter(opened_at__lt=start).order_by("-opened_at").values_list("opened_at", flat=True).first()
    if newest is None:
        return first, last, False
    newest_day = timezone.localtime(newest, tz).date()
    return newest_day - (last - first), newest_day, True


@role_required(MODERATOR, MARKETER)
def metrics(request):
    form = PeriodForm(request.GET or None)
    first, last = form.period()
    moved = False
    if not (request.GET.get("start") or request.GET.get("end")):
        first, last, moved = period_with_data(first, last)
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    now = timezone.now()
    dimensions = ["channel", "topic", "day"]
    if has_role(request.user, LEAD):
        dimensions.insert(2, "moderator")  # per-moderator figures: leads and admins only
    groups = {d: metrics_by(d, start, end, now=now) for d in dimensions}
    base = customer_base(start, end)
    total = service_metrics(start, end, now=now, base=base)
    if request.GET.get("format") == "csv":
        buf = io.StringIO()
        write_csv(buf, {"total": [("all", total)], **groups})
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="otklik-metrics-{first}-{last}.csv"'
        return response
    query = request.GET.copy()
    query.update({"format": "csv", "start": first.isoformat(), "end": last.isoformat()})
    days = groups.get("day") or []
    peak = max((m.tickets for _, m in days), default=0) or 1
    chart = [{"day": key[5:].replace("-", "."), "tickets": m.tickets, "closed": m.closed, "sl": m.sl_pct,
              "h": round(100 * m.tickets / peak), "hc": round(100 * m.closed / peak), "x": 10 + i * 34,
              "y": 120 - round(100 * m.tickets / peak), "yc": 120 - round(100 * m.closed / peak), "xc": 25 + i * 34}
             for i, (key, m) in enumerate(days)]
    return render(request, "desk/metrics.html", {
        "form": form, "first": first, "last": last, "total": total, "groups": groups, "csv_query": query.urlencode(),
        "moved": moved, "chart": chart, "claim": claim_rate_note(total, base), "chart_width": 20 + 34 * len(chart),
        "titles": {"channel": "По каналам", "topic": "По темам", "moderator": "По модераторам", "day": "По дням"},
    })
