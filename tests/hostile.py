"""The hostile-input corpus (tests/data/hostile): its manifest, its generated bodies, and a FakeWeb serving it.

Every case is one source of its channel kind, crawled by the real spider: the case id is the source name and
part of its URL (App Store app id, Telegram channel, VK wall domain, review-site path, feed file name).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

from crawlers.fakeweb import FakeWeb, Reply

CORPUS = Path(__file__).resolve().parent / "data" / "hostile"
APPSTORE = "https://itunes.apple.com/ru/rss/customerreviews/page={page}/id={id}/sortBy=mostRecent/json"


@dataclass
class Case:
    id: str
    channel: str
    file: str
    content_type: str
    expect: dict
    note: str = ""
    status: int = 200

    def body(self) -> bytes:
        """The bytes served for this case: the file itself, or what its generator spec makes."""
        path = CORPUS / self.file
        if not path.name.endswith(".spec.yaml"):
            return path.read_bytes()
        return generate(yaml.safe_load(path.read_text(encoding="utf-8")))

    def source(self) -> dict:
        """The sources.yaml entry crawling this case."""
        config = {
            "appstore": {"app_id": self.id, "country": "ru"},
            "telegram": {"channel": self.id},
            "vk": {"domain": self.id, "count": 100},
            "review_site": {"site": "otzovik", "start_url": f"https://reviews.example/{self.id}/"},
            "rss": {"url": f"https://news.example/{self.id}.xml"},
        }[self.channel]
        return {"name": self.id, "kind": self.channel, **config}


def load_cases() -> list[Case]:
    raw = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))["cases"]
    return [Case(**c) for c in raw]


def generate(spec: dict) -> bytes:
    """Build a large body deterministically from a small spec."""
    if spec["generator"] == "repeat":
        return (spec["head"] + spec["sep"].join([spec["unit"]] * spec["count"]) + spec["tail"]).encode("utf-8")
    if spec["generator"] == "telegram_big_page":
        return _telegram_big_page(spec["channel"], spec["messages"], spec["pad_bytes"], spec["seed"])
    raise ValueError(f"unknown generator {spec['generator']!r}")


def _telegram_big_page(channel: str, messages: int, pad_bytes: int, seed: int) -> bytes:
    """A t.me/s page of `messages` distinct messages buried in `pad_bytes` of nested markup and text."""
    rng = random.Random(seed)
    words = "посылка курьер склад заказ трек коробка адрес звонок возврат сроки пункт выдачи тариф".split()
    pad_unit = '<div class="noise"><span>' + " ".join(rng.choice(words) for _ in range(40)) + "</span></div>\n"
    pad = pad_unit * (pad_bytes // len(pad_unit.encode()) + 1)
    msgs = []
    for i in range(1, messages + 1):
        text = f"Сообщение {i}: " + " ".join(rng.choice(words) for _ in range(25))
        msgs.append(
            f'<div class="tgme_widget_message js-widget_message" data-post="{channel}/{i}">'
            f'<div class="tgme_widget_message_text js-message_text">{text}</div>'
            f'<a class="tgme_widget_message_date" href="https://t.me/{channel}/{i}">'
            f'<time datetime="2026-11-20T{i % 24:02d}:00:00+03:00"></time></a></div>'
        )
    half = len(msgs) // 2
    html = ('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div class="tgme_channel_info"></div>'
            f'<section class="tgme_channel_history">{"".join(msgs[:half])}{pad}{"".join(msgs[half:])}</section></body></html>')
    return html.encode("utf-8")


def serve(cases: list[Case]) -> FakeWeb:
    """A FakeWeb answering every case's URLs (not started: use it as a context manager)."""
    web = FakeWeb()
    walls: dict[str, Reply] = {}
    for case in cases:
        reply = Reply(case.body(), status=case.status, content_type=case.content_type)
        if case.channel == "appstore":
            web.add(APPSTORE.format(page=1, id=case.id), reply)
            empty = json.dumps({"feed": {"author": {"name": {"label": "iTunes Store"}}}})
            web.add(APPSTORE.format(page=2, id=case.id), Reply(empty, content_type="application/json"))
        elif case.channel == "telegram":
            web.add(f"https://t.me/s/{case.id}", reply)
        elif case.channel == "vk":
            walls[case.id] = reply
        elif case.channel == "review_site":
            web.add(f"https://reviews.example/{case.id}/", reply)
        elif case.channel == "rss":
            web.add(f"https://news.example/{case.id}.xml", reply)
    not_found = Reply("not found", status=404, content_type="text/plain")
    web.add("https://api.vk.com/method/wall.get", lambda q: walls.get(q.get("domain", ""), not_found))
    return web


def write_sources(cases: list[Case], path: Path) -> Path:
    path.write_text(yaml.safe_dump({"sources": [c.source() for c in cases]}, allow_unicode=True), encoding="utf-8")
    return path
