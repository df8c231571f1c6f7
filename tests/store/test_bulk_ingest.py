"""ingest_many stores what ingest() item by item stores: repeats, copies, swaps of the original, invalid items."""

import random
from datetime import datetime, timedelta, timezone

import pytest

from search.models import IndexOutbox
from store import minhash
from store.models import Mention, MentionBand, Source
from store.services import neardup
from store.services.bulk_ingest import _Batch, ingest_many
from store.services.ingest import IngestResult, InvalidItem, MentionInput, ingest

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
WORDS = ("курьер опоздал посылка заказ склад коробка разбил вернул деньги поддержка приложение трек "
         "пункт выдачи очередь сроки неделя задержка упаковка телефон куртка ботинки вежливый грубый").split()


@pytest.fixture(autouse=True)
def sources():
    for name, kind in (("tg", "telegram"), ("vk", "vk"), ("vk-search", "vk"), ("otz", "review_site")):
        Source.objects.create(name=name, kind=kind)


def stream(n: int, seed: int = 7) -> list[MentionInput]:
    """A crawl-like stream: originals, near copies (some posted earlier than their original), repeats,
    cross-posted VK ids, order numbers that tell apart otherwise equal texts, short phrases, invalid items."""
    rng = random.Random(seed)
    out, texts = [], []
    for i in range(n):
        src = rng.choice(("tg", "vk", "otz"))
        at = T0 + timedelta(minutes=rng.randrange(10_000))
        roll = rng.random()
        if texts and roll < 0.2:
            words = rng.choice(texts).split()
            words[rng.randrange(len(words))] += "!!!"
            text = " ".join(words)
        elif texts and roll < 0.25:
            text = rng.choice(texts) + f" заказ {rng.randrange(10**7, 10**8)}"
        elif roll < 0.28:
            text = "спасибо!"
        else:
            text = " ".join(rng.choices(WORDS, k=rng.randint(8, 20)))
            texts.append(text)
        ext = str(i)
        if out and rng.random() < 0.08:  # the same item again (a rerun, an overlapping page)
            prev = rng.choice(out)
            src, ext, text, at = prev.source, prev.external_id, prev.text, prev.posted_at
        elif src == "vk" and rng.random() < 0.1:
            src = "vk-search"
        out.append(MentionInput(source=src, external_id=ext, text=text, posted_at=at, author=f"u{i}"))
    out[5] = MentionInput(source="tg", external_id="", text="нет id", posted_at=T0)
    out[9] = MentionInput(source="nowhere", external_id="x", text="неизвестный источник", posted_at=T0)
    out[13] = MentionInput(source="tg", external_id="e", text="   ", posted_at=T0)
    return out


def copy(items):
    return [MentionInput(**vars(i)) for i in items]


def outcome(r):
    return ("invalid", str(r)) if isinstance(r, InvalidItem) else (r[0], r[1].source.name, r[1].external_id)


def per_item(items):
    results = []
    for it in items:
        try:
            results.append(outcome(ingest(it)))
        except InvalidItem as exc:
            results.append(outcome(exc))
    return results


def snapshot():
    key = {m.id: (m.source.name, m.external_id) for m in Mention.objects.select_related("source")}
    mentions = {
        (m.source.name, m.external_id, m.text, m.content_hash, m.author, m.posted_at,
         key.get(m.duplicate_of_id))
        for m in Mention.objects.select_related("source")
    }
    bands = {(key[b.mention_id], b.key) for b in MentionBand.objects.all()}
    queued = {key[i] for i in IndexOutbox.objects.values_list("mention_id", flat=True)}
    return mentions, bands, queued


def reset():
    MentionBand.objects.all().delete()
    Mention.objects.update(duplicate_of=None)
    Mention.objects.all().delete()
    IndexOutbox.objects.all().delete()  # after the deletes, which queue index deletions


@pytest.mark.parametrize("batch", [1, 7, 50, 400])
def test_bulk_path_stores_what_the_per_item_path_stores(batch):
    check_bulk_matches_per_item(batch)


@pytest.mark.parametrize("position", [0, 19, 20, 44])
def test_both_paths_check_every_candidate_tied_at_the_cut(position):
    """45 stored originals share one band key with a new text; only one of them (at `position` in id order) is its
    near copy. The per-item lookup keeps the whole tie; the bulk lookup once cut it at MAX_CANDIDATES."""
    src = Source.objects.get(name="tg")
    text = "Курьер опоздал на три часа, коробка мятая, в поддержке никто не ответил, заказ 40012345"
    stored = []
    for i in range(45):
        body = text if i == position else " ".join(WORDS[(i + j) % len(WORDS)] for j in range(12))
        stored.append(
            Mention.objects.create(source=src, external_id=str(i), text=body, posted_at=T0, content_hash=str(i)))
    MentionBand.objects.bulk_create([MentionBand(key=7, mention=m) for m in stored])
    fp = minhash.fingerprint(text + " и ещё")
    fp = minhash.Fingerprint(fp.length, fp.shingles, fp.numbers, bands=(7,))
    assert neardup.find_original(fp) == stored[position]
    batch = _Batch([], {"tg": src}, {0: fp})
    assert batch.find_original(fp) == stored[position]


def check_bulk_matches_per_item(batch: int, items: list[MentionInput] | None = None) -> None:
    """Store items one by one, then again in batches of `batch`: the outcomes and the stored rows must agree."""
    wanted = {IngestResult.NEW, IngestResult.NEAR_DUPLICATE} | ({IngestResult.REPEAT, "invalid"} if items is None
                                                                else set())
    items = stream(400) if items is None else items
    expected_outcomes = per_item(copy(items))
    expected = snapshot()
    assert {o[0] for o in expected_outcomes} >= wanted
    reset()
    got = []
    todo = copy(items)
    for i in range(0, len(todo), batch):
        got.extend(outcome(r) for r in ingest_many(todo[i : i + batch]))
    assert got == expected_outcomes
    assert snapshot() == expected


def test_an_earlier_copy_in_a_later_batch_takes_over_as_original():
    text = "Курьер опоздал на три часа и даже не позвонил, заказ 40012345"
    ingest_many([MentionInput("vk", "1_2", text, T0 + timedelta(days=1))])
    [(result, tg)] = ingest_many([MentionInput("tg", "chat/5", text + "!!!", T0)])
    assert result is IngestResult.NEAR_DUPLICATE
    assert Mention.objects.get(external_id="1_2").duplicate_of == tg and Mention.objects.originals().get() == tg


def test_a_rerun_of_the_same_batch_writes_nothing():
    items = stream(100, seed=3)
    ingest_many(copy(items))
    before = snapshot()
    again = ingest_many(copy(items))
    assert all(isinstance(r, InvalidItem) or r[0] is IngestResult.REPEAT for r in again)
    assert snapshot() == before
