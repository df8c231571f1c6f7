"""Find order references in feedback text and link tickets to the orders they are about."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from responders.config import ResponderConfig
from responders.models import Ticket, TicketOrderLink
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


ORDER_COLUMNS = ("order_number", "customer_id")


@dataclass
class ImportStats:
    created: int = 0
    updated: int = 0
    customers: int = 0
    errors: list[str] | None = None


@dataclass(frozen=True)
class OrderRecord:
    """One order as an order system reports it (the fields Otklik stores)."""

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


class OrderSource(Protocol):
    """An order system Otklik can read: the CSV export below, or a CRM / order API adapter.

    `records()` yields every order to upsert, and the bad rows as (where, why) errors; `lookup()` asks the
    system for one order by number or tracking number (None if unknown or not supported). An API adapter
    implements both with its own client (httpx) and credentials from settings; `sync_orders(source)` does the
    upsert, so CSV and API imports behave identically (idempotent, errors reported, nothing lost silently).
    """

    def records(self) -> Iterator[OrderRecord | tuple[str, str]]: ...

    def lookup(self, reference: str) -> OrderRecord | None: ...


def _dt(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


class CsvOrderSource:
    """Orders from a CSV export. Columns: order_number, tracking_number, customer_id, customer_name, phone,
    email, city, status, created_at, shipped_at, delivered_at, amount_rub (order_number, customer_id required)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        with open(self.path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in ORDER_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
            self.rows = list(reader)

    def _record(self, row: dict) -> OrderRecord:
        created_at = _dt(row.get("created_at"))
        if not row.get("order_number") or created_at is None:
            raise ValueError("order_number and created_at are required")
        status = row.get("status") or "created"
        if status not in Order.Status.values:
            raise ValueError(f"unknown status {status!r}")
        return OrderRecord(
            order_number=row["order_number"], customer_id=row["customer_id"], created_at=created_at, status=status,
            tracking_number=row.get("tracking_number") or None, customer_name=row.get("customer_name") or "",
            phone=row.get("phone") or "", email=row.get("email") or "", city=row.get("city") or "",
            amount=Decimal(row["amount_rub"]) if row.get("amount_rub") else None,
            shipped_at=_dt(row.get("shipped_at")), delivered_at=_dt(row.get("delivered_at")),
        )

    def records(self) -> Iterator[OrderRecord | tuple[str, str]]:
        for line, row in enumerate(self.rows, start=2):
            try:
                yield self._record(row)
            except (ValueError, InvalidOperation) as exc:
                yield f"line {line}", str(exc)

    def lookup(self, reference: str) -> OrderRecord | None:
        for row in self.rows:
            if reference in (row.get("order_number"), row.get("tracking_number")):
                return self._record(row)
        return None


def sync_orders(source: OrderSource) -> ImportStats:
    """Upsert customers and orders from an order source; running it twice changes nothing."""
    stats = ImportStats(errors=[])
    with transaction.atomic():
        for rec in source.records():
            if isinstance(rec, tuple):
                stats.errors.append(f"{rec[0]}: {rec[1]}")
                continue
            customer, c_created = Customer.objects.update_or_create(
                external_id=rec.customer_id,
                defaults={"name": rec.customer_name, "phone": normalize_phone(rec.phone),
                          "email": rec.email.lower(), "city": rec.city},
            )
            stats.customers += int(c_created)
            _, o_created = Order.objects.update_or_create(
                order_number=rec.order_number,
                defaults={
                    "tracking_number": rec.tracking_number, "customer": customer, "status": rec.status,
                    "city": rec.city, "amount": rec.amount, "created_at": rec.created_at,
                    "shipped_at": rec.shipped_at, "delivered_at": rec.delivered_at,
                },
            )
            if o_created:
                stats.created += 1
            else:
                stats.updated += 1
    return stats


def import_orders_csv(path: str | Path) -> ImportStats:
    """Upsert customers and orders from a CSV export; rerunning with the same file changes nothing.

    Columns: order_number, tracking_number, customer_id, customer_name, phone, email, city,
    status, created_at, shipped_at, delivered_at, amount_rub. Bad rows are reported, not imported.
    """
    return sync_orders(CsvOrderSource(path))


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
