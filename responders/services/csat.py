"""Closing the loop: after a complaint is closed, ask the customer for a 1–5 rating and record the answer."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from responders.config import ResponderConfig
from responders.models import CsatSurvey, Reply, Ticket
from responders.services.outbox import adapter_name_for
from responders.services.templates import customer_name, fill
from store.services.audit import record

DEFAULT_TEXT = "{name}, мы закрыли ваше обращение. Оцените, пожалуйста, как мы помогли, от 1 до 5: {link}"


def survey_link(token: str) -> str:
    """The public answer page of a survey."""
    return str(settings.OTKLIK.get("PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/") + reverse(
        "csat", args=[token])


def maybe_send_survey(ticket: Ticket, cfg: ResponderConfig, now: datetime) -> CsatSurvey | None:
    """Queue the follow-up question for a closed ticket if configured for its kind (once per closing)."""
    csat = cfg.csat or {}
    if not csat.get("enabled", False) or ticket.kind not in (csat.get("kinds") or ["complaint"]):
        return None
    if ticket.reply_count == 0 or ticket.surveys.filter(answered_at__isnull=True).exists():
        return None
    token = secrets.token_urlsafe(24)
    text = fill(csat.get("text") or DEFAULT_TEXT, {"name": customer_name(ticket), "link": survey_link(token)})
    reply = Reply.objects.create(ticket=ticket, text=text, purpose=Reply.Purpose.CSAT, created_at=now,
                                 next_attempt_at=now, adapter=adapter_name_for(ticket.channel))
    survey = CsatSurvey.objects.create(ticket=ticket, token=token, reply=reply, created_at=now)
    record("csat.send", survey, label="system", after={"ticket": ticket.pk, "reply": reply.pk})
    return survey


def record_answer(token: str, score: int, comment: str = "", now: datetime | None = None) -> CsatSurvey:
    """Store the customer's rating (1–5); the first answer counts, later ones are refused."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError("the rating must be a whole number from 1 to 5")
    with transaction.atomic():
        survey = CsatSurvey.objects.select_for_update().filter(token=token).first()
        if survey is None:
            raise LookupError("unknown survey")
        if survey.answered_at is not None:
            raise ValueError("this survey has already been answered")
        survey.score, survey.comment, survey.answered_at = score, comment[:2000], now or timezone.now()
        survey.save(update_fields=["score", "comment", "answered_at"])
        record("csat.answer", survey, label="customer", after={"score": score, "ticket": survey.ticket_id})
    return survey
