"""Tickets and replies: every piece of feedback becomes a ticket that must be closed within its target."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from store.models import Mention, Order


class TicketKind(models.TextChoices):
    COMPLAINT = "complaint", "Жалоба"
    QUESTION = "question", "Вопрос"
    PRAISE = "praise", "Благодарность"
    SPAM = "spam", "Спам"
    OTHER = "other", "Другое"


class TicketState(models.TextChoices):
    NEW = "new", "Новый"
    CLAIMED = "claimed", "В работе"
    REPLIED = "replied", "Отвечен"
    WAITING = "waiting", "Ждём клиента"
    CLOSED = "closed", "Закрыт"


class SlaState(models.TextChoices):
    OK = "ok", "В срок"
    AT_RISK = "at_risk", "Под угрозой"
    BREACHED = "breached", "Просрочен"


class TicketQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(state=TicketState.CLOSED)

    def by_due(self):
        """Earliest resolution due time first: the order moderators work in."""
        return self.order_by("resolution_due", "id")


class Ticket(models.Model):
    mention = models.OneToOneField(Mention, on_delete=models.PROTECT, related_name="ticket")
    kind = models.CharField(max_length=20, choices=TicketKind.choices)
    state = models.CharField(max_length=20, choices=TicketState.choices, default=TicketState.NEW, db_index=True)
    priority = models.PositiveSmallIntegerField(default=2, help_text="1 = highest")
    topic = models.CharField(max_length=50, blank=True, db_index=True)
    sentiment = models.CharField(max_length=16, blank=True)
    channel = models.CharField(max_length=20, blank=True, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(help_text="When the clocks start: when the customer spoke")
    first_reply_due = models.DateTimeField()
    resolution_due = models.DateTimeField(db_index=True)
    first_replied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)
    dismissed = models.BooleanField(default=False, help_text="Closed without a reply (spam, news): outside the SLA")
    sla_state = models.CharField(max_length=20, choices=SlaState.choices, default=SlaState.OK, db_index=True)
    first_reply_met = models.BooleanField(null=True, blank=True, help_text="Frozen when the first reply is sent")
    resolution_met = models.BooleanField(null=True, blank=True, help_text="Frozen when the ticket closes")
    reply_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["resolution_due", "id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.state}"


class TicketOrderLink(models.Model):
    """A typed relation between a ticket and the order it is about, with how it was matched."""

    class MatchedBy(models.TextChoices):
        ORDER_NUMBER = "order_number", "Номер заказа"
        TRACKING_NUMBER = "tracking_number", "Трек-номер"
        PHONE = "phone", "Телефон"
        EMAIL = "email", "E-mail"
        MANUAL = "manual", "Вручную"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="order_links")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="ticket_links")
    matched_by = models.CharField(max_length=20, choices=MatchedBy.choices)
    matched_value = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "order"], name="uniq_ticket_order")]


class ReplyTemplate(models.Model):
    """A reply text for one topic and situation, with {placeholders} filled from the ticket."""

    topic = models.CharField(max_length=50, help_text="Topic code from the taxonomy, or * for any")
    situation = models.CharField(max_length=50, default="default", help_text="default, rude, praise, question…")
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="Placeholders: {name} {order} {tracking} {tracking_link}")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "situation"], name="uniq_template_topic_situation")]
        ordering = ["topic", "situation"]

    def __str__(self) -> str:
        return f"{self.topic}/{self.situation}: {self.title}"


class Reply(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "В очереди"
        SENT = "sent", "Отправлен"
        DRY_RUN = "dry_run", "Не отправлялся (dry-run)"
        FAILED = "failed", "Ошибка"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    template = models.ForeignKey(ReplyTemplate, null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class TicketEvent(models.Model):
    """State history of a ticket; clocks are rebuilt from it (waiting time pauses resolution)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
