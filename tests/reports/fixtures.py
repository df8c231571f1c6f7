"""A fixed dataset for report tests, with the expected numbers computed by hand in the comments.

Period: 9–22 November 2026 (Moscow), END exclusive = 23 November 00:00; the previous period is 26 Oct – 8 Nov.

Our sources (per day, in the period):
- delivery_delay, telegram, negative: 2,3,2,3,2,3,2,3,2,15,3,2,3,2 → 47 (the 15 on 18 Nov is the planted spike,
  about a sorting centre in Podolsk); 2 a day in the previous period → 28; change (47 − 28) / 28 = +67.9 %.
- pickup_point, vk: 4 a day (2 negative, 2 neutral) in both periods → 56 and 56, change 0.0 %; flat: no spike.
- praise, appstore, positive: 1 a day → 14; 1 a day on 2–8 Nov only → 7 before; change +100.0 %.
Total 117 = 47 + 56 + 14; negative 47 + 28 = 75 (64.1 %), neutral 28 (23.9 %), positive 14 (12.0 %).
Negative per day: 4,5,4,5,4,5,4,5,4,17,5,4,5,4 → the negative surge on 18 Nov too.
Spike on 18 Nov: baseline = the previous 7 days 2,3,2,3,2,3,2 → mean 17/7 = 2.4286; σ = max(pstdev 0.4949,
√2.4286 = 1.5584, 1) = 1.5584; threshold = 2.4286 + 3 · 1.5584 = 7.1037; 15 > 7.1037; rise 12.571.
Competitor «БыстроПочта» (source with `competitor:`): 3 a day on 9–21 Nov = 39, all delivery_delay negative; they
stay out of every figure above; share of voice: ours 117 / 156 = 75.0 %, theirs 25.0 %.
Plus one cross-post duplicate (not counted) and one unclassified mention (not counted).

Tickets (as of NOW = 23 Nov 12:00): 10 Nov closed after 10 h (1 reply), 12 Nov closed after 30 h (2 replies),
17 Nov still open, due 19 Nov → period: SL 2/3 = 66.67 %, closed in 24 h 1/3 = 33.33 %, backlog 1;
week 9–15 Nov: 2 tickets, SL 100 %, in 24 h 50 %; week 16–22 Nov: 1 ticket, SL 0 %, backlog 1.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from responders.models import Ticket, TicketKind, TicketState
from store.models import Mention
from tests.factories import classified, mention, source

MSK = timezone(timedelta(hours=3))
START = datetime(2026, 11, 9, tzinfo=MSK)
END = datetime(2026, 11, 23, tzinfo=MSK)
NOW = datetime(2026, 11, 23, 12, tzinfo=MSK)
SPIKE_DAY = date(2026, 11, 18)
DELAY = [2, 3, 2, 3, 2, 3, 2, 3, 2, 15, 3, 2, 3, 2]
PERIOD_DAYS = [date(2026, 11, 9) + timedelta(days=i) for i in range(14)]
PREVIOUS_DAYS = [date(2026, 10, 26) + timedelta(days=i) for i in range(14)]

DELAY_TEXTS = [
    "Курьер опоздал на два часа, ждала весь вечер",
    "Доставку перенесли без предупреждения уже второй раз",
    "Заказ обещали вчера, а привезли только сегодня к ночи",
    "Опять задержка доставки, сроки не соблюдаются",
]
SPIKE_TEXTS = [
    "Посылка застряла на сортировочном центре в Подольске, третий день без движения",
    "Сортировочный центр Подольск держит мою посылку уже неделю, когда отправят?",
    "Что происходит в Подольске? Посылка лежит на сортировочном центре и не едет",
    "Трек стоит на сортировочном центре Подольск, доставка сорвана",
    "Подольск сортировочный центр, посылка застряла, никто не отвечает",
]
PICKUP_TEXTS = [
    "В пункте выдачи огромная очередь, простояла сорок минут",
    "Пункт выдачи закрыт в рабочее время, табличка без объяснений",
    "Подскажите, до скольки работает пункт выдачи на Ленина?",
    "Забрала посылку в пункте выдачи, всё нормально",
]
COMPETITOR_TEXT = "БыстроПочта опять задержала доставку на три дня"


def at(day: date, i: int) -> datetime:
    """The i-th mention of a day: spread over working hours so every one stays inside its day."""
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=MSK) + timedelta(minutes=37 * i)


def plant_dataset() -> dict:
    """Create the dataset described in the module docstring; return the sources."""
    tg = source("tg-main", "telegram")
    vk = source("vk-wall", "vk")
    ios = source("appstore-ios", "appstore")
    rival = source("rival-tg", "telegram")
    rival.config = {"competitor": "БыстроПочта"}
    rival.save()
    for day, n in zip(PERIOD_DAYS, DELAY):
        for i in range(n):
            text = SPIKE_TEXTS[i % len(SPIKE_TEXTS)] if day == SPIKE_DAY and i >= 2 else DELAY_TEXTS[i % 4]
            classified(f"{text} (#{day.day}-{i})", topics=["delivery_delay"], posted_at=at(day, i), src=tg,
                       url=f"https://t.me/skoro/{day.day}{i:02d}")
    for day in PREVIOUS_DAYS:
        for i in range(2):
            classified(DELAY_TEXTS[i], topics=["delivery_delay"], posted_at=at(day, i), src=tg)
    for day in PERIOD_DAYS + PREVIOUS_DAYS:
        for i in range(4):
            classified(f"{PICKUP_TEXTS[i]} (#{day.isoformat()})", sentiment="negative" if i < 2 else "neutral",
                       topics=["pickup_point"], posted_at=at(day, i), src=vk)
    for day in PERIOD_DAYS + PREVIOUS_DAYS[-7:]:
        classified("Спасибо курьеру, всё привезли вовремя и аккуратно", sentiment="positive", topics=["praise"],
                   posted_at=at(day, 5), src=ios)
    for day in PERIOD_DAYS[:-1]:
        for i in range(3):
            classified(COMPETITOR_TEXT, topics=["delivery_delay"], posted_at=at(day, i), src=rival)
    original = Mention.objects.filter(source=tg, posted_at=at(PERIOD_DAYS[0], 0)).get()
    classified(original.text, topics=["delivery_delay"], posted_at=at(PERIOD_DAYS[0], 1), src=vk,
               duplicate_of=original)
    mention("Ещё не классифицировано", src=tg, posted_at=at(PERIOD_DAYS[1], 10))
    for opened, closed_after, replies in ((datetime(2026, 11, 10, 10, tzinfo=MSK), 10, 1),
                                          (datetime(2026, 11, 12, 10, tzinfo=MSK), 30, 2),
                                          (datetime(2026, 11, 17, 10, tzinfo=MSK), None, 0)):
        Ticket.objects.create(
            mention=mention(f"Обращение {opened:%d.%m}", src=tg, posted_at=opened), kind=TicketKind.COMPLAINT,
            opened_at=opened, first_reply_due=opened + timedelta(hours=24), resolution_due=opened + timedelta(hours=48),
            closed_at=opened + timedelta(hours=closed_after) if closed_after else None, reply_count=replies,
            first_replied_at=opened + timedelta(hours=2) if replies else None,
            state=TicketState.CLOSED if closed_after else TicketState.CLAIMED)
    return {"tg": tg, "vk": vk, "ios": ios, "rival": rival}
