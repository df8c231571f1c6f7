"""Conversation keys at ingest: per channel, Telegram reply chains in any crawl order, edited reviews as versions,
the same through the batch path and the backfill of the migration."""

from datetime import datetime, timedelta, timezone

import pytest

from store.models import Mention, Source
from store.services.bulk_ingest import ingest_many
from store.services.ingest import IngestResult, MentionInput, ingest
from store.threads import conversation_key

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def sources():
    Source.objects.create(name="tg", kind="telegram", config={"channel": "chat"})
    Source.objects.create(name="vk", kind="vk", config={"domain": "skoro"})
    Source.objects.create(name="otz", kind="review_site", config={"site": "otzovik"})
    Source.objects.create(name="app", kind="appstore", config={"app_id": "1585000001"})
    Source.objects.create(name="news", kind="rss")


def item(source, external_id, text, minutes=0, **kw):
    return MentionInput(source=source, external_id=external_id, text=text,
                        posted_at=T0 + timedelta(minutes=minutes), **kw)


def key(source, external_id):
    return Mention.objects.get(source__name=source, external_id=external_id).conversation_key


def test_keys_per_channel():
    assert conversation_key("vk", "vk", {}, "-100_5", "Ира", {}) == "vk:-100_5"
    assert conversation_key("vk", "vk", {}, "-100_9", "Ира", {"reply_to_post": "-100_5"}) == "vk:-100_5"
    assert conversation_key("telegram", "tg", {}, "chat/7", "Ира", {"reply_to": "chat/3"}) == "tg:chat:3"
    assert conversation_key("review_site", "otz", {"site": "otzovik"}, "123", "Ира", {}) == "review:otzovik:123"
    assert conversation_key("appstore", "app", {"app_id": "42"}, "9", " Ира ", {}) == "appstore:42:Ира"
    assert conversation_key("appstore", "app", {"app_id": "42"}, "9", "", {}) == ""
    assert conversation_key("appstore", "app", {"app_id": "42"}, "9", "Ира", {"author_id": "113"}) == "appstore:42:113"
    assert conversation_key("rss", "news", {}, "https://x/1", "", {}) == ""


def test_telegram_chain_shares_its_first_message_key_whatever_the_crawl_order():
    # The customer's follow-up (answering the support reply) is stored first, as a newer page is crawled first.
    ingest(item("tg", "chat/12", "А когда всё-таки привезут мой заказ?", 30, author="Ира", raw={"reply_to": "chat/11"}))
    assert key("tg", "chat/12") == "tg:chat:11"
    ingest(item("tg", "chat/11", "Ирина, заказ в пути, приедет завтра", 20, author="Поддержка", raw={"reply_to": "chat/10"}))
    ingest(item("tg", "chat/10", "Где мой заказ 40012345? Жду неделю", 0, author="Ира"))
    ingest(item("tg", "chat/13", "Спасибо за доставку, всё пришло вовремя", 40, author="Олег"))
    assert {key("tg", f"chat/{i}") for i in (10, 11, 12)} == {"tg:chat:10"}
    assert key("tg", "chat/13") == "tg:chat:13"


def test_telegram_chain_in_one_batch():
    results = ingest_many([
        item("tg", "chat/22", "Так где же курьер, уже вечер", 30, author="Ира", raw={"reply_to": "chat/21"}),
        item("tg", "chat/20", "Курьер не приехал в назначенное время", 0, author="Ира"),
        item("tg", "chat/21", "Уточняем у службы доставки, подождите", 10, author="Поддержка", raw={"reply_to": "chat/20"}),
    ])
    assert [r[0] for r in results] == [IngestResult.NEW] * 3
    assert {key("tg", f"chat/{i}") for i in (20, 21, 22)} == {"tg:chat:20"}


def test_vk_comment_keyed_by_its_post():
    ingest(item("vk", "-100_5", "Пост про задержки доставки в снегопад", author="Ира"))
    ingest(item("vk", "-100_9", "У меня тоже задержали посылку на три дня", 5, author="Олег",
                raw={"reply_to_post": "-100_5"}))
    assert key("vk", "-100_9") == key("vk", "-100_5") == "vk:-100_5"


@pytest.mark.parametrize("batch", [False, True])
def test_edited_review_is_a_new_version_in_the_same_conversation(batch):
    store = (lambda it: ingest_many([it])[0]) if batch else ingest
    first = item("otz", "777", "Посылку потеряли, верните деньги за заказ", author="Ира", rating=1)
    result, v1 = store(first)
    assert result is IngestResult.NEW
    assert store(item("otz", "777", "Посылку потеряли, верните деньги за заказ", author="Ира", rating=1))[0] \
        is IngestResult.REPEAT
    result, v2 = store(item("otz", "777", "Деньги вернули через неделю, спасибо поддержке", author="Ира", rating=4))
    assert result is IngestResult.NEAR_DUPLICATE
    assert v2.external_id.startswith("777#edit-") and v2.duplicate_of_id == v1.pk
    assert v2.conversation_key == v1.conversation_key == "review:otzovik:777"
    assert v2.raw["edit_of"] == "777" and v2.posted_at > v1.posted_at and v2.rating == 4
    # The same edited words again, and the first words again, are repeats.
    again = item("otz", "777", "Деньги вернули через неделю, спасибо поддержке", author="Ира", rating=4)
    assert store(again)[0] is IngestResult.REPEAT
    assert store(item("otz", "777", "Посылку потеряли, верните деньги за заказ", author="Ира"))[0] is IngestResult.REPEAT
    assert Mention.objects.filter(source__name="otz").count() == 2


@pytest.mark.parametrize("batch", [False, True])
def test_a_listings_cut_preview_is_no_edit_of_the_words_it_begins(batch):
    store = (lambda it: ingest_many([it])[0]) if batch else ingest
    whole = "Посылку ждал три недели, трек не обновлялся.\n\nВернули деньги только после претензии."
    preview = {"preview": True, "preview_words": "Посылку ждал три недели, трек не"}
    assert store(item("otz", "1", whole, title="Долго"))[0] is IngestResult.NEW
    # The listing's preview of the stored whole text, on a later run: a repeat.
    assert store(item("otz", "1", "Посылку ждал три недели, трек не...", title="Долго", raw=preview))[0] \
        is IngestResult.REPEAT
    # A preview whose words begin no stored version is an edit (as before previews were told apart).
    edited = {"preview": True, "preview_words": "Посылку так и не привезли, деньги"}
    result, v2 = store(item("otz", "1", "Посылку так и не привезли, деньги...", title="Долго", raw=edited))
    assert result is IngestResult.NEAR_DUPLICATE and v2.raw["edit_of"] == "1" and v2.raw["preview"] is True
    # Stored as a preview (its page failed), read whole later: a version marked as the preview's whole text.
    cut = {"preview": True, "preview_words": "Банк хороший, рекомендую"}
    assert store(item("otz", "2", "Банк хороший, рекомендую...", raw=cut))[0] is IngestResult.NEW
    assert store(item("otz", "2", "Банк хороший, рекомендую...", raw=cut))[0] is IngestResult.REPEAT
    result, full = store(item("otz", "2", "Банк хороший, рекомендую всем, кто платит картой."))
    assert result is IngestResult.NEAR_DUPLICATE and full.raw["completes_preview"] is True
    assert full.raw["edit_of"] == "2"
    result, other = store(item("otz", "2", "Банк украл мои деньги."))  # not the preview's words: an edit
    assert result is IngestResult.NEAR_DUPLICATE and "completes_preview" not in other.raw


def test_other_channels_do_not_version_edits():
    ingest(item("tg", "chat/1", "Курьер опоздал на три часа", author="Ира"))
    assert ingest(item("tg", "chat/1", "Курьер опоздал на четыре часа", author="Ира"))[0] is IngestResult.REPEAT
    assert Mention.objects.count() == 1


def test_migration_backfill_keys_stored_rows():
    from importlib import import_module

    from django.apps import apps

    ingest(item("otz", "5", "Отзыв о доставке: всё плохо", author="Ира"))
    ingest(item("app", "9", "Приложение падает при оплате", author="Ира"))
    Mention.objects.update(conversation_key="")
    import_module("store.migrations.0005_mention_conversation_key").backfill(apps, None)
    assert key("otz", "5") == "review:otzovik:5" and key("app", "9") == "appstore:1585000001:Ира"
