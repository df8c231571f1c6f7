"""The company's active-customer base: monthly counts it supplies, and the base of any period.

Otklik sees only the orders it was given, so the claim rate's denominator comes from the company: one count of
active customers per calendar month (`ActiveCustomers`, loaded from a CSV `month,active_customers` or edited in
the admin).

The base of a period [start, end) is prorated over the local calendar months (settings.TIME_ZONE) it overlaps:
each month adds its count × the share of the month inside the period (time overlap / the month's length). A
7-day period inside November is 7/30 of November's count; 28 November – 5 December is 3/30 of November's plus
5/31 of December's. A complaint count over a period is thus compared with the same slice of the monthly base,
so a week and a month read on one scale ("complaints per 1,000 active customers a month"). A month without
its own count takes the nearest supplied month's (the earlier one on a tie) and is listed as estimated. When
no month is supplied at all, the base falls back to the distinct customers with an order created in the
period (what Otklik can see; too small, so the rate reads high), and `supplied` is False.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from responders.models import ActiveCustomers
from responders.services.orders_csv import FileRefused, read_rows
from store.models import Order

COLUMNS = ("month", "active_customers")
_MONTH_ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-01)?$")
_MONTH_RU = re.compile(r"^(?:01\.)?(\d{1,2})\.(\d{4})$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")


@dataclass
class CustomerBase:
    """The active customers a period's claim rate is divided by."""

    count: int
    supplied: bool
    months: list[tuple[date, int, float]] = field(default_factory=list)  # (month, its count, share in the period)
    estimated: list[date] = field(default_factory=list)  # months that took a neighbour's count


@dataclass
class ImportStats:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def months_overlapping(start: datetime, end: datetime) -> list[tuple[date, float]]:
    """(month, share of that local month inside [start, end)) for every month the period touches."""
    out = []
    month = timezone.localtime(start, timezone.get_current_timezone()).date().replace(day=1)
    while _local_midnight(month) < end:
        a, b = _local_midnight(month), _local_midnight(next_month(month))
        overlap = (min(b, end) - max(a, start)).total_seconds()
        if overlap > 0:
            out.append((month, overlap / (b - a).total_seconds()))
        month = next_month(month)
    return out


def _nearest(month: date, supplied: dict[date, int]) -> date:
    index = month.year * 12 + month.month
    return min(supplied, key=lambda m: (abs(m.year * 12 + m.month - index), m > month))


def customer_base(start: datetime, end: datetime) -> CustomerBase:
    """The period's base: the supplied monthly counts prorated (module docstring), else customers with orders."""
    supplied = dict(ActiveCustomers.objects.values_list("month", "count"))
    if not supplied:
        n = (Order.objects.filter(created_at__gte=start, created_at__lt=end, customer__isnull=False)
             .values("customer").distinct().count())
        return CustomerBase(n, supplied=False)
    months, estimated, total = [], [], 0.0
    for month, share in months_overlapping(start, end):
        source = month if month in supplied else _nearest(month, supplied)
        if source != month:
            estimated.append(month)
        months.append((month, supplied[source], share))
        total += supplied[source] * share
    return CustomerBase(round(total), supplied=True, months=months, estimated=estimated)


# --- Import ---------------------------------------------------------------------------------------------------

def parse_month(value: str) -> date:
    """'2026-11', '2026-11-01', '11.2026' or '01.11.2026' → 2026-11-01."""
    value = value.strip()
    m = _MONTH_ISO.match(value)
    year, month = (int(m[1]), int(m[2])) if m else (None, None)
    if not m and (r := _MONTH_RU.match(value)):
        year, month = int(r[2]), int(r[1])
    if year is None or not 1 <= month <= 12:
        raise ValueError(f"month: не месяц {value[:40]!r} (ожидается 2026-11 или 11.2026)")
    if not 2000 <= year <= 2100:
        raise ValueError(f"month: неправдоподобный год {year}")
    return date(year, month, 1)


def parse_count(value: str) -> int:
    """'41200', '41 200' → 41200; refuses zero, negatives, fractions and what the field cannot hold."""
    raw = _SPACES.sub("", value or "")
    if not raw.isdigit():
        raise ValueError(f"active_customers: не целое положительное число {value[:40]!r}")
    count = int(raw)
    if not 1 <= count <= 2_000_000_000:
        raise ValueError(f"active_customers: {count} вне пределов 1 … 2 000 000 000")
    return count


def import_active_customers_csv(path: str | Path, dry_run: bool = False) -> ImportStats:
    """Upsert monthly counts from a CSV `month,active_customers` (UTF-8 or windows-1251; `,` `;` or tab).

    A bad row is reported as `строка N: column: why` and skipped; the valid rows are imported. A month given
    twice keeps its first row. Raises FileRefused when the file cannot be read at all (nothing is written)."""
    rows, _ = read_rows(path, COLUMNS, COLUMNS)
    stats = ImportStats(read=len(rows))
    wanted: dict[date, int] = {}
    first_line: dict[date, int] = {}
    for line, row in rows:
        try:
            if "__error__" in row:
                raise ValueError(row["__error__"])
            month, count = parse_month(row["month"]), parse_count(row["active_customers"])
            if month in wanted:
                raise ValueError(f"month: {month:%Y-%m} уже задан в строке {first_line[month]}")
        except ValueError as exc:
            stats.skipped += 1
            stats.errors.append(f"строка {line}: {exc}")
            continue
        wanted[month], first_line[month] = count, line
    existing = dict(ActiveCustomers.objects.filter(month__in=wanted).values_list("month", "count"))
    with transaction.atomic():
        for month, count in wanted.items():
            if month not in existing:
                stats.created += 1
            elif existing[month] != count:
                stats.updated += 1
            else:
                stats.unchanged += 1
                continue
            if not dry_run:
                ActiveCustomers.objects.update_or_create(month=month, defaults={"count": count})
    return stats


__all__ = ["CustomerBase", "FileRefused", "ImportStats", "customer_base", "import_active_customers_csv",
           "months_overlapping", "parse_count", "parse_month"]
