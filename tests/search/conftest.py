"""The backend fixture (one run of the behavioural suite per available backend) and the fixed dataset."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

UTC = timezone.utc
SKIP_ES = "Elasticsearch: ELASTICSEARCH_URL is not set (docs/search.md: testing against Elasticsearch)"
SKIP_PG = ("PostgreSQL: this run is on SQLite; test_postgres_suite.py reruns the suite on OTKLIK_TEST_POSTGRES_URL "
           "when that is set")
SKIP_SQLITE = "SQLite FTS5: this run is on PostgreSQL"


@pytest.fixture(params=[
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("elasticsearch", marks=pytest.mark.elasticsearch),
])
def backend(request, db):
    """A real, empty index of the parametrised kind; skipped with the reason when it is not available here."""
    from django.db import connection

    from search.backends import make_backend

    kind = request.param
    if kind == "sqlite" and connection.vendor != "sqlite":
        pytest.skip(SKIP_SQLITE)
    if kind == "postgres" and connection.vendor != "postgresql":
        pytest.skip(SKIP_PG)
    if kind == "elasticsearch":
        url = os.environ.get("ELASTICSEARCH_URL")
        if not url:
            pytest.skip(SKIP_ES)
        be = make_backend("elasticsearch", url=url, prefix=f"otklik-test-{uuid.uuid4().hex[:10]}")
        be.setup()
        yield be
        be.drop()
        return
    be = make_backend(kind)
    be.drop()  # FTS5 rows are not part of Django's flush between transactional tests
    yield be


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nothing listens on (an unreachable Elasticsearch)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Dataset:
    ids: dict[int, int]  # dataset number -> mention id

    def nums(self, mention_ids) -> set[int]:
        """Map mention ids back to dataset numbers."""
        back = {v: k for k, v in self.ids.items()}
        return {back[i] for i in mention_ids}


def _t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# n: (source, kind, posted_at UTC, text, sentiment or None (unclassified), topics, ticket state or None, duplicate of n)
ROWS = [
    (1, "tg", "telegram", _t(20, 9), "Посылка задерживается уже неделю, курьер не отвечает", "negative", ["delivery_delay"], "new", None),
    (2, "tg", "telegram", _t(20, 12), "Где моя посылка? Трек-номер не обновляется третий день", "negative", ["tracking", "lost_item"], "claimed", None),
    (3, "vk", "vk", _t(20, 15), "Курьер нахамил и бросил коробку у двери", "negative", ["courier_behaviour"], "closed", None),
    (4, "vk", "vk", _t(20, 22, 30), "Спасибо курьеру Алексею, привёз посылку раньше срока!", "positive", ["praise"], None, None),
    (5, "app", "appstore", _t(21, 8), "Приложение не показывает статус посылки", "negative", ["tracking"], "new", None),
    (6, "app", "appstore", _t(21, 10), "Как поменять адрес доставки?", "neutral", ["address_change"], "new", None),
    (7, "tg", "telegram", _t(21, 11), "Коробка пришла мятая, ёлочная игрушка разбита", "negative", ["damaged_packaging"], "new", None),
    (8, "vk", "vk", _t(22, 9), "Отличный сервис, быстрая доставка", "positive", [], None, None),
    (9, "tg", "telegram", _t(22, 12), "Посылка задерживается уже неделю, курьер не отвечает", "negative", ["delivery_delay"], None, 1),
    (10, "app", "appstore", _t(22, 13), "Новая версия приложения вышла", None, [], None, None),
]


def make_dataset() -> Dataset:
    """Create the fixed dataset in the database (signals write the outbox rows)."""
    from responders.models import Ticket
    from store.models import Classification, Mention, Source
    from store.text import content_hash

    ids: dict[int, int] = {}
    for n, src, kind, at, text, sentiment, topics, state, dup in ROWS:
        source = Source.objects.get_or_create(name=src, defaults={"kind": kind})[0]
        m = Mention.objects.create(source=source, external_id=f"ds-{n}", text=text, posted_at=at,
                                   content_hash=content_hash(text), url=f"https://example.test/{n}",
                                   duplicate_of_id=ids.get(dup) if dup else None)
        ids[n] = m.pk
        if sentiment:
            Classification.objects.create(mention=m, model_name="test", model_version="test-v1", sentiment=sentiment,
                                          topics=topics, topic_scores={t: 0.9 for t in topics},
                                          primary_topic=topics[0] if topics else "")
        if state:
            Ticket.objects.create(mention=m, kind="complaint", state=state, opened_at=at,
                                  first_reply_due=at + timedelta(hours=4), resolution_due=at + timedelta(hours=48))
    return Dataset(ids)


@pytest.fixture
def dataset(db) -> Dataset:
    return make_dataset()


@pytest.fixture
def indexed(backend, dataset) -> Dataset:
    """The dataset, drained from the outbox into `backend`."""
    from search.services.sync import sync

    stats = sync(backend)
    assert stats.failed == 0 and stats.pending == 0
    backend.refresh()
    return dataset
