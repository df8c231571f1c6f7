"""Load the logistics topic taxonomy from its data file."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")
SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Topic:
    code: str
    name: str
    description: str = ""
    examples: tuple[str, ...] = ()
    lemmas: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    version: int
    topics: tuple[Topic, ...] = field(default_factory=tuple)

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.topics]

    def name(self, code: str) -> str:
        """Return the Russian display name of a topic code (the code itself if unknown)."""
        for t in self.topics:
            if t.code == code:
                return t.name
        return code

    def __contains__(self, code: object) -> bool:
        return any(t.code == code for t in self.topics)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read a taxonomy YAML file; raise ValueError on duplicate or missing codes."""
    p = Path(path) if path else DEFAULT_TAXONOMY_PATH
    return _load(str(p.resolve()))


@lru_cache(maxsize=8)
def _load(path: str) -> Taxonomy:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    topics = []
    seen: set[str] = set()
    for entry in raw.get("topics", []):
        code = entry.get("code")
        if not code:
            raise ValueError(f"{path}: a topic has no code")
        if code in seen:
            raise ValueError(f"{path}: duplicate topic code {code!r}")
        seen.add(code)
        topics.append(
            Topic(
                code=code,
                name=entry.get("name", code),
                description=entry.get("description", ""),
                examples=tuple(entry.get("examples", ())),
                lemmas=tuple(tuple(rule) for rule in entry.get("lemmas", ())),
            )
        )
    if not topics:
        raise ValueError(f"{path}: no topics defined")
    return Taxonomy(version=int(raw.get("version", 1)), topics=tuple(topics))
