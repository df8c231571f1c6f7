"""What the SQLite and PostgreSQL backends share: documents in ordinary tables, filters and counts via the ORM."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, tzinfo

from django.db import DatabaseError, transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from search.backends.base import Backend
from search.documents import InvalidDocument, validate
from search.models import SearchDocument, SearchDocumentTopic, SearchText
from search.query import Aggregates, ApplyResult, Hit, Query, SearchPage

_FACT_FIELDS = {f.attname for f in SearchDocument._meta.concrete_fields} - {"day", "indexed_at"}


def _index_tz() -> tzinfo:
    """The zone of the stored `day` columns: the reports' zone (settings.TIME_ZONE)."""
    return timezone.get_default_timezone()


def _rows(doc: dict, now: datetime) -> tuple[SearchDocument, SearchText, list[SearchDocumentTopic]]:
    day = doc["posted_at"].astimezone(_index_tz()).date()
    facts = SearchDocument(day=day, indexed_at=now, **{k: v for k, v in doc.items() if k in _FACT_FIELDS})
    text = SearchText(document_id=doc["mention_id"], author=doc["author"], url=doc["url"], title=doc["title"],
                      body=doc["text"])
    topics = [SearchDocumentTopic(document_id=doc["mention_id"], topic=t, posted_at=doc["posted_at"], day=day,
                                  sentiment=doc["sentiment"]) for t in dict.fromkeys(doc["topics"])]
    return facts, text, topics


class SqlBackend(Backend):
    """Documents in `search_document` (+ topic rows); subclasses add the full-text part."""

    def __init__(self, using: str = "default"):
        self.using = using

    # -- writing ---------------------------------------------------------------------------------------------
    def setup(self) -> None:
        """Nothing to do: migrations create the tables."""

    def _write_fulltext(self, docs: list[dict]) -> None:
        """Store the full-text part of freshly written documents (SQLite); PostgreSQL generates it."""

    def _delete_fulltext(self, ids: list[int]) -> None:
        """Remove the full-text part of these documents."""

    def _replace(self, docs: list[dict], delete_ids: list[int]) -> None:
        ids = [d["mention_id"] for d in docs] + list(delete_ids)
        SearchDocumentTopic.objects.using(self.using).filter(document_id__in=ids).delete()
        SearchText.objects.using(self.using).filter(document_id__in=ids).delete()
        SearchDocument.objects.using(self.using).filter(mention_id__in=ids).delete()
        self._delete_fulltext(ids)
        now = timezone.now()
        rows = [_rows(d, now) for d in docs]
        SearchDocument.objects.using(self.using).bulk_create([r[0] for r in rows])
        SearchText.objects.using(self.using).bulk_create([r[1] for r in rows])
        SearchDocumentTopic.objects.using(self.using).bulk_create([t for r in rows for t in r[2]])
        self._write_fulltext(docs)

    def apply(self, docs: list[dict], delete_ids: list[int], *, unless_newer_than: datetime | None = None) -> ApplyResult:
        result = ApplyResult()
        valid = []
        for doc in docs:
            try:
                valid.append(validate(doc))
            except InvalidDocument as exc:
                result.failed[int(doc.get("mention_id") or 0)] = str(exc)
        with transaction.atomic(using=self.using):
            if unless_newer_than is not None:
                fresh = set(
                    SearchDocument.objects.using(self.using)
                    .filter(mention_id__in=[d["mention_id"] for d in valid], indexed_at__gte=unless_newer_than)
                    .values_list("mention_id", flat=True)
                )
                valid = [d for d in valid if d["mention_id"] not in fresh]
            try:
                with transaction.atomic(using=self.using):
                    self._replace(valid, delete_ids)
            except DatabaseError:
                # Isolate the documents the database refuses; write the others one by one.
                valid = self._replace_one_by_one(valid, delete_ids, result)
        result.indexed += len(valid)
        result.deleted += len(delete_ids)
        return result

    def _replace_one_by_one(self, docs: list[dict], delete_ids: list[int], result: ApplyResult) -> list[dict]:
        self._replace([], delete_ids)
        written = []
        for doc in docs:
            try:
                with transaction.atomic(using=self.using):
                    self._replace([doc], [])
                written.append(doc)
            except DatabaseError as exc:
                result.failed[doc["mention_id"]] = f"database refused the document: {exc}"
        return written

    def begin_rebuild(self) -> datetime:
        return timezone.now()

    def rebuild_batch(self, token: object, docs: list[dict]) -> ApplyResult:
        assert isinstance(token, datetime)
        return self.apply(docs, [], unless_newer_than=token)

    def finish_rebuild(self, token: object) -> None:
        """Delete documents the rebuild did not rewrite: their mentions no longer exist."""
        assert isinstance(token, datetime)
        with transaction.atomic(using=self.using):
            stale = list(
                SearchDocument.objects.using(self.using).filter(indexed_at__lt=token).values_list("mention_id", flat=True)
            )
            for i in range(0, len(stale), 1000):
                self._replace([], stale[i : i + 1000])

    def drop(self) -> None:
        with transaction.atomic(using=self.using):
            SearchDocumentTopic.objects.using(self.using).all().delete()
            SearchText.objects.using(self.using).all().delete()
            SearchDocument.objects.using(self.using).all().delete()
            self._delete_all_fulltext()

    def _delete_all_fulltext(self) -> None:
        """Empty the full-text table, if the backend has one."""

    def count(self) -> int:
        return SearchDocument.objects.using(self.using).count()

    # -- reading ---------------------------------------------------------------------------------------------
    def filtered(self, q: Query) -> QuerySet:
        """Documents matching the exact filters of `q` (not its text)."""
        qs = SearchDocument.objects.using(self.using)
        if q.sources:
            qs = qs.filter(source__in=q.sources)
        if q.channels:
            qs = qs.filter(channel__in=q.channels)
        if q.sentiments:
            qs = qs.filter(sentiment__in=q.sentiments)
        if q.ticket_states:
            qs = qs.filter(ticket_state__in=q.ticket_states)
        if q.date_from:
            qs = qs.filter(posted_at__gte=q.date_from)
        if q.date_to:
            qs = qs.filter(posted_at__lt=q.date_to)
        if q.classified is not None:
            qs = qs.filter(classified=q.classified)
        if not q.include_duplicates:
            qs = qs.filter(duplicate_of__isnull=True)
        if q.topics:
            topic_rows = SearchDocumentTopic.objects.using(self.using).filter(topic__in=q.topics)
            if q.date_from:
                topic_rows = topic_rows.filter(posted_at__gte=q.date_from)
            if q.date_to:
                topic_rows = topic_rows.filter(posted_at__lt=q.date_to)
            qs = qs.filter(mention_id__in=topic_rows.values("document_id"))
        return qs

    def matching(self, q: Query) -> QuerySet:
        """Documents matching the filters and the text of `q` (unranked)."""
        raise NotImplementedError

    def ranked_page(self, q: Query, offset: int, limit: int) -> tuple[int, list[tuple[SearchDocument, float]]]:
        """Return (total, [(document, score)]) for one page of `q`."""
        qs = self.matching(q)
        rows = qs.order_by("-posted_at", "-mention_id")[offset : offset + limit]
        return qs.count(), [(d, 0.0) for d in rows]

    def snippets(self, q: Query, texts: list[SearchText]) -> dict[int, str]:
        """Return {mention id: escaped HTML snippet} for the documents of one page."""
        raise NotImplementedError

    def search(self, query: Query, page: int = 1, per_page: int = 20) -> SearchPage:
        page = max(1, page)
        total, rows = self.ranked_page(query, (page - 1) * per_page, per_page)
        texts = SearchText.objects.using(self.using).in_bulk([d.mention_id for d, _ in rows])
        snippets = self.snippets(query, list(texts.values()))
        hits = [
            Hit(mention_id=d.mention_id, score=score, snippet=snippets[d.mention_id], title=texts[d.mention_id].title,
                source=d.source, channel=d.channel, url=texts[d.mention_id].url, posted_at=d.posted_at,
                sentiment=d.sentiment, topics=list(d.topics), ticket_id=d.ticket_id, ticket_state=d.ticket_state)
            for d, score in rows
            if d.mention_id in texts
        ]
        return SearchPage(hits=hits, total=total, page=page, per_page=per_page, backend=self.name)

    def aggregate(self, query: Query, tz: tzinfo | None = None) -> Aggregates:
        tz = tz or timezone.get_current_timezone()
        # Day buckets come from the stored `day` columns when asked in the reports' zone (the usual case),
        # and are computed per row otherwise. Three grouped scans in all: documents by (sentiment, channel,
        # day), documents by source, topic rows by (topic, day, sentiment).
        stored_day = str(tz) == str(_index_tz())
        day = "day" if stored_day else "local_day"
        docs = self.matching(query)
        if not stored_day:
            docs = docs.annotate(local_day=TruncDate("posted_at", tzinfo=tz))
        agg = Aggregates()
        volume: Counter = Counter()
        for row in docs.values("sentiment", "channel", day).annotate(n=Count("pk")).order_by():
            n = row["n"]
            agg.total += n
            volume[row[day]] += n
            agg.channel[row["channel"]] += n
            if row["sentiment"]:  # '' = unclassified
                agg.sentiment[row["sentiment"]] += n
        agg.volume_by_day = dict(volume)
        for row in self.matching(query).values("source").annotate(n=Count("pk")).order_by():
            agg.source[row["source"]] = row["n"]
        topics = SearchDocumentTopic.objects.using(self.using).filter(document__in=self.matching(query))
        if query.topics:
            topics = topics.filter(topic__in=query.topics)
        if not stored_day:
            topics = topics.annotate(local_day=TruncDate("posted_at", tzinfo=tz))
        by_day: dict[str, Counter] = defaultdict(Counter)
        by_sentiment: dict[str, Counter] = defaultdict(Counter)
        for row in topics.values("topic", day, "sentiment").annotate(n=Count("pk")).order_by():
            t, n = row["topic"], row["n"]
            agg.topic[t] += n
            by_day[t][row[day]] += n
            if row["sentiment"]:
                by_sentiment[t][row["sentiment"]] += n
        agg.topic_by_day = {t: dict(days) for t, days in by_day.items()}
        agg.sentiment_by_topic = dict(by_sentiment)
        return agg
