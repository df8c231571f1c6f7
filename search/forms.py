"""The desk search form: validated filters become a Query."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from classifiers.taxonomy import SENTIMENTS, load_taxonomy
from responders.models import TicketState
from search.documents import NO_TOPIC
from search.query import Query
from store.models import Source, SourceKind

SENTIMENT_NAMES = {"negative": "негатив", "neutral": "нейтрально", "positive": "позитив"}


def _any(choices) -> list[tuple[str, str]]:
    return [("", "все"), *choices]


class SearchForm(forms.Form):
    q = forms.CharField(label="Текст", required=False, max_length=500)
    source = forms.ChoiceField(label="Источник", required=False)
    channel = forms.ChoiceField(label="Канал", required=False, choices=_any(SourceKind.choices))
    topic = forms.ChoiceField(label="Тема", required=False)
    sentiment = forms.ChoiceField(label="Тональность", required=False,
                                  choices=_any([(s, SENTIMENT_NAMES.get(s, s)) for s in SENTIMENTS]))
    state = forms.ChoiceField(label="Статус обращения", required=False, choices=_any(TicketState.choices))
    date_from = forms.DateField(label="С", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="По", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    duplicates = forms.BooleanField(label="С дубликатами", required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=500, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = _any(Source.objects.order_by("name").values_list("name", "name"))
        taxonomy = load_taxonomy()
        topics = [(t.code, t.name) for t in taxonomy.topics]
        if NO_TOPIC not in taxonomy:
            topics.append((NO_TOPIC, "Другое"))
        self.fields["topic"].choices = _any(topics)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("Дата «с» позже даты «по».")
        return data

    def to_query(self) -> Query:
        """The Query these (valid) fields describe; dates are whole local days, both ends included."""
        d = self.cleaned_data
        tz = timezone.get_current_timezone()

        def start_of(day):
            return timezone.make_aware(datetime.combine(day, time.min), tz) if day else None

        return Query(
            text=d.get("q") or "",
            sources=[d["source"]] if d.get("source") else [],
            channels=[d["channel"]] if d.get("channel") else [],
            topics=[d["topic"]] if d.get("topic") else [],
            sentiments=[d["sentiment"]] if d.get("sentiment") else [],
            ticket_states=[d["state"]] if d.get("state") else [],
            date_from=start_of(d.get("date_from")),
            date_to=start_of(d["date_to"] + timedelta(days=1)) if d.get("date_to") else None,
            include_duplicates=bool(d.get("duplicates")),
        )
