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
