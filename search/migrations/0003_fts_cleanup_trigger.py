"""Keep the FTS5 table in step with its documents: a deleted search_text row takes its FTS row with it
(explicit deletes, cascades and Django's flush alike)."""

from django.db import migrations

from search.migration_ops import VendorRunSQL

TRIGGER = """CREATE TRIGGER search_fts_cleanup AFTER DELETE ON search_text
BEGIN DELETE FROM search_fts WHERE rowid = old.mention_id; END"""


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]

    operations = [VendorRunSQL("sqlite", TRIGGER, "DROP TRIGGER search_fts_cleanup")]
