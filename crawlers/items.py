"""The one item schema every spider yields."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class MentionItem:
    source: str
    external_id: str
    text: str
    posted_at: str
    url: str = ""
    author: str = ""
    title: str = ""
    rating: int | None = None
    raw: dict = field(default_factory=dict)


@dataclass
class QuarantineItem:
    """A page or record a spider could not parse; stored with its reason, never dropped silently."""

    source: str
    url: str
    reason: str
    payload: str = ""
