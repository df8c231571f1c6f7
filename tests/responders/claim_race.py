"""The claim race: N workers, each on its own database connection, claim and answer the same tickets at once.

Used in-process by the SQLite test and as a script (`python -m tests.responders.claim_race`, with
DATABASE_URL pointing at a PostgreSQL database) by the PostgreSQL test; prints the outcome as JSON.
"""

from __future__ import annotations

import json
import random
import threading
from collections import defaultdict
from datetime import timedelta


def make_fixture(n_tickets: int, n_workers: int) -> tuple[list[int], list[str]]:
    """Create `n_tickets` open tickets and `n_workers` moderators; return their ids and usernames."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from responders.models import Ticket
    from tests.factories import mention

    group = Group.objects.get_or_create(name="moderator")[0]
    names = []
    for i in range(n_workers):
        user = get_user_model().objects.create(username=f"racer{i:02d}")
        user.groups.add(group)
        names.append(user.username)
    now = timezone.now()
    ids = [Ticket.objects.create(mention=mention(f"Посылка {i} не пришла", posted_at=now), kind="complaint",
                                 opened_at=now, first_reply_due=now + timedelta(hours=24),
                                 resolution_due=now + timedelta(hours=48)).pk for i in range(n_tickets)]
    return ids, names


def race(ticket_ids: list[int], usernames: list[str]) -> dict:
    """Every worker claims every ticket (in its own order), then tries to reply to every ticket."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from responders.services.workflow import ClaimConflict, claim, reply

    users = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
    barrier = threading.Barrier(len(usernames))
    claimed: dict[str, list[int]] = defaultdict(list)
    replied: dict[str, list[int]] = defaultdict(list)
    conflicts: dict[str, int] = defaultdict(int)
    errors: list[str] = []

    def work(name: str) -> None:
        order = list(ticket_ids)
        random.Random(name).shuffle(order)
        try:
            barrier.wait(timeout=60)
            for tid in order:
                try:
                    claim(tid, users[name])
                    claimed[name].append(tid)
                except ClaimConflict:
                    conflicts[name] += 1
            for tid in order:
                try:
                    reply(tid, users[name], f"Ответ от {name}")
                    replied[name].append(tid)
                except ClaimConflict:
                    conflicts[name] += 1
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on any
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=work, args=(n,)) for n in usernames]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"claimed": dict(claimed), "replied": dict(replied), "conflicts": sum(conflicts.values()),
            "errors": errors, "state": db_state(ticket_ids)}


def db_state(ticket_ids: list[int]) -> dict:
    """Per ticket: the assignee, the authors of its replies, and how many times it went to `claimed`."""
    from responders.models import Reply, Ticket, TicketEvent

    out = {}
    for t in Ticket.objects.filter(pk__in=ticket_ids).select_related("assignee"):
        out[str(t.pk)] = {
            "assignee": t.assignee.username if t.assignee else None,
            "reply_authors": list(Reply.objects.filter(ticket=t).values_list("author__username", flat=True)),
            "claims": TicketEvent.objects.filter(ticket=t, to_state="claimed").count(),
            "reply_count": t.reply_count,
        }
    return out


def main() -> None:
    import sys

    from store.django_setup import setup

    setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    n_tickets, n_workers = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (10, 20)
    ids, names = make_fixture(n_tickets, n_workers)
    result = race(ids, names)
    result["vendor"] = connection.vendor
    print(json.dumps(result))


if __name__ == "__main__":
    main()
