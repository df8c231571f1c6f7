"""The outbox is written in the changing transaction and drained after commit; an unreachable cluster loses nothing."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import transaction

from search.models import IndexOutbox
from search.query import BackendUnavailable, Query
from search.services.sync import backoff, sync
from tests import factories


@pytest.fixture
def embedded(db, settings):
    """Use the database's own backend (whatever ELASTICSEARCH_URL says) with the default auto-sync."""
    settings.OTKLIK_SEARCH = {**settings.OTKLIK_SEARCH, "ELASTICSEARCH_URL": "", "BACKEND": "auto", "AUTO_SYNC": None}
    from search.backends import get_backend

    backend = get_backend()
    backend.drop()
    return backend


@pytest.fixture
def es_down(db, settings, closed_port):
    """Elasticsearch configured at an address where nothing listens."""
    settings.OTKLIK_SEARCH = {**settings.OTKLIK_SEARCH, "ELASTICSEARCH_URL": f"http://127.0.0.1:{closed_port}",
                              "BACKEND": "auto", "AUTO_SYNC": None, "TIMEOUT": 2}
    from search.backends import get_backend

    return get_backend()


def test_rolled_back_change_leaves_no_outbox_row(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.mention("Посылка потерялась")
        assert IndexOutbox.objects.count() == 1  # written inside the transaction…
        raise RuntimeError("crash before commit")
    assert IndexOutbox.objects.count() == 0  # …and gone with it
    m = factories.mention("Посылка потерялась")
    assert list(IndexOutbox.objects.values_list("mention_id", "reason")) == [(m.pk, "mention")]


def test_bulk_classification_writes_outbox_rows(db):
    from classifiers.types import Prediction
    from store.services.classify import classify_pending

    class Fixed:
        name, version = "fixed", "fixed-v1"

        def predict(self, texts):
            return [Prediction("negative", {"negative": 1.0}, ["lost_item"], {"lost_item": 0.9}) for _ in texts]

    mentions = [factories.mention(f"Посылка номер {i} потерялась") for i in range(3)]
    IndexOutbox.objects.all().delete()
    assert classify_pending(Fixed()) == 3
    rows = list(IndexOutbox.objects.values_list("mention_id", "reason"))
    assert sorted(rows) == sorted((m.pk, "classification") for m in mentions)


def test_embedded_backend_indexes_right_after_commit(embedded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        m = factories.classified("Курьер опоздал на три часа")
    assert callbacks  # the drain was scheduled for after the commit, not run inside the transaction
    assert IndexOutbox.objects.count() == 0
    embedded.refresh()
    assert [h.mention_id for h in embedded.search(Query(text="опоздавший курьер")).hits] == [m.pk]


def test_failed_drain_after_commit_keeps_the_rows(es_down, settings, django_capture_on_commit_callbacks, caplog):
    settings.OTKLIK_SEARCH = {**settings.OTKLIK_SEARCH, "AUTO_SYNC": True}
    with caplog.at_level(logging.WARNING, logger="search.services.outbox"):
        with django_capture_on_commit_callbacks(execute=True):
            m = factories.mention("Посылка потерялась")  # the caller's write succeeds regardless
    assert list(IndexOutbox.objects.values_list("mention_id", flat=True)) == [m.pk]
    assert "deferred" in caplog.text


def test_unreachable_elasticsearch_loses_nothing(es_down, dataset):
    pending = IndexOutbox.objects.count()
    with pytest.raises(BackendUnavailable, match="Elasticsearch"):
        sync(es_down)
    assert IndexOutbox.objects.count() == pending
    assert not IndexOutbox.objects.filter(attempts__gt=0).exists()  # an outage is not the documents' fault
    with pytest.raises(BackendUnavailable):
        es_down.search(Query(text="посылка"))


def test_elasticsearch_is_not_drained_after_commit_by_default(es_down):
    from search.backends import auto_sync_enabled

    assert es_down.name == "elasticsearch" and not auto_sync_enabled()


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert backoff(30) == timedelta(hours=1)


def test_a_mention_with_several_pending_rows_is_indexed_once(embedded):
    """Rows from the crawl, the classification and the ticket of one mention are answered by one document."""
    from search.backends.base import Backend

    mentions = [factories.classified(f"Посылка номер {i} потерялась") for i in range(3)]
    IndexOutbox.objects.all().delete()
    for reason in ("mention", "classification", "ticket"):
        for m in mentions:
            IndexOutbox.objects.create(mention_id=m.pk, reason=reason)
    applied: list[list[int]] = []
    original = type(embedded).apply

    def counting(self: Backend, docs, deletes):
        applied.append([d["mention_id"] for d in docs])
        return original(self, docs, deletes)

    type(embedded).apply = counting
    try:
        stats = sync(embedded, batch_size=2)
    finally:
        type(embedded).apply = original
    assert sorted(i for batch in applied for i in batch) == sorted(m.pk for m in mentions)
    assert stats.indexed == 3 and stats.pending == 0
    embedded.refresh()
    assert {h.mention_id for h in embedded.search(Query(text="посылка")).hits} == {m.pk for m in mentions}
