"""Elasticsearch specifics: the mapping, the Russian analyzer, versioned indices behind aliases.

The behavioural suite (test_backends.py) also runs on Elasticsearch when ELASTICSEARCH_URL is set.
"""

from __future__ import annotations

import os
import uuid

import pytest

from search.backends.elasticsearch import (
    MAPPING_VERSION,
    MAPPINGS,
    ElasticsearchBackend,
)
from search.documents import FIELDS
from search.services.sync import rebuild, sync
from tests.search.conftest import SKIP_ES


def test_mapping_covers_exactly_the_document_fields():
    assert MAPPINGS["dynamic"] == "strict"
    assert set(MAPPINGS["properties"]) == set(FIELDS) | {"indexed_at"}


@pytest.fixture
def es():
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip(SKIP_ES)
    backend = ElasticsearchBackend(url, f"otklik-test-{uuid.uuid4().hex[:10]}")
    backend.setup()
    yield backend
    backend.drop()


@pytest.mark.elasticsearch
def test_russian_analyzer_stems_drops_stop_words_and_folds_yo(es):
    tokens = es.client.indices.analyze(index=es.read_alias, analyzer="russian_text", text="Посылки и посылку, ёлка")
    assert [t["token"] for t in tokens["tokens"]] == ["посылк", "посылк", "елк"]


@pytest.mark.elasticsearch
def test_setup_is_idempotent_and_aliases_one_index(es):
    es.setup()
    es.setup()
    read, write = es._indices_of(es.read_alias), es._indices_of(es.write_alias)
    assert read == write and len(read) == 1
    assert read[0].startswith(f"{es.prefix}-mentions-v{MAPPING_VERSION}-")


@pytest.mark.elasticsearch
def test_rebuild_swaps_aliases_and_drops_the_old_index(es, dataset):
    sync(es)
    (old,) = es._indices_of(es.read_alias)
    assert rebuild(es).indexed == 10
    (new,) = es._indices_of(es.read_alias)
    assert new != old and es._indices_of(es.write_alias) == [new]
    assert not es.client.indices.exists(index=old)
    info = es.describe()
    assert info["documents"] == 10 and not info["needs_rebuild"]


@pytest.mark.elasticsearch
def test_searches_read_the_old_index_until_the_rebuild_finishes(es, dataset):
    from search.query import Query

    sync(es)
    es.refresh()
    token = es.begin_rebuild()
    assert es.describe()["needs_rebuild"]  # write alias moved, read alias not yet
    assert es.search(Query(text="посылки")).total == 4  # no downtime: the old index still answers
    es.finish_rebuild(token)
    assert es.search(Query(text="посылки")).total == 0  # nothing was loaded into the new one in this test
