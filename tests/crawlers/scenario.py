"""The fake internet of the crawl scenario test: thirteen sources over every channel kind, with their failures."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from crawlers.fakeweb import (
    AppStoreFeed,
    FakeWeb,
    Post,
    Reply,
    ReviewSite,
    RssFeed,
    TelegramChannel,
    VkApi,
)
from crawlers.fakeweb.server import flaky

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
SOURCES = [
    {"name": "app", "kind": "appstore", "app_id": "42", "country": "ru"},
    {"name": "app-broken", "kind": "appstore", "app_id": "13", "country": "ru"},
    {"name": "tg", "kind": "telegram", "channel": "skoro_chat", "max_pages": 2},
    {"name": "tg-broken", "kind": "telegram", "channel": "gone"},
    {"name": "vk-wall", "kind": "vk", "domain": "skoro", "count": 3},
    {"name": "vk-search", "kind": "vk", "mode": "search", "q": "скородоставка", "count": 2},
    {"name": "vk-flood", "kind": "vk", "domain": "flood"},
    {"name": "vk-denied", "kind": "vk", "domain": "private"},
    {"name": "otzovik", "kind": "review_site", "site": "otzovik", "start_url": "https://otzovik.com/reviews/skoro/"},
    {"name": "yandex", "kind": "review_site", "site": "yandex-maps", "start_url": "https://yandex.ru/maps/org/skoro/reviews/"},
    {"name": "blocked", "kind": "review_site", "site": "otzovik", "start_url": "https://blocked.example/reviews/skoro/"},
    {"name": "news", "kind": "rss", "url": "https://news.example.ru/rss.xml"},
    {"name": "news-down", "kind": "rss", "url": "https://down.example.ru/rss.xml"},
]

_WORDS = (
    "посылка курьер заказ доставка склад пункт выдачи коробка трек номер оператор поддержка возврат деньги "
    "приложение уведомление звонок адрес подъезд домофон отделение очередь сроки неделя задержка таможня "
    "упаковка скотч повреждение стекло ваза диван холодильник наушники телефон куртка ботинки книга игрушка "
    "вежливый грубый быстрый медленный опоздал потерял разбил вернул привёз оставил забыл перепутал обещал "
    "спасибо ужасно отлично нормально странно обидно приятно удобно долго рано поздно вечером утром завтра "
    "Москва Казань Пермь Самара Тверь Омск Томск Сочи Курск Уфа постамат терминал сортировка накладная чек"
).split()


def salad(seed: int, words: int = 14) -> str:
    """A distinct Russian text for item `seed` (random words: no two are near copies)."""
    rng = random.Random(seed)
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


class Web:
    """The fake channels behind SOURCES; tests mutate them between crawls."""

    def __init__(self) -> None:
        self.web = FakeWeb()
        w = self.web
        self.app = AppStoreFeed(w, "42", per_page=5)
        self.app.posts += [Post(i, salad(i), T0 + timedelta(hours=i), author=f"user{i}", rating=1 + i % 5, title=f"Отзыв {i}") for i in range(1, 13)]
        self.app.posts[4] = Post(5, "", T0 + timedelta(hours=5), author="user5", rating=3)  # empty review: quarantined
        page2 = "https://itunes.apple.com/ru/rss/customerreviews/page=2/id=42/sortBy=mostRecent/json"
        w.add(page2, flaky(w.handler(page2), Reply("slow down", status=429, content_type="text/plain", headers={"Retry-After": "1"})))
        w.add("https://itunes.apple.com/ru/rss/customerreviews/page=1/id=13/sortBy=mostRecent/json",
              Reply('{"feed": {"entry": [', content_type="application/json"))

        self.tg = TelegramChannel(w, "skoro_chat", per_page=20)
        self.tg.posts += [Post(i, salad(100 + i), T0 + timedelta(minutes=10 * i), author=f"Автор {i}") for i in range(1, 46)]
        self.tg.posts[43].text = "Очень длинное сообщение. " * 40_000  # 1 MB: stored truncated
        self.tg.posts[42].text = "Спасибо 👨‍👩‍👧 курьеру\u00a0Дмитрию!\n\n\n@skoro_support https://skoro.ru/track?id=1 \u200b"
        self.tg_down: set[str] = set()  # `before` ids whose page answers 500
        tg_page = self.tg.page
        w.add("https://t.me/s/skoro_chat", lambda q: Reply("down", status=500) if q.get("before") in self.tg_down else tg_page(q))
        w.add("https://t.me/s/gone", Reply("<html><body><h1>Канал недоступен</h1></body></html>"))

        self.vk = VkApi(w)
        wall = self.vk.wall("skoro")
        wall += [Post(i, salad(200 + i), T0 + timedelta(hours=i), extra={"from_id": 500 + i}) for i in range(1, 8)]
        wall[0].extra["is_pinned"] = 1
        wall[5].text = ""  # a repost without own words: resolves to the original post
        wall[5].extra["copy_history"] = [{"id": 77, "owner_id": 502, "from_id": 502, "date": int((T0 - timedelta(days=3)).timestamp()),
                                          "text": "Сравнил службы доставки: СкороДоставка быстрее всех довезла диван."}]
        self.vk.errors["skoro"] = [VkApi.error(6, "Too many requests per second")]
        self.vk.search("скородоставка").extend(
            Post(i, salad(300 + i), T0 + timedelta(hours=i), extra={"owner_id": 300 + i, "from_id": 300 + i}) for i in range(1, 6)
        )
        self.vk.errors["flood"] = [VkApi.error(6, "Too many requests per second")] * 10
        self.vk.errors["private"] = [VkApi.error(15, "Access denied: this wall available only for community members")] * 10

        self.otzovik = ReviewSite(w, "https://otzovik.com/reviews/skoro/", per_page=10)
        self.otzovik.posts += [Post(i, salad(400 + i), T0 + timedelta(days=i - 500), author=f"автор{i}", rating=1 + i % 5, title=f"Отзыв {i}")
                               for i in range(501, 526)]
        self.otzovik.posts[9].text = "Ёлки-палки, «СкороДоставка» опять потеряла посылку, заказ 40012345, деньги не вернули."  # 510
        self.otzovik.posts[10].text = "Коробку разбили при доставке, заказ 40012345, требую компенсацию за вазу!"  # 511
        self.otzovik.posts[14].extra["date_text"] = "вчера"  # 515: no date
        self.otzovik.posts[19].extra["no_id"] = True  # 520: no id
        self.yandex = ReviewSite(w, "https://yandex.ru/maps/org/skoro/reviews/", layout="yandex", per_page=3, encoding="utf-8")
        self.yandex.posts += [Post(i, salad(600 + i), T0 + timedelta(hours=i), author=f"Гость {i}", rating=i) for i in range(1, 5)]
        ReviewSite(w, "https://blocked.example/reviews/skoro/")
        w.add("https://blocked.example/robots.txt", Reply("User-agent: *\nDisallow: /reviews/\n", content_type="text/plain"))

        self.news = RssFeed(w, "https://news.example.ru/rss.xml")
        self.news.posts += [Post(i, salad(700 + i), T0 + timedelta(days=i), title=f"Новость {i}") for i in range(1, 4)]
        w.add("https://down.example.ru/rss.xml", Reply("<h1>500</h1>", status=500))

    def write_sources(self, path: Path) -> Path:
        path.write_text(yaml.safe_dump({"sources": SOURCES}, allow_unicode=True), encoding="utf-8")
        return path
