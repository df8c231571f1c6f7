"""Post shapes found in real Telegram and VK answers saved by others (named in the crawler docs), rebuilt here as
authored pages: photos without a caption, a channel name with an emoji in it, VK repost and view counters, and a
t.me page that is no channel."""

from __future__ import annotations

import json

import pytest

from crawlers.fakeweb import FakeWeb, Reply
from store.models import Mention, QuarantinedItem, Source
from tests.crawlers.local import crawl_once, load_sources


def _message(post: int, inner: str, when: str) -> str:
    return (f'<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message" '
            f'data-post="skoro/{post}"><div class="tgme_widget_message_bubble">'
            '<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" '
            'href="https://t.me/skoro"><span dir="auto">Скоро <i class="emoji"><b>🚚</b></i> Доставка</span></a></div>'
            f'{inner}<div class="tgme_widget_message_footer"><a class="tgme_widget_message_date" '
            f'href="https://t.me/skoro/{post}"><time datetime="{when}">x</time></a></div></div></div></div>')


CHANNEL = (
    '<html><head><title>Скоро Доставка – Telegram</title></head><body><div class="tgme_channel_info"></div>'
    '<section class="tgme_channel_history">'
    + _message(10, '<div class="tgme_widget_message_text js-message_text">Посылка опять задерживается</div>',
               "2026-11-03T07:00:00+00:00")
    + _message(11, '<a class="tgme_widget_message_photo_wrap" href="https://t.me/skoro/11"></a>',
               "2026-11-03T08:00:00+00:00")
    + "</section></body></html>"
)
GROUP_PAGE = ('<html><head><title>Telegram: Contact @skoro_chat</title></head><body><div class="tgme_page">'
              '<div class="tgme_page_extra">1 234 members</div></div></body></html>')
WALL = {"response": {"count": 2, "items": [
    {"id": 5, "owner_id": -1, "from_id": -1, "date": 1793689200, "text": "Курьер не приехал",
     "likes": {"count": 3}, "comments": {"count": 1}, "reposts": {"count": 92}, "views": {"count": 8887}},
    {"id": 6, "owner_id": -1, "from_id": -1, "date": 1793692800, "text": "",
     "attachments": [{"type": "photo", "photo": {"id": 1, "owner_id": -1}}]},
], "groups": [{"id": 1, "name": "СкороДоставка"}], "profiles": []}}


PHOTOS = {"response": {"count": 300, "items": [  # a wall of photos without words, older than the last run
    {"id": 8, "owner_id": -2, "from_id": -2, "date": 1791000000, "text": "",
     "attachments": [{"type": "photo", "photo": {"id": 2, "owner_id": -2}}]},
    {"id": 7, "owner_id": -2, "from_id": -2, "date": 1790900000, "text": "",
     "attachments": [{"type": "photo", "photo": {"id": 3, "owner_id": -2}}]},
], "groups": [{"id": 2, "name": "Фото"}], "profiles": []}}


@pytest.fixture
def web(shared_db, tmp_path):
    web = FakeWeb()
    web.add("https://t.me/s/skoro", Reply(CHANNEL))
    web.add("https://t.me/s/skoro_chat", Reply(GROUP_PAGE))
    web.add("https://api.vk.com/method/wall.get", lambda query: Reply(
        json.dumps(WALL if query.get("domain") == "skoro" else PHOTOS, ensure_ascii=False),
        content_type="application/json; charset=utf-8"))
    sources = [{"name": "tg", "kind": "telegram", "channel": "skoro", "base_url": f"{web.url}/t.me"},
               {"name": "tg-chat", "kind": "telegram", "channel": "skoro_chat", "base_url": f"{web.url}/t.me"},
               {"name": "vk", "kind": "vk", "domain": "skoro", "base_url": f"{web.url}/api.vk.com"},
               {"name": "vk-photos", "kind": "vk", "domain": "photos", "base_url": f"{web.url}/api.vk.com"}]
    load_sources(tmp_path, sources)
    # vk-photos was read up to 1 November 2026 before: its photos of October are old news.
    Source.objects.filter(name="vk-photos").update(state={"newest": "2026-11-01T00:00:00+00:00", "newest_id": "-2_9"})
    with web:
        yield web


def test_posts_without_words_are_skipped_and_counters_kept(web):
    stats = crawl_once(web)

    # A photo without a caption is neither a mention nor a quarantined item, and the run succeeds.
    for name, kept in (("tg", "skoro/10"), ("vk", "-1_5")):
        assert stats[name]["ok"] and stats[name]["new"] == 1 and stats[name]["quarantined"] == 0
        assert list(Mention.objects.filter(source__name=name).values_list("external_id", flat=True)) == [kept]
        assert Source.objects.get(name=name).last_status.endswith(", 1 without words skipped")
    assert Mention.objects.get(external_id="skoro/10").author == "Скоро 🚚 Доставка"  # the whole name
    raw = Mention.objects.get(external_id="-1_5").raw
    assert (raw["likes"], raw["comments"], raw["reposts"], raw["views"]) == (3, 1, 92, 8887)

    # Posts without words still date their page: a page of old photos ends the walk back (no second request).
    assert stats["vk-photos"]["ok"] and stats["vk-photos"]["new"] == 0
    photos = [url for url in web.fetched() if "domain=photos" in url]
    assert len(photos) == 1 and "offset=0" in photos[0], photos

    # A group's page is no channel: the reason quotes its title, which says what it is.
    assert not stats["tg-chat"]["ok"]
    (reason,) = QuarantinedItem.objects.filter(source__name="tg-chat").values_list("reason", flat=True)
    assert reason == "not a Telegram channel preview page (title 'Telegram: Contact @skoro_chat')"
