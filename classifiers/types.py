"""The prediction contract every classifier in Otklik fulfils."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol, Sequence


@dataclass
class Prediction:
    sentiment: str
    sentiment_scores: dict[str, float]
    topics: list[str]
    topic_scores: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class Classifier(Protocol):
    """Anything with a name, a version and a batch `predict`."""

    name: str
    version: str

    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...
