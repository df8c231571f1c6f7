"""Embedded default: SQLite FTS5 over lemmatised text (table `search_fts`, rowid = mention id)."""

from __future__ import annotations

from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from search.backends.sql import SqlBackend
from search.models import SearchDocument, SearchText
from search.query import Query
from search.text import fts5_expression, highlight, lemma_text, parse_query

_MATCH_IDS = "SELECT rowid FROM search_fts WHERE search_fts MATCH %s"


class SqliteBackend(SqlBackend):
    name = "sqlite"

    def _cursor(self):
        return connections[self.using].cursor()

    def _write_fulltext(self, docs: list[dict]) -> None:
        if docs:
            with self._cursor() as cur:
                cur.executemany(
                    "INSERT INTO search_fts(rowid, lemmas) VALUES (%s, %s)",
                    [(d["mention_id"], lemma_text(d["title"], d["text"])) for d in docs],
                )

    def _delete_fulltext(self, ids: list[int]) -> None:
        with self._cursor() as cur:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                cur.execute(f"DELETE FROM search_fts WHERE rowid IN ({', '.join(['%s'] * len(chunk))})", chunk)

    def _delete_all_fulltext(self) -> None:
        with self._cursor() as cur:
            cur.execute("DELETE FROM search_fts")

    def matching(self, q: Query) -> QuerySet:
        qs = self.filtered(q)
        parsed = parse_query(q.text)
        if parsed.required:
            qs = qs.filter(mention_id__in=RawSQL(_MATCH_IDS, [fts5_expression(parsed.required)]))
        if parsed.excluded:
            qs = qs.exclude(mention_id__in=RawSQL(_MATCH_IDS, [fts5_expression(parsed.excluded, "OR")]))
        return qs

    def ranked_page(self, q: Query, offset: int, limit: int):
        parsed = parse_query(q.text)
        if not parsed.required:
            return super().ranked_page(q, offset, limit)
        candidates = self.filtered(q)
        if parsed.excluded:
            candidates = candidates.exclude(mention_id__in=RawSQL(_MATCH_IDS, [fts5_expression(parsed.excluded, "OR")]))
        ids_sql, ids_params = candidates.values("mention_id").query.sql_with_params()
        # Join the FTS5 matches to the filtered documents by primary key: SQLite then walks the (usually few)
        # matches instead of listing every candidate document first.
        # CROSS JOIN keeps that order even when a selective filter tempts the planner the other way round.
        joined = (f"FROM (SELECT rowid, rank FROM search_fts WHERE search_fts MATCH %s) f "
                  f"CROSS JOIN ({ids_sql}) d ON d.mention_id = f.rowid")
        params = [fts5_expression(parsed.required), *ids_params]
        with self._cursor() as cur:
            cur.execute(f"SELECT count(*) {joined}", params)
            total = cur.fetchone()[0]
            cur.execute(f"SELECT f.rowid, f.rank {joined} ORDER BY f.rank, f.rowid DESC LIMIT %s OFFSET %s",
                        [*params, limit, offset])
            ranked = cur.fetchall()
        docs = SearchDocument.objects.using(self.using).in_bulk([r[0] for r in ranked])
        # FTS5's rank (bm25) is lower for better matches: negate it so a higher score is better, as elsewhere.
        return total, [(docs[i], -rank) for i, rank in ranked if i in docs]

    def snippets(self, q: Query, texts: list[SearchText]) -> dict[int, str]:
        lemmas = parse_query(q.text).lemmas
        return {t.document_id: highlight(t.body, lemmas) for t in texts}
