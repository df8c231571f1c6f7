"""The report filter form of the desk page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone

from classifiers.taxonomy import load_taxonomy
from store.models import Source

MAX_DAYS = 366


class ReportForm(forms.Form):
    date_from = forms.DateField(label="С", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="По (включительно)", widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.MultipleChoiceField(label="Источники", required=False)
    topic = forms.MultipleChoiceField(label="Темы", required=False)

    def __init__(self, data=None, **kwargs):
        today = timezone.localdate()
        initial = {"date_from": today - timedelta(days=13), "date_to": today}
        if data is not None and not any(k in data for k in ("date_from", "date_to", "source", "topic")):
            data = None
        super().__init__(data if data is not None else {k: v.isoformat() for k, v in initial.items()}, **kwargs)
        self.fields["source"].choices = [(n, n) for n in Source.objects.values_list("name", flat=True)]
        self.fields["topic"].choices = [(t.code, t.name) for t in load_taxonomy().topics]

    def clean(self):
        data = super().clean()
        a, b = data.get("date_from"), data.get("date_to")
        if a and b and b < a:
            raise forms.ValidationError("Дата «по» раньше даты «с».")
        if a and b and (b - a).days >= MAX_DAYS:
            raise forms.ValidationError(f"Период не длиннее {MAX_DAYS} дней.")
        return data

    def period(self) -> tuple[datetime, datetime]:
        """[start, end) in the configured time zone; the «to» day is included."""
        tz = timezone.get_current_timezone()

        def at(d: date) -> datetime:
            return datetime.combine(d, time(), tzinfo=tz)

        return at(self.cleaned_data["date_from"]), at(self.cleaned_data["date_to"] + timedelta(days=1))
