"""Rough timings of the responder services on SQLite: sweep, claims, queue page, metrics.

    python bench/responders_bench.py [--tickets 2000]

Uses a throwaway OTKLIK_HOME; prints one line per measurement. Results go in docs/responders.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(label: str, fn, n: int | None = None):
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    rate = f", {n / dt:,.0f}/s" if n else ""
    print(f"{label:<42} {dt * 1000:9.1f} ms{rate}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=2000)
    args = ap.parse_args()
    os.environ["OTKLIK_HOME"] = tempfile.mkdtemp(prefix="otklik-bench-")
    os.environ.pop("DATABASE_URL", None)
    from store.django_setup import setup

    setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    settings.ALLOWED_HOSTS.append("testserver")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)
    from responders.models import Ticket, TicketEvent
    from responders.services import workflow as wf
    from responders.services.metrics import metrics_by, service_metrics
    from responders.services.sweep import sweep
    from store.models import Mention, Source
    from store.text import content_hash

    n = args.tickets
    now = timezone.now()
    src = Source.objects.create(name="bench", kind="vk")
    mentions = Mention.objects.bulk_create([
        Mention(source=src, external_id=str(i), text=f"Посылка {i} опаздывает, курьер не звонит", content_hash=content_hash(str(i)),
                posted_at=now - timedelta(minutes=37 * i % (72 * 60))) for i in range(n)])
    tickets = Ticket.objects.bulk_create([
        Ticket(mention=m, kind="complaint", topic="delivery_delay", channel="vk", opened_at=m.posted_at,
               first_reply_due=m.posted_at + timedelta(hours=24), resolution_due=m.posted_at + timedelta(hours=48),
               first_reply_target_h=24, resolution_target_h=48) for m in mentions])
    TicketEvent.objects.bulk_create([TicketEvent(ticket=t, to_state="new", at=t.opened_at) for t in tickets])
    lead = User.objects.create_user("lead", password="x")
    lead.groups.add(Group.objects.get(name="lead"))
    mod = User.objects.create_user("mod", password="x")
    mod.groups.add(Group.objects.get(name="moderator"))
    print(f"{n} open tickets, SQLite, {os.cpu_count()} CPUs")
    timed(f"sla sweep, first run ({n} tickets)", lambda: sweep(), n)
    timed(f"sla sweep, second run ({n} tickets)", lambda: sweep(), n)
    ids = [t.pk for t in tickets[:300]]
    timed("claim 300 tickets one by one", lambda: [wf.claim(i, mod) for i in ids], 300)
    timed("reply to 300 tickets", lambda: [wf.reply(i, mod, "Ответ") for i in ids], 300)
    timed("close 300 tickets", lambda: [wf.close(i, mod) for i in ids], 300)
    client = Client()
    client.force_login(mod)
    timed("queue page (50 of the open tickets)", lambda: client.get("/desk/"))
    timed("queue page with a search", lambda: client.get("/desk/", {"q": "курьер 17"}))
    timed("ticket page", lambda: client.get(f"/desk/tickets/{tickets[500].pk}/"))
    start, end = now - timedelta(days=4), now + timedelta(days=1)
    timed("service_metrics over all tickets", lambda: service_metrics(start, end))
    timed("metrics per day (5 days)", lambda: metrics_by("day", start, end))


if __name__ == "__main__":
    main()
