"""`otklik route`, `queue`, `desk`, `orders`, `templates`, `ticket`, `sla`, `outbox`, `assign`, `csat`, `metrics`,
`corrections`, `users` and `customers`."""

from __future__ import annotations

import sys
from pathlib import Path

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
        f"{s.linked_to_order} linked to an order; {s.attached} later messages joined their ticket "
        f"({s.reopened} reopened it)."
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

    call_command("collectstatic", interactive=False, verbosity=0)  # WhiteNoise serves them without DEBUG
    console.print(f"Desk on http://{host}:{port}/ (add a login with `otklik users add NAME --role moderator`)")
    call_command("runserver", f"{host}:{port}", use_reloader=False)


@click.group()
def orders() -> None:
    """Orders and customers."""


@orders.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Only say what would be created and updated; write nothing.")
@click.option("--allow-skips", is_flag=True, help="Exit 0 even when some rows were skipped.")
def orders_import(path: str, dry_run: bool, allow_skips: bool) -> None:
    """Upsert orders and customers from a CSV export (idempotent; bad rows and conflicts are reported and skipped)."""
    django()
    from responders.services.orders import import_orders_csv
    from responders.services.orders_csv import FileRefused

    try:
        s = import_orders_csv(path, dry_run=dry_run)
    except FileRefused as exc:
        raise click.ClickException(f"{exc}; ничего не импортировано") from None
    for err in s.errors or []:
        console.print(err, markup=False, highlight=False, style="red", soft_wrap=True)
    reasons = ", ".join(f"{k} {v}" for k, v in sorted((s.skipped_by_reason or {}).items()))
    verb = "было бы: " if dry_run else ""
    console.print(f"Заказы ({s.detected['encoding']}, разделитель {s.detected['delimiter']!r}): прочитано строк "
                  f"{s.read}; {verb}создано {s.created}, изменено {s.updated}, без изменений {s.unchanged}, "
                  f"новых клиентов {s.customers}; пропущено {s.skipped}" + (f" ({reasons})" if reasons else "")
                  + (". Пробный запуск: ничего не записано." if dry_run else "."), markup=False, highlight=False,
                  soft_wrap=True)
    if s.skipped and not allow_skips:
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


def _user(name: str | None):
    """The user a CLI action is done as (None: the system)."""
    if not name:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=name, is_active=True).first()
    if user is None:
        raise click.ClickException(f"no active user {name!r} (create one with `otklik users add`)")
    return user


def _act(fn, *args, **kwargs):
    from responders.services.workflow import TransitionError

    try:
        return fn(*args, **kwargs)
    except TransitionError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def ticket() -> None:
    """Work a ticket from the command line (the same state machine as the desk)."""


_as_user = click.option("--user", "username", required=True, help="Act as this desk user.")


@ticket.command("claim")
@click.argument("ticket_id", type=int)
@_as_user
def ticket_claim(ticket_id: int, username: str) -> None:
    """Claim a ticket."""
    django()
    from responders.services.workflow import claim

    t = _act(claim, ticket_id, _user(username))
    console.print(f"#{t.pk} held by {username} until {t.claim_expires_at:%H:%M}.")


@ticket.command("release")
@click.argument("ticket_id", type=int)
@_as_user
def ticket_release(ticket_id: int, username: str) -> None:
    """Give a ticket back to the queue."""
    django()
    from responders.services.workflow import release

    _act(release, ticket_id, _user(username))
    console.print(f"#{ticket_id} released.")


@ticket.command("reply")
@click.argument("ticket_id", type=int)
@_as_user
@click.option("--text", default=None, help="Reply text (default: the suggested template, filled in).")
def ticket_reply(ticket_id: int, username: str, text: str | None) -> None:
    """Queue a reply (the suggested template unless --text is given)."""
    django()
    from responders.models import Ticket
    from responders.services.templates import render, suggest
    from responders.services.workflow import reply

    t = Ticket.objects.filter(pk=ticket_id).first()
    if t is None:
        raise click.ClickException(f"ticket #{ticket_id} does not exist")
    tpl = None if text else suggest(t)
    if text is None and tpl is None:
        raise click.ClickException("no template fits this ticket: pass --text")
    r = _act(reply, ticket_id, _user(username), text or render(tpl, t), template=tpl)
    console.print(f"Reply #{r.pk} queued ({r.adapter}).")


@ticket.command("wait")
@click.argument("ticket_id", type=int)
@_as_user
def ticket_wait(ticket_id: int, username: str) -> None:
    """Wait for the customer (pauses the resolution clock)."""
    django()
    from responders.services.workflow import wait_for_customer

    _act(wait_for_customer, ticket_id, _user(username))
    console.print(f"#{ticket_id} waits for the customer.")


@ticket.command("resume")
@click.argument("ticket_id", type=int)
@click.option("--user", "username", default=None, help="Act as this desk user.")
def ticket_resume(ticket_id: int, username: str | None) -> None:
    """The customer answered: restart the resolution clock."""
    django()
    from responders.services.workflow import resume

    _act(resume, ticket_id, _user(username))
    console.print(f"#{ticket_id} is back in work.")


@ticket.command("close")
@click.argument("ticket_id", type=int)
@_as_user
@click.option("--reason", default="", help="Needed to close a complaint nobody replied to.")
def ticket_close(ticket_id: int, username: str, reason: str) -> None:
    """Close a ticket (freezes hit/miss of both clocks)."""
    django()
    from responders.services.workflow import close

    t = _act(close, ticket_id, _user(username), reason=reason)
    met = {True: "within", False: "outside", None: "—"}[t.resolution_met]
    console.print(f"#{t.pk} closed, {met} the resolution target.")


@ticket.command("reopen")
@click.argument("ticket_id", type=int)
@_as_user
@click.option("--reason", default="")
def ticket_reopen(ticket_id: int, username: str, reason: str) -> None:
    """Reopen a closed ticket."""
    django()
    from responders.services.workflow import reopen

    _act(reopen, ticket_id, _user(username), reason=reason)
    console.print(f"#{ticket_id} reopened.")


@click.group()
def sla() -> None:
    """SLA clocks."""


@sla.command("sweep")
def sla_sweep() -> None:
    """Mark at-risk and breached tickets, escalate and notify, auto-assign free tickets (run it every few minutes)."""
    django()
    from responders.services.assignment import auto_assign
    from responders.services.sweep import sweep

    s = sweep()
    console.print(f"Checked {s.checked}: {s.at_risk} at risk, {s.breached} breached; {s.notified} notices sent, "
                  f"{s.escalated} escalated, {s.delivery_failures} delivery failures.")
    a = auto_assign()  # does nothing unless automatic assignment is configured
    if a.assigned:
        console.print(f"Assigned {sum(a.assigned.values())} free tickets ({a.mode}).")


@click.group()
def outbox() -> None:
    """The reply outbox."""


@outbox.command("send")
def outbox_send() -> None:
    """Publish the queued replies that are due (dry run unless OTKLIK_REPLY_MODE=live)."""
    django()
    from responders.services.outbox import send_pending

    s = send_pending()
    console.print(f"Sent {s.sent}, dry run {s.dry_run}, manual copy {s.manual}, to retry {s.retried}, failed {s.failed}.")


@click.command()
@click.option("--mode", type=click.Choice(["round_robin", "least_loaded"]), default=None,
              help="Override the configured mode for this run.")
@click.option("--limit", type=int, default=100, show_default=True)
def assign(mode: str | None, limit: int) -> None:
    """Assign free tickets to moderators automatically."""
    django()
    from responders.services.assignment import auto_assign

    s = auto_assign(mode=mode, limit=limit)
    total = sum(s.assigned.values())
    detail = ", ".join(f"{k}: {v}" for k, v in s.assigned.items())
    console.print(f"Mode {s.mode}: assigned {total} tickets" + (f" ({detail})." if detail else "."))


@click.group()
def csat() -> None:
    """Customer satisfaction follow-ups."""


@csat.command("answer")
@click.argument("token")
@click.argument("score", type=click.IntRange(1, 5))
@click.option("--comment", default="")
def csat_answer(token: str, score: int, comment: str) -> None:
    """Record a customer's rating (1–5) given by phone or another channel."""
    django()
    from responders.services.csat import record_answer

    try:
        s = record_answer(token, score, comment)
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"Recorded {s.score} for ticket #{s.ticket_id}.")


@click.command()
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day (local time).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last day, inclusive.")
@click.option("--by", "dims", multiple=True, type=click.Choice(["channel", "topic", "moderator", "day"]),
              help="Breakdowns to add (repeatable).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None, help="Write a CSV file.")
def metrics(start, end, dims, csv_path) -> None:
    """Service metrics for a period: SL, 24 h, first reply and close times, FCR, backlog, CSAT, claim rate."""
    django()
    from datetime import timedelta

    from django.utils import timezone

    from responders.services.metrics import metrics_by, service_metrics, write_csv

    tz = timezone.get_current_timezone()
    a, b = start.replace(tzinfo=tz), (end + timedelta(days=1)).replace(tzinfo=tz)
    groups = {"total": [("all", service_metrics(a, b))], **{d: metrics_by(d, a, b) for d in dims}}
    table = Table("group", "key", "tickets", "closed", "SL %", "24 h %", "1st reply med h", "close med h", "FCR %",
                  "backlog", "CSAT", title=f"Metrics {start:%Y-%m-%d} – {end:%Y-%m-%d}")
    fmt = lambda v: "—" if v is None else (f"{v:.1f}" if isinstance(v, float) else str(v))  # noqa: E731
    for dim, rows in groups.items():
        for key, m in rows:
            table.add_row(dim, str(key), str(m.tickets), str(m.closed), fmt(m.sl_pct), fmt(m.closed_24h_pct),
                          fmt(m.first_reply.median_h), fmt(m.close.median_h), fmt(m.fcr_pct), str(m.backlog),
                          fmt(m.csat))
    console.print(table)
    if csv_path:
        with open(csv_path, "w", newline="", encoding="utf-8") as fh:
            write_csv(fh, groups)
        console.print(f"Wrote {csv_path}")


@click.group()
def corrections() -> None:
    """Moderators' classification corrections."""


@corrections.command("export")
@click.argument("path", type=click.Path(dir_okay=False))
def corrections_export(path: str) -> None:
    """Write the corrections as JSONL for `otklik train --corrections PATH`."""
    django()
    from responders.services.corrections import export_corrections

    console.print(f"Wrote {export_corrections(path)} corrections to {path}.")


@click.group()
def users() -> None:
    """Desk users."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["moderator", "lead", "marketer", "admin"]), required=True)
@click.option("--email", default="")
@click.password_option(prompt="Password", help="Prompted for when not given.")
def users_add(name: str, role: str, email: str, password: str) -> None:
    """Create a desk user with a role (admin = superuser), or give an existing one the role and password."""
    django()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from store.services.audit import record

    User = get_user_model()
    user, created = User.objects.get_or_create(username=name, defaults={"email": email})
    try:
        validate_password(password, user)
    except ValidationError as exc:
        if created:
            user.delete()
        raise click.ClickException(" ".join(exc.messages)) from None
    user.set_password(password)
    if email:
        user.email = email
    if role == "admin":
        user.is_staff = user.is_superuser = True
    else:
        user.groups.add(Group.objects.get(name=role))
        user.is_staff = user.is_staff or role == "lead"
    user.save()
    record("user.add" if created else "user.update", user, label="cli", after={"username": name, "role": role})
    console.print(f"{'Created' if created else 'Updated'} {name} ({role}).")


@click.group()
def customers() -> None:
    """Customers: personal data on request (152-FZ: export, forget) and the company's active-customer counts."""


@customers.command("export")
@click.argument("customer_id")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="JSON file (default: print it).")
def customers_export(customer_id: str, output: str | None) -> None:
    """Everything stored about the customer with this id (the order system's customer id), as JSON."""
    django()
    from responders.services.privacy import export_json

    try:
        text = export_json(customer_id)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        console.print(f"Данные клиента {customer_id} записаны в {output}.", markup=False, highlight=False)
    else:
        click.echo(text)


@customers.command("import-active")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Only say what would be created and changed; write nothing.")
@click.option("--allow-skips", is_flag=True, help="Exit 0 even when some rows were skipped.")
def customers_import_active(path: str, dry_run: bool, allow_skips: bool) -> None:
    """Load the company's active customers per month from a CSV `month,active_customers` (the claim rate's base)."""
    django()
    from responders.services.customer_base import FileRefused, import_active_customers_csv

    try:
        s = import_active_customers_csv(path, dry_run=dry_run)
    except FileRefused as exc:
        raise click.ClickException(f"{exc}; ничего не импортировано") from None
    for err in s.errors:
        console.print(err, markup=False, highlight=False, style="red", soft_wrap=True)
    verb = "было бы: " if dry_run else ""
    console.print(f"Активные клиенты: прочитано строк {s.read}; {verb}добавлено месяцев {s.created}, изменено "
                  f"{s.updated}, без изменений {s.unchanged}; пропущено {s.skipped}"
                  + (". Пробный запуск: ничего не записано." if dry_run else "."),
                  markup=False, highlight=False, soft_wrap=True)
    if s.skipped and not allow_skips:
        sys.exit(1)


@customers.command("forget")
@click.argument("customer_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def customers_forget(customer_id: str, yes: bool) -> None:
    """Erase the customer's name, phone and e-mail everywhere (mentions, replies, search index); keep counts."""
    django()
    from responders.services.privacy import forget_customer

    if not yes:
        click.confirm(f"Удалить персональные данные клиента {customer_id} без возможности восстановления?", abort=True)
    try:
        r = forget_customer(customer_id)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"Клиент {customer_id}: персональные данные удалены; очищено упоминаний {r.mentions}, ответов "
                  f"{r.replies}, связей с заказами {r.links}, отзывов CSAT {r.surveys}, записей аудита "
                  f"{r.audit_entries}. Заказы и обращения сохранены без персональных данных.",
                  markup=False, highlight=False, soft_wrap=True)


COMMANDS = [route, queue, desk, orders, customers, templates, ticket, sla, outbox, assign, csat, metrics, corrections, users]
