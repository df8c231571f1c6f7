from django import forms
from django.conf import settings
from django.utils.module_loading import import_string
from django.contrib import admin

from store.models import (
    AuditEvent,
    Classification,
    Customer,
    Mention,
    Order,
    QuarantinedItem,
    Source,
)


class SourceForm(forms.ModelForm):
    """Checks a source the way the sources file is checked, with the validator settings.OTKLIK["SOURCE_VALIDATOR"]
    names (the crawlers' `source_problem`: the store does not import the crawlers)."""

    class Meta:
        model = Source
        fields = "__all__"

    def clean(self):
        data = super().clean()
        path = settings.OTKLIK.get("SOURCE_VALIDATOR")
        if path and data.get("kind") and isinstance(data.get("config"), dict):
            problem = import_string(path)(data.get("name"), data["kind"], data.get("schedule"),
                                          bool(data.get("enabled")), data["config"])
            if problem:
                field = next((f for f in ("name", "kind", "schedule", "enabled") if f"key '{f}'" in problem), "config")
                self.add_error(field, f"{data['kind']} source {problem}")
        return data


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ("name", "kind", "enabled", "schedule", "last_run_at", "last_status")
    list_filter = ("kind", "enabled")
    search_fields = ("name",)


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "external_id", "posted_at", "lang", "duplicate_of")
    list_filter = ("source", "lang")
    search_fields = ("text", "external_id", "author")
    raw_id_fields = ("duplicate_of",)


@admin.register(Classification)
class ClassificationAdmin(admin.ModelAdmin):
    list_display = ("mention", "model_version", "sentiment", "primary_topic", "corrected_by", "created_at")
    list_filter = ("model_version", "sentiment", "primary_topic")
    raw_id_fields = ("mention",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("external_id", "name", "phone", "email", "city")
    search_fields = ("external_id", "name", "phone", "email")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("order_number", "tracking_number", "customer", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("order_number", "tracking_number")


@admin.register(QuarantinedItem)
class QuarantinedItemAdmin(admin.ModelAdmin):
    list_display = ("created_at", "source", "reason", "url", "resolved")
    list_filter = ("source", "resolved")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
