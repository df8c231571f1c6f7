from django.contrib import admin

from responders.models import (
    ActiveCustomers,
    CsatSurvey,
    DeskSettings,
    Reply,
    ReplyAttempt,
    ReplyTemplate,
    SlaNotification,
    Ticket,
    TicketEvent,
    TicketOrderLink,
)


class OrderLinkInline(admin.TabularInline):
    model = TicketOrderLink
    extra = 0
    raw_id_fields = ("order", "created_by")


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ("from_state", "to_state", "actor", "at", "note")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "state", "topic", "channel", "assignee", "resolution_due", "sla_state", "resolution_met")
    list_filter = ("kind", "state", "sla_state", "channel", "topic")
    raw_id_fields = ("mention", "assignee", "escalated_to")
    inlines = [OrderLinkInline, EventInline]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("topic", "situation", "title", "active")
    list_filter = ("topic", "situation", "active")
    search_fields = ("title", "text")


class AttemptInline(admin.TabularInline):
    model = ReplyAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("at", "adapter", "ok", "request", "response", "error")


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ("ticket", "purpose", "author", "status", "adapter", "attempts", "created_at", "sent_at")
    list_filter = ("status", "purpose", "adapter")
    raw_id_fields = ("ticket", "author", "template")
    inlines = [AttemptInline]


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ("ticket", "from_state", "to_state", "actor", "at", "note")


@admin.register(SlaNotification)
class SlaNotificationAdmin(admin.ModelAdmin):
    list_display = ("ticket", "clock", "level", "due_at", "escalated_to", "delivered", "webhook_status", "created_at")
    list_filter = ("clock", "level", "delivered")


@admin.register(CsatSurvey)
class CsatSurveyAdmin(admin.ModelAdmin):
    list_display = ("ticket", "created_at", "score", "answered_at")
    exclude = ("token",)


@admin.register(DeskSettings)
class DeskSettingsAdmin(admin.ModelAdmin):
    list_display = ("first_reply_hours", "resolution_hours", "at_risk_hours", "claim_ttl_minutes", "assignment_mode",
                    "updated_by", "updated_at")
    exclude = ("round_robin_last",)


@admin.register(ActiveCustomers)
class ActiveCustomersAdmin(admin.ModelAdmin):
    """The company's monthly active-customer counts (the claim rate's denominator); leads may edit them."""

    list_display = ("month_label", "count", "updated_at")
    ordering = ("-month",)

    @admin.display(description="месяц", ordering="month")
    def month_label(self, obj: ActiveCustomers) -> str:
        return f"{obj.month:%m.%Y}"
