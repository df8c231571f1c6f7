"""Find order references in feedback text and link tickets to the orders they are about."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from responders.config import ResponderConfig
from responders.models import Ticket, TicketOrderLink
from responders.services.orders_csv import RowError, parse_amount, parse_datetime_ru, read_rows
from store.models import Customer, Order
from store.services.audit import record

MatchedBy = TicketOrderLink.MatchedBy


@dataclass(frozen=True)
class Reference:
    kind: str  # order_number | tracking_number | phone | email
    value: str  # normalised


def normalize_phone(raw: str) -> str:
    """Return Russian phone numbers as 7XXXXXXXXXX (digits only)."""
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 11 and digits[0] in "78":
        return "7" + digits[1:]
    if len(digits) == 10:
        return "7" + digits
    return digits


def extract_references(text: str, cfg: ResponderConfig) -> list[Reference]:
    """Return the order numbers, tracking numbers, phones and e-mails found in `text`, in order, once each."""
    found: list[Reference] = []
    for kind in ("tracking_number", "order_number", "phone", "email"):
        pattern = cfg.patterns.get(kind)
        if pattern is None:
            continue
        for m in pattern.finditer(text or ""):
            value = m.group(1) if m.groups() else m.group(0)
            value = {
                "phone": normalize_phone,
                "email": str.lower,
                "tracking_number": str.upper,
                "order_number": lambda v: re.sub(r"[\s-]", "", v),
            }[kind](value)
            ref = Reference(kind, value)
            if ref not in found and not (kind == "phone" and len(value) != 11):
                found.append(ref)
    return found


def match_orders(refs: list[Reference]) -> list[tuple[Order, Reference]]:
    """Resolve references to orders: numbers first; a phone or e-mail links the customer's latest order."""
    matches: list[tuple[Order, Reference]] = []
    seen: set[int] = set()

    def add(order: Order | None, ref: Reference) -> None:
        if order is not None and order.pk not in seen:
            seen.add(order.pk)
            matches.append((order, ref))

    for ref in refs:
        if ref.kind == "order_number":
            add(Order.objects.filter(order_number=ref.value).first(), ref)
        elif ref.kind == "tracking_number":
            add(Order.objects.filter(tracking_number=ref.value).first(), ref)
    if not matches:
        for ref in refs:
            if ref.kind in ("phone", "email"):
                customer = Customer.objects.filter(**{ref.kind: ref.value}).first()
                if customer:
                    add(customer.orders.order_by("-created_at").first(), ref)
    return matches


def match_orders_many(refs_per_text: list[list[Reference]]) -> list[list[tuple[Order, Reference]]]:
    """match_orders for many texts with two queries for the numbers (phones and e-mails, rarer, one by one)."""
    numbers = {r.value for refs in refs_per_text for r in refs if r.kind == "order_number"}
    tracking = {r.value for refs in refs_per_text for r in refs if r.kind == "tracking_number"}
    by_number = {o.order_number: o for o in Order.objects.filter(order_number__in=numbers)} if numbers else {}
    by_tracking = {o.tracking_number: o for o in Order.objects.filter(tracking_number__in=tracking)} if tracking else {}
    out = []
    for refs in refs_per_text:
        matches, seen = [], set()
        for ref in refs:
            order = (by_number if ref.kind == "order_number" else by_tracking if ref.kind == "tracking_number"
                     else {}).get(ref.value)
            if order is not None and order.pk not in seen:
                seen.add(order.pk)
                matches.append((order, ref))
        if not matches and any(r.kind in ("phone", "email") for r in refs):
            matches = match_orders(refs)
        out.append(matches)
    return out


def link_orders(ticket: Ticket, cfg: ResponderConfig) -> list[TicketOrderLink]:
    """Link a ticket to every order its mention refers to; idempotent."""
    mention = ticket.mention
    refs = extract_references(f"{mention.title}\n{mention.text}", cfg)
    links = []
    for order, ref in match_orders(refs):
        link, _ = TicketOrderLink.objects.get_or_create(
            ticket=ticket, order=order, defaults={"matched_by": ref.kind, "matched_value": ref.value}
        )
        links.append(link)
    return links


ORDER_COLUMNS = ("order_number", "tracking_number", "customer_id", "customer_name", "phone", "email", "city",
                 "status", "created_at", "shipped_at", "delivered_at", "amount_rub")
REQUIRED_COLUMNS = ("order_number", "customer_id", "created_at")
CHUNK_ROWS = 500  # rows per transaction: the desk waits at most one chunk for the write lock
# After each chunk on SQLite the importer leaves the write lock free this long: SQLite's busy handler polls a
# waiting writer every 100 ms, so without a gap the desk would starve behind back-to-back chunks.
SQLITE_PAUSE_S = 0.12
ANONYMOUS_PREFIX = "~order:"  # a customer without an id in the export gets one of its own per order, never shared
STATUS_LABELS = {label.lower(): value for value, label in Order.Status.choices}


@dataclass
class ImportStats:
    """What an import did (or, with dry_run, would do); `errors` are "строка N: …" lines, conflicts included."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    customers: int = 0
    errors: list[str] | None = None
    skipped_by_reason: dict | None = None
    dry_run: bool = False
    detected: dict | None = None

    @property
    def skipped(self) -> int:
        return sum((self.skipped_by_reason or {}).values())


@dataclass(frozen=True)
class OrderRecord:
    """One order as an order system reports it (the fields Otklik stores); `where` names it in errors."""

    order_number: str
    customer_id: str
    created_at: datetime
    status: str = "created"
    tracking_number: str | None = None
    customer_name: str = ""
    phone: str = ""
    email: str = ""
    city: str = ""
    amount: Decimal | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    where: str = ""


class OrderSource(Protocol):
    """An order system Otklik can read: the CSV export below, or a CRM / order API adapter.

    `records()` yields every order to upsert, and the bad rows as (where, why) errors; `lookup()` asks the
    system for one order by number or tracking number (None if unknown or not supported). An API adapter
    implements both with its own client (httpx) and credentials from settings; `sync_orders(source)` does the
    upsert, so CSV and API imports behave identically (idempotent, errors reported, nothing lost silently).
    """

    def records(self) -> Iterator[OrderRecord | tuple[str, str]]: ...

    def lookup(self, reference: str) -> OrderRecord | None: ...


def _text(row: dict, column: str, limit: int) -> str:
    value = row.get(column) or ""
    if "\x00" in value:
        raise RowError(f"{column}: недопустимый символ NUL")
    if len(value) > limit:
        raise RowError(f"{column}: длиннее {limit} символов")
    return value


class CsvOrderSource:
    """Orders from a CSV export. Columns: order_number, tracking_number, customer_id, customer_name, phone,
    email, city, status, created_at, shipped_at, delivered_at, amount_rub (order_number, customer_id and
    created_at required; an empty customer_id is allowed). UTF-8 or windows-1251, comma, semicolon or tab;
    dates ISO 8601 or 01.11.2026 [10:00] (without a zone: in OTKLIK_TIME_ZONE); amounts "12 990,00" or
    "12990.00". A file that cannot be read at all raises `FileRefused` before anything is written."""

    def __init__(self, path: str | Path, time_zone: str | None = None):
        from django.conf import settings

        self.path = Path(path)
        self.tz = time_zone or settings.TIME_ZONE
        self.rows, self.detected = read_rows(self.path, ORDER_COLUMNS, REQUIRED_COLUMNS)

    def _record(self, row: dict, where: str = "") -> OrderRecord:
        if "__error__" in row:
            raise RowError(row["__error__"])
        order_number = _text(row, "order_number", 64)
        if not order_number:
            raise RowError("order_number: пусто")
        created_at = parse_datetime_ru(row.get("created_at", ""), "created_at", self.tz)
        if created_at is None:
            raise RowError("created_at: пусто")
        status = (row.get("status") or "created").strip()
        status = STATUS_LABELS.get(status.lower(), status)
        if status not in Order.Status.values:
            raise RowError(f"status: неизвестный статус {status[:40]!r}")
        email = _text(row, "email", 254).lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise RowError(f"email: не адрес {email[:60]!r}") from None
        phone = normalize_phone(_text(row, "phone", 64))
        if len(phone) > 32:
            raise RowError("phone: длиннее 32 цифр")
        return OrderRecord(
            order_number=order_number, customer_id=_text(row, "customer_id", 100), created_at=created_at,
            status=status, tracking_number=_text(row, "tracking_number", 64).upper() or None,
            customer_name=_text(row, "customer_name", 255), phone=phone, email=email, city=_text(row, "city", 100),
            amount=parse_amount(row.get("amount_rub", "")),
            shipped_at=parse_datetime_ru(row.get("shipped_at", ""), "shipped_at", self.tz),
            delivered_at=parse_datetime_ru(row.get("delivered_at", ""), "delivered_at", self.tz), where=where,
        )

    def records(self) -> Iterator[OrderRecord | tuple[str, str]]:
        for line, row in self.rows:
            try:
                yield self._record(row, f"строка {line}")
            except RowError as exc:
                yield f"строка {line}", str(exc)

    def lookup(self, reference: str) -> OrderRecord | None:
        for line, row in self.rows:
            if reference in (row.get("order_number"), row.get("tracking_number")):
                return self._record(row, f"строка {line}")
        return None


def _conflicts(records: list[OrderRecord]) -> dict[int, str]:
    """Index → why, for every record sharing its order number or tracking number with another in the file."""
    why: dict[int, str] = {}
    for field in ("order_number", "tracking_number"):
        seen: dict[str, list[int]] = defaultdict(list)
        for i, rec in enumerate(records):
            value = getattr(rec, field)
            if value:
                seen[value].append(i)
        for value, idx in seen.items():
            if len(idx) > 1:
                places = ", ".join(records[i].where for i in idx)
                for i in idx:
                    why.setdefault(i, f"конфликт: {field} {value!r} повторяется в файле ({places}); ни одна из "
                                      "этих строк не импортирована")
    return why


_CUSTOMER_FIELDS = ("name", "phone", "email", "city")
_ORDER_FIELDS = ("tracking_number", "customer_id", "status", "city", "amount", "created_at", "shipped_at",
                 "delivered_at")


def _customer_key(rec: OrderRecord) -> str | None:
    if rec.customer_id:
        return rec.customer_id
    if rec.customer_name or rec.phone or rec.email:
        return ANONYMOUS_PREFIX + rec.order_number
    return None


def _sync_chunk(chunk: list[OrderRecord], stats: ImportStats, dry_run: bool, planned: set[str]) -> None:
    """Upsert one chunk in one short transaction; a row the database refuses is reported alone."""
    keys = {k for rec in chunk if (k := _customer_key(rec))}
    with transaction.atomic():
        customers = {c.external_id: c for c in Customer.objects.filter(external_id__in=keys)}
        orders = {o.order_number: o for o in Order.objects.filter(order_number__in=[r.order_number for r in chunk])}
        tracking = {r.tracking_number for r in chunk if r.tracking_number}
        taken = dict(Order.objects.filter(tracking_number__in=tracking).values_list("tracking_number", "order_number"))
        for rec in chunk:
            owner = taken.get(rec.tracking_number) if rec.tracking_number else None
            if owner and owner != rec.order_number:
                _skip(stats, rec.where, "conflict", f"конфликт: tracking_number {rec.tracking_number!r} уже у заказа {owner}")
                continue
            try:
                with transaction.atomic():
                    _upsert(rec, customers, orders, stats, dry_run, planned)
            except DatabaseError as exc:
                if isinstance(exc, OperationalError):
                    raise  # a locked or full database is the machine's fault, not the row's
                _skip(stats, rec.where, "database", f"база данных отказала: {exc}")
                key = _customer_key(rec)  # the savepoint is gone: forget what it created
                if key and not Customer.objects.filter(external_id=key).exists():
                    customers.pop(key, None)
                    planned.discard(key)


def _upsert(rec: OrderRecord, customers: dict, orders: dict, stats: ImportStats, dry_run: bool,
            planned: set[str]) -> None:
    key = _customer_key(rec)
    customer = customers.get(key) if key else None
    wanted = {"name": rec.customer_name, "phone": rec.phone, "email": rec.email, "city": rec.city}
    if customer is not None and customer.forgotten_at is not None:  # erased on request: never brought back
        wanted.update(name="", phone="", email="")
    new_customer = bool(key) and customer is None and key not in planned
    if key and customer is None and not dry_run:
        customer = Customer.objects.create(external_id=key, **wanted)
    elif customer is not None and any(getattr(customer, f) != wanted[f] for f in _CUSTOMER_FIELDS) and not dry_run:
        for f in _CUSTOMER_FIELDS:
            setattr(customer, f, wanted[f])
        customer.save(update_fields=list(_CUSTOMER_FIELDS))
    values = {"tracking_number": rec.tracking_number, "customer_id": customer.pk if customer else None,
              "status": rec.status, "city": rec.city, "amount": rec.amount, "created_at": rec.created_at,
              "shipped_at": rec.shipped_at, "delivered_at": rec.delivered_at}
    if dry_run and key and customer is None:
        values["customer_id"] = -1  # would point at a customer still to be created
    order = orders.get(rec.order_number)
    changed = [f for f in _ORDER_FIELDS if getattr(order, f) != values[f]] if order is not None else []
    if order is None and not dry_run:
        order = Order.objects.create(order_number=rec.order_number, **values)
    elif changed and not dry_run:
        for f in changed:
            setattr(order, f, values[f])
        order.save(update_fields=changed)
    # counted only once the row's writes went through
    if key:
        planned.add(key)
        if customer is not None:
            customers[key] = customer
    stats.customers += int(new_customer)
    if rec.order_number not in orders:
        stats.created += 1
        if order is not None:
            orders[rec.order_number] = order
    elif changed:
        stats.updated += 1
    else:
        stats.unchanged += 1


def _skip(stats: ImportStats, where: str, reason: str, message: str) -> None:
    stats.errors.append(f"{where}: {message}" if where else message)
    stats.skipped_by_reason[reason] = stats.skipped_by_reason.get(reason, 0) + 1


def sync_orders(source: OrderSource, dry_run: bool = False, chunk_rows: int = CHUNK_ROWS) -> ImportStats:
    """Upsert customers and orders from an order source; running it twice changes nothing.

    Bad rows and conflicts (an order or tracking number on two rows of the source, a tracking number that
    belongs to another stored order) are reported and skipped; every other row is imported, `chunk_rows` per
    transaction so the desk keeps writing during a long import. `dry_run` counts what would change and writes
    nothing.
    """
    stats = ImportStats(errors=[], skipped_by_reason={}, dry_run=dry_run,
                        detected=getattr(source, "detected", None))
    records: list[OrderRecord] = []
    for rec in source.records():
        stats.read += 1
        if isinstance(rec, tuple):
            _skip(stats, rec[0], "invalid", rec[1])
        else:
            records.append(rec)
    conflicts = _conflicts(records)
    for i in sorted(conflicts):
        _skip(stats, records[i].where, "conflict", conflicts[i])
    good = [r for i, r in enumerate(records) if i not in conflicts]
    planned: set[str] = set()
    pause = SQLITE_PAUSE_S if connection.vendor == "sqlite" and not dry_run else 0.0
    for start in range(0, len(good), chunk_rows):
        _sync_chunk(good[start:start + chunk_rows], stats, dry_run, planned)
        if pause and start + chunk_rows < len(good):
            time.sleep(pause)
    stats.errors.sort(key=_line_of)
    return stats


def _line_of(error: str) -> int:
    m = re.match(r"строка (\d+)", error)
    return int(m.group(1)) if m else 0


def import_orders_csv(path: str | Path, dry_run: bool = False) -> ImportStats:
    """Upsert customers and orders from a CSV export (see CsvOrderSource); rerunning with the same file changes
    nothing. Bad rows are reported with their line and skipped; a file that cannot be read raises FileRefused."""
    return sync_orders(CsvOrderSource(path), dry_run=dry_run)


def link_manually(ticket_id: int, reference: str, user) -> TicketOrderLink:
    """Link a ticket to the order with this number or tracking number (a moderator's decision)."""
    ref = (reference or "").strip()
    order = Order.objects.filter(order_number=ref).first() or Order.objects.filter(tracking_number=ref.upper()).first()
    if order is None:
        raise LookupError(f"заказа с номером или трек-номером «{ref}» нет")
    from responders.services.workflow import log_change, require_owner

    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        require_owner(ticket, user, timezone.now())
        link, created = TicketOrderLink.objects.get_or_create(
            ticket=ticket, order=order,
            defaults={"matched_by": MatchedBy.MANUAL, "matched_value": ref, "created_by": user})
        if created:
            record("ticket.link_order", ticket, actor=user, after={"order": order.order_number, "matched_by": "manual"})
            log_change(ticket, user, f"привязан заказ {order.order_number}")
    return link


def unlink(link_id: int, user) -> None:
    """Remove a ticket–order link (an automatic match that was wrong, or a manual one)."""
    from responders.services.workflow import log_change, require_owner

    with transaction.atomic():
        link = TicketOrderLink.objects.select_related("order").get(pk=link_id)
        ticket = Ticket.objects.select_for_update().get(pk=link.ticket_id)
        require_owner(ticket, user, timezone.now())
        before = {"order": link.order.order_number, "matched_by": link.matched_by, "matched_value": link.matched_value}
        link.delete()
        record("ticket.unlink_order", ticket, actor=user, before=before)
        log_change(ticket, user, f"отвязан заказ {before['order']}")
