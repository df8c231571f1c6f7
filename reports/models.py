"""Alerts sent about spikes: persisted so one spike is one alert and a topic stays quiet within the cooldown."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Alert(models.Model):
    class Kind(models.TextChoices):
        SPIKE = "spike", "Всплеск темы"
        NEGATIVE_SURGE = "negative_surge", "Всплеск негатива"

    class Status(models.TextChoices):
        PENDING = "pending", "Отправляется"
        SENT = "sent", "Отправлено"
        RECORDED = "recorded", "Записано (каналы не настроены)"
        FAILED = "failed", "Ошибка отправки"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    topic = models.CharField(max_length=50, help_text="Topic code, or * for negative mentions over all topics")
    topic_name = models.CharField(max_length=200, blank=True)
    bucket = models.CharField(max_length=8, default="day")
    spike_start = models.DateTimeField(help_text="Start of the spike's first flagged bucket: one spike, one alert")
    peak_at = models.DateTimeField()
    peak_count = models.PositiveIntegerField()
    baseline = models.FloatField()
    payload = models.JSONField(default=dict, help_text="What was sent: counts, top terms, quotes")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    channels = models.JSONField(default=dict, blank=True, help_text="Per channel: ok or the error")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "topic", "spike_start"], name="uniq_alert_per_spike"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.topic}@{self.spike_start:%Y-%m-%d %H:%M} {self.status}"

    @property
    def rise(self) -> float:
        return self.peak_count - self.baseline
