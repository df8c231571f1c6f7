"""Threads end to end: the real spiders crawl Telegram, VK and a review site (crawlers.fakeweb, in the channels'
wire formats) twice; between the crawls moderators work the tickets and the customers answer: a Telegram reply
to the support's reply, a VK comment on the customer's post, an edited review. The second routing threads each
answer into its ticket instead of opening a new one."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from crawlers.fakeweb import FakeWeb, Post, ReviewSite, TelegramChannel, VkApi
from crawlers.runner import crawl
from crawlers.sources import crawl_specs, sync_sources
from responders.models import Ticket, TicketMessage, TicketState
from responders.services import workflow
from responders.services.routing import route_pending
from store.models import Classification, Mention

SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0}
SUPPORT = "СкороДоставка | Поддержка"
SOURCES = [
    {"name": "tg", "kind": "telegram", "channel": "skoro_chat"},
    {"name": "vk-wall", "kind": "vk", "domain": "skoro"},
    {"name": "vk-search", "kind": "vk", "mode": "search", "q": "скородоставка"},
    {"name": "otzovik", "kind": "review_site", "site": "otzovik", "start_url": "https://otzovik.com/reviews/skoro/"},
]


def classify_new() -> None:
    """Stand in for the classifier: every new mention is a negative delivery complaint."""
    for m in Mention.objects.filter(classifications__isnull=True):
        Classification.objects.create(mention=m, model_name="test", model_version="test-v1", sentiment="negative",
                                      topics=["delivery_delay"], primary_topic="delivery_delay")


def ticket_of(source: str, external_id: str) -> Ticket:
    return Ticket.objects.get(mention__source__name=source, mention__external_id=external_id)


@pytest.fixture
def web(shared_db, tmp_path):
    w = FakeWeb()
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": SOURCES}, allow_unicode=True), encoding="utf-8")
    sync_sources(path)
    with w:
        yield w


def test_answers_in_the_same_conversation_join_their_tickets(web, make_user):
    start = timezone.now().replace(microsecond=0) - timedelta(days=2)
    tg, vk = TelegramChannel(web, "skoro_chat"), VkApi(web)
    otz = ReviewSite(web, "https://otzovik.com/reviews/skoro/")
    tg.posts += [Post(101, "Курьер не привёз заказ 40012345, жду третий день", start, author="Ирина Волкова"),
                 Post(102, "Ирина, уточняем у службы доставки", start + timedelta(hours=1), author=SUPPORT,
                      extra={"reply_to": 101})]
    vk.wall("skoro").append(Post(7, "Посылку потеряли на сортировке, помогите", start, extra={"from_id": 501}))
    otz.posts.append(Post(9001, "Посылку потеряли, деньги не вернули", start, author="olga_k", rating=1, title="Плохо"))
    spec = {**SETTINGS, "OTKLIK_SNAPSHOT_URL": web.url}

    crawl(crawl_specs(), settings=spec)
    classify_new()
    first = route_pending()
    assert (first.opened, first.dismissed, first.attached) == (3, 1, 0)
    assert Mention.objects.get(external_id="skoro_chat/102").conversation_key == "tg:skoro_chat:101"

    anna = make_user("anna")
    chat = ticket_of("tg", "skoro_chat/101")
    workflow.reply(chat.pk, anna, "Ирина, заказ в пути, привезём завтра")
    workflow.wait_for_customer(chat.pk, anna)
    post = ticket_of("vk-wall", "-100_7")
    workflow.close(post.pk, anna, reason="передали на склад")

    # The customers answer: in the Telegram chain (to the support's reply), under the VK post, by editing the review.
    now = timezone.now().replace(microsecond=0)
    tg.posts += [Post(103, "Так и не привезли, курьер не звонил", now - timedelta(minutes=30), author="Ирина Волкова",
                      extra={"reply_to": 102}),
                 Post(104, "У меня та же история с доставкой", now - timedelta(minutes=20), author="Олег Петров",
                      extra={"reply_to": 102})]
    vk.search("скородоставка").append(Post(31, "Прошла неделя, посылку так и не нашли", now - timedelta(minutes=10),
                                           extra={"owner_id": -100, "from_id": 501, "post_type": "reply",
                                                  "reply_owner_id": -100, "reply_post_id": 7}))
    otz.posts[0].text = "Посылку потеряли, деньги вернули только через месяц"

    crawl(crawl_specs(), settings=spec)
    classify_new()
    second = route_pending()
    assert (second.opened, second.attached, second.reopened) == (1, 3, 1)

    chat.refresh_from_db()
    assert [m.external_id for m in chat.thread()] == ["skoro_chat/101", "skoro_chat/103"]
    assert (chat.state, chat.assignee) == (TicketState.CLAIMED, anna)  # waiting -> back to its holder
    assert ticket_of("tg", "skoro_chat/104").state == TicketState.NEW  # another author: a ticket of their own

    post.refresh_from_db()
    assert [m.external_id for m in post.thread()] == ["-100_7", "-100_7_31"]
    assert post.state == TicketState.NEW and post.closed_at is None  # reopened within the window

    review = ticket_of("otzovik", "9001")
    texts = [m.text for m in review.thread()]
    assert texts == ["Посылку потеряли, деньги не вернули", "Посылку потеряли, деньги вернули только через месяц"]
    assert review.events.filter(note="Клиент ответил: отзыв отредактирован").exists()

    # A third crawl and routing change nothing.
    crawl(crawl_specs(), settings=spec)
    classify_new()
    third = route_pending()
    assert (third.opened, third.attached) == (0, 0) and TicketMessage.objects.count() == 3
