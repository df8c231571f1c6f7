"""Reply templates: load the starter set, suggest one for a ticket, fill its placeholders."""

from __future__ import annotations

import re
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


# A handle we address someone by: one to three words of letters (a hyphen inside a word), nothing else.
PLAIN_NAME = re.compile(r"^[А-ЯЁA-Z][а-яёa-z]+(?:-[А-ЯЁA-Zа-яёa-z]+)?(?: [А-ЯЁA-Zа-яёa-z.-]+){0,2}$")
FIRST_NAME = re.compile(r"^[А-ЯЁA-Z][а-яёa-z]{1,30}(?:-[А-ЯЁA-Z][а-яёa-z]{1,30})?$")


def safe_first_name(full_name: str) -> str:
    """The first word of a name if it reads as a plain name ("Ольга Петрова" → "Ольга"), else ''.

    Crawled handles ("olga_88", "<b>hacker</b>", "@user") never reach a reply: markup and raw handles would go to
    the customer as written.
    """
    value = " ".join((full_name or "").split())
    if not PLAIN_NAME.match(value):
        return ""
    first = value.split()[0]
    return first if FIRST_NAME.match(first) else ""


def customer_name(ticket: Ticket) -> str:
    """The first name to address: the linked order's customer, else the mention's author if it is a plain name,
    else '' (the reply then opens with a neutral greeting)."""
    link = ticket.order_links.select_related("order__customer").first()
    order = link.order if link else None
    if order and order.customer:
        name = safe_first_name(order.customer.name)
        if name:
            return name
    return safe_first_name(ticket.mention.author)


def fill(text: str, values: dict) -> str:
    """Fill {placeholders}; without a name, "{name}, здравствуйте!" becomes "Здравствуйте!"; placeholders
    without a value are dropped with the space before them."""
    if not values.get("name"):
        text = re.sub(r"\{name\},?\s*(\w)", lambda m: m.group(1).upper(), text)
        text = text.replace("{name}", "")
    text = text.format_map(_Blank(values))
    # A placeholder with no value reads badly to a customer: strip the empty ones' surrounding words.
    return text.replace(" {order}", "").replace(" {tracking}", "").replace(" {tracking_link}", "")


def placeholder_values(ticket: Ticket) -> dict:
    """The values of {name} {order} {tracking} {tracking_link} for a ticket (missing ones left out)."""
    link = ticket.order_links.select_related("order__customer").first()
    order = link.order if link else None
    values = {"name": customer_name(ticket)}
    if order:
        values.update(order=order.order_number, tracking=order.tracking_number or order.order_number)
        if order.tracking_number:
            values["tracking_link"] = TRACKING_URL.format(tracking=order.tracking_number)
    return values


def render(template: ReplyTemplate, ticket: Ticket, values: dict | None = None) -> str:
    """Fill a template's placeholders from the ticket's linked order and author (`values`: precomputed)."""
    return fill(template.text, values if values is not None else placeholder_values(ticket))
