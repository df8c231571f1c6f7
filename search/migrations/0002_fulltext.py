"""The full-text part of the embedded index: an FTS5 table on SQLite, a generated tsvector on PostgreSQL."""

from django.db import migrations

from search.migration_ops import VendorRunSQL

# rowid = mention id; `lemmas` holds the pymorphy3 lemmas of title and text (FTS5 has no Russian stemmer).
SQLITE_FTS = "CREATE VIRTUAL TABLE search_fts USING fts5(lemmas, tokenize = 'unicode61 remove_diacritics 0')"

POSTGRES_TSV = """
ALTER TABLE search_text ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('russian'::regconfig, translate(coalesce(title, ''), 'ёЁ', 'еЕ')), 'A') ||
    setweight(to_tsvector('russian'::regconfig, translate(coalesce(body, ''), 'ёЁ', 'еЕ')), 'B')
) STORED;
CREATE INDEX search_text_tsv ON search_text USING gin (tsv);
"""


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        VendorRunSQL("sqlite", SQLITE_FTS, "DROP TABLE search_fts"),
        VendorRunSQL(
            "postgresql", POSTGRES_TSV,
            "DROP INDEX search_text_tsv; ALTER TABLE search_text DROP COLUMN tsv;",
        ),
    ]
