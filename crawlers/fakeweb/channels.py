"""Fake feedback channels in their real wire formats, paging like the real ones, for FakeWeb.

Each channel holds a mutable list of posts (add to it between crawls to simulate new
feedback) and registers its URLs on a FakeWeb. Formats follow the live services: the App
Store customer-reviews JSON feed, Telegram's t.me/s/ preview HTML, VK API wall.get and
newsfeed.search JSON, otzovik-style and Yandex-Maps-style review listings, RSS 2.0.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from urllib.parse import quote

from crawlers.fakeweb.server import PATH_KEY, FakeWeb, Reply


@dataclass
class Post:
    id: int
    text: str
    date: datetime
    author: str = "user"
    rating: int | None = None
    title: str = ""
    extra: dict = field(default_factory=dict)


_SORTED: dict[int, tuple[list[Post], int, list[Post]]] = {}


def _newest_first(posts: list[Post]) -> list[Post]:
    """The posts newest first (cached per list until it grows: benchmarks serve 100k posts)."""
    cached = _SORTED.get(id(posts))
    if cached is None or cached[0] is not posts or cached[1] != len(posts):
        cached = (posts, len(posts), sorted(posts, key=lambda p: (p.date, p.id), reverse=True))
        _SORTED[id(posts)] = cached
    return cached[2]


class AppStoreFeed:
    """https://itunes.apple.com/{country}/rss/customerreviews/page={n}/id={app}/sortBy=mostRecent/json, 10 pages of 50."""

    def __init__(self, web: FakeWeb, app_id: str, country: str = "ru", per_page: int = 50):
        self.posts: list[Post] = []
        self.per_page = per_page
        for page in range(1, 11):
            url = f"https://itunes.apple.com/{country}/rss/customerreviews/page={page}/id={app_id}/sortBy=mostRecent/json"
            web.add(url, lambda q, page=page: self.page(page))

    def page(self, page: int) -> Reply:
        chunk = _newest_first(self.posts)[(page - 1) * self.per_page : page * self.per_page]
        feed = {"author": {"name": {"label": "iTunes Store"}}, "title": {"label": "iTunes Store: Customer Reviews"}}
        if chunk:
            feed["entry"] = [self.entry(p) for p in chunk]
        return Reply(json.dumps({"feed": feed}, ensure_ascii=False), content_type="application/json; charset=utf-8")

    @staticmethod
    def entry(p: Post) -> dict:
        return {
            "author": {"uri": {"label": f"https://itunes.apple.com/ru/reviews/id{p.id}"}, "name": {"label": p.author}, "label": ""},
            "updated": {"label": p.date.isoformat()},
            "im:rating": {"label": str(p.rating or 5)},
            "im:version": {"label": "7.4.1"},
            "id": {"label": str(p.id)},
            "title": {"label": p.title},
            "content": {"label": p.text, "attributes": {"type": "text"}},
            "im:voteSum": {"label": "0"},
            "im:voteCount": {"label": "0"},
            **p.extra,
        }


class TelegramChannel:
    """https://t.me/s/{channel}[?before=id]: the newest `per_page` messages before the id, oldest first."""

    def __init__(self, web: FakeWeb, channel: str, per_page: int = 20):
        self.channel = channel
        self.posts: list[Post] = []
        self.per_page = per_page
        self._by_id: tuple[int, list[Post], list[int]] = (-1, [], [])
        web.add(f"https://t.me/s/{channel}", self.page)

    def page(self, query: dict[str, str]) -> Reply:
        before = int(query["before"]) if query.get("before", "").isdigit() else None
        if self._by_id[0] != len(self.posts):
            ordered = sorted(self.posts, key=lambda p: p.id)
            self._by_id = (len(self.posts), ordered, [p.id for p in ordered])
        _, ordered, ids = self._by_id
        end = len(ordered) if before is None else bisect_left(ids, before)
        chunk = ordered[max(0, end - self.per_page) : end]
        more = ""
        if chunk and end > len(chunk):
            first = chunk[0].id
            more = (
                '<div class="tgme_widget_message_centered js-messages_more_wrap">'
                f'<a href="/s/{self.channel}?before={first}" class="tme_messages_more js-messages_more" data-before="{first}"></a></div>'
            )
        body = "".join(self.message(p) for p in chunk)
        html = (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(self.channel)}</title></head><body>'
            f'<div class="tgme_channel_info"><div class="tgme_channel_info_header_title"><span dir="auto">{escape(self.channel)}</span></div></div>'
            f'<section class="tgme_channel_history js-message_history">{more}{body}</section></body></html>'
        )
        return Reply(html)

    def message(self, p: Post) -> str:
        text = escape(p.text).replace("\n", "<br/>")
        return (
            '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
            f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{self.channel}/{p.id}" data-view="x">'
            '<div class="tgme_widget_message_bubble"><div class="tgme_widget_message_author accent_color">'
            f'<a class="tgme_widget_message_owner_name" href="https://t.me/{self.channel}"><span dir="auto">{escape(self.channel)}</span></a></div>'
            f'{self.quote(p)}<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>'
            '<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info short js-message_info">'
            f'<span class="tgme_widget_message_from_author" dir="auto">{escape(p.author)}</span>'
            '<span class="tgme_widget_message_views">1.2K</span><span class="tgme_widget_message_meta">'
            f'<a class="tgme_widget_message_date" href="https://t.me/{self.channel}/{p.id}">'
            f'<time datetime="{p.date.isoformat()}" class="time">{p.date:%H:%M}</time></a></span></div></div></div></div></div>'
        )


    def quote(self, p: Post) -> str:
        """A reply's quote of the message it answers (`extra["reply_to"]`, a message id), as t.me/s shows it."""
        to = next((q for q in self.posts if q.id == p.extra.get("reply_to")), None)
        if to is None:
            return ""
        return (f'<a class="tgme_widget_message_reply" href="https://t.me/{self.channel}/{to.id}">'
                '<div class="tgme_widget_message_author accent_color">'
                f'<span class="tgme_widget_message_author_name" dir="auto">{escape(to.author)}</span></div>'
                f'<div class="tgme_widget_message_metatext js-message_reply_text" dir="auto">{escape(to.text[:60])}</div></a>')


class VkApi:
    """https://api.vk.com/method/wall.get (offset paging), newsfeed.search (next_from cursor, start_time) and
    wall.getComments (offset paging, `sort`, each comment with its thread's first replies)."""

    def __init__(self, web: FakeWeb, owner_id: int = -100, group_name: str = "СкороДоставка"):
        self.walls: dict[str, list[Post]] = {}
        self.searches: dict[str, list[Post]] = {}
        self.comments: dict[int, list[Post]] = {}  # post id → its comments; a comment's replies in extra["replies"]
        self.owner_id = owner_id
        self.group_name = group_name
        self.errors: dict[str, list[Reply]] = {}  # per wall domain or search query: served first, one per request
        web.add("https://api.vk.com/method/wall.get", self.wall_get)
        web.add("https://api.vk.com/method/newsfeed.search", self.newsfeed_search)
        web.add("https://api.vk.com/method/wall.getComments", self.wall_get_comments)

    def wall(self, domain: str) -> list[Post]:
        return self.walls.setdefault(domain, [])

    def search(self, q: str) -> list[Post]:
        return self.searches.setdefault(q, [])

    def comments_of(self, post_id: int) -> list[Post]:
        return self.comments.setdefault(post_id, [])

    def post(self, p: Post) -> dict:
        counted = {"comments": {"count": self._comment_count(p.id)}} if self.comments.get(p.id) else {}
        return {"id": p.id, "owner_id": p.extra.get("owner_id", self.owner_id), "from_id": p.extra.get("from_id", 1000 + p.id),
                "date": int(p.date.timestamp()), "post_type": "post", "text": p.text, "likes": {"count": 0}, **counted,
                **{k: v for k, v in p.extra.items() if k not in ("owner_id", "from_id")}}

    def _comment_count(self, post_id: int) -> int:
        return sum(1 + len(c.extra.get("replies", [])) for c in self.comments.get(post_id, []))

    def comment(self, c: Post, post_id: int, parent: int | None = None) -> dict:
        body = {"id": c.id, "from_id": c.extra.get("from_id", 2000 + c.id), "date": int(c.date.timestamp()),
                "text": c.text, "post_id": post_id, "owner_id": self.owner_id,
                "parents_stack": [parent] if parent else [], "likes": {"count": 0},
                **{k: v for k, v in c.extra.items() if k not in ("from_id", "replies")}}
        if parent:
            return {**body, "reply_to_comment": parent, "reply_to_user": 0}
        replies = [self.comment(r, post_id, c.id) for r in c.extra.get("replies", [])]
        return {**body, "thread": {"count": len(replies), "items": replies[:10], "can_post": True}}

    def wall_get_comments(self, query: dict[str, str]) -> Reply:
        post_id = int(query.get("post_id", 0))
        if err := self._pending_error(f"comments:{post_id}"):
            return err
        offset, count = int(query.get("offset", 0)), min(int(query.get("count", 10)), 100)
        newest_first = query.get("sort") == "desc"
        parent = int(query.get("comment_id") or 0)
        if parent:  # one comment's thread: its replies
            of = next((c for c in self.comments.get(post_id, []) if c.id == parent), None)
            replies = sorted(of.extra.get("replies", []) if of else [], key=lambda r: r.date, reverse=newest_first)
            return self._reply({"count": len(replies), "current_level_count": len(replies),
                                "items": [self.comment(r, post_id, parent) for r in replies[offset : offset + count]]})
        top = sorted(self.comments.get(post_id, []), key=lambda c: c.date, reverse=newest_first)
        return self._reply({"count": self._comment_count(post_id), "current_level_count": len(top),
                            "items": [self.comment(c, post_id) for c in top[offset : offset + count]]})

    @staticmethod
    def error(code: int, message: str) -> Reply:
        """A VK API error answer (HTTP 200, as VK sends them)."""
        body = {"error": {"error_code": code, "error_msg": message, "request_params": []}}
        return Reply(json.dumps(body), content_type="application/json; charset=utf-8")

    def _pending_error(self, key: str) -> Reply | None:
        queue = self.errors.get(key)
        return queue.pop(0) if queue else None

    def _reply(self, body: dict) -> Reply:
        body["groups"] = [{"id": -self.owner_id, "name": self.group_name, "screen_name": "skoro"}]
        body["profiles"] = []
        return Reply(json.dumps({"response": body}, ensure_ascii=False), content_type="application/json; charset=utf-8")

    def wall_get(self, query: dict[str, str]) -> Reply:
        key = query.get("domain") or query.get("owner_id", "")
        if err := self._pending_error(key):
            return err
        posts = _newest_first(self.walls.get(key, []))
        offset, count = int(query.get("offset", 0)), min(int(query.get("count", 20)), 100)
        pinned = [p for p in posts if p.extra.get("is_pinned")]
        ordered = pinned + [p for p in posts if not p.extra.get("is_pinned")]
        return self._reply({"count": len(ordered), "items": [self.post(p) for p in ordered[offset : offset + count]]})

    def newsfeed_search(self, query: dict[str, str]) -> Reply:
        if err := self._pending_error(query.get("q", "")):
            return err
        start_time = int(query.get("start_time", 0))
        posts = [p for p in _newest_first(self.searches.get(query.get("q", ""), [])) if p.date.timestamp() >= start_time]
        start, count = int(query.get("start_from") or 0), min(int(query.get("count", 30)), 200)
        chunk = posts[start : start + count]
        body = {"items": [self.post(p) for p in chunk], "count": len(chunk), "total_count": len(posts)}
        if start + count < len(posts):
            body["next_from"] = str(start + count)
        return self._reply(body)


class ReviewSite:
    """An otzovik-style (default) or Yandex-Maps-style listing: /{path}/, then /{path}/{n}/ or ?page=n."""

    def __init__(self, web: FakeWeb, start_url: str, layout: str = "otzovik", per_page: int = 20, encoding: str = "windows-1251"):
        self.posts: list[Post] = []
        self.start_url = start_url.rstrip("/") + "/"
        self.layout, self.per_page, self.encoding = layout, per_page, encoding
        web.add(self.start_url, self._route, prefix=True)

    def _route(self, query: dict[str, str]) -> Reply:
        rest = query.get(PATH_KEY, "").strip("/")
        n = int(rest) if rest.isdigit() else int(query.get("page", 1)) if not rest else 0
        return self.page(n) if n >= 1 else Reply("not found", status=404, content_type="text/plain")

    def page(self, n: int) -> Reply:
        posts = _newest_first(self.posts)
        chunk = posts[(n - 1) * self.per_page : n * self.per_page]
        more = n * self.per_page < len(posts)
        render = self._otzovik if self.layout == "otzovik" else self._yandex
        html = render(chunk, n, more)
        charset = self.encoding
        return Reply(html.encode(charset, "xmlcharrefreplace"), content_type=f"text/html; charset={charset}")

    def _otzovik(self, chunk: list[Post], n: int, more: bool) -> str:
        items = "".join(
            f'<div class="item review-item" itemprop="review" data-review-id="{"" if p.extra.get("no_id") else p.id}">'
            f'<a class="user-login" href="/profile/{quote(p.author)}"><span itemprop="name">{escape(p.author)}</span></a>'
            f'<div class="rating-score" title="Оценка"><span>{p.rating or ""}</span></div>'
            f'<div class="review-postdate"><span title="Дата">{p.extra.get("date_text") or format(p.date, "%d.%m.%Y")}</span></div>'
            f'<a class="review-title" href="/review_{p.id}.html">{escape(p.title or "Отзыв")}</a>'
            f'<div class="review-teaser">{escape(p.text)}</div></div>'
            for p in chunk
        )
        path = self.start_url.split("/", 3)[3]
        pager = f'<a class="pager-item next" href="/{path}{n + 1}/">&gt;</a>' if more else ""
        return (
            f'<html><head><meta charset="{self.encoding}"><title>Отзывы</title></head><body>'
            f'<div class="review-list-2">{items}</div><div class="pager">{pager}</div></body></html>'
        )

    def _yandex(self, chunk: list[Post], n: int, more: bool) -> str:
        items = "".join(
            f'<div class="business-reviews-card-view__review" data-review-id="ya{p.id}">'
            f'<div class="business-review-view__author"><span itemprop="name">{escape(p.author)}</span></div>'
            f'<meta itemprop="datePublished" content="{p.date.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%S.000Z}">'
            f'<div class="business-rating-badge-view__stars" aria-label="Оценка {p.rating or 0} Из 5"></div>'
            f'<span class="business-review-view__body-text">{escape(p.text)}</span></div>'
            for p in chunk
        )
        pager = f'<a class="pagination__next" href="?page={n + 1}">Ещё</a>' if more else ""
        return f'<html><head><meta charset="{self.encoding}"></head><body><div class="reviews">{items}</div>{pager}</body></html>'


class RssFeed:
    """An RSS 2.0 feed of the newest `limit` items."""

    def __init__(self, web: FakeWeb, url: str, limit: int = 50):
        self.posts: list[Post] = []
        self.url, self.limit = url, limit
        web.add(url, lambda q: self.render())

    def render(self) -> Reply:
        items = "".join(
            f"<item><title>{escape(p.title)}</title><link>{self.url.rsplit('/', 1)[0]}/a/{p.id}</link>"
            f"<guid>{self.url.rsplit('/', 1)[0]}/a/{p.id}</guid><author>{escape(p.author)}</author>"
            f"<pubDate>{p.date:%a, %d %b %Y %H:%M:%S %z}</pubDate><description>{escape(p.text)}</description></item>"
            for p in _newest_first(self.posts)[: self.limit]
        )
        xml = f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Новости</title>{items}</channel></rss>'
        return Reply(xml, content_type="application/rss+xml; charset=utf-8")
