from datetime import datetime, timezone

import pytest

from store.models import Mention, QuarantinedItem, Source
from store.services.ingest import IngestResult, InvalidItem, MentionInput, ingest, quarantine

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
LONG = "Курьер опоздал на три часа и даже не позвонил, заказ 40012345"


@pytest.fixture(autouse=True)
def sources():
    Source.objects.create(name="tg", kind="telegram")
    Source.objects.create(name="vk", kind="vk")


def item(source="tg", external_id="1", text=LONG, **kw):
    return MentionInput(source=source, external_id=external_id, text=text, posted_at=kw.pop("posted_at", T0), **kw)


def test_new_then_repeat():
    assert ingest(item())[0] is IngestResult.NEW
    assert ingest(item())[0] is IngestResult.REPEAT
    assert Mention.objects.count() == 1


def test_cross_post_is_linked_to_the_original():
    _, original = ingest(item())
    result, copy = ingest(item(source="vk", external_id="-1_5", text=LONG.upper() + "!!!"))
    assert result is IngestResult.NEAR_DUPLICATE
    assert copy.duplicate_of == original


def test_short_common_phrases_are_not_duplicates():
    ingest(item(text="Спасибо!"))
    result, m = ingest(item(source="vk", external_id="2", text="спасибо"))
    assert result is IngestResult.NEW and m.duplicate_of is None


def test_text_is_normalised_and_title_kept():
    _, m = ingest(item(text="  текст\u200b  отзыва  ", title="Заголовок"))
    assert m.text == "текст отзыва" and m.title == "Заголовок"


def test_title_only_review_is_stored():
    _, m = ingest(item(text="", title="Ужасно"))
    assert m.text == "Ужасно"


@pytest.mark.parametrize(
    "kw, reason",
    [
        ({"text": "   "}, "empty text"),
        ({"external_id": ""}, "missing external id"),
        ({"posted_at": None}, "missing or unparseable date"),
        ({"posted_at": datetime(2026, 11, 20)}, "naive datetime"),
    ],
)
def test_invalid_items_raise_with_reason(kw, reason):
    with pytest.raises(InvalidItem, match=reason):
        ingest(item(**kw))
    assert Mention.objects.count() == 0


def test_oversized_text_is_truncated_not_lost():
    _, m = ingest(item(text="а" * 50_000))
    assert len(m.text) == 20_000


def test_quarantine_records_each_failure_once():
    quarantine("tg", "https://t.me/s/x", "malformed JSON", "{oops")
    quarantine("tg", "https://t.me/s/x", "malformed JSON", "{oops")
    quarantine("tg", "https://t.me/s/x", "HTTP 500", "")
    assert QuarantinedItem.objects.count() == 2
    assert set(QuarantinedItem.objects.values_list("reason", flat=True)) == {"malformed JSON", "HTTP 500"}


def test_the_earliest_post_is_the_original_whatever_the_crawl_order():
    later = datetime(2026, 11, 21, tzinfo=timezone.utc)
    _, vk_copy = ingest(item(source="vk", external_id="1_2", posted_at=later))
    result, tg = ingest(item(source="tg", external_id="chat/5", posted_at=T0))
    assert result is IngestResult.NEAR_DUPLICATE
    vk_copy.refresh_from_db()
    assert tg.duplicate_of is None and vk_copy.duplicate_of == tg
    assert list(Mention.objects.originals()) == [tg]


def test_the_same_vk_post_from_two_vk_sources_is_one_mention():
    Source.objects.create(name="vk-search", kind="vk")
    ingest(item(source="vk", external_id="-1_7"))
    result, m = ingest(item(source="vk-search", external_id="-1_7"))
    assert result is IngestResult.REPEAT and m.source.name == "vk"
    assert Mention.objects.count() == 1
