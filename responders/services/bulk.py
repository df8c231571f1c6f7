"""Bulk actions on the queue: assign, close (spam / off-topic, with a reason), change the topic.

Each ticket goes through the same service as its single-ticket action (workflow.assign / close, the
classification correction), one transaction per ticket, under the one ownership rule (the holder, or a lead:
workflow.require_owner). A refused ticket does not stop the others; the result names it by number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from responders.models import Ticket
from responders.services import workflow as wf
from responders.services.corrections import correct

MAX_TICKETS = 200
# Why a bulk close happens: code → the reason written to the history.
CLOSE_REASONS = {"spam": "спам", "irrelevant": "не по теме"}
VERBS = {"assign": "Назначено", "close": "Закрыто", "topic": "Тема изменена"}


@dataclass
class BulkResult:
    action: str
    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.done) + len(self.refused)

    def message(self) -> str:
        """'Закрыто 5 из 6: №123 занят другим модератором' (Russian, for the desk)."""
        head = f"{VERBS[self.action]} {len(self.done)} из {self.total}"
        if not self.refused:
            return head + "."
        return head + ": " + "; ".join(f"№{pk} {why}" for pk, why in self.refused)


def _why(pk: int, exc: Exception) -> str:
    """A short Russian reason after the ticket number: 'занят другим модератором', 'закрыто', …"""
    if isinstance(exc, wf.ClaimConflict):
        return "занят другим модератором"
    if isinstance(exc, Ticket.DoesNotExist):
        return "не найдено"
    text = str(exc)
    return text.removeprefix(f"обращение #{pk} ").removeprefix(f"обращения #{pk} ")


def _each(action: str, ids: list[int], do) -> BulkResult:
    result = BulkResult(action)
    for pk in list(dict.fromkeys(ids))[:MAX_TICKETS]:
        try:
            do(pk)
        except (wf.TransitionError, ValueError, Ticket.DoesNotExist) as exc:
            result.refused.append((pk, _why(pk, exc)))
        else:
            result.done.append(pk)
    return result


def bulk_assign(ids: list[int], assignee, user) -> BulkResult:
    """Give the tickets to `assignee`: a lead any open ticket, a moderator the ones they hold or free ones."""

    def do(pk: int) -> None:
        ticket = Ticket.objects.select_related("assignee").get(pk=pk)
        wf.require_owner(ticket, user, timezone.now())
        wf.assign(pk, assignee, by=user)

    return _each("assign", ids, do)


def bulk_close(ids: list[int], user, reason: str, note: str = "") -> BulkResult:
    """Close the tickets as spam or off-topic (`reason` is a CLOSE_REASONS code); `note` is added to the reason."""
    if reason not in CLOSE_REASONS:
        raise ValueError("укажите причину: спам или не по теме")
    text = CLOSE_REASONS[reason] + (f": {note.strip()}" if note.strip() else "")

    def do(pk: int) -> None:
        ticket = Ticket.objects.select_related("assignee").get(pk=pk)
        wf.require_owner(ticket, user, timezone.now())  # the close below claims a free ticket on the way
        wf.close(pk, user, reason=text[:200])

    return _each("close", ids, do)


def bulk_topic(ids: list[int], user, topic: str) -> BulkResult:
    """Make `topic` the tickets' main topic (a classification correction: kept for retraining)."""

    def do(pk: int) -> None:
        ticket = Ticket.objects.select_related("mention").get(pk=pk)
        current = ticket.mention.current_classification
        sentiment = (current.sentiment if current else "") or ticket.sentiment or "neutral"
        others = [t for t in (current.topics if current else []) if t != topic]
        if current is not None and current.primary_topic == topic:
            raise wf.TransitionError("тема уже такая")
        correct(pk, user, sentiment=sentiment, topics=[topic, *others])

    return _each("topic", ids, do)
