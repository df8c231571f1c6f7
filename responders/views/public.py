"""The one page customers see: the CSAT question (no login; the token in the link is the key)."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render

from responders.models import CsatSurvey
from responders.services.csat import record_answer


class CsatForm(forms.Form):
    score = forms.TypedChoiceField(choices=[(i, str(i)) for i in range(1, 6)], coerce=int,
                                   widget=forms.RadioSelect, label="Оценка")
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                              label="Комментарий")


def csat(request, token: str):
    survey = CsatSurvey.objects.filter(token=token).first()
    if survey is None:
        raise Http404
    form = CsatForm(request.POST or None)
    if survey.answered_at is None and request.method == "POST" and form.is_valid():
        survey = record_answer(token, form.cleaned_data["score"], form.cleaned_data["comment"])
    return render(request, "desk/csat.html", {"survey": survey, "form": form})
