"""Reply templates: load the starter set, suggest one for a ticket, fill its placeholders."""

from __future__ import annotations

from pathlib import Path

import yaml

from responders.models import ReplyTemplate, Ticket, TicketKind

STARTER_TEMPLATES = Path(__file__).resolve().parent.parent / "reply_templates.yaml"
TRACKING_URL = "https://skorodostavka.example/track/{tracking}"


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def load_templates(path: str | Path = STARTER_TEMPLATES) -> int:
    """Create the templates of a YAML file that do not exist yet; never overwrite edited ones. Return how many."""
    entries = (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("templates") or []
    created = 0
    for e in entries:
        _, was_created = ReplyTemplate.objects.get_or_create(
            topic=e["topic"], situation=e.get("situation", "default"),
            defaults={"title": e["title"], "text": e["text"].strip()},
        )
        created += int(was_created)
    return created


def situation_for(ticket: Ticket) -> str:
    return {TicketKind.PRAISE: "praise", TicketKind.QUESTION: "question"}.get(ticket.kind, "default")


def suggest(ticket: Ticket) -> ReplyTemplate | None:
    """Pick the template for the ticket's topic and situation, falling back to any-topic templates."""
    active = ReplyTemplate.objects.filter(active=True)
    situation = situation_for(ticket)
    for topic, sit in ((ticket.topic, situation), (ticket.topic, "default"), ("*", situation), ("*", "default")):
        tpl = active.filter(topic=topic, situation=sit).first()
        if tpl:
            return tpl
    return None


def customer_name(ticket: Ticket) -> str:
    """The first name to address: the linked order's customer, else the mention's author, else a polite default."""
    link = ticket.order_links.select_related("order__customer").first()
    order = link.order if link else None
    return (order.customer.name.split()[0] if order and order.customer and order.customer.name.strip() else "") or (
        ticket.mention.author.split()[0] if ticket.mention.author.strip() else "Уважаемый клиент"
    )


def render(template: ReplyTemplate, ticket: Ticket) -> str:
    """Fill a template's placeholders from the ticket's linked order and author; drop the ones without a value."""
    link = ticket.order_links.select_related("order__customer").first()
    order = link.order if link else None
    values = _Blank(name=customer_name(ticket))
    if order:
        values.update(order=order.order_number, tracking=order.tracking_number or order.order_number)
        if order.tracking_number:
            values["tracking_link"] = TRACKING_URL.format(tracking=order.tracking_number)
    text = template.text.format_map(values)
    # A placeholder with no value reads badly to a customer: strip the empty ones' surrounding words.
    return text.replace(" {order}", "").replace(" {tracking}", "").replace(" {tracking_link}", "")
