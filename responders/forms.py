"""Desk forms: reply, close, classification correction, order link, assignment, settings, metrics period."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from classifiers.taxonomy import SENTIMENTS, load_taxonomy
from responders.models import DeskSettings, SlaState, TicketKind, TicketState
from store.models import SourceKind


def topic_choices() -> list[tuple[str, str]]:
    tax = load_taxonomy()
    return [(t.code, t.name) for t in tax.topics]


class QueueFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Поиск")
    topic = forms.ChoiceField(required=False, label="Тема")
    sentiment = forms.ChoiceField(required=False, label="Тональность",
                                  choices=[("", "любая"), ("negative", "негатив"), ("neutral", "нейтрально"),
                                           ("positive", "позитив")])
    channel = forms.ChoiceField(required=False, label="Канал", choices=[("", "любой")] + SourceKind.choices)
    sla_state = forms.ChoiceField(required=False, label="SLA", choices=[("", "любой")] + SlaState.choices)
    kind = forms.ChoiceField(required=False, label="Тип", choices=[("", "любой")] + TicketKind.choices)
    state = forms.ChoiceField(required=False, label="Статус",
                              choices=[("", "открытые"), ("all", "все")] + TicketState.choices)
    assignee = forms.ChoiceField(required=False, label="Исполнитель")
    unanswered = forms.BooleanField(required=False, label="Без ответа")

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", "любая")] + topic_choices()
        team = (get_user_model().objects.filter(is_active=True, groups__name__in=["moderator", "lead"])
                .distinct().order_by("username").values_list("username", flat=True))
        self.fields["assignee"].choices = [("", "любой"), ("me", "мои"), ("none", "без исполнителя")] + [
            (u, u) for u in team]


class ReplyForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"id": "reply-text", "rows": 8}), max_length=5000,
                           label="Текст ответа")
    template = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CloseForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, label="Причина (если без ответа)")


class CorrectionForm(forms.Form):
    sentiment = forms.ChoiceField(choices=[(s, s) for s in SENTIMENTS], label="Тональность")
    topics = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label="Темы")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = topic_choices()


class LinkOrderForm(forms.Form):
    reference = forms.CharField(max_length=64, label="Номер заказа или трек-номер")


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label="Исполнитель")

    def __init__(self, *args, **kwargs):
        from responders.services.assignment import moderators

        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = moderators()


class DeskSettingsForm(forms.ModelForm):
    class Meta:
        model = DeskSettings
        fields = ["first_reply_hours", "resolution_hours", "at_risk_hours", "claim_ttl_minutes", "assignment_mode"]
        labels = {
            "first_reply_hours": "Первый ответ, ч", "resolution_hours": "Закрытие, ч",
            "at_risk_hours": "«Под угрозой» за, ч", "claim_ttl_minutes": "Бронь без активности, мин",
            "assignment_mode": "Автоназначение",
        }

    def clean(self):
        data = super().clean()
        for name in ("first_reply_hours", "resolution_hours", "at_risk_hours"):
            if data.get(name) is not None and data[name] <= 0:
                self.add_error(name, "Должно быть больше нуля.")
        return data


class PeriodForm(forms.Form):
    start = forms.DateField(required=False, label="С", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="По (включительно)", widget=forms.DateInput(attrs={"type": "date"}))

    def period(self) -> tuple[date, date]:
        """The chosen [start, end] dates, default: the last 7 days including today."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=6)
        if start > end:
            start, end = end, start
        return start, end


class BulkForm(forms.Form):
    """The queue's bulk bar: what to do with the selected tickets (their ids come as `tickets`, see views.bulk)."""

    ACTIONS = [("", "— действие —"), ("assign", "Назначить"), ("close", "Закрыть"), ("topic", "Сменить тему")]
    action = forms.ChoiceField(choices=ACTIONS, label="С выбранными", error_messages={
        "required": "Выберите действие.", "invalid_choice": "Нет такого действия."})
    assignee = forms.ModelChoiceField(queryset=None, required=False, label="Кому", empty_label="— кому —")
    reason = forms.ChoiceField(required=False, label="Причина",
                               choices=[("", "— причина —"), ("spam", "спам"), ("irrelevant", "не по теме")])
    note = forms.CharField(required=False, max_length=150, label="Комментарий",
                           widget=forms.TextInput(attrs={"placeholder": "комментарий"}))
    topic = forms.ChoiceField(required=False, label="Тема")
    back = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        from responders.services.assignment import moderators

        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = moderators()
        self.fields["topic"].choices = [("", "— тема —")] + topic_choices()

    def clean(self):
        data = super().clean()
        needs = {"assign": ("assignee", "Выберите, кому назначить."),
                 "close": ("reason", "Укажите причину закрытия: спам или не по теме."),
                 "topic": ("topic", "Выберите тему.")}
        if data.get("action") in needs:
            name, text = needs[data["action"]]
            if not data.get(name):
                self.add_error(name, text)
        return data
