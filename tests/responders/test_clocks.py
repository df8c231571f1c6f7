"""The SLA clocks: pauses rebuilt from the history, business hours, holidays, DST and time zones."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from responders.config import load_config
from responders.services.calendar import (
    BusinessCalendar,
    WallCalendar,
    business_calendar,
)
from responders.services.clocks import active_intervals, compute

H = timedelta(hours=1)
T0 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)  # Friday 10:00 Moscow time
MSK, BERLIN = ZoneInfo("Europe/Moscow"), ZoneInfo("Europe/Berlin")
NINE_SIX = (time(9), time(18))


def cal(tz=MSK, country="RU", **kw) -> BusinessCalendar:
    return BusinessCalendar(tz=tz, hours={d: NINE_SIX for d in range(5)}, country=country, **kw)


def clocks(events, *, state, now, first_replied_at=None, cfg=None, fr=24, res=48, opened=T0):
    return compute(opened_at=opened, events=[(opened + h * H, s) for h, s in events], first_replied_at=first_replied_at,
                   state=state, first_reply_hours=fr, resolution_hours=res, cfg=cfg or load_config(), now=now)


def test_waiting_for_the_customer_pauses_the_resolution_clock():
    history = [(1, "claimed"), (2, "replied"), (3, "waiting"), (13, "claimed"), (15, "replied"), (20, "closed")]
    c = clocks(history, state="closed", now=T0 + 100 * H, first_replied_at=T0 + 2 * H)
    # running 0–3 h and 13–20 h: 10 h; paused 10 h; due moves from 48 h to 58 h
    assert c.resolution_seconds == 10 * 3600 and c.paused_seconds == 10 * 3600
    assert c.resolution_due == T0 + 58 * H
    assert c.first_reply_seconds == 2 * 3600 and c.first_reply_met is True
    assert c.resolution_met is True and c.paused


def test_a_paused_clock_projects_its_due_time_from_now():
    history = [(2, "replied"), (3, "waiting")]
    c = clocks(history, state="waiting", now=T0 + 30 * H, first_replied_at=T0 + 2 * H)
    assert c.paused and c.resolution_seconds == 3 * 3600 and c.paused_seconds == 27 * 3600
    assert c.resolution_due == T0 + 30 * H + 45 * H  # 45 h of the 48 left, counted from now
    assert c.resolution_met is None  # only frozen at closing


def test_a_long_wait_does_not_breach_but_active_time_does():
    # 40 h active, a 100 h wait, 10 more active hours: 50 h > 48 h even though the ticket waited most of the time
    history = [(1, "replied"), (40, "waiting"), (140, "claimed"), (150, "closed")]
    c = clocks(history, state="closed", now=T0 + 200 * H, first_replied_at=T0 + H)
    assert c.resolution_seconds == 50 * 3600 and c.resolution_met is False
    assert c.resolution_due == T0 + 148 * H  # 40 h before the wait, 8 h after it


def test_reopen_resumes_the_clock_without_counting_closed_time():
    history = [(1, "replied"), (10, "closed"), (30, "new"), (31, "claimed")]
    intervals, paused = active_intervals(T0, [(T0 + h * H, s) for h, s in history], T0 + 35 * H)
    assert intervals == [(T0, T0 + 10 * H), (T0 + 30 * H, None)] and paused == 20 * 3600
    c = clocks(history, state="claimed", now=T0 + 35 * H, first_replied_at=T0 + H)
    assert c.resolution_due == T0 + 68 * H and c.resolution_seconds == 15 * 3600


def test_first_reply_miss_is_recorded():
    c = clocks([(30, "replied")], state="replied", now=T0 + 31 * H, first_replied_at=T0 + 30 * H)
    assert c.first_reply_met is False and c.first_reply_due == T0 + 24 * H


def test_business_hours_skip_nights_weekends_and_holidays():
    c = cal()
    fri_17 = datetime(2026, 11, 20, 17, tzinfo=MSK)
    assert c.add(fri_17, 8 * 3600) == datetime(2026, 11, 23, 16, tzinfo=MSK)  # 1 h Friday + 7 h Monday
    assert c.seconds_between(fri_17, datetime(2026, 11, 23, 16, tzinfo=MSK)) == 8 * 3600
    sat = datetime(2026, 11, 21, 12, tzinfo=MSK)
    assert c.seconds_between(sat, sat + 24 * H) == 0
    # 4 November is National Unity Day (a Wednesday in 2026): Tuesday 17:00 + 2 h → Thursday 10:00
    tue_17 = datetime(2026, 11, 3, 17, tzinfo=MSK)
    assert c.add(tue_17, 2 * 3600) == datetime(2026, 11, 5, 10, tzinfo=MSK)
    # a company day off is skipped too
    c2 = cal(extra_holidays=frozenset({date(2026, 11, 5)}))
    assert c2.add(tue_17, 2 * 3600) == datetime(2026, 11, 6, 10, tzinfo=MSK)
    # a start before opening time counts from opening time
    assert c.add(datetime(2026, 11, 23, 6, tzinfo=MSK), 3600) == datetime(2026, 11, 23, 10, tzinfo=MSK)


def test_business_hours_across_the_autumn_dst_change():
    c = cal(tz=BERLIN, country="DE")
    fri_17 = datetime(2026, 10, 23, 17, tzinfo=BERLIN)  # CEST (UTC+2); clocks go back on Sunday 25 October
    due = c.add(fri_17, 2 * 3600)
    assert due == datetime(2026, 10, 26, 9, tzinfo=UTC)  # Monday 10:00 CET (UTC+1)
    assert due.astimezone(BERLIN).hour == 10
    assert c.seconds_between(fri_17, due) == 2 * 3600
    assert WallCalendar().seconds_between(fri_17, due) == 66 * 3600  # 65 h of local time plus the extra hour


def test_wall_clock_across_the_spring_dst_change_counts_real_hours():
    sat_noon = datetime(2026, 3, 28, 12, tzinfo=BERLIN)  # CET; clocks go forward at 02:00 on Sunday
    due = WallCalendar().add(sat_noon, 24 * 3600)
    assert due.astimezone(BERLIN) == datetime(2026, 3, 29, 13, tzinfo=BERLIN)  # 24 real hours = 25 local hours
    # the business calendar's Monday window is still 09:00–18:00 local after the change
    c = cal(tz=BERLIN, country="DE")
    assert c.add(sat_noon, 3600) == datetime(2026, 3, 30, 8, tzinfo=UTC)  # Monday 10:00 CEST (UTC+2)


def test_the_same_instant_in_two_time_zones():
    opened = datetime(2026, 11, 20, 7, tzinfo=UTC)  # 10:00 in Moscow, 08:00 in Berlin (before opening)
    assert cal(MSK).add(opened, 3600) == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert cal(BERLIN, country="DE").add(opened, 3600) == datetime(2026, 11, 20, 9, tzinfo=UTC)


def test_due_by_business_hours_from_config(rules):
    cfg = rules(sla={"due_by": "business", "business_hours": {"time_zone": "Europe/Moscow",
                                                               "days": {"mon": "09:00-18:00", "fri": "09:00-18:00"},
                                                               "holidays": {"country": "RU"}}})
    fri_17 = datetime(2026, 11, 20, 17, tzinfo=MSK)
    c = clocks([], state="new", now=fri_17, cfg=cfg, fr=2, res=10, opened=fri_17)
    assert c.first_reply_due == datetime(2026, 11, 23, 10, tzinfo=MSK)  # Friday 1 h + Monday 1 h
    assert c.resolution_due == datetime(2026, 11, 23, 18, tzinfo=MSK)  # Friday 1 h + Monday 9 h
    c = clocks([], state="new", now=fri_17, cfg=cfg, fr=2, res=11, opened=fri_17)
    assert c.resolution_due == datetime(2026, 11, 27, 10, tzinfo=MSK)  # Tuesday–Thursday are days off here
    # business durations are stored whatever `due_by` says
    closed = clocks([(64, "replied"), (66, "closed")], state="closed", now=fri_17 + 70 * H, cfg=cfg,
                    first_replied_at=fri_17 + 64 * H, fr=2, res=10, opened=fri_17)
    assert closed.first_reply_seconds == 64 * 3600 and closed.first_reply_business_seconds == 1 * 3600
    assert closed.resolution_business_seconds == 3 * 3600 and closed.resolution_met is True


@pytest.mark.parametrize("cfg, message", [
    ({"days": {"mon": "18:00-09:00"}}, "ends before it starts"),
    ({"days": {"monday": "09:00-18:00"}}, "unknown weekday"),
    ({"days": {"mon": "9-18"}}, "is not HH:MM-HH:MM"),
])
def test_bad_calendars_are_rejected(cfg, message):
    with pytest.raises(ValueError, match=message):
        business_calendar(cfg)


def test_bad_due_by_is_rejected(rules):
    with pytest.raises(ValueError, match="due_by"):
        rules(sla={"due_by": "lunar"})
