"""VK comments under a community's own posts (`comments: true`), in the shape of real wall.getComments answers
saved by others (named in docs/crawlers.md): newest first, each comment with its thread's first replies, a
community's reply with a negative from_id, a comment of only a photo. Read again only when a post's count moves."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crawlers.fakeweb import FakeWeb, Post
from crawlers.fakeweb.channels import VkApi
from store.models import Mention, Source
from tests.crawlers.local import crawl_once, load_sources

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
COMMENTS = "https://api.vk.com/method/wall.getComments"


@pytest.fixture
def vk(shared_db, tmp_path):
    web = FakeWeb()
    api = VkApi(web)  # the community -100
    api.wall("skoro").extend([Post(1, "Мы открыли новый пункт выдачи на Ленина, 5", T0),
                              Post(2, "График работы в праздники", T0 + H)])
    api.comments_of(1).extend([
        Post(11, "Третью неделю жду посылку 40012345, трек не двигается", T0 + 2 * H),
        Post(12, "Напишите номер заказа в личные сообщения", T0 + 3 * H, extra={"from_id": -100}),  # the company
        Post(13, "", T0 + 3 * H, extra={"attachments": [{"type": "sticker", "sticker": {"sticker_id": 1}}]}),
        Post(14, "А пункт на Мира закрыли насовсем?", T0 + 4 * H,
             extra={"replies": [Post(15, "[id2014|Ольга], нет, на ремонт до декабря", T0 + 5 * H)]}),
    ])
    load_sources(tmp_path, [{"name": "vk", "kind": "vk", "domain": "skoro", "comments": True,
                             "base_url": f"{web.url}/api.vk.com"}])
    with web:
        yield web, api


def test_comments_join_their_posts_conversation_and_skip_the_companys_own_replies(vk):
    web, api = vk
    stats = crawl_once(web)["vk"]
    assert stats["ok"] and stats["new"] == 5  # two posts, three comments
    assert "1 without words skipped" in Source.objects.get(name="vk").last_status  # the sticker
    complaint = Mention.objects.get(external_id="-100_1_11")
    assert complaint.text == "Третью неделю жду посылку 40012345, трек не двигается"
    assert complaint.conversation_key == "vk:-100_1" and complaint.raw["reply_to_post"] == "-100_1"
    assert complaint.url == "https://vk.com/wall-100_1?reply=11" and complaint.posted_at == T0 + 2 * H
    reply = Mention.objects.get(external_id="-100_1_15")
    assert reply.raw["reply_to_comment"] == 14 and reply.url == "https://vk.com/wall-100_1?reply=15&thread=14"
    assert not Mention.objects.filter(external_id="-100_1_12").exists()  # the community answering is not feedback
    state = Source.objects.get(name="vk").state
    # Comments never move the wall's watermark (their dates are no page's), and each post's count is kept.
    assert state["newest"] == (T0 + H).isoformat() and state["newest_id"] == "-100_2"
    assert state["comments"] == {"-100_1": {"count": 5, "newest": (T0 + 5 * H).isoformat()}}
    assert len(web.fetched(COMMENTS)) == 1  # post 2 has no comments: not asked


def test_comments_are_read_again_only_when_a_posts_count_moves(vk):
    web, api = vk
    crawl_once(web)
    again = crawl_once(web)["vk"]
    assert again["ok"] and again["new"] == 0 and len(web.fetched(COMMENTS)) == 1
    api.comments_of(1).append(Post(16, "Посылку так и не привезли, верните деньги", T0 + 6 * H))
    api.errors["comments:1"] = [VkApi.error(5, "User authorization failed")]
    failed = crawl_once(web)["vk"]  # a failed page of comments fails the run and keeps the state
    assert not failed["ok"] and Source.objects.get(name="vk").state["comments"]["-100_1"]["count"] == 5
    assert not Mention.objects.filter(external_id="-100_1_16").exists()
    after = crawl_once(web)["vk"]
    assert after["ok"] and after["new"] == 1 and Mention.objects.filter(external_id="-100_1_16").exists()
    assert Source.objects.get(name="vk").state["comments"]["-100_1"]["count"] == 6
    # One post's comments closed to the token: quarantined, the rest of the run goes on.
    api.comments_of(1).append(Post(17, "Ответьте хоть кто-нибудь", T0 + 7 * H))
    api.wall("skoro").append(Post(3, "Новый тариф", T0 + 8 * H))
    api.errors["comments:1"] = [VkApi.error(212, "Access to post comments denied")]
    closed = crawl_once(web)["vk"]
    assert closed["ok"] and closed["new"] == 1 and closed["quarantined"] == 1  # post 3 stored
    assert Source.objects.get(name="vk").state["newest_id"] == "-100_3"


def test_a_long_comment_section_is_read_page_by_page_down_to_known_comments(vk):
    web, api = vk
    api.comments_of(2).extend(Post(100 + i, f"Комментарий номер {i} о сроках доставки в праздники", T0 + i * H / 10)
                              for i in range(150))
    first = crawl_once(web)["vk"]
    assert first["new"] + first["near_duplicate"] == 2 + 3 + 150  # the numbered comments are near copies
    assert len([u for u in web.fetched(COMMENTS) if "post_id=2" in u]) == 2  # offsets 0 and 100
    api.comments_of(2).append(Post(300, "Когда откроется пункт на Мира?", T0 + 20 * H))
    assert crawl_once(web)["vk"]["new"] == 1
    assert len([u for u in web.fetched(COMMENTS) if "post_id=2" in u]) == 3  # one page: it reached known ones


def test_comments_need_a_wall(shared_db, tmp_path):
    from crawlers.sources import SourceConfigError, sync_sources

    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - {name: s, kind: vk, mode: search, q: доставка, comments: true}\n", encoding="utf-8")
    with pytest.raises(SourceConfigError, match="comments: true needs mode wall"):
        sync_sources(path)
    path.write_text("sources:\n  - {name: s, kind: vk, domain: skoro, comments: 'yes'}\n", encoding="utf-8")
    with pytest.raises(SourceConfigError, match="must be true or false"):
        sync_sources(path)


def test_turning_comments_on_reads_no_history_and_long_threads_are_read_whole(vk, tmp_path):
    web, api = vk
    load_sources(tmp_path, [{"name": "vk", "kind": "vk", "domain": "skoro", "base_url": f"{web.url}/api.vk.com"}])
    api.wall("skoro").append(Post(2000, "Итоги месяца", T0 + 20 * H))
    crawl_once(web)  # comments off: the wall is known up to T0 + 20 h, after post 1's comments
    api.wall("skoro").append(Post(3, "Акция: доставка бесплатно", T0 + 30 * H))
    long = [Post(400 + i, f"Ответ {i}: у меня тоже не пришло, заказ 4001{i:04d}", T0 + (31 + i) * H) for i in range(14)]
    api.comments_of(3).append(Post(40, "Когда будет акция в Казани?", T0 + 31 * H, extra={"replies": long}))
    load_sources(tmp_path, [{"name": "vk", "kind": "vk", "domain": "skoro", "comments": True,
                             "base_url": f"{web.url}/api.vk.com"}])
    stats = crawl_once(web)["vk"]
    # Post 1's comments are older than the wall's watermark: not imported; post 3's all are, with the
    # 14 replies of comment 40, 10 of them in its thread's preview and the rest from the thread read on its own.
    assert not Mention.objects.filter(external_id__startswith="-100_1_").exists()
    assert Mention.objects.filter(external_id__startswith="-100_3_").count() == 15, stats
    assert any("comment_id=40" in u for u in web.fetched(COMMENTS))
    assert Source.objects.get(name="vk").state["comments"]["-100_3"]["threads"] == {"40": 14}


def test_odd_comment_fields_lose_nothing_else(vk):
    web, api = vk
    api.comments_of(2).extend([
        Post(50, "Нормальный комментарий о доставке в праздники", T0 + 2 * H),
        Post(51, "Стек родителей не список", T0 + 3 * H, extra={"parents_stack": {"0": 1}, "thread": [1]}),
        Post(52, "", T0 + 4 * H, extra={"deleted": True}),
    ])
    stats = crawl_once(web)["vk"]
    assert stats["ok"] and Mention.objects.filter(external_id__in=["-100_2_50", "-100_2_51"]).count() == 2
    assert Mention.objects.get(external_id="-100_2_51").url == "https://vk.com/wall-100_2?reply=51"


def test_the_state_keeps_the_latest_posts_counts():
    from crawlers.spiders.vk import VkSpider
    from crawlers.spiders.vk_comments import MAX_COMMENTED_POSTS

    old = {f"-100_{i}": {"count": 1} for i in range(1, 601)}
    spider = VkSpider(source="vk", config={"domain": "skoro", "comments": True}, state={"comments": old})
    spider._comments_seen = {"-100_700": {"count": 2}, "-100_5": {"count": 3}}
    kept = spider.new_state["comments"]
    # The posts walked now (a pinned old one too), then the latest others by id.
    assert len(kept) == MAX_COMMENTED_POSTS and kept["-100_700"] == {"count": 2} and kept["-100_5"] == {"count": 3}
    assert "-100_600" in kept and "-100_103" in kept and "-100_102" not in kept


def test_an_unreadable_state_entry_is_read_as_unknown():
    from crawlers.spiders.vk import VkSpider

    spider = VkSpider(source="vk", config={"domain": "skoro", "comments": True},
                      state={"comments": {"-100_9": 5, "-100_8": {"count": 2, "threads": [1], "newest": 7}}})
    assert spider.known_post("-100_9") is None
    assert spider.known_post("-100_8") == {"count": 2, "newest": None, "threads": {}}
    spider._comments_seen = {"-100_10": {"count": 1}}
    assert set(spider.new_state["comments"]) == {"-100_8", "-100_10"}


def test_a_new_reply_deep_in_a_thread_is_read_and_one_out_of_reach_is_announced(vk):
    web, api = vk
    long = [Post(400 + i, f"Ответ {i}: у меня тоже не пришло, заказ 4001{i:04d}", T0 + 5 * H + i * H / 10)
            for i in range(12)]
    api.comments_of(2).append(Post(40, "Когда будет акция в Казани?", T0 + 4 * H, extra={"replies": long}))
    api.comments_of(2).extend(Post(100 + i, f"Комментарий {i}: жду заказ 4002{i:04d} уже неделю", T0 + i * H / 100)
                              for i in range(150))
    crawl_once(web)
    long.append(Post(499, "Новый ответ в длинной ветке, посылка 40019999 потерялась", T0 + 30 * H))
    assert crawl_once(web)["vk"]["new"] == 1  # the thread, read on its own since its count moved
    assert "counted but not found" not in Source.objects.get(name="vk").last_status
    # A reply under a comment two pages down is not reached: the run says so instead of keeping quiet.
    api.comments_of(2)[1].extra["replies"] = [Post(999, "Под старым комментарием: заказ 40077777", T0 + 40 * H)]
    assert crawl_once(web)["vk"]["ok"]
    assert "post -100_2: 1 new comment(s) counted but not found" in Source.objects.get(name="vk").last_status


def test_comments_closed_for_a_run_are_asked_for_again(vk):
    web, api = vk
    crawl_once(web)
    api.comments_of(1).append(Post(17, "Ответьте хоть кто-нибудь про заказ 40012345", T0 + 7 * H))
    api.errors["comments:1"] = [VkApi.error(212, "Access to post comments denied")]
    assert crawl_once(web)["vk"]["ok"]
    assert crawl_once(web)["vk"]["new"] == 1 and Mention.objects.filter(external_id="-100_1_17").exists()


def test_a_backfilled_post_keeps_comments_from_its_chains_floor(shared_db, tmp_path):
    web = FakeWeb()
    api = VkApi(web)
    api.wall("skoro").extend(Post(i, f"Пост {i} о доставке и пунктах выдачи", T0 + i * 10 * H) for i in range(1, 7))
    api.comments_of(3).append(Post(33, "Под постом три: заказ 40055555 не пришёл", T0 + 35 * H))
    load_sources(tmp_path, [{"name": "vk", "kind": "vk", "domain": "skoro", "comments": True, "count": 2,
                             "max_pages": 1, "since": "2026-11-01", "base_url": f"{web.url}/api.vk.com"}])
    with web:
        for _ in range(3):  # the newest two posts, then the resume chain walks back two at a time
            crawl_once(web)
    assert Mention.objects.filter(external_id="-100_3").exists()
    assert Mention.objects.filter(external_id="-100_3_33").exists()  # written before post 6, the head's watermark
