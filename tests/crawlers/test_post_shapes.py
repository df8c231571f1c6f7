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


_NOT_SUPPORTED = ('<div class="message_media_not_supported_wrap"><div class="message_media_not_supported">'
                  '<div class="message_media_not_supported_label">Please open Telegram to view this post</div>'
                  '<a href="https://t.me/skoro/13" class="message_media_view_in_telegram">VIEW IN TELEGRAM</a>'
                  '</div></div>')
CHANNEL = (
    '<html><head><title>Скоро Доставка – Telegram</title></head><body><div class="tgme_channel_info"></div>'
    '<section class="tgme_channel_history">'
    + _message(10, '<div class="tgme_widget_message_text js-message_text">Посылка опять задерживается</div>',
               "2026-11-03T07:00:00+00:00")
    + _message(11, '<a class="tgme_widget_message_photo_wrap" href="https://t.me/skoro/11"></a>',
               "2026-11-03T08:00:00+00:00")
    + _message(12, '<div class="tgme_widget_message_poll js-poll"><div class="tgme_widget_message_poll_question">'
               'Как вам новый трекинг?</div><div class="tgme_widget_message_poll_type">Anonymous Poll</div>'
               '<a class="tgme_widget_message_poll_options" href="https://t.me/skoro/12">'
               '<div class="tgme_widget_message_poll_option"><div class="tgme_widget_message_poll_option_percent">'
               '70%</div><div class="tgme_widget_message_poll_option_text">Удобно</div></div>'
               '<div class="tgme_widget_message_poll_option"><div class="tgme_widget_message_poll_option_percent">'
               '30%</div><div class="tgme_widget_message_poll_option_text">Ничего не понятно</div></div></a></div>'
               '<span class="tgme_widget_message_voters">1.2K votes</span>', "2026-11-03T09:00:00+00:00")
    + _message(13, _NOT_SUPPORTED, "2026-11-03T10:00:00+00:00")
    + _message(14, '<div class="media_not_supported_cont">' + _NOT_SUPPORTED + '</div><div class="tgme_widget_message_'
               'text js-message_text">Сторис про новый пункт выдачи</div>', "2026-11-03T11:00:00+00:00")
    + "</section></body></html>"
)
GROUP_PAGE = ('<html><head><title>Telegram: Contact @skoro_chat</title></head><body><div class="tgme_page">'
              '<div class="tgme_page_extra">1 234 members</div></div></body></html>')
WALL = {"response": {"count": 2, "items": [
    {"id": 5, "owner_id": -1, "from_id": -1, "date": 1793689200, "text": "Курьер не приехал",
     "likes": {"count": 3}, "comments": {"count": 1}, "reposts": {"count": 92}, "views": {"count": 8887}},
    {"id": 6, "owner_id": -1, "from_id": -1, "date": 1793692800, "text": "",
     "attachments": [{"type": "photo", "photo": {"id": 1, "owner_id": -1}}]},
    {"id": 7, "owner_id": -1, "from_id": -1, "date": 1793696400, "text": "", "likes": {"count": 3},
     "views": {"count": 88}, "reposts": {"count": 1}, "copy_history": [
         {"id": 100, "owner_id": -3, "from_id": -3, "date": 1790000000, "text": "Пункт выдачи переехал"}]},
    {"id": 8, "owner_id": -1, "from_id": -1, "date": 1793700000, "text": "", "attachments": [
        {"type": "poll", "poll": {"id": 9, "question": "Как вам доставка?", "votes": 40,
                                  "answers": [{"id": 1, "text": "Быстро", "votes": 30}, {"id": 2, "text": "Долго"}]}}]},
], "groups": [{"id": 1, "name": "СкороДоставка"}], "profiles": []}}


def _repost(wall_id: int, when: int, original_id: int, original_when: int) -> dict:
    return {"id": wall_id, "owner_id": -4, "from_id": -4, "date": when, "text": "", "copy_history": [
        {"id": original_id, "owner_id": -5, "from_id": -5, "date": original_when, "text": f"Старый пост {original_id}"}]}


# reposted in November 2026 (after the last run) of posts written in 2025: the page is new to the wall
REPOSTS = {"response": {"count": 4, "items": [_repost(21, 1793600000, 3, 1750000000),
                                              _repost(20, 1793500000, 2, 1749000000)], "groups": [], "profiles": []}}
OLD_REPOSTS = {"response": {"count": 4, "items": [_repost(19, 1780000000, 1, 1748000000)], "groups": [], "profiles": []}}


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
        json.dumps({"skoro": WALL, "reposts": OLD_REPOSTS if query.get("offset") == "2" else REPOSTS}.get(
            query.get("domain"), PHOTOS), ensure_ascii=False),
        content_type="application/json; charset=utf-8"))
    sources = [{"name": "tg", "kind": "telegram", "channel": "skoro", "base_url": f"{web.url}/t.me"},
               {"name": "tg-chat", "kind": "telegram", "channel": "skoro_chat", "base_url": f"{web.url}/t.me"},
               {"name": "vk", "kind": "vk", "domain": "skoro", "base_url": f"{web.url}/api.vk.com"},
               {"name": "vk-photos", "kind": "vk", "domain": "photos", "base_url": f"{web.url}/api.vk.com"},
               {"name": "vk-reposts", "kind": "vk", "domain": "reposts", "base_url": f"{web.url}/api.vk.com"}]
    load_sources(tmp_path, sources)
    # vk-photos and vk-reposts were read up to 1 November 2026 before: the photos of October are old news.
    for name, newest_id in (("vk-photos", "-2_9"), ("vk-reposts", "-4_1")):
        Source.objects.filter(name=name).update(state={"newest": "2026-11-01T00:00:00+00:00", "newest_id": newest_id})
    with web:
        yield web


def test_posts_without_words_are_skipped_and_counters_kept(web):
    stats = crawl_once(web)

    # A photo without a caption, or a post the preview cannot show, is neither a mention nor a quarantined item,
    # and the run succeeds; a poll is its question and options.
    for name, kept, skipped in (("tg", ["skoro/10", "skoro/12", "skoro/14"], 2), ("vk", ["-1_5", "-1_8", "-3_100"], 1)):
        assert stats[name]["ok"] and stats[name]["new"] == len(kept) and stats[name]["quarantined"] == 0
        assert sorted(Mention.objects.filter(source__name=name).values_list("external_id", flat=True)) == kept
        assert Source.objects.get(name=name).last_status.endswith(f", {skipped} without words skipped")
    poll = Mention.objects.get(external_id="skoro/12")
    assert poll.text == "Как вам новый трекинг?\nУдобно\nНичего не понятно"
    assert (poll.raw["poll_type"], poll.raw["poll_voters"]) == ("Anonymous Poll", "1.2K votes")
    assert Mention.objects.get(external_id="skoro/14").text == "Сторис про новый пункт выдачи"
    assert Mention.objects.get(external_id="-1_8").text == "Как вам доставка?\nБыстро\nДолго"  # a VK poll too
    assert Mention.objects.get(external_id="skoro/10").author == "Скоро 🚚 Доставка"  # the whole name
    raw = Mention.objects.get(external_id="-1_5").raw
    assert (raw["likes"], raw["comments"], raw["reposts"], raw["views"]) == (3, 1, 92, 8887)

    # A repost is its original post, with when it appeared on the wall and its own counters beside.
    repost = Mention.objects.get(external_id="-3_100")
    assert repost.text == "Пункт выдачи переехал" and repost.posted_at.year == 2026 and repost.posted_at.month == 9
    assert repost.raw["reposted_by"] == "-1_7" and repost.raw["reposted_at"] == "2026-11-03T09:00:00+00:00"
    assert (repost.raw["repost_likes"], repost.raw["repost_views"], repost.raw["repost_reposts"]) == (3, 88, 1)
    assert "reposted_at" not in Mention.objects.get(external_id="-1_5").raw

    # A page of new reposts of old posts is new to the wall: the walk goes on to the next page.
    reposts = [url for url in web.fetched() if "domain=reposts" in url]
    assert len(reposts) == 2 and "offset=2" in reposts[1], reposts
    # and the watermark moves by the same clock: the newest repost's date on the wall, not its original's
    assert Source.objects.get(name="vk-reposts").state["newest"] == "2026-11-02T06:13:20+00:00"

    # Posts without words still date their page: a page of old photos ends the walk back (no second request).
    assert stats["vk-photos"]["ok"] and stats["vk-photos"]["new"] == 0
    photos = [url for url in web.fetched() if "domain=photos" in url]
    assert len(photos) == 1 and "offset=0" in photos[0], photos

    # A group's page is no channel: the reason quotes its title, which says what it is.
    assert not stats["tg-chat"]["ok"]
    (reason,) = QuarantinedItem.objects.filter(source__name="tg-chat").values_list("reason", flat=True)
    assert reason == "not a Telegram channel preview page (title 'Telegram: Contact @skoro_chat')"
