"""The mini snapshot (tests/crawlers/data/mini) as the kill and fault tests crawl it."""

from pathlib import Path

MINI = Path(__file__).resolve().parents[1] / "crawlers" / "data" / "mini"
# The mini snapshot minus its deliberately broken sources (their retries would only slow these tests down).
SOURCES = """sources:
  - {name: appstore, kind: appstore, app_id: "1", country: ru}
  - {name: tg, kind: telegram, channel: chat}
  - {name: vk-wall, kind: vk, domain: skoro, count: 2}
  - {name: news, kind: rss, url: "https://news.example.ru/rss.xml"}
"""
