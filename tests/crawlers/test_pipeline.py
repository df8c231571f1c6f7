"""The store pipeline: every item ends stored or quarantined with a reason, whatever is wrong with it."""

from __future__ import annotations

import pytest

from crawlers.items import MentionItem
from crawlers.pipelines.store import _store
from store.models import Mention, QuarantinedItem, Source

pytestmark = pytest.mark.django_db
WHEN = "2026-11-20T10:00:00+03:00"


@pytest.fixture(autouse=True)
def source():
    Source.objects.create(name="app", kind="appstore")


def store1(it: MentionItem) -> str:
    (outcome,) = _store([it])
    return outcome


def item(external_id: str = "1", posted_at: str = WHEN, **kw) -> MentionItem:
    return MentionItem(source="app", external_id=external_id, text=kw.pop("text", "Курьер опоздал на три часа"),
                       posted_at=posted_at, **kw)


def test_an_item_the_database_cannot_take_is_quarantined_not_lost():
    # A rating no spider would yield (they parse it), but the pipeline must not drop what it cannot store.
    assert store1(item(rating="five")) == "quarantined"
    q = QuarantinedItem.objects.get()
    assert q.reason.startswith("unstorable item '1': ValueError") and "five" in q.payload
    assert not Mention.objects.exists()


def test_invalid_items_are_quarantined_with_their_reason():
    assert store1(item(external_id="")) == "quarantined"
    assert store1(item(external_id="2", posted_at="0001-01-01T00:00:00+03:00")) == "quarantined"
    assert store1(item(external_id="9" * 300)) == "quarantined"
    reasons = QuarantinedItem.objects.values_list("reason", flat=True)
    assert sorted(r.split(": ", 1)[1] for r in reasons) == [
        "date out of range: 0001-01-01T00:00:00+03:00", "external id longer than 255 characters (300)",
        "missing external id"]


def test_hostile_characters_are_stored_clean():
    assert store1(item(external_id="3\x00", author="a\x00\ud800b", raw={"k\x00": ["v\x00\udfff"]},
                       text="Текст\u202e с подменой\x00 направления \ud800")) == "new"
    m = Mention.objects.get()
    assert (m.external_id, m.author, m.raw, m.text) == ("3", "ab", {"k": ["v"]}, "Текст с подменой направления")


def test_a_future_date_is_stored_as_now_and_the_claim_kept():
    assert store1(item(posted_at="2999-01-01T00:00:00+00:00")) == "new"
    m = Mention.objects.get()
    assert m.raw["claimed_posted_at"] == "2999-01-01T00:00:00+00:00" and m.posted_at.year < 2999


def test_one_hostile_item_in_a_batch_is_quarantined_and_the_rest_stored():
    batch = [item("1"), item("2", rating="five"), item("3", text="Посылку потеряли"), item("", text="без id")]
    assert _store(batch) == ["new", "quarantined", "new", "quarantined"]
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["1", "3"]
    assert QuarantinedItem.objects.count() == 2
