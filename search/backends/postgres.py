"""PostgreSQL full-text search: a generated `tsv` column ('russian' configuration, ё folded to е) with a GIN index."""

from __future__ import annotations

from django.db import connections
from django.db.models import FloatField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import mark_safe

from search.backends.sql import SqlBackend
from search.models import SearchText
from search.query import Query
from search.text import highlight

TSQUERY = "websearch_to_tsquery('russian'::regconfig, translate(%s, 'ёЁ', 'еЕ'))"
# Private-use characters mark matches in ts_headline's output, which is escaped before they become <mark>.
_START, _STOP = "\ue000", "\ue001"
HEADLINE_OPTIONS = f"StartSel={_START}, StopSel={_STOP}, MaxWords=40, MinWords=15, MaxFragments=2, FragmentDelimiter=\" … \""


class PostgresBackend(SqlBackend):
    name = "postgres"

    def matching(self, q: Query) -> QuerySet:
        qs = self.filtered(q)
        if q.text.strip():
            # A self-contained subquery: `matching` querysets are also used inside other queries.
            qs = qs.filter(mention_id__in=RawSQL(f"SELECT mention_id FROM search_text WHERE tsv @@ {TSQUERY}", [q.text]))
        return qs

    def ranked_page(self, q: Query, offset: int, limit: int):
        if not q.text.strip():
            return super().ranked_page(q, offset, limit)
        qs = self.matching(q)
        rank = f"SELECT ts_rank_cd(t.tsv, {TSQUERY}) FROM search_text t WHERE t.mention_id = search_document.mention_id"
        rows = qs.annotate(
            score=RawSQL(f"({rank})", [q.text], output_field=FloatField())
        ).order_by("-score", "-posted_at", "-mention_id")[offset : offset + limit]
        return qs.count(), [(d, d.score) for d in rows]

    def snippets(self, q: Query, texts: list[SearchText]) -> dict[int, str]:
        """ts_headline over the HTML-escaped text: every character of crawled text survives, escaped."""
        if not q.text.strip() or not texts:
            return {t.document_id: highlight(t.body, set()) for t in texts}
        clean = [escape(t.body.replace(_START, "").replace(_STOP, "")) for t in texts]
        with connections[self.using].cursor() as cur:
            cur.execute(
                f"SELECT id, ts_headline('russian'::regconfig, body, {TSQUERY}, %s) "
                "FROM unnest(%s::bigint[], %s::text[]) AS t(id, body)",
                [q.text, HEADLINE_OPTIONS, [t.document_id for t in texts], clean],
            )
            heads = dict(cur.fetchall())
        out = {}
        for t in texts:
            head = heads.get(t.document_id, "")
            if _START not in head or "<" in head:  # no match, or anything but escaped text: show plain text
                out[t.document_id] = highlight(t.body, set())
            else:
                out[t.document_id] = mark_safe(head.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308
        return out
