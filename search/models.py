"""The indexing outbox, and the documents the embedded (SQL) backends search and aggregate."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class IndexOutbox(models.Model):
    """A mention whose index document must be rewritten (or deleted), written in the changing transaction."""

    mention_id = models.BigIntegerField(db_index=True)
    reason = models.CharField(max_length=20, help_text="mention, classification, ticket, delete, retry…")
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0, help_text="Failed indexing attempts so far")
    last_error = models.TextField(blank=True)
    retry_at = models.DateTimeField(null=True, blank=True, help_text="Not retried before this time (backoff)")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"outbox #{self.pk} mention {self.mention_id} ({self.reason})"


class SearchDocument(models.Model):
    """One mention as the embedded backends filter and count it: narrow rows, so scans stay fast.

    Derived data (`otklik index rebuild` recreates it). Its text lives in SearchText; the full-text index
    beside that is an FTS5 table `search_fts` (SQLite: lemmatised text, rowid = mention id) or a generated
    `tsv` column with a GIN index (PostgreSQL: 'russian' configuration); see migration 0002.
    """

    mention_id = models.BigIntegerField(primary_key=True)
    source = models.CharField(max_length=100)
    channel = models.CharField(max_length=20)
    lang = models.CharField(max_length=8, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    posted_at = models.DateTimeField()
    day = models.DateField(help_text="Local date of posted_at in settings.TIME_ZONE (report day buckets)")
    duplicate_of = models.BigIntegerField(null=True, blank=True)
    classified = models.BooleanField(default=False)
    sentiment = models.CharField(max_length=16, blank=True)
    topics = models.JSONField(default=list, blank=True)
    primary_topic = models.CharField(max_length=50, blank=True)
    model_version = models.CharField(max_length=100, blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True)
    ticket_state = models.CharField(max_length=20, blank=True)
    ticket_kind = models.CharField(max_length=20, blank=True)
    sla_state = models.CharField(max_length=20, blank=True)
    assignee = models.CharField(max_length=150, blank=True)
    indexed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "search_document"
        indexes = [
            models.Index(fields=["posted_at"], name="search_doc_posted"),
            models.Index(fields=["source", "posted_at"], name="search_doc_source_posted"),
            models.Index(fields=["channel", "posted_at"], name="search_doc_channel_posted"),
            models.Index(fields=["sentiment", "posted_at"], name="search_doc_sentiment_posted"),
            models.Index(fields=["ticket_state"], name="search_doc_ticket_state"),
            models.Index(fields=["indexed_at"], name="search_doc_indexed"),
        ]


class SearchText(models.Model):
    """The text of a document: read for hits and snippets, and (PostgreSQL) the source of `tsv`."""

    document = models.OneToOneField(SearchDocument, on_delete=models.CASCADE, primary_key=True,
                                    db_column="mention_id", related_name="content")
    author = models.CharField(max_length=255, blank=True)
    url = models.CharField(max_length=1000, blank=True)
    title = models.TextField(blank=True)
    body = models.TextField()

    class Meta:
        db_table = "search_text"


class SearchDocumentTopic(models.Model):
    """One topic of a document, with its date, day and sentiment: topic counts need no join."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="topic_rows")
    topic = models.CharField(max_length=50)
    posted_at = models.DateTimeField()
    day = models.DateField()
    sentiment = models.CharField(max_length=16, blank=True)

    class Meta:
        db_table = "search_document_topic"
        constraints = [models.UniqueConstraint(fields=["document", "topic"], name="uniq_search_document_topic")]
        indexes = [models.Index(fields=["topic", "posted_at"], name="search_topic_posted")]
