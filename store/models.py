"""Shared domain models: where feedback comes from, what was said, what the model thinks, who ordered what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SourceKind(models.TextChoices):
    APPSTORE = "appstore", "App Store"
    TELEGRAM = "telegram", "Telegram"
    VK = "vk", "VK"
    REVIEW_SITE = "review_site", "Сайт отзывов"
    RSS = "rss", "RSS"


class Source(models.Model):
    """One configured feedback channel (an app, a Telegram channel, a VK wall, a review page, a feed)."""

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    config = models.JSONField(default=dict, blank=True, help_text="Spider parameters: URL, ids, selectors…")
    schedule = models.CharField(max_length=100, blank=True, default="0 * * * *", help_text="Cron expression")
    enabled = models.BooleanField(default=True)
    state = models.JSONField(default=dict, blank=True, help_text="Incremental crawl state (cursors, newest id)")
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class MentionQuerySet(models.QuerySet):
    def originals(self):
        """Mentions that are not duplicates of an earlier one."""
        return self.filter(duplicate_of__isnull=True)

    def unclassified_by(self, model_version: str):
        return self.exclude(classifications__model_version=model_version)


class Mention(models.Model):
    """One piece of feedback as crawled: the system of record for everything downstream."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="mentions")
    external_id = models.CharField(max_length=255)
    url = models.URLField(max_length=1000, blank=True)
    author = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    lang = models.CharField(max_length=8, blank=True, help_text="ISO 639-1 code, empty if unknown")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    posted_at = models.DateTimeField(db_index=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    content_hash = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the normalised text")
    raw = models.JSONField(default=dict, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates",
        help_text="Set for cross-posts and copy-paste: the original mention",
    )
    conversation_key = models.CharField(
        max_length=255, blank=True, db_index=True,
        help_text="The conversation on its channel (store.threads): a VK post's comments, a Telegram reply chain, "
                  "a review and its edits",
    )

    objects = MentionQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="uniq_mention_source_external_id")]
        indexes = [models.Index(fields=["source", "posted_at"])]
        ordering = ["-posted_at"]

    def __str__(self) -> str:
        return f"{self.source.name}:{self.external_id}"

    @property
    def current_classification(self) -> "Classification | None":
        """Return the moderator's correction if any, else the newest model classification."""
        rows = sorted(self.classifications.all(), key=lambda c: (c.corrected_by_id is not None, c.created_at))
        return rows[-1] if rows else None


class MentionBand(models.Model):
    """One LSH band of an original mention's MinHash: mentions sharing a band are near-duplicate candidates."""

    pk = models.CompositePrimaryKey("key", "mention")
    key = models.BigIntegerField()
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.key}:{self.mention_id}"


class Classification(models.Model):
    """What one model version (or a moderator's correction) says about a mention."""

    HUMAN_VERSION = "human"

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="classifications")
    model_name = models.CharField(max_length=100)
    model_version = models.CharField(max_length=100)
    sentiment = models.CharField(max_length=16)
    sentiment_scores = models.JSONField(default=dict)
    topics = models.JSONField(default=list)
    topic_scores = models.JSONField(default=dict)
    primary_topic = models.CharField(max_length=50, blank=True, db_index=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mention", "model_version"],
                condition=models.Q(corrected_by__isnull=True),
                name="uniq_classification_per_model_version",
            )
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.mention_id} {self.sentiment} {self.topics} [{self.model_version}]"


class Customer(models.Model):
    external_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=32, blank=True, db_index=True, help_text="Digits only, 7XXXXXXXXXX")
    email = models.EmailField(blank=True, db_index=True)
    city = models.CharField(max_length=100, blank=True)
    forgotten_at = models.DateTimeField(
        null=True, blank=True, help_text="Personal data erased on request (otklik customers forget); imports keep it so")

    def __str__(self) -> str:
        return self.name or self.external_id


class Order(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", "Создан"
        IN_TRANSIT = "in_transit", "В пути"
        DELIVERED = "delivered", "Доставлен"
        LOST = "lost", "Утерян"
        RETURNED = "returned", "Возвращён"
        CANCELLED = "cancelled", "Отменён"

    order_number = models.CharField(max_length=64, unique=True)
    tracking_number = models.CharField(max_length=64, null=True, blank=True, unique=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    city = models.CharField(max_length=100, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.order_number


class QuarantinedItem(models.Model):
    """A page or item that could not be stored, kept with the reason so nothing is silently lost."""

    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="quarantine")
    url = models.URLField(max_length=1000, blank=True)
    reason = models.CharField(max_length=500)
    payload = models.TextField(blank=True, help_text="The offending content, truncated")
    fingerprint = models.CharField(max_length=64, unique=True, help_text="Dedups the same failure on reruns")
    created_at = models.DateTimeField(default=timezone.now)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: D102 - the log is append-only
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only")


class AuditEvent(models.Model):
    """Append-only record of who did what to which object, with before/after snapshots."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=100, blank=True, help_text="'system', 'cli', or the username")
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")


class WorkLease(models.Model):
    """A worker's claim on one item of a stage's work (`classify:<version>`, `route`, `index`) until it expires.

    Written only by store.services.claims on PostgreSQL, where several workers share the work; a dead worker's
    leases expire and its items are taken over. Deleted in the transaction that writes the item's result.
    """

    stage = models.CharField(max_length=120)
    item_id = models.BigIntegerField(help_text="The mention's id")
    worker = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stage", "item_id"], name="uniq_work_lease_stage_item")]
        indexes = [models.Index(fields=["stage", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.stage} #{self.item_id} by {self.worker} until {self.expires_at}"
