"""`otklik route`, `queue`, `desk`, `orders` and `templates`."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from otklik.clitools import console, django


@click.command()
def route() -> None:
    """Open tickets for classified mentions and link them to orders."""
    django()
    from responders.services.routing import route_pending

    s = route_pending()
    console.print(
        f"Opened {s.opened} tickets, dismissed {s.dismissed}, skipped {s.skipped_duplicates} copies; "
        f"{s.linked_to_order} linked to an order."
    )


@click.command()
@click.option("--limit", type=int, default=30, show_default=True)
@click.option("--all", "show_all", is_flag=True, help="Include closed tickets.")
def queue(limit: int, show_all: bool) -> None:
    """Show the moderators' queue, earliest due first."""
    django()
    from responders.models import Ticket

    qs = Ticket.objects.all() if show_all else Ticket.objects.open()
    qs = qs.by_due().select_related("mention", "mention__source", "assignee")
    table = Table("#", "due", "kind", "topic", "channel", "state", "order", "text", title=f"Queue ({qs.count()})")
    for t in qs[:limit]:
        link = t.order_links.first()
        table.add_row(
            str(t.pk),
            f"{t.resolution_due:%d.%m %H:%M}",
            t.kind,
            t.topic,
            t.channel,
            t.state,
            link.order.order_number if link else "",
            t.mention.text[:60].replace("\n", " "),
        )
    console.print(table)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def desk(host: str, port: int) -> None:
    """Run the moderators' web desk."""
    django()
    from django.core.management import call_command

    console.print(f"Desk on http://{host}:{port}/ (create a login with `otklik manage createsuperuser`)")
    call_command("runserver", f"{host}:{port}", use_reloader=False)


@click.group()
def orders() -> None:
    """Orders and customers."""


@orders.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def orders_import(path: str) -> None:
    """Upsert orders and customers from a CSV file (idempotent)."""
    django()
    from responders.services.orders import import_orders_csv

    s = import_orders_csv(path)
    console.print(f"Orders: {s.created} created, {s.updated} updated; {s.customers} new customers.")
    for err in s.errors or []:
        console.print(f"[red]{err}[/red]")
    if s.errors:
        sys.exit(1)


@click.group()
def templates() -> None:
    """Reply templates."""


@templates.command("load")
def templates_load() -> None:
    """Create the starter reply templates that do not exist yet."""
    django()
    from responders.services.templates import load_templates

    console.print(f"{load_templates()} templates created.")


COMMANDS = [route, queue, desk, orders, templates]
