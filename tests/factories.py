"""Small model factories for tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from store.models import Classification, Mention, Source
from store.text import content_hash

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
_ids = itertools.count(1)


def source(name: str = "tg", kind: str = "telegram") -> Source:
    return Source.objects.get_or_create(name=name, defaults={"kind": kind})[0]


def mention(text: str = "Курьер опоздал", src: Source | None = None, posted_at: datetime = T0, **kw) -> Mention:
    src = src or source()
    return Mention.objects.create(source=src, external_id=kw.pop("external_id", str(next(_ids))), text=text,
                                  posted_at=posted_at, content_hash=content_hash(text), **kw)


def classified(text: str = "Курьер опоздал", sentiment: str = "negative", topics=("delivery_delay",), **kw) -> Mention:
    m = mention(text, **kw)
    Classification.objects.create(mention=m, model_name="test", model_version="test-v1", sentiment=sentiment,
                                  topics=list(topics), topic_scores={t: 0.9 for t in topics},
                                  primary_topic=topics[0] if topics else "")
    return m
