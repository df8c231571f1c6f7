"""One behavioural suite, run against every available backend: hits, filters, aggregations, reindex, outbox."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from search.models import IndexOutbox
from search.query import Query
from search.services.search import aggregate, search
from search.services.sync import rebuild, sync

MSK = ZoneInfo("Europe/Moscow")


def found(backend, dataset, **kw) -> set[int]:
    page = search(Query(**kw), per_page=100, backend=backend)
    assert page.total == len(page.hits)
    return dataset.nums(h.mention_id for h in page.hits)


# -- full text ---------------------------------------------------------------------------------------------------

def test_word_forms_match(backend, indexed):
    # «посылки» finds «Посылка», «посылка», «посылку», «посылки»; #9 is a duplicate of #1.
    assert found(backend, indexed, text="посылки") == {1, 2, 4, 5}
    assert found(backend, indexed, text="курьер") == {1, 3, 4}


def test_all_words_must_match(backend, indexed):
    assert found(backend, indexed, text="посылка курьер") == {1, 4}
    assert found(backend, indexed, text="посылка адрес") == set()


def test_yo_folds_to_e(backend, indexed):
    assert found(backend, indexed, text="елочная") == {7}
    assert found(backend, indexed, text="привез") == {4}


def test_phrase_and_exclusion(backend, indexed):
    assert found(backend, indexed, text='"курьер нахамил"') == {3}
    assert found(backend, indexed, text='"нахамил курьер"') == set()
    assert found(backend, indexed, text="посылка -трек") == {1, 4, 5}


def test_snippets_mark_matches_and_escape_text(backend, indexed):
    page = search(Query(text="посылки"), backend=backend)
    by_num = {indexed.nums([h.mention_id]).pop(): h for h in page.hits}
    assert "<mark>Посылка</mark>" in by_num[1].snippet
    assert "<mark>посылку</mark>" in by_num[4].snippet


def test_hostile_text_is_escaped_in_snippets(backend, dataset):
    from store.models import Mention, Source
    from store.text import content_hash

    text = 'Посылка <script>alert("x")</script> <img src=x onerror=alert(1)>'
    m = Mention.objects.create(source=Source.objects.get(name="tg"), external_id="xss", text=text,
                               posted_at=datetime(2026, 11, 23, tzinfo=timezone.utc), content_hash=content_hash(text))
    sync(backend)
    backend.refresh()
    hit = next(h for h in search(Query(text="посылка"), backend=backend).hits if h.mention_id == m.pk)
    assert "<script" not in hit.snippet and "<img" not in hit.snippet
    assert "&lt;/script&gt;" in hit.snippet
    assert "<mark>Посылка</mark>" in hit.snippet and "alert" in hit.snippet


def test_hits_carry_document_fields(backend, indexed):
    (hit,) = search(Query(text="нахамил"), backend=backend).hits
    assert indexed.nums([hit.mention_id]) == {3}
    assert (hit.source, hit.channel, hit.sentiment, hit.topics) == ("vk", "vk", "negative", ["courier_behaviour"])
    assert hit.ticket_state == "closed" and hit.ticket_id is not None
    assert hit.url == "https://example.test/3"
    assert hit.posted_at == datetime(2026, 11, 20, 15, tzinfo=timezone.utc)


def test_without_text_newest_first_and_pages(backend, indexed):
    first = search(Query(), page=1, per_page=4, backend=backend)
    second = search(Query(), page=2, per_page=4, backend=backend)
    # 9 originals (#9 is a duplicate); newest first.
    assert first.total == 9 and first.pages == 3
    assert [indexed.nums([h.mention_id]).pop() for h in first.hits] == [10, 8, 7, 6]
    assert [indexed.nums([h.mention_id]).pop() for h in second.hits] == [5, 4, 3, 2]


# -- filters -----------------------------------------------------------------------------------------------------

def test_filters(backend, indexed):
    assert found(backend, indexed, sources=["vk"]) == {3, 4, 8}
    assert found(backend, indexed, channels=["appstore"]) == {5, 6, 10}
    assert found(backend, indexed, topics=["tracking"]) == {2, 5}
    assert found(backend, indexed, topics=["other"]) == {8}
    assert found(backend, indexed, sentiments=["positive"]) == {4, 8}
    assert found(backend, indexed, ticket_states=["new"]) == {1, 5, 6, 7}
    assert found(backend, indexed, classified=False) == {10}
    assert found(backend, indexed, text="посылки", channels=["telegram"]) == {1, 2}
    assert found(backend, indexed, text="посылки", topics=["tracking"], sentiments=["negative"]) == {2, 5}


def test_date_range_is_half_open(backend, indexed):
    start = datetime(2026, 11, 21, tzinfo=MSK)  # 2026-11-20 21:00 UTC: #4 (22:30 UTC) is inside
    end = datetime(2026, 11, 22, tzinfo=MSK)
    assert found(backend, indexed, date_from=start, date_to=end) == {4, 5, 6, 7}
    assert found(backend, indexed, date_to=datetime(2026, 11, 20, 12, tzinfo=timezone.utc)) == {1}


def test_duplicates_only_on_request(backend, indexed):
    assert found(backend, indexed, text="задерживается") == {1}
    assert found(backend, indexed, text="задерживается", include_duplicates=True) == {1, 9}


# -- aggregations (hand-computed from conftest.ROWS) -------------------------------------------------------------

def test_aggregates_for_reports(backend, indexed):
    agg = aggregate(Query(classified=True), tz=MSK, backend=backend)
    assert agg.total == 8
    assert agg.sentiment == {"negative": 5, "positive": 2, "neutral": 1}
    assert agg.sentiment_shares() == {"negative": 5 / 8, "positive": 2 / 8, "neutral": 1 / 8}
    assert agg.channel == {"telegram": 3, "vk": 3, "appstore": 2}
    assert agg.source == {"tg": 3, "vk": 3, "app": 2}
    assert agg.topic == {"delivery_delay": 1, "tracking": 2, "lost_item": 1, "courier_behaviour": 1, "praise": 1,
                         "address_change": 1, "damaged_packaging": 1, "other": 1}
    d20, d21, d22 = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)
    # Moscow days: #4 was posted at 22:30 UTC, which is 01:30 on the 21st.
    assert agg.volume_by_day == {d20: 3, d21: 4, d22: 1}
    assert agg.topic_by_day["tracking"] == {d20: 1, d21: 1}
    assert agg.topic_by_day["praise"] == {d21: 1}
    assert agg.topic_by_day["other"] == {d22: 1}
    assert agg.sentiment_by_topic["tracking"] == {"negative": 2}
    assert agg.sentiment_by_topic["other"] == {"positive": 1}


def test_aggregates_follow_time_zone_and_filters(backend, indexed):
    utc = aggregate(Query(classified=True), tz=timezone.utc, backend=backend)
    assert utc.volume_by_day == {date(2026, 11, 20): 4, date(2026, 11, 21): 3, date(2026, 11, 22): 1}
    only = aggregate(Query(classified=True, topics=["tracking", "lost_item"]), tz=MSK, backend=backend)
    assert only.total == 2
    assert only.topic == {"tracking": 2, "lost_item": 1}
    assert only.sentiment == {"negative": 2}
    text = aggregate(Query(text="посылки"), tz=MSK, backend=backend)
    assert text.total == 4 and text.channel == {"telegram": 1 + 1, "vk": 1, "appstore": 1}
    everything = aggregate(Query(include_duplicates=True), tz=MSK, backend=backend)
    assert everything.total == 10 and everything.sentiment["negative"] == 6


# -- reindex -----------------------------------------------------------------------------------------------------

def test_rebuild_indexes_everything_and_drops_stale(backend, dataset):
    from search.documents import build_documents

    ghost = build_documents([dataset.ids[3]])[dataset.ids[3]] | {"mention_id": 10**9}
    assert backend.apply([ghost], []).failed == {}
    IndexOutbox.objects.all().delete()  # pretend the outbox was lost: rebuild recovers from the database alone
    stats = rebuild(backend, batch_size=3)
    backend.refresh()
    assert stats.indexed == 10 and stats.failed == 0
    assert backend.count() == 10  # the ghost is gone
    assert found(backend, dataset, text="нахамил") == {3}
    assert aggregate(Query(classified=True), backend=backend).total == 8


def test_rebuild_keeps_changes_synced_meanwhile(backend, dataset):
    from search.documents import build_documents

    old = build_documents(dataset.ids.values())
    token = backend.begin_rebuild()
    fresh = old[dataset.ids[6]] | {"sentiment": "negative"}
    backend.apply([fresh], [])  # a sync during the rebuild writes the newer document
    backend.rebuild_batch(token, list(old.values()))  # the rebuild's older copy must not overwrite it
    backend.finish_rebuild(token)
    backend.refresh()
    assert found(backend, dataset, text="адрес", sentiments=["negative"]) == {6}
    assert backend.count() == 10


# -- outbox ------------------------------------------------------------------------------------------------------

class Outage:
    """The real backend behind a cluster that is down for the first `failures` batches."""

    def __init__(self, real, failures: int):
        self.real, self.failures = real, failures

    def apply(self, docs, delete_ids):
        from search.query import BackendUnavailable

        if self.failures:
            self.failures -= 1
            raise BackendUnavailable("connection refused")
        return self.real.apply(docs, delete_ids)


def test_outbox_survives_an_outage_and_drains_later(backend, dataset):
    from search.query import BackendUnavailable

    pending = IndexOutbox.objects.count()
    assert pending >= 10  # mention, classification and ticket rows
    with pytest.raises(BackendUnavailable):
        sync(Outage(backend, failures=1))
    assert IndexOutbox.objects.count() == pending
    assert backend.count() == 0
    stats = sync(backend, batch_size=4)
    backend.refresh()
    assert stats.pending == 0 and IndexOutbox.objects.count() == 0
    assert backend.count() == 10
    assert found(backend, dataset, text="посылки") == {1, 2, 4, 5}


def test_rejected_document_is_recorded_and_retried(backend, dataset, monkeypatch):
    import search.services.sync as sync_module

    bad_id = dataset.ids[3]
    real_build = sync_module.build_documents

    def build_with_bad_field(ids):
        docs = real_build(ids)
        if bad_id in docs:
            docs[bad_id]["not_in_the_mapping"] = "x"  # the index must refuse this document, and only this one
        return docs

    monkeypatch.setattr(sync_module, "build_documents", build_with_bad_field)
    stats = sync(backend)
    backend.refresh()
    assert stats.failed == 1 and set(stats.errors) == {bad_id}
    assert "not_in_the_mapping" in stats.errors[bad_id]
    rows = list(IndexOutbox.objects.all())
    assert rows and {r.mention_id for r in rows} == {bad_id}
    assert all(r.attempts == 1 and r.retry_at and "not_in_the_mapping" in r.last_error for r in rows)
    assert backend.count() == 9
    assert sync(backend).failed == 0 and IndexOutbox.objects.count() == len(rows)  # waiting for its backoff

    monkeypatch.setattr(sync_module, "build_documents", real_build)  # the bug is fixed
    stats = sync(backend, retry_failed=True)
    backend.refresh()
    assert stats.failed == 0 and IndexOutbox.objects.count() == 0
    assert found(backend, dataset, text="нахамил") == {3}


def test_changes_reach_the_index_through_the_outbox(backend, indexed):
    from responders.models import Ticket
    from store.models import Classification, Mention

    ticket = Ticket.objects.get(mention_id=indexed.ids[5])
    ticket.state = "closed"
    ticket.save()
    Classification.objects.create(mention_id=indexed.ids[10], model_name="human", model_version="human",
                                  sentiment="neutral", topics=["question"], primary_topic="question")
    deleted = indexed.ids[8]
    Mention.objects.filter(pk=deleted).delete()
    assert set(IndexOutbox.objects.values_list("mention_id", flat=True)) == {indexed.ids[5], indexed.ids[10], deleted}
    stats = sync(backend)
    backend.refresh()
    assert (stats.indexed, stats.deleted, stats.pending) == (2, 1, 0)
    assert found(backend, indexed, ticket_states=["closed"]) == {3, 5}
    assert found(backend, indexed, topics=["question"]) == {10}
    assert backend.count() == 9


def test_aggregates_agree_with_the_topic_report(backend, indexed):
    """The index and the report's own pass over the database count the same thing."""
    from reports.data import collect

    start, end = datetime(2026, 11, 20, tzinfo=MSK), datetime(2026, 11, 23, tzinfo=MSK)
    report = collect(start, end)
    agg = aggregate(Query(classified=True, date_from=start, date_to=end), tz=MSK, backend=backend)
    assert agg.total == report.total == 8
    assert agg.sentiment == report.sentiment
    assert agg.topic == dict(report.topic_totals())
    assert agg.topic_by_day == {t: dict(days) for t, days in report.volume.items()}
    assert agg.sentiment_by_topic == report.sentiment_by_topic
