"""Render authored.yaml into the demo snapshot: wire-format files, manifest.json, orders.csv, truth.json.

Run from anywhere: ``python crawlers/snapshot/build.py``. The output is deterministic: no clock, no
unseeded randomness, fixed JSON formatting; running it twice gives byte-identical files.
"""
from __future__ import annotations

import base64
import collections
import csv
import hashlib
import html
import io
import json
import random
import re
import shutil
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

import yaml

HERE = Path(__file__).resolve().parent
MSK = timezone(timedelta(hours=3))
# Apple's feed reports Pacific time; DST ended on 1 Nov 2026, so the whole period is PST.
PST = timezone(timedelta(hours=-8))
SNAPSHOT_AT = datetime(2026, 11, 23, 23, 50, tzinfo=MSK)
OUTPUT_DIRS = ["appstore-ru", "telegram", "vk", "otzovik", "news-rss"]

APP_ID = "1585000001"
VK_GROUP_ID = 211000111
VK_API = "https://api.vk.com/method"
VK_VERSION = "5.199"
VK_GROUPS = {  # id -> (name, screen_name); every group that appears as an author or repost source
    211000111: ("СкороДоставка", "skorodostavka"),
    198765432: ("ЭкоМаркет | Товары для дома", "ecomarket_home"),
    143200987: ("Подмосковье Онлайн | Новости", "podmoskovie_online"),
    187654321: ("Казань Сегодня", "kazan_today"),
    112233445: ("Подслушано Тверь", "podslushano_tver"),
    176543210: ("Бизнес-клуб Самара", "bizclub_samara"),
    129534144: ("Типичный Екатеринбург", "typical_ekb"),
    154321098: ("Подслушано Химки", "podslushano_khimki"),
    165432109: ("Моя Коломна", "my_kolomna"),
}
TG_CHANNELS = {
    "tg-skorodostavka-chat": ("skorodostavka_chat", "СкороДоставка — чат клиентов",
                              "Общий чат клиентов СкороДоставки. Вопросы о заказах — @skorodostavka_help", "8.3K"),
    "tg-posylka-news": ("posylka_news", "Посылка | Новости доставки",
                        "Новости логистики, доставки и e-commerce. Реклама: @posylka_ads", "21.7K"),
}
OTZOVIK_SLUG = "sluzhba_dostavki_skorodostavka"
RSS_URL = "https://news.example.ru/rss/logistics.xml"

# Page layout: how many items each page carries (newest first).
APPSTORE_PAGES = [50, 16]          # then one valid page without "entry"
TG_CHAT_PAGES = [20, 20, 19, 20, 9]
TG_OVERLAP_AFTER_PAGE = 2          # the oldest message of page 2 is served again on page 3
VK_WALL_COUNT = 100                # count= request parameter
VK_SEARCH_PAGES = [14, 10]         # then one truncated page (next_from still present on page 2)
OTZOVIK_PAGES = [20, 20, 2]


def rnd(*parts: object) -> int:
    """Return a stable pseudo-random integer derived from the parts."""
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def when(m: dict) -> datetime:
    return datetime.fromisoformat(m["posted_at"])


def newest_first(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda m: (when(m), m["external_id"]), reverse=True)


def chunks(items: list, sizes: list[int]) -> list[list]:
    out, i = [], 0
    for n in sizes:
        out.append(items[i:i + n])
        i += n
    assert i == len(items), f"page sizes cover {i} of {len(items)} items"
    return out


def dump_json(obj: object) -> bytes:
    # Compact like the real APIs; insertion order kept because it mirrors the real payloads.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def short_count(n: int) -> str:
    return f"{n / 1000:.1f}K" if n >= 1000 else str(n)


class Snapshot:
    """Collect served responses and which mentions each one carries."""

    def __init__(self) -> None:
        self.responses: list[dict] = []
        self.files: dict[str, bytes] = {}

    def add(self, source: str, url: str, file: str, body: bytes, content_type: str, items: list[dict],
            status: int = 200, quarantine: str | None = None) -> None:
        self.responses.append({"source": source, "url": url, "file": file, "content_type": content_type, "status": status,
                               "items": [(m["source"], m["external_id"]) for m in items],
                               "quarantine": quarantine})
        self.files[file] = body


# ---------------------------------------------------------------- App Store


def appstore_url(page: int) -> str:
    return f"https://itunes.apple.com/ru/rss/customerreviews/page={page}/id={APP_ID}/sortBy=mostRecent/json"


def render_appstore(snap: Snapshot, mentions: list[dict]) -> None:
    pages = chunks(newest_first(mentions), APPSTORE_PAGES) + [[]]
    last = 10  # the real feed always advertises 10 pages
    # The feed's own links point at the XML variant with ?urlDesc=, exactly like the real feed.
    def link(page: int | None) -> str:
        p = f"page={page}/" if page else ""
        return (f"https://itunes.apple.com/ru/rss/customerreviews/{p}id={APP_ID}/sortby=mostrecent/xml"
                f"?urlDesc=/customerreviews/id={APP_ID}/sortBy=mostRecent/json")
    for n, page in enumerate(pages, 1):
        feed: dict = {"author": {"name": {"label": "iTunes Store"}, "uri": {"label": "http://www.apple.com/ru/itunes/"}}}
        if page:
            feed["entry"] = [appstore_entry(m) for m in page]
        self_url = f"https://mzstoreservices-int-st.itunes.apple.com/ru/rss/customerreviews/page={n}/id={APP_ID}/sortBy=mostRecent/json"
        feed.update({
            "updated": {"label": SNAPSHOT_AT.astimezone(PST).isoformat()},
            "rights": {"label": "Copyright 2008 Apple Inc."},
            "title": {"label": "iTunes Store: Отзывы клиентов"},
            "icon": {"label": "http://itunes.apple.com/favicon.ico"},
            "link": [
                {"attributes": {"rel": "alternate", "type": "text/html",
                                "href": f"https://apps.apple.com/WebObjects/MZStore.woa/wa/viewGrouping?cc=ru&id={APP_ID}"}},
                {"attributes": {"rel": "self", "href": self_url}},
                {"attributes": {"rel": "first", "href": link(None)}},
                {"attributes": {"rel": "last", "href": link(last)}},
                {"attributes": {"rel": "previous", "href": link(max(n - 1, 1))}},
                {"attributes": {"rel": "next", "href": link(min(n + 1, last))}},
            ],
            "id": {"label": self_url},
        })
        snap.add("appstore-ru", appstore_url(n), f"appstore-ru/page-{n}.json", dump_json({"feed": feed}),
                 "application/json; charset=utf-8", page)


def appstore_entry(m: dict) -> dict:
    votes = rnd("votes", m["external_id"]) % 6
    return {
        "author": {"uri": {"label": f"https://itunes.apple.com/ru/reviews/id{m['author_id']}"},
                   "name": {"label": m["author"]}, "label": ""},
        "updated": {"label": when(m).astimezone(PST).isoformat()},
        "im:rating": {"label": str(m["rating"])},
        "im:version": {"label": m["app_version"]},
        "id": {"label": m["external_id"]},
        "title": {"label": m["title"]},
        "content": {"label": m["text"], "attributes": {"type": "text"}},
        "link": {"attributes": {"rel": "related", "href": f"https://itunes.apple.com/ru/review?id={APP_ID}&type=Purple%20Software"}},
        "im:voteSum": {"label": str(votes - rnd("down", m["external_id"]) % (votes + 1))},
        "im:contentType": {"attributes": {"term": "Application", "label": "Приложение"}},
        "im:voteCount": {"label": str(votes)},
    }


# ---------------------------------------------------------------- Telegram

_EMOJI_START = re.compile(
    "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2300-\u23FF\u2B00-\u2BFF\u203C\u2049\u2934\u2935\u3030\u303D]")


def tg_text_html(text: str, bold: list[str]) -> str:
    """Render message text the way t.me/s does: escaped, <br/>, links, hashtags, emoji images."""
    out, i = [], 0
    token = re.compile(r"(https?://[^\s<>«»]+[^\s<>«».,!?)])|(@[A-Za-z0-9_]{4,})|(#[\w]+)")
    while i < len(text):
        mt = token.match(text, i)
        if mt and (i == 0 or not text[i - 1].isalnum()):
            s = mt.group(0)
            if mt.group(1):
                out.append(f'<a href="{esc(s)}" target="_blank" rel="noopener">{esc(s)}</a>')
            elif mt.group(2):
                out.append(f'<a href="https://t.me/{s[1:]}">{s}</a>')
            else:
                out.append(f'<a href="?q={quote(s)}">{esc(s)}</a>')
            i = mt.end()
            continue
        if _EMOJI_START.match(text, i):
            j = i + 1
            while j < len(text):
                c = text[j]
                if c == "\ufe0f" or "\U0001F3FB" <= c <= "\U0001F3FF":
                    j += 1
                elif c == "\u200d" and j + 1 < len(text):
                    j += 2
                else:
                    break
            e = text[i:j]
            code = e.encode("utf-8").hex().upper()
            out.append(f"<i class=\"emoji\" style=\"background-image:url('//telegram.org/img/emoji/40/{code}.png')\"><b>{e}</b></i>")
            i = j
            continue
        c = text[i]
        out.append("<br/>" if c == "\n" else esc(c))
        i += 1
    rendered = "".join(out)
    for b in bold:
        rendered = rendered.replace(esc(b), f"<b>{esc(b)}</b>", 1)
    return rendered


def esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def tg_photo(seed: str) -> str:
    return f"https://cdn4.telesco.pe/file/{hashlib.sha256(seed.encode()).hexdigest()[:40]}.jpg"


BUBBLE_TAIL = ('<i class="tgme_widget_message_bubble_tail"><svg class="bubble_icon" width="9px" height="20px" '
               'viewBox="0 0 9 20"><g fill="none"><path class="background" fill="#ffffff" d="M8,1 L9,1 L9,20 L8,20 '
               'L8,18 C7.807,15.161 7.124,12.233 5.950,9.218 C5.046,6.893 3.504,4.733 1.325,2.738 L1.325,2.738 '
               'C0.917,2.365 0.89,1.732 1.263,1.325 C1.452,1.118 1.72,1 2,1 L8,1 Z"></path></g></svg></i>')


def tg_msg_id(m: dict) -> int:
    return int(m["external_id"].split("/")[1])


def tg_message(m: dict, channel: str, by_id: dict[str, dict]) -> str:
    msg_id = tg_msg_id(m)
    t = when(m).astimezone(timezone.utc)
    view = base64.urlsafe_b64encode(json.dumps(
        {"c": -1001000000000 - rnd(channel) % 999999999, "p": msg_id, "t": int(t.timestamp()),
         "h": hashlib.sha256(m["external_id"].encode()).hexdigest()[:18]}, separators=(",", ":")).encode()).decode().rstrip("=")
    handle = m["author_handle"]
    initial = m["author"].strip("🎰 ")[:1].upper()
    parts = [
        '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
        f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{m["external_id"]}" data-view="{view}">',
        f'  <div class="tgme_widget_message_user"><a href="https://t.me/{handle}"><i class="tgme_widget_message_user_photo bgcolor{rnd(handle) % 7}" data-content="{esc(initial)}"><img src="{tg_photo(handle)}"></i></a></div>',
        '  <div class="tgme_widget_message_bubble">',
        "    " + BUBBLE_TAIL,
        f'    <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/{handle}"><span dir="auto">{esc(m["author"])}</span></a></div>',
    ]
    if m.get("reply_to"):
        r = by_id[m["reply_to"]]
        snippet = r["text"] if len(r["text"]) <= 60 else r["text"][:60].rstrip() + "…"
        parts.append(
            f'    <a class="tgme_widget_message_reply" href="https://t.me/{r["external_id"]}"><div class="tgme_widget_message_author accent_color">'
            f'<span class="tgme_widget_message_author_name" dir="auto">{esc(r["author"])}</span></div>'
            f'<div class="tgme_widget_message_metatext js-message_reply_text" dir="auto">{tg_text_html(snippet, [])}</div></a>')
    if m.get("photo"):
        parts.append(
            f'    <a class="tgme_widget_message_photo_wrap {rnd(m["external_id"]) % 10**19}" href="https://t.me/{m["external_id"]}" '
            f"style=\"width:800px;background-image:url('{tg_photo(m['external_id'])}')\"><div class=\"tgme_widget_message_photo\" style=\"padding-top:75%\"></div></a>")
    parts += [
        f'    <div class="tgme_widget_message_text js-message_text" dir="auto">{tg_text_html(m["text"], m.get("bold", []))}</div>',
        '    <div class="tgme_widget_message_footer compact js-message_footer">',
        '      <div class="tgme_widget_message_info short js-message_info">',
        f'        <span class="tgme_widget_message_views">{short_count(120 + rnd("views", m["external_id"]) % 4800)}</span><span class="copyonly"> views</span>'
        f'<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{m["external_id"]}">'
        f'<time datetime="{t.isoformat()}" class="time">{t:%H:%M}</time></a></span>',
        "      </div>",
        "    </div>",
        "  </div>",
        "</div></div>",
    ]
    return "\n".join(parts)


def tg_page(source: str, messages: list[dict], before: int | None, url: str, by_id: dict[str, dict]) -> bytes:
    channel, title, description, subscribers = TG_CHANNELS[source]
    more = ""
    if before is not None:
        more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/{channel}?before={before}" '
                f'class="tme_messages_more js-messages_more" data-before="{before}"></a></div>\n')
    body = "\n".join(tg_message(m, channel, by_id) for m in sorted(messages, key=tg_msg_id))
    page = f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>{esc(title)} – Telegram</title>
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <meta property="og:title" content="{esc(title)}">
    <meta property="og:image" content="{tg_photo(channel)}">
    <meta property="og:site_name" content="Telegram">
    <meta property="og:description" content="{esc(description)}">
    <link rel="canonical" href="{url}"/>
    <link href="//telegram.org/css/font-roboto.css?1" rel="stylesheet" type="text/css">
    <link href="//telegram.org/css/widget-frame.css?71" rel="stylesheet" media="screen">
    <link href="//telegram.org/css/telegram-web.css?45" rel="stylesheet" media="screen">
  </head>
  <body class="widget_frame_base tgme_webpage_body emoji_image no_transition">
    <header class="tgme_header search_collapsed">
      <div class="tgme_header_search"><form class="tgme_header_search_form" action="" method="get"><input class="tgme_header_search_form_input js-header_search" name="q" placeholder="Search" autocomplete="off"></form></div>
      <div class="tgme_header_info"><a class="tgme_header_link" href="https://t.me/{channel}"><div class="tgme_header_title"><span dir="auto">{esc(title)}</span></div></a></div>
    </header>
    <main class="tgme_main">
      <div class="tgme_container">
        <section class="tgme_right_column">
          <div class="tgme_channel_info">
            <div class="tgme_channel_info_header">
              <i class="tgme_page_photo_image bgcolor0" data-content="{esc(title[:1])}"><img src="{tg_photo(channel)}"></i>
              <div class="tgme_channel_info_header_title"><span dir="auto">{esc(title)}</span></div>
              <div class="tgme_channel_info_header_username"><a href="https://t.me/{channel}">@{channel}</a></div>
            </div>
            <div class="tgme_channel_info_description">{esc(description)}</div>
            <div class="tgme_channel_info_counters">
              <div class="tgme_channel_info_counter"><span class="counter_value">{subscribers}</span> <span class="counter_type">subscribers</span></div>
            </div>
          </div>
        </section>
        <section class="tgme_channel_history js-message_history">
{more}{body}
        </section>
      </div>
    </main>
    <script src="//telegram.org/js/jquery.min.js"></script>
    <script src="//telegram.org/js/widget-frame.js?65"></script>
    <script>TWidgetPost.initDynamic();</script>
  </body>
</html>
"""
    return page.encode("utf-8")


def render_telegram(snap: Snapshot, source: str, mentions: list[dict], sizes: list[int] | None,
                    overlap_after: int | None) -> None:
    channel = TG_CHANNELS[source][0]
    by_id = {m["external_id"]: m for m in mentions}
    ordered = sorted(mentions, key=tg_msg_id, reverse=True)
    pages = chunks(ordered, sizes) if sizes else [ordered]
    before = None
    for n, page in enumerate(pages, 1):
        served = list(page)
        if overlap_after is not None and n == overlap_after + 1:
            served.insert(0, pages[overlap_after - 1][-1])   # the boundary message, again
        url = f"https://t.me/s/{channel}" + (f"?before={before}" if before else "")
        file = f"telegram/{channel}/" + (f"before-{before}.html" if before else "latest.html")
        next_before = None
        if n < len(pages):
            oldest = tg_msg_id(page[-1])
            # Off by one on purpose at the overlap boundary: the next page starts at the same message.
            next_before = oldest + 1 if overlap_after == n else oldest
        snap.add(source, url, file, tg_page(source, served, next_before, url, by_id), "text/html; charset=utf-8", served)
        before = next_before


# ---------------------------------------------------------------- VK


def vk_split_name(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first, last


def vk_photo(seed: object) -> str:
    h = hashlib.sha256(str(seed).encode()).hexdigest()
    return f"https://sun{1 + rnd(seed) % 9}-{10 + rnd('s', seed) % 80}.userapi.com/s/v1/ig2/{h[:43]}.jpg?size=100x100&quality=95&crop=0,0,400,400&ava=1"


def vk_post(owner_id: int, post_id: int, from_id: int, m_date: datetime, text: str, *, photo: bool = False,
            pinned: bool = False, copy: dict | None = None, stats_seed: str = "", full: bool = True) -> dict:
    post: dict = {"inner_type": "wall_wallpost"}
    if full:
        s = stats_seed or f"{owner_id}_{post_id}"
        post["comments"] = {"can_post": 1, "can_close": 0, "count": rnd("c", s) % 25, "groups_can_post": True}
        post["marked_as_ads"] = 0
        post["hash"] = hashlib.sha256(f"h{owner_id}_{post_id}".encode()).hexdigest()[:26]
    post["type"] = "post"
    attachments = []
    if photo:
        pid = 457239000 + rnd("p", owner_id, post_id) % 9000
        attachments.append({"type": "photo", "photo": {
            "album_id": -7, "date": int(m_date.timestamp()), "id": pid, "owner_id": from_id,
            "access_key": hashlib.sha256(f"ak{pid}".encode()).hexdigest()[:18], "post_id": post_id,
            "sizes": [{"height": 604, "type": "x", "width": 453,
                       "url": vk_photo(pid).replace("size=100x100", "size=453x604").replace("&ava=1", "&type=album")}],
            "text": "", "has_tags": False}})
    post["attachments"] = attachments
    post["date"] = int(m_date.timestamp())
    post["from_id"] = from_id
    post["id"] = post_id
    if full:
        post["is_favorite"] = False
        if pinned:
            post["is_pinned"] = 1
        post["likes"] = {"can_like": 1, "count": rnd("l", stats_seed or post_id) % 60, "user_likes": 0,
                         "can_publish": 1, "repost_disabled": False}
    post["owner_id"] = owner_id
    post["post_source"] = {"type": "vk"} if rnd("src", owner_id, post_id) % 3 else {"type": "api", "platform": "android"}
    post["post_type"] = "post"
    if full:
        post["reposts"] = {"count": rnd("r", stats_seed or post_id) % 7, "user_reposted": 0}
    post["text"] = text
    if full:
        post["views"] = {"count": 150 + rnd("v", stats_seed or post_id) % 9000}
    if copy:
        post["copy_history"] = [copy]
    return post


def vk_item(m: dict) -> dict:
    owner, post_id = (int(x) for x in m["external_id"].rsplit("_", 1))
    copy = None
    if m.get("copy_history"):
        c = m["copy_history"]
        copy = vk_post(c["owner_id"], c["post_id"], c["from_id"], datetime.fromisoformat(c["posted_at"]), c["text"], full=False)
    return vk_post(owner, post_id, m["author_id"], when(m), m["text"], photo=m.get("photo", False),
                   pinned=m.get("pinned", False), copy=copy)


def vk_extended(items: list[dict], authors: dict[int, str]) -> tuple[list[dict], list[dict]]:
    """Return the profiles and groups arrays that extended=1 adds for the given items."""
    ids: set[int] = set()
    for it in items:
        ids.update({it["owner_id"], it["from_id"]})
        for c in it.get("copy_history", []):
            ids.update({c["owner_id"], c["from_id"]})
    profiles, groups = [], []
    for i in sorted(ids):
        if i < 0:
            name, screen = VK_GROUPS[-i]
            groups.append({"id": -i, "name": name, "screen_name": screen, "is_closed": 0,
                           "type": "page" if -i == VK_GROUP_ID else "group",
                           "photo_50": vk_photo(-i).replace("100x100", "50x50"), "photo_100": vk_photo(-i),
                           "photo_200": vk_photo(-i).replace("100x100", "200x200")})
        else:
            first, last = vk_split_name(authors[i])
            profiles.append({"id": i, "sex": 1 if first.endswith(("а", "я")) or first in {"Любовь", "Айгүл"} else 2,
                             "screen_name": f"id{i}", "photo_50": vk_photo(i).replace("100x100", "50x50"),
                             "photo_100": vk_photo(i), "online_info": {"visible": True, "is_online": False, "is_mobile": False},
                             "online": 0, "first_name": first, "last_name": last, "can_access_closed": True, "is_closed": False})
    return profiles, groups


def vk_wall_url(offset: int) -> str:
    return f"{VK_API}/wall.get?domain=skorodostavka&offset={offset}&count={VK_WALL_COUNT}&extended=1&v={VK_VERSION}"


def vk_search_url(start_from: str | None) -> str:
    url = f"{VK_API}/newsfeed.search?q={quote('СкороДоставка')}&count=50&extended=1&v={VK_VERSION}"
    return url + (f"&start_from={start_from}" if start_from else "")


def render_vk(snap: Snapshot, wall: list[dict], search: list[dict], authors: dict[int, str]) -> None:
    pinned = [m for m in wall if m.get("pinned")]
    ordered = pinned + newest_first([m for m in wall if not m.get("pinned")])  # the pinned post always comes first
    for offset in range(0, len(ordered), VK_WALL_COUNT):
        page = ordered[offset:offset + VK_WALL_COUNT]
        items = [vk_item(m) for m in page]
        profiles, groups = vk_extended(items, authors)
        body = {"response": {"count": len(ordered), "items": items, "profiles": profiles, "groups": groups}}
        snap.add("vk-skorodostavka", vk_wall_url(offset), f"vk/wall.get/skorodostavka-offset-{offset}.json", dump_json(body),
                 "application/json; charset=utf-8", page)

    # newsfeed.search: its own hits plus wall posts that match the query (the same VK posts again).
    hits = newest_first(search + [m for m in wall if "vk-search" in m.get("also_served_by", [])])
    cursor = None
    for n, page in enumerate(chunks(hits, VK_SEARCH_PAGES), 1):
        items = [vk_item(m) for m in page]
        profiles, groups = vk_extended(items, authors)
        next_from = hashlib.sha256(f"next_from{n}".encode()).hexdigest()[:10]
        body = {"response": {"items": items, "count": len(hits), "total_count": len(hits), "next_from": next_from,
                             "profiles": profiles, "groups": groups}}
        snap.add("vk-search", vk_search_url(cursor), f"vk/newsfeed.search/page-{n}.json", dump_json(body),
                 "application/json; charset=utf-8", page)
        cursor = next_from
    # VK keeps handing out next_from after the last hit; here the follow-up page arrives cut off mid-body.
    empty = dump_json({"response": {"items": [], "count": len(hits), "total_count": len(hits), "profiles": [], "groups": []}})
    snap.add("vk-search", vk_search_url(cursor), f"vk/newsfeed.search/page-{len(VK_SEARCH_PAGES) + 1}.json", empty[:41],
             "application/json; charset=utf-8", [], quarantine="truncated JSON body (connection cut mid-response)")


# ---------------------------------------------------------------- otzovik


def otzovik_url(page: int) -> str:
    return f"https://otzovik.com/reviews/{OTZOVIK_SLUG}/" + (f"{page}/" if page > 1 else "")


def otzovik_item(m: dict) -> str:
    rid, r = m["external_id"], m["rating"]
    stars = "".join(f'<div class="rating-item star{i}{" fit" if i <= r else ""}"></div>' for i in range(1, 6))
    text = esc(m["text"]).replace("\n", "<br>\n")
    return f"""<div class="item status4 mshow0" data-review-id="{rid}" itemprop="review" itemscope itemtype="http://schema.org/Review">
<meta itemprop="datePublished" content="{when(m):%Y-%m-%d}">
<div class="item-left">
<div class="avatar"><img src="/images/avatars/{rnd(m['author']) % 40}.png" alt=""></div>
<div class="login-col"><a class="user-login fit-with-ava url fn" href="/profile/{quote(m['author'])}" itemprop="author" itemscope itemtype="http://schema.org/Person"><span itemprop="name">{esc(m['author'])}</span></a>
<div class="karma-col"><span class="karma">{rnd('karma', m['author']) % 40}</span></div></div>
</div>
<div class="item-right">
<h3><a class="review-title" href="https://otzovik.com/review_{rid}.html" itemprop="name">{esc(m['title'])}</a></h3>
<div class="rating-wrap">
<div class="rating-score tooltip-right" title="Общий рейтинг"><span>{r}</span></div>
<div class="product-rating tooltip-right stars-{r}" title="Общий рейтинг: {r}">{stars}</div>
<div itemprop="reviewRating" itemscope itemtype="http://schema.org/Rating"><meta itemprop="worstRating" content="1"><meta itemprop="ratingValue" content="{r}"><meta itemprop="bestRating" content="5"></div>
</div>
<div class="review-postdate"><span class="tooltip-top" title="Дата публикации">{when(m):%d.%m.%Y}</span></div>
<div class="review-plus"><span class="label">Достоинства:</span> {esc(m['plus'])}</div>
<div class="review-minus"><span class="label">Недостатки:</span> {esc(m['minus'])}</div>
<div class="review-teaser" itemprop="description">{text}</div>
<div class="review-bar"><a class="review-btn review-read-link" href="https://otzovik.com/review_{rid}.html">Читать весь отзыв</a> <a class="review-btn review-comments tooltip-top" href="https://otzovik.com/review_{rid}.html#comments" title="Комментарии">{rnd('cm', rid) % 9}</a> <span class="review-btn review-yes tooltip-top" title="Отзыв полезен">{rnd('y', rid) % 30}</span></div>
</div>
</div>"""


def render_otzovik(snap: Snapshot, mentions: list[dict]) -> None:
    pages = chunks(newest_first(mentions), OTZOVIK_PAGES)
    avg = sum(m["rating"] for m in mentions) / len(mentions)
    for n, page in enumerate(pages, 1):
        pager = [f'<a class="pager-item{" active" if i == n else ""}" href="/reviews/{OTZOVIK_SLUG}/{"" if i == 1 else f"{i}/"}">{i}</a>'
                 for i in range(1, len(pages) + 1)]
        if n > 1:
            pager.insert(0, f'<a class="pager-item prev tooltip-top" href="/reviews/{OTZOVIK_SLUG}/{"" if n == 2 else f"{n - 1}/"}" title="Предыдущая страница">&lt;</a>')
        if n < len(pages):
            pager.append(f'<a class="pager-item next tooltip-top" href="/reviews/{OTZOVIK_SLUG}/{n + 1}/" title="Следующая страница">&gt;</a>')
        rel_next = f'\n<link rel="next" href="{otzovik_url(n + 1)}">' if n < len(pages) else ""
        suffix = f" — страница {n}" if n > 1 else ""
        doc = f"""<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="windows-1251">
<title>Служба доставки СкороДоставка (Россия) - отзывы{suffix}</title>
<meta name="description" content="Служба доставки СкороДоставка: реальные отзывы покупателей. Средняя оценка {avg:.1f}, отзывов: {len(mentions)}.">
<link rel="canonical" href="{otzovik_url(n)}">{rel_next}
<link rel="stylesheet" href="/css/otzovik.css?v=2026.11">
</head>
<body>
<div id="header"><a class="logo" href="/">Отзовик</a></div>
<div id="content">
<div class="product-header" itemscope itemtype="http://schema.org/Organization">
<h1><span itemprop="name">Служба доставки СкороДоставка (Россия)</span> - отзывы</h1>
<div class="product-rating-summary">Рейтинг: <span class="rating-value">{avg:.1f}</span> · Отзывов: <span class="reviews-counter">{len(mentions)}</span></div>
</div>
<div class="review-list-2 review-list-chunk">
{chr(10).join(otzovik_item(m) for m in page)}
</div>
<div class="pager">{"".join(pager)}</div>
</div>
<div id="footer">© 2007–2026 Отзовик</div>
</body>
</html>
"""
        # Real cp1251 bytes; characters outside cp1251 (emoji, ₽) become numeric references like a browser sends them.
        snap.add("otzovik-skorodostavka", otzovik_url(n), f"otzovik/{OTZOVIK_SLUG}/page-{n}.html", doc.encode("cp1251", errors="xmlcharrefreplace"),
                 "text/html; charset=windows-1251", page)


# ---------------------------------------------------------------- RSS

_HTML_ENTITIES = {"«": "&laquo;", "»": "&raquo;", "—": "&mdash;", "–": "&ndash;", "₽": "&#8381;"}


def rss_description_html(text: str) -> str:
    paras = []
    for p in text.split("\n"):
        p = esc(p)
        for ch, ent in _HTML_ENTITIES.items():
            p = p.replace(ch, ent)
        paras.append(f"<p>{p}</p>")
    return "".join(paras)


def render_rss(snap: Snapshot, mentions: list[dict]) -> None:
    items = []
    for n, m in enumerate(newest_first(mentions)):
        desc = rss_description_html(m["text"])
        # Feeds in the wild use both forms; alternate so a parser has to cope with each.
        desc_xml = f"<![CDATA[{desc}]]>" if n % 2 else html.escape(desc, quote=False)
        items.append(f"""    <item>
      <title>{html.escape(m['title'], quote=False)}</title>
      <link>{m['link']}</link>
      <guid isPermaLink="false">{m['external_id']}</guid>
      <pubDate>{format_datetime(when(m))}</pubDate>
      <category>Логистика</category>
      <description>{desc_xml}</description>
    </item>""")
    doc = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>News.example.ru — Логистика</title>
    <link>https://news.example.ru/logistics/</link>
    <description>Новости логистики, доставки и e-commerce</description>
    <language>ru</language>
    <lastBuildDate>{format_datetime(max(when(m) for m in mentions))}</lastBuildDate>
    <atom:link href="{RSS_URL}" rel="self" type="application/rss+xml"/>
{chr(10).join(items)}
  </channel>
</rss>
"""
    snap.add("news-rss", RSS_URL, "news-rss/logistics.xml", doc.encode("utf-8"), "application/rss+xml; charset=utf-8", mentions)


# ---------------------------------------------------------------- orders.csv

FIRST_M = ["Александр", "Алексей", "Андрей", "Антон", "Артём", "Борис", "Вадим", "Василий", "Виктор", "Владимир",
           "Геннадий", "Георгий", "Григорий", "Даниил", "Денис", "Дмитрий", "Евгений", "Егор", "Иван", "Игорь", "Илья",
           "Кирилл", "Константин", "Леонид", "Максим", "Матвей", "Михаил", "Никита", "Николай", "Олег", "Павел", "Пётр",
           "Роман", "Руслан", "Сергей", "Станислав", "Степан", "Тимур", "Фёдор", "Юрий", "Ярослав"]
FIRST_F = ["Алина", "Алла", "Анастасия", "Анна", "Валентина", "Вера", "Вероника", "Виктория", "Галина", "Дарья",
           "Диана", "Евгения", "Екатерина", "Елена", "Елизавета", "Зарина", "Ирина", "Карина", "Кристина", "Ксения",
           "Лариса", "Любовь", "Людмила", "Маргарита", "Марина", "Мария", "Надежда", "Наталья", "Нина", "Оксана",
           "Ольга", "Полина", "Светлана", "София", "Таисия", "Татьяна", "Ульяна", "Юлия", "Яна"]
LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров",
        "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев",
        "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев",
        "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
        "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов",
        "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров"]
CITIES = ["Москва"] * 10 + ["Санкт-Петербург"] * 4 + ["Казань", "Екатеринбург", "Новосибирск", "Нижний Новгород",
          "Самара", "Краснодар", "Ростов-на-Дону", "Воронеж", "Тверь", "Тула", "Пермь", "Уфа", "Челябинск", "Ярославль",
          "Химки", "Подольск", "Балашиха", "Владимир"]
STATUS_WEIGHTS = {"delivered": 58, "in_transit": 20, "created": 8, "returned": 5, "cancelled": 6, "lost": 3}
TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
                     "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"], strict=True))
ORDER_FIELDS = ["order_number", "tracking_number", "customer_id", "customer_name", "phone", "email", "city", "status",
                "created_at", "shipped_at", "delivered_at", "amount_rub"]
FILLER_CUSTOMERS = 158
FILLER_ORDERS = 257


def translit(s: str) -> str:
    return "".join(TRANSLIT.get(c, c) for c in s.lower() if c.isalnum() or c in "-").replace("-", "")


def build_orders(authored_orders: list[dict], reserved_numbers: set[str], phone_only: set[str]) -> list[dict]:
    """Return authored orders plus deterministic filler, ~300 orders of ~200 customers."""
    rng = random.Random(20261118)
    used_numbers = set(reserved_numbers) | {o["order_number"] for o in authored_orders}
    used_tracking = {o["tracking_number"] for o in authored_orders if o["tracking_number"]}
    used_phones = {o["phone"] for o in authored_orders}
    used_emails: set[str] = set()

    def new_number() -> str:
        while True:
            n = f"400{rng.randint(1, 9)}{rng.randint(0, 9999):04d}"
            if n not in used_numbers:
                used_numbers.add(n)
                return n

    def new_tracking() -> str:
        while True:
            t = f"SK{rng.randint(100000000, 999999999)}RU"
            if t not in used_tracking:
                used_tracking.add(t)
                return t

    def email_for(name: str) -> str:
        first, last = name.split(" ", 1)
        base = f"{translit(first)}.{translit(last)}"
        e, k = f"{base}@example.ru", 1
        while e in used_emails:
            k += 1
            e = f"{base}{k}@example.ru"
        used_emails.add(e)
        return e

    customers: dict[str, dict] = {}  # phone -> customer
    for o in authored_orders:
        if o["phone"] not in customers:
            customers[o["phone"]] = {"customer_id": f"C{10001 + len(customers)}", "customer_name": o["customer_name"],
                                     "phone": o["phone"], "email": email_for(o["customer_name"]), "city": o["city"]}
    orders = [dict(o, tracking_number=o["tracking_number"] or new_tracking(), **{
        k: customers[o["phone"]][k] for k in ("customer_id", "email")}) for o in authored_orders]

    filler = []
    while len(filler) < FILLER_CUSTOMERS:
        female = rng.random() < 0.52
        first = rng.choice(FIRST_F if female else FIRST_M)
        last = rng.choice(LAST) + ("а" if female else "")
        phone = f"+7 900 {rng.randint(100, 999)}-{rng.randint(0, 99):02d}-{rng.randint(0, 99):02d}"
        if phone in used_phones:
            continue
        used_phones.add(phone)
        c = {"customer_id": f"C{10001 + len(customers)}", "customer_name": f"{first} {last}", "phone": phone,
             "email": email_for(f"{first} {last}"), "city": rng.choice(CITIES)}
        customers[phone] = c
        filler.append(c)
    # Customers matched only by phone keep exactly one order, so a phone match is unambiguous.
    repeatable = [c for c in customers.values() if c["phone"] not in phone_only]
    owners = filler + [rng.choice(repeatable) for _ in range(FILLER_ORDERS - len(filler))]

    start = datetime(2026, 10, 12, tzinfo=MSK)
    for c in owners:
        created = start + timedelta(minutes=rng.randint(0, 41 * 24 * 60))
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        shipped = created + timedelta(hours=rng.randint(6, 40), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
        delivered = shipped + timedelta(hours=rng.randint(30, 150), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
        # Keep status and dates consistent: old orders have arrived, recent ones cannot have.
        age = SNAPSHOT_AT - created
        if status == "created" and age > timedelta(days=2) or status == "in_transit" and age > timedelta(days=10):
            status = "delivered"
        if status in ("delivered", "returned") and delivered > SNAPSHOT_AT:
            status = "in_transit"
        if status in ("in_transit", "lost") and shipped > SNAPSHOT_AT:
            status = "created"
        row = {"order_number": new_number(), "tracking_number": new_tracking(), "customer_id": c["customer_id"],
               "customer_name": c["customer_name"], "phone": c["phone"], "email": c["email"], "city": c["city"],
               "status": status, "created_at": created.replace(second=rng.randint(0, 59)).isoformat(),
               "shipped_at": None if status == "created" or status == "cancelled" and rng.random() < 0.6 else shipped.isoformat(),
               "delivered_at": delivered.isoformat() if status == "delivered" else None,
               "amount_rub": f"{rng.choice([290, 490, 790, 990, 1290, 1590, 1990, 2490, 3490, 4990, 7990, 12990]) + rng.choice([0, 0, 60, 110, 250]):.2f}"}
        orders.append(row)
    return sorted(orders, key=lambda o: o["order_number"])


def write_orders_csv(orders: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=ORDER_FIELDS, lineterminator="\n")
    w.writeheader()
    for o in orders:
        w.writerow({k: ("" if o[k] is None else o[k]) for k in ORDER_FIELDS})
    return buf.getvalue().encode("utf-8")


# ---------------------------------------------------------------- checks and truth


def digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def check_authored(mentions: list[dict]) -> None:
    """Fail loudly on annotation mistakes that would silently skew truth.json."""
    # Read codes with a regex: taxonomy.yaml currently has an unquoted ": " in one description, so a YAML
    # parser rejects it, and the codes are all this check needs.
    taxonomy = (HERE.parent.parent / "classifiers/taxonomy.yaml").read_text(encoding="utf-8")
    topics = set(re.findall(r"^\s*- code: (\w+)", taxonomy, re.M))
    assert len(topics) == 14, topics
    keys = {f"{m['source']}:{m['external_id']}" for m in mentions}
    lo, hi = datetime(2026, 11, 9, tzinfo=MSK), datetime(2026, 11, 24, tzinfo=MSK)
    for m in mentions:
        where = f"{m['source']}:{m['external_id']}"
        assert lo <= when(m) < hi, where
        assert m["intent"] in topics and set(m["topics"]) <= topics and m["topics"][0] == m["intent"], where
        assert m["sentiment"] in {"negative", "neutral", "positive"}, where
        full = " ".join(filter(None, [m.get("title"), m["text"], (m.get("copy_history") or {}).get("text")]))
        if m["order_number"]:
            assert re.fullmatch(r"400[1-9]\d{4}", m["order_number"]) and m["order_number"] in digits(full), where
        if m["tracking_number"]:
            assert re.fullmatch(r"SK\d{9}RU", m["tracking_number"]) and m["tracking_number"] in full, where
        if m["phone"]:
            assert re.fullmatch(r"\+7 900 \d{3}-\d{2}-\d{2}", m["phone"]) and digits(m["phone"])[1:] in digits(full), where
        if m["duplicate_of"]:
            assert m["duplicate_of"] in keys, where


def order_match(m: dict, by_number: set[str], by_tracking: set[str], by_phone: set[str]) -> str | None:
    if m["order_number"] in by_number:
        return "order_number"
    if m["tracking_number"] in by_tracking:
        return "tracking_number"
    if m["phone"] in by_phone:
        return "phone"
    return None


def build_truth(mentions: list[dict], snap: Snapshot, orders: list[dict]) -> dict:
    served = [k for r in snap.responses for k in r["items"]]

    def identity(k: tuple[str, str]) -> tuple[str, str]:
        # Both VK sources return the same kind of object; owner_id_postid is one post wherever it shows up.
        return ("vk" if k[0].startswith("vk-") else k[0], k[1])

    seen: dict[tuple[str, str], dict] = {}
    overlap, cross = [], []
    for r in snap.responses:
        for k in r["items"]:
            first = seen.setdefault(identity(k), r)
            if first is not r:
                entry = {"external_id": k[1], "first_source": first["source"], "first_file": first["file"],
                         "again_source": r["source"], "again_file": r["file"]}
                (overlap if first["source"] == r["source"] else cross).append(entry)
    fetched = [(r["source"], k[1]) for r in snap.responses for k in r["items"]]

    numbers = {o["order_number"] for o in orders}
    trackings = {o["tracking_number"] for o in orders}
    phones = {o["phone"] for o in orders}
    matched: dict[str, str] = {}
    unknown = []
    known_orders = set()
    for m in mentions:
        kind = order_match(m, numbers, trackings, phones)
        if kind:
            matched[f"{m['source']}:{m['external_id']}"] = kind
            known_orders.update(o["order_number"] for o in orders if o[kind] == m[kind])
        elif m["order_number"]:
            unknown.append(f"{m['source']}:{m['external_id']}")

    def day(m: dict) -> str:
        return when(m).astimezone(MSK).date().isoformat()

    dups = [m for m in mentions if m["duplicate_of"]]
    return {
        "about": "Counts derived by build.py from authored.yaml and the rendered responses; not from any pipeline run.",
        "responses_served": len(snap.responses),
        "responses_by_status": dict(collections.Counter(str(r["status"]) for r in snap.responses)),
        "responses_to_quarantine": [{"url": r["url"], "file": r["file"], "status": r["status"], "reason": r["quarantine"]}
                                    for r in snap.responses if r["quarantine"]],
        "items_in_responses": len(served),
        "items_in_responses_per_source": dict(collections.Counter(src for src, _ in fetched)),
        "distinct_source_external_id": len(set(fetched)),
        "distinct_mentions": len(set(map(identity, served))),
        "exact_repeats_dropped": {
            "total": len(served) - len(set(map(identity, served))),
            "same_source_page_overlap": overlap,
            "same_vk_post_from_both_vk_sources": cross,
        },
        "near_duplicates": {
            "total": len(dups),
            "items": [{"item": f"{m['source']}:{m['external_id']}", "duplicate_of": m["duplicate_of"],
                       "kind": "vk_repost_of_cross_post" if m.get("copy_history") else "cross_post"} for m in dups],
        },
        "orders_csv": {"orders": len(orders), "customers": len({o["customer_id"] for o in orders})},
        "items_referencing_known_order": {
            "total": len(matched),
            "by_order_number": sum(k == "order_number" for k in matched.values()),
            "by_tracking_number": sum(k == "tracking_number" for k in matched.values()),
            "by_phone_only": sum(k == "phone" for k in matched.values()),
            "distinct_orders": len(known_orders),
            "items": matched,
        },
        "items_referencing_unknown_order": {"total": len(unknown), "items": unknown},
        "items_per_source": dict(collections.Counter(m["source"] for m in mentions)),
        "items_per_intent": dict(collections.Counter(m["intent"] for m in mentions)),
        "items_per_sentiment": dict(collections.Counter(m["sentiment"] for m in mentions)),
        "non_russian_items": {"total": sum(m["lang"] != "ru" for m in mentions),
                              "by_lang": dict(collections.Counter(m["lang"] for m in mentions if m["lang"] != "ru")),
                              "items": [f"{m['source']}:{m['external_id']}" for m in mentions if m["lang"] != "ru"]},
        "items_per_day": dict(collections.Counter(day(m) for m in mentions)),
        "delivery_delay_per_day": dict(collections.Counter(day(m) for m in mentions if m["intent"] == "delivery_delay")),
        "snowstorm": {"days": ["2026-11-18", "2026-11-19"],
                      "delivery_delay_intent_per_day": {"usual": 3, "storm": 9}},
        "note": "Per-source, per-intent, per-sentiment, per-day and order counts are over distinct mentions "
                "(exact repeats counted once, near-duplicates counted as their own mentions).",
    }


# ---------------------------------------------------------------- main


def main() -> None:
    data = yaml.safe_load((HERE / "authored.yaml").read_text(encoding="utf-8"))
    mentions = data["mentions"]
    check_authored(mentions)
    per = collections.defaultdict(list)
    for m in mentions:
        per[m["source"]].append(m)

    vk_authors = {}
    for m in per["vk-skorodostavka"] + per["vk-search"]:
        if m["author_id"] > 0:
            vk_authors[m["author_id"]] = m["author"]
        c = m.get("copy_history")
        if c and c["from_id"] > 0:
            vk_authors[c["from_id"]] = c["author"]

    snap = Snapshot()
    render_appstore(snap, per["appstore-ru"])
    render_telegram(snap, "tg-skorodostavka-chat", per["tg-skorodostavka-chat"], TG_CHAT_PAGES, TG_OVERLAP_AFTER_PAGE)
    render_telegram(snap, "tg-posylka-news", per["tg-posylka-news"], None, None)
    render_vk(snap, per["vk-skorodostavka"], per["vk-search"], vk_authors)
    render_otzovik(snap, per["otzovik-skorodostavka"])
    render_rss(snap, per["news-rss"])

    # Filler must not reuse any number a mention quotes: the "unknown order" mentions stay unknown.
    mentioned_numbers = {m["order_number"] for m in mentions if m["order_number"]}
    phone_only = {m["phone"] for m in mentions if m["phone"] and not m["order_number"] and not m["tracking_number"]}
    orders = build_orders(data["orders"], mentioned_numbers, phone_only)
    truth = build_truth(mentions, snap, orders)

    for d in OUTPUT_DIRS:
        shutil.rmtree(HERE / d, ignore_errors=True)
    for file, body in snap.files.items():
        path = HERE / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    manifest = {"responses": sorted(({k: r[k] for k in ("url", "file", "content_type", "status")} for r in snap.responses),
                                    key=lambda r: r["file"])}
    (HERE / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (HERE / "orders.csv").write_bytes(write_orders_csv(orders))
    (HERE / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(snap.responses)} responses, {truth['items_in_responses']} items served, "
          f"{truth['distinct_mentions']} distinct mentions, {len(orders)} orders")


if __name__ == "__main__":
    main()
