"""The demo's clock and its played fortnight, on a few tickets (the full snapshot run is tests/flows/test_demo.py)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone as dj_tz

from responders.demo import DEMO_ACTIVE_CUSTOMERS, DemoClock, demo_clock, plan, play, seed_active_customers
from responders.models import ActiveCustomers, CsatSurvey, Ticket, TicketEvent, TicketKind
from responders.services.templates import load_templates
from store.models import AuditEvent
from tests.factories import T0, source

H = timedelta(hours=1)
MSK = ZoneInfo("Europe/Moscow")


def test_the_clock_moves_whole_days_and_squeezes_the_newest_day_before_now():
    day_start = datetime(2027, 3, 10, tzinfo=MSK)
    now = datetime(2027, 3, 10, 17, 0, tzinfo=MSK)
    clock = DemoClock(days=107, day_start=day_start, cap=now - 30 * timedelta(minutes=1))
    # An earlier day: whole days, the time of day kept.
    assert clock.move(datetime(2026, 11, 20, 9, 15, tzinfo=MSK)) == datetime(2027, 3, 7, 9, 15, tzinfo=MSK)
    # The newest day (23 Nov → 10 Mar) is squeezed into [midnight, now − 30 min]: same day, never in the future.
    moved = [clock.move(datetime(2026, 11, 23, h, 0, tzinfo=MSK)) for h in (0, 6, 12, 23)]
    assert moved == sorted(moved) and all(m.date() == day_start.date() and m <= now - 30 * timedelta(minutes=1)
                                          for m in (x.astimezone(MSK) for x in moved))
    assert clock.move(datetime(2026, 11, 23, 12, 0, tzinfo=MSK)) == day_start + (16.5 * H) / 2


def test_plans_are_in_time_order_and_cover_every_kind():
    opened = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)
    actions = Counter()
    for seed in range(400):
        for kind in (TicketKind.COMPLAINT, TicketKind.QUESTION, TicketKind.PRAISE, TicketKind.OTHER):
            steps = plan(kind, opened, random.Random(seed))
            assert [s.at for s in steps] == sorted(s.at for s in steps) and steps[0].at > opened
            assert steps[0].action == "claim"
            actions.update(s.action for s in steps)
    assert {"claim", "reply", "wait", "resume", "close", "reopen", "csat"} <= set(actions)


@pytest.mark.django_db
def test_play_runs_the_services_up_to_now_once(open_ticket, rules):
    cfg = rules(csat={"enabled": True})
    load_templates()
    now = T0 + 30 * H
    tickets = [open_ticket(f"Курьер опоздал, заказ {i}", posted_at=T0 + i * H, external_id=f"d{i}", cfg=cfg)
               for i in range(30)]
    stats = play(now=now, cfg=cfg)
    assert stats.played and stats.tickets == 30
    events = TicketEvent.objects.filter(ticket__in=tickets)
    assert events.filter(at__gt=now).count() == 0
    states = Counter(Ticket.objects.values_list("state", flat=True))
    assert states["closed"] >= 5 and sum(states.values()) - states["closed"] >= 3, states
    # Every action went through the workflow: an audit entry per claim/reply/close, by the demo team.
    acted = set(AuditEvent.objects.filter(action__startswith="ticket.").values_list("actor_label", flat=True))
    assert acted <= {"marina", "oleg", "sveta", "system"} and len(acted) >= 2
    assert stats.actions["reply"] == AuditEvent.objects.filter(action="reply.queue").count()
    assert CsatSurvey.objects.filter(answered_at__isnull=False, answered_at__lte=now).count() == stats.actions.get("csat", 0)
    # Once per database: a second play (even later) changes nothing.
    before = TicketEvent.objects.count()
    assert not play(now=now + 48 * H, cfg=cfg).played
    assert TicketEvent.objects.count() == before


@pytest.mark.django_db
def test_the_clock_is_fixed_by_the_first_run():
    from tests.factories import mention

    src = source("demo-src")
    mention("Тест", src=src, posted_at=datetime(2026, 11, 23, 20, 0, tzinfo=MSK))
    first = demo_clock(["demo-src"], datetime(2027, 3, 10, 14, 0, tzinfo=timezone.utc))
    assert first.days == 107 and AuditEvent.objects.filter(action="demo.clock").count() == 1
    assert demo_clock(["demo-src"], datetime(2027, 5, 1, tzinfo=timezone.utc)) == first


@pytest.mark.django_db
def test_a_night_time_demo_puts_the_newest_day_on_yesterday():
    from tests.factories import mention

    mention("Тест", src=source("demo-src"), posted_at=datetime(2026, 11, 23, 20, 0, tzinfo=MSK))
    # 05:00 in Moscow: today would hold five hours, so the newest day becomes yesterday.
    assert demo_clock(["demo-src"], datetime(2027, 3, 10, 2, 0, tzinfo=timezone.utc)).days == 106


@pytest.mark.django_db
def test_the_demo_company_gets_a_base_for_each_month_of_its_fortnight_once():
    start, end = datetime(2027, 2, 25, tzinfo=MSK), datetime(2027, 3, 11, tzinfo=MSK)
    with dj_tz.override(MSK):
        ActiveCustomers.objects.create(month=date(2027, 3, 1), count=12_345)  # the company's own: kept
        assert seed_active_customers(start, end) == 1
        assert seed_active_customers(start, end) == 0
    assert dict(ActiveCustomers.objects.values_list("month", "count")) == {
        date(2027, 2, 1): DEMO_ACTIVE_CUSTOMERS, date(2027, 3, 1): 12_345}
