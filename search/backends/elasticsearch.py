"""Elasticsearch: a versioned index per mapping behind a read alias and a write alias, bulk-loaded per document.

Indices are named `{prefix}-mentions-v{MAPPING_VERSION}-{stamp}`; searches read `{prefix}-mentions`, the
outbox writes to `{prefix}-mentions-write`. A rebuild creates a new index, moves the write alias to it first
(so changes made during the rebuild land there), loads every mention with `op_type=create` (never
overwriting what a concurrent sync wrote), then moves the read alias in one atomic call and drops the old index.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.safestring import mark_safe
from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError
from elasticsearch.helpers import parallel_bulk, streaming_bulk

from search.backends.base import Backend
from search.query import (
    Aggregates,
    ApplyResult,
    BackendUnavailable,
    Hit,
    Query,
    SearchPage,
)
from search.text import highlight

MAPPING_VERSION = 1

ANALYSIS = {
    "char_filter": {"yo_to_e": {"type": "mapping", "mappings": ["ё => е", "Ё => Е"]}},
    "filter": {
        "russian_stop": {"type": "stop", "stopwords": "_russian_"},
        "russian_stemmer": {"type": "stemmer", "language": "russian"},
    },
    "analyzer": {
        "russian_text": {
            "type": "custom",
            "tokenizer": "standard",
            "char_filter": ["yo_to_e"],
            "filter": ["lowercase", "russian_stop", "russian_stemmer"],
        }
    },
}

_KEYWORD = {"type": "keyword"}
MAPPINGS = {
    "dynamic": "strict",
    "_meta": {"otklik_mapping_version": MAPPING_VERSION},
    "properties": {
        "mention_id": {"type": "long"},
        "source": _KEYWORD,
        "channel": _KEYWORD,
        "lang": _KEYWORD,
        "author": _KEYWORD,
        "url": {"type": "keyword", "index": False},
        "title": {"type": "text", "analyzer": "russian_text"},
        "text": {"type": "text", "analyzer": "russian_text"},
        "rating": {"type": "short"},
        "posted_at": {"type": "date"},
        "duplicate_of": {"type": "long"},
        "classified": {"type": "boolean"},
        "sentiment": _KEYWORD,
        "topics": _KEYWORD,
        "primary_topic": _KEYWORD,
        "model_version": _KEYWORD,
        "ticket_id": {"type": "long"},
        "ticket_state": _KEYWORD,
        "ticket_kind": _KEYWORD,
        "sla_state": _KEYWORD,
        "assignee": _KEYWORD,
        "indexed_at": {"type": "date"},
    },
}

HIGHLIGHT = {
    "pre_tags": ["<mark>"],
    "post_tags": ["</mark>"],
    "encoder": "html",  # Elasticsearch escapes the crawled text; only our tags stay markup
    "fields": {"text": {"fragment_size": 150, "number_of_fragments": 2, "no_match_size": 300}},
}

# simple_query_string with the desk syntax only: words (AND), "phrases", -exclusions.
QUERY_FLAGS = "NOT|PHRASE|WHITESPACE|ESCAPE"


def _unavailable(exc: Exception) -> BackendUnavailable:
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "meta", None), "status", None)
    return BackendUnavailable(f"Elasticsearch: {type(exc).__name__}{f' {status}' if status else ''}: {exc}")


def _tz_name(tz: tzinfo) -> str:
    key = getattr(tz, "key", None)  # zoneinfo.ZoneInfo
    if key:
        return key
    offset = tz.utcoffset(None) or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _error_text(info: dict) -> str:
    err = info.get("error") or {}
    if isinstance(err, dict):
        return f"{info.get('status')} {err.get('type', '')}: {err.get('reason', '')}"[:2000]
    return f"{info.get('status')} {err}"[:2000]


class ElasticsearchBackend(Backend):
    name = "elasticsearch"

    def __init__(self, url: str, prefix: str = "otklik", *, api_key: str = "", ca_certs: str = "",
                 timeout: float = 10, shards: int = 1, replicas: int = 0, chunk_size: int = 500):
        if not url:
            raise ValueError("ELASTICSEARCH_URL is empty")
        self.client = Elasticsearch(
            url, api_key=api_key or None, ca_certs=ca_certs or None, request_timeout=timeout, max_retries=1,
            retry_on_timeout=True,
        )
        self.url = url
        self.prefix = prefix
        self.read_alias = f"{prefix}-mentions"
        self.write_alias = f"{prefix}-mentions-write"
        self.template = f"{prefix}-mentions"
        self.pattern = f"{prefix}-mentions-v*"
        self.shards, self.replicas, self.chunk_size = shards, replicas, chunk_size
        self._ready = False

    # -- index management ------------------------------------------------------------------------------------
    def _new_index_name(self, stamp: str | None = None) -> str:
        return f"{self.prefix}-mentions-v{MAPPING_VERSION}-{stamp or timezone.now().strftime('%Y%m%d%H%M%S%f')}"

    def _put_template(self) -> None:
        self.client.indices.put_index_template(
            name=self.template,
            index_patterns=[self.pattern],
            version=MAPPING_VERSION,
            priority=200,
            template={
                "settings": {"number_of_shards": self.shards, "number_of_replicas": self.replicas, "analysis": ANALYSIS},
                "mappings": MAPPINGS,
            },
            meta={"description": "Otklik mention documents"},
        )

    def _indices_of(self, alias: str) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=alias).body)
        except NotFoundError:
            return []

    def setup(self) -> None:
        try:
            self._put_template()
            if not self.client.indices.exists_alias(name=self.read_alias):
                # A fixed first name: two processes setting up at once create one index, not two.
                try:
                    self.client.indices.create(
                        index=self._new_index_name("0"), aliases={self.read_alias: {}, self.write_alias: {}}
                    )
                except ApiError as exc:
                    if "resource_already_exists" not in str(exc):
                        raise
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        self._ready = True

    def _ensure(self) -> None:
        if not self._ready:
            self.setup()

    # -- writing ---------------------------------------------------------------------------------------------
    @staticmethod
    def _source(doc: dict) -> dict:
        return {**doc, "indexed_at": timezone.now()}

    def _collect(self, results, result: ApplyResult) -> ApplyResult:
        for ok, item in results:
            op, info = next(iter(item.items()))
            status = info.get("status", 0)
            if op == "delete" and (ok or status == 404):  # 404: already gone, which is what was asked
                result.deleted += 1
            elif op != "delete" and (ok or (op == "create" and status == 409)):
                result.indexed += 1  # 409 on create: a concurrent sync already wrote a fresher document
            else:
                result.failed[int(info["_id"])] = _error_text(info)
        return result

    def apply(self, docs: list[dict], delete_ids: list[int]) -> ApplyResult:
        self._ensure()
        actions: list[dict[str, Any]] = [
            {"_op_type": "index", "_index": self.write_alias, "_id": str(d["mention_id"]), "_source": self._source(d)}
            for d in docs
        ] + [{"_op_type": "delete", "_index": self.write_alias, "_id": str(i)} for i in delete_ids]
        if not actions:
            return ApplyResult()
        result = ApplyResult()
        try:
            self._collect(
                streaming_bulk(self.client, actions, chunk_size=self.chunk_size, max_retries=3, initial_backoff=1,
                               raise_on_error=False, raise_on_exception=True),
                result,
            )
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        return result

    def begin_rebuild(self) -> str:
        try:
            self._put_template()
            self.setup()
            index = self._new_index_name()
            self.client.indices.create(index=index, settings={"refresh_interval": "-1"})
            old = self._indices_of(self.write_alias)
            self.client.indices.update_aliases(
                actions=[{"remove": {"index": i, "alias": self.write_alias}} for i in old]
                + [{"add": {"index": index, "alias": self.write_alias}}]
            )
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        return index

    def rebuild_batch(self, token: object, docs: list[dict]) -> ApplyResult:
        assert isinstance(token, str)
        actions = [{"_op_type": "create", "_index": token, "_id": str(d["mention_id"]), "_source": self._source(d)}
                   for d in docs]
        result = ApplyResult()
        try:
            self._collect(
                parallel_bulk(self.client, actions, thread_count=2, chunk_size=self.chunk_size,
                              raise_on_error=False, raise_on_exception=True),
                result,
            )
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        return result

    def finish_rebuild(self, token: object) -> None:
        assert isinstance(token, str)
        try:
            self.client.indices.put_settings(index=token, settings={"refresh_interval": None})
            self.client.indices.refresh(index=token)
            old = self._indices_of(self.read_alias)
            self.client.indices.update_aliases(
                actions=[{"remove": {"index": i, "alias": self.read_alias}} for i in old]
                + [{"add": {"index": token, "alias": self.read_alias}}]
            )
            stale = [i for i in self.client.indices.get(index=self.pattern).body if i != token]
            if stale:
                self.client.indices.delete(index=",".join(stale))
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc

    def refresh(self) -> None:
        try:
            self.client.indices.refresh(index=f"{self.read_alias},{self.write_alias}")
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc

    def drop(self) -> None:
        """Delete this prefix's indices and template (tests and `otklik index drop`)."""
        try:
            names = list(self.client.indices.get(index=self.pattern).body)
            if names:
                self.client.indices.delete(index=",".join(names))
            self.client.indices.delete_index_template(name=self.template)
        except NotFoundError:
            pass
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        self._ready = False

    def count(self) -> int:
        self._ensure()
        try:
            return int(self.client.count(index=self.read_alias)["count"])
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc

    def describe(self) -> dict:
        self._ensure()
        read, write = self._indices_of(self.read_alias), self._indices_of(self.write_alias)
        meta = self.client.indices.get_mapping(index=self.read_alias).body
        versions = {name: m["mappings"].get("_meta", {}).get("otklik_mapping_version") for name, m in meta.items()}
        return {
            "backend": self.name,
            "read_index": ", ".join(read),
            "write_index": ", ".join(write),
            "documents": self.count(),
            "mapping_version": ", ".join(str(v) for v in versions.values()),
            "needs_rebuild": any(v != MAPPING_VERSION for v in versions.values()) or read != write,
        }

    # -- reading ---------------------------------------------------------------------------------------------
    @staticmethod
    def build_query(q: Query) -> dict:
        """Translate a Query into an Elasticsearch bool query."""
        must: list[dict] = []
        if q.text.strip():
            must.append({"simple_query_string": {
                "query": q.text, "fields": ["title^2", "text"], "default_operator": "and", "flags": QUERY_FLAGS,
            }})
        filters: list[dict] = []
        for field, values in (("source", q.sources), ("channel", q.channels), ("topics", q.topics),
                              ("sentiment", q.sentiments), ("ticket_state", q.ticket_states)):
            if values:
                filters.append({"terms": {field: list(values)}})
        span = {}
        if q.date_from:
            span["gte"] = q.date_from.isoformat()
        if q.date_to:
            span["lt"] = q.date_to.isoformat()
        if span:
            filters.append({"range": {"posted_at": span}})
        if q.classified is not None:
            filters.append({"term": {"classified": q.classified}})
        must_not = [] if q.include_duplicates else [{"exists": {"field": "duplicate_of"}}]
        return {"bool": {"must": must or [{"match_all": {}}], "filter": filters, "must_not": must_not}}

    def search(self, query: Query, page: int = 1, per_page: int = 20) -> SearchPage:
        self._ensure()
        page = max(1, page)
        has_text = bool(query.text.strip())
        sort = (["_score"] if has_text else []) + [{"posted_at": "desc"}, {"mention_id": "desc"}]
        try:
            resp = self.client.search(
                index=self.read_alias, query=self.build_query(query), sort=sort, from_=(page - 1) * per_page,
                size=per_page, track_total_hits=True, highlight=HIGHLIGHT if has_text else None,
            )
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        hits = []
        for h in resp["hits"]["hits"]:
            src = h["_source"]
            fragments = (h.get("highlight") or {}).get("text")
            snippet = mark_safe(" … ".join(fragments)) if fragments else highlight(src["text"], set())  # noqa: S308
            hits.append(Hit(
                mention_id=int(src["mention_id"]), score=float(h.get("_score") or 0.0), snippet=snippet,
                title=src["title"], source=src["source"], channel=src["channel"], url=src["url"],
                posted_at=datetime.fromisoformat(src["posted_at"]), sentiment=src["sentiment"],
                topics=list(src["topics"]), ticket_id=src["ticket_id"], ticket_state=src["ticket_state"],
            ))
        return SearchPage(hits=hits, total=int(resp["hits"]["total"]["value"]), page=page, per_page=per_page,
                          backend=self.name)

    def aggregate(self, query: Query, tz: tzinfo | None = None) -> Aggregates:
        self._ensure()
        tz = tz or timezone.get_current_timezone()
        topic_terms: dict[str, Any] = {"field": "topics", "size": 500}
        if query.topics:
            topic_terms["include"] = list(query.topics)  # count only the asked-for topics, as the SQL backends do
        aggs = {
            "sentiment": {"terms": {"field": "sentiment", "size": 50}},
            "channel": {"terms": {"field": "channel", "size": 50}},
            "source": {"terms": {"field": "source", "size": 10_000}},
            "topic": {"terms": topic_terms, "aggs": {"sentiment": {"terms": {"field": "sentiment", "size": 50}}}},
            "days": {
                "date_histogram": {"field": "posted_at", "calendar_interval": "day", "time_zone": _tz_name(tz),
                                   "min_doc_count": 1, "format": "yyyy-MM-dd"},
                "aggs": {"topic": {"terms": topic_terms}},
            },
        }
        try:
            resp = self.client.search(index=self.read_alias, query=self.build_query(query), size=0, aggs=aggs,
                                      track_total_hits=True)
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        a = resp["aggregations"]
        agg = Aggregates(total=int(resp["hits"]["total"]["value"]))
        for name in ("sentiment", "channel", "source", "topic"):
            counter: Counter = getattr(agg, name)
            for b in a[name]["buckets"]:
                if b["key"] != "":
                    counter[b["key"]] = b["doc_count"]
        agg.sentiment_by_topic = {
            b["key"]: Counter({s["key"]: s["doc_count"] for s in b["sentiment"]["buckets"] if s["key"]})
            for b in a["topic"]["buckets"]
        }
        by_day: dict[str, dict[date, int]] = defaultdict(dict)
        for day in a["days"]["buckets"]:
            d = date.fromisoformat(day["key_as_string"])
            agg.volume_by_day[d] = day["doc_count"]
            for t in day["topic"]["buckets"]:
                by_day[t["key"]][d] = t["doc_count"]
        agg.topic_by_day = dict(by_day)
        return agg
