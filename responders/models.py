"""Tickets and replies: every piece of feedback becomes a ticket that must be closed within its target."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Least
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


def next_due_expression():
    """The due time a ticket is worked by: the first-reply due time until the first reply, then the resolution one."""
    return models.Case(
        models.When(first_replied_at__isnull=True, then=Least("first_reply_due", "resolution_due")),
        default=models.F("resolution_due"),
    )


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
    # Targets fixed when the ticket opens (later config changes do not move an open ticket's goalposts).
    first_reply_target_h = models.FloatField(null=True, blank=True)
    resolution_target_h = models.FloatField(null=True, blank=True)
    # Durations rebuilt from the state history: wall-clock and business seconds.
    first_reply_seconds = models.FloatField(null=True, blank=True)
    first_reply_business_seconds = models.FloatField(null=True, blank=True)
    resolution_seconds = models.FloatField(null=True, blank=True, help_text="Running time of the resolution clock")
    resolution_business_seconds = models.FloatField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0, help_text="Time waiting for the customer (clock paused)")
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["resolution_due", "id"]
        indexes = [
            # The desk queue: open tickets, earliest next due first (responders.views.queue.with_next_due).
            models.Index(next_due_expression(), "id", name="ticket_open_next_due",
                         condition=~models.Q(state="closed")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.state}"

    def thread(self) -> list[Mention]:
        """The conversation: the ticket's mention and the later messages attached to it, in time order."""
        later = [f.mention for f in self.followups.select_related("mention")]
        return sorted([self.mention, *later], key=lambda m: (m.posted_at, m.pk))


class TicketMessage(models.Model):
    """A later message of the ticket's conversation attached to it: the customer's reply in the same thread or
    chain, or a new version of their review (responders.services.threads)."""

    class Effect(models.TextChoices):
        ATTACHED = "attached", "Добавлено в ветку"
        RESUMED = "resumed", "Клиент ответил"
        REOPENED = "reopened", "Открыто снова"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followups")
    mention = models.OneToOneField(Mention, on_delete=models.PROTECT, related_name="thread_entry")
    effect = models.CharField(max_length=20, choices=Effect.choices)
    attached_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attached_at", "id"]

    def __str__(self) -> str:
        return f"#{self.ticket_id} <- {self.mention_id} ({self.effect})"


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
    """An outbox entry: a reply (or a CSAT follow-up) to publish on the mention's channel."""

    class Status(models.TextChoices):
        PENDING = "pending", "В очереди"
        SENT = "sent", "Отправлен"
        DRY_RUN = "dry_run", "Не отправлялся (dry-run)"
        MANUAL = "manual", "Скопировать вручную"
        FAILED = "failed", "Ошибка"

    class Purpose(models.TextChoices):
        REPLY = "reply", "Ответ"
        CSAT = "csat", "Опрос CSAT"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    template = models.ForeignKey(ReplyTemplate, null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField()
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.REPLY)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    adapter = models.CharField(max_length=30, blank=True, help_text="The channel adapter that handled it")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    external_id = models.CharField(max_length=255, blank=True, help_text="Id the channel gave the published reply")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class ReplyAttempt(models.Model):
    """One try to publish a reply: exactly what was sent where and what came back."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    adapter = models.CharField(max_length=30)
    ok = models.BooleanField()
    request = models.JSONField(default=dict, help_text="What was sent (credentials left out)")
    response = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]


class SlaNotification(models.Model):
    """An at-risk or breach notice for one clock of one ticket: sent once, retried until delivered."""

    class Clock(models.TextChoices):
        FIRST_REPLY = "first_reply", "Первый ответ"
        RESOLUTION = "resolution", "Закрытие"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_notifications")
    clock = models.CharField(max_length=20, choices=Clock.choices)
    level = models.CharField(max_length=20, choices=SlaState.choices)
    due_at = models.DateTimeField()
    escalated_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    recipients = models.JSONField(default=list)
    email_sent = models.BooleanField(default=False)
    webhook_status = models.CharField(max_length=50, blank=True)
    delivered = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "clock", "level"], name="uniq_sla_notice")]
        ordering = ["-created_at", "-id"]


class TicketViewer(models.Model):
    """Who has a ticket open in the desk (presence), refreshed by the page's heartbeat."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="viewers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="uniq_ticket_viewer")]


class CsatSurvey(models.Model):
    """The follow-up question (1–5) sent after a complaint is closed, and the customer's answer."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    token = models.CharField(max_length=64, unique=True)
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                                   name="csat_score_1_5"),
        ]
        ordering = ["-created_at"]


class AssignmentMode(models.TextChoices):
    OFF = "off", "Вручную"
    ROUND_ROBIN = "round_robin", "По кругу"
    LEAST_LOADED = "least_loaded", "Наименее загруженному"


class DeskSettings(models.Model):
    """SLA and assignment settings a lead edits in the desk; empty fields fall back to rules.yaml."""

    first_reply_hours = models.FloatField(null=True, blank=True)
    resolution_hours = models.FloatField(null=True, blank=True)
    at_risk_hours = models.FloatField(null=True, blank=True)
    claim_ttl_minutes = models.PositiveIntegerField(null=True, blank=True)
    assignment_mode = models.CharField(max_length=20, choices=AssignmentMode.choices, blank=True)
    round_robin_last = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "desk settings"

    @classmethod
    def current(cls) -> "DeskSettings":
        """The one settings row (created empty on first use)."""
        return cls.objects.get_or_create(pk=1)[0]


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


class ActiveCustomers(models.Model):
    """The company's own count of active customers in a calendar month: the claim rate's denominator.

    Otklik cannot know it (it sees only the orders it was given); `otklik customers import-active` loads it from
    a CSV and leads edit it in the admin. See responders.services.customer_base for how a period uses it.
    """

    month = models.DateField("месяц", unique=True, help_text="Первое число месяца.")
    count = models.PositiveIntegerField("активных клиентов")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["month"]
        verbose_name = "активные клиенты за месяц"
        verbose_name_plural = "активные клиенты по месяцам"
        constraints = [models.CheckConstraint(condition=models.Q(count__gte=1), name="active_customers_positive")]

    def __str__(self) -> str:
        return f"{self.month:%m.%Y}: {self.count}"

    def clean(self) -> None:
        if self.month:
            self.month = self.month.replace(day=1)  # before the form checks that the month is unique

    def save(self, *args, **kwargs):
        self.month = self.month.replace(day=1)  # a month is stored as its first day
        super().save(*args, **kwargs)
