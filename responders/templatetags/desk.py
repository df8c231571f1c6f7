"""Template helpers for the desk: crawled URLs are only linked when they are plain http(s)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def http_url(value: str) -> str:
    """The URL if its scheme is http or https, else '' (no javascript:, data: … links from crawled data)."""
    value = (value or "").strip()
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return ""
    return value if scheme in ("http", "https") else ""


@register.filter
def hours(seconds) -> str:
    """Seconds as hours with one decimal ('—' if unknown)."""
    if seconds is None:
        return "—"
    return f"{seconds / 3600:.1f} ч"


@register.filter
def num(value, digits: int = 1) -> str:
    """A number rounded for a table ('—' if unknown)."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


@register.filter(name="has_role")
def has_role_filter(user, role: str) -> bool:
    """`{% if user|has_role:"lead" %}`: the same check as the views."""
    from responders.roles import has_role

    return has_role(user, role)


SENTIMENT_NAMES = {"negative": "негатив", "neutral": "нейтрально", "positive": "позитив"}


@register.filter
def topic_name(code: str) -> str:
    """The taxonomy's Russian name of a topic code ('' stays '')."""
    from classifiers.taxonomy import load_taxonomy

    return load_taxonomy().name(code) if code else ""


@register.filter
def topic_names(codes) -> str:
    """Comma-separated Russian names of a list of topic codes."""
    return ", ".join(topic_name(c) for c in codes or [])


@register.filter
def sentiment_name(value: str) -> str:
    return SENTIMENT_NAMES.get(value, value)


EVENT_NOTES = {"opened": "открыто", "claimed": "взято в работу", "released": "возвращено в очередь",
               "replied": "ответ поставлен в очередь", "waiting for the customer": "ждём клиента",
               "customer answered": "клиент ответил", "reopened": "открыто снова", "closed": "закрыто"}
EVENT_PREFIXES = (("assigned to ", "назначено: "), ("dismissed: ", "закрыто без ответа: "),
                  ("escalated to ", "эскалировано руководителю: "))


@register.filter
def state_name(code: str) -> str:
    """The Russian name of a ticket state code ('' → '—')."""
    from responders.models import TicketState

    return TicketState(code).label if code in TicketState.values else (code or "—")


@register.filter
def event_note(note: str) -> str:
    """A history note in Russian: the service's notes are stored as short English codes."""
    note = note or ""
    if note in EVENT_NOTES:
        return EVENT_NOTES[note]
    for prefix, russian in EVENT_PREFIXES:
        if note.startswith(prefix):
            return russian + note[len(prefix):]
    return note


@register.filter
def group_key(key: str, dimension: str) -> str:
    """A metrics row's key as people read it: topic and channel names instead of codes (CSV keeps the codes)."""
    if dimension == "topic":
        return topic_name(key) or key
    if dimension == "channel":
        from store.models import SourceKind

        return SourceKind(key).label if key in SourceKind.values else key
    if dimension == "moderator" and key in ("", "None"):
        return "не назначено"
    return key


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return f"{minutes} мин"
    hours = minutes // 60
    return f"{hours} ч" if hours < 48 else f"{hours // 24} дн {hours % 24} ч"


@register.simple_tag
def due_in(due, now, state: str = "") -> str:
    """"осталось 5 ч" / "просрочено на 3 ч" for a due time ("на паузе" while the ticket waits for the customer)."""
    if due is None:
        return ""
    if state == "waiting":
        return "на паузе"
    left = (due - now).total_seconds()
    return f"осталось {_span(left)}" if left >= 0 else f"просрочено на {_span(left)}"


@register.simple_tag
def desk_poll_seconds() -> str:
    """The nav counter's polling interval in seconds (settings.OTKLIK['DESK_POLL_SECONDS'])."""
    from responders.views.bulk import poll_seconds

    return f"{poll_seconds():g}"
