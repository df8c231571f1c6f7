"""Find order references in feedback text and link tickets to the orders they are about."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils.dateparse import parse_datetime

from responders.config import ResponderConfig
from responders.models import Ticket, TicketOrderLink
from store.models import Customer, Order

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


def _dt(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def import_orders_csv(path: str | Path) -> ImportStats:
    """Upsert customers and orders from a CSV export; rerunning with the same file changes nothing.

    Columns: order_number, tracking_number, customer_id, customer_name, phone, email, city,
    status, created_at, shipped_at, delivered_at, amount_rub. Bad rows are reported, not imported.
    """
    stats = ImportStats(errors=[])
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ORDER_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = list(reader)
    statuses = set(Order.Status.values)
    with transaction.atomic():
        for line, row in enumerate(rows, start=2):
            try:
                created_at = _dt(row.get("created_at"))
                if not row.get("order_number") or created_at is None:
                    raise ValueError("order_number and created_at are required")
                status = row.get("status") or "created"
                if status not in statuses:
                    raise ValueError(f"unknown status {status!r}")
                amount = Decimal(row["amount_rub"]) if row.get("amount_rub") else None
            except (ValueError, InvalidOperation) as exc:
                stats.errors.append(f"line {line}: {exc}")
                continue
            customer, c_created = Customer.objects.update_or_create(
                external_id=row["customer_id"],
                defaults={
                    "name": row.get("customer_name", ""),
                    "phone": normalize_phone(row.get("phone", "")),
                    "email": (row.get("email") or "").lower(),
                    "city": row.get("city", ""),
                },
            )
            stats.customers += int(c_created)
            _, o_created = Order.objects.update_or_create(
                order_number=row["order_number"],
                defaults={
                    "tracking_number": row.get("tracking_number") or None,
                    "customer": customer,
                    "status": status,
                    "city": row.get("city", ""),
                    "amount": amount,
                    "created_at": created_at,
                    "shipped_at": _dt(row.get("shipped_at")),
                    "delivered_at": _dt(row.get("delivered_at")),
                },
            )
            if o_created:
                stats.created += 1
            else:
                stats.updated += 1
    return stats
