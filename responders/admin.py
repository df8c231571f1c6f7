from django.contrib import admin

from responders.models import Reply, ReplyTemplate, Ticket, TicketEvent, TicketOrderLink


class OrderLinkInline(admin.TabularInline):
    model = TicketOrderLink
    extra = 0
    raw_id_fields = ("order",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "state", "topic", "channel", "assignee", "resolution_due", "sla_state")
    list_filter = ("kind", "state", "sla_state", "channel", "topic")
    raw_id_fields = ("mention",)
    inlines = [OrderLinkInline]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("topic", "situation", "title", "active")
    list_filter = ("topic", "situation", "active")


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ("ticket", "author", "status", "created_at", "sent_at")


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ("ticket", "from_state", "to_state", "actor", "at")
