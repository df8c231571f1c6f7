"""The Otklik checkpoint convention on top of a plain Hugging Face sequence-classification checkpoint.

One `AutoModelForSequenceClassification` checkpoint; `num_labels = 3 + N`. The logits split as:
columns 0..2 = sentiment (softmax over negative/neutral/positive), 3.. = topics (independent
sigmoids, one per code). `config.id2label` names every column ("sentiment:negative",
"topic:delivery_delay" …) and extra config keys carry the rest:

    otklik_sentiment_labels   ["negative", "neutral", "positive"]
    otklik_topic_labels       ["delivery_delay", …]          (the taxonomy codes, in column order)
    otklik_topic_thresholds   {"delivery_delay": 0.41, …}    (tuned on a validation split of train)
    otklik_model_version      "e5s-20250101-abcdef"
    otklik_taxonomy_version   1
    otklik_text_prefix        "query: "                       (prepended to every text, e5 style)
    otklik_max_length         256                              (tokens a window reads; longer texts: model.py)
    otklik_link_placeholder   "http"                           (optional: read in place of every link)
"""

from __future__ import annotations

import re
from typing import Sequence

from .taxonomy import SENTIMENTS

DEFAULT_PREFIX = "query: "
DEFAULT_MAX_LENGTH = 256
LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def label_maps(topic_codes: Sequence[str], sentiments: Sequence[str] = SENTIMENTS):
    labels = [f"sentiment:{s}" for s in sentiments] + [f"topic:{c}" for c in topic_codes]
    id2label = {i: lab for i, lab in enumerate(labels)}
    label2id = {lab: i for i, lab in id2label.items()}
    return id2label, label2id


def set_otklik_config(config, topic_codes, *, thresholds=None, version=None, taxonomy_version=None,
                      prefix=DEFAULT_PREFIX, max_length=DEFAULT_MAX_LENGTH, sentiments=SENTIMENTS, extra=None):
    id2label, label2id = label_maps(topic_codes, sentiments)
    config.num_labels = len(id2label)
    config.id2label = id2label
    config.label2id = label2id
    config.problem_type = None
    config.otklik_sentiment_labels = list(sentiments)
    config.otklik_topic_labels = list(topic_codes)
    config.otklik_topic_thresholds = {c: float((thresholds or {}).get(c, 0.5)) for c in topic_codes}
    config.otklik_model_version = version or getattr(config, "otklik_model_version", None) or "unversioned"
    if taxonomy_version is not None:
        config.otklik_taxonomy_version = int(taxonomy_version)
    config.otklik_text_prefix = prefix
    config.otklik_max_length = int(max_length)
    for k, v in (extra or {}).items():
        setattr(config, k, v)
    return config


def read_otklik_config(config):
    """Return (sentiments, topic_codes, thresholds, version, prefix, max_length) from a loaded config."""
    sentiments = list(getattr(config, "otklik_sentiment_labels", None) or SENTIMENTS)
    topics = list(getattr(config, "otklik_topic_labels", None) or [])
    if not getattr(config, "otklik_sentiment_labels", None):
        # A plain checkpoint: derive from id2label ("sentiment:x"/"topic:y" or bare 3 labels).
        labels = [config.id2label[i] for i in range(config.num_labels)]
        if any(lab.startswith("sentiment:") for lab in labels):
            sentiments = [lab.split(":", 1)[1] for lab in labels if lab.startswith("sentiment:")]
            topics = [lab.split(":", 1)[1] for lab in labels if lab.startswith("topic:")]
    thresholds = {c: float((getattr(config, "otklik_topic_thresholds", None) or {}).get(c, 0.5)) for c in topics}
    version = getattr(config, "otklik_model_version", None) or "unversioned"
    prefix = getattr(config, "otklik_text_prefix", DEFAULT_PREFIX)
    if prefix is None:
        prefix = ""
    max_length = int(getattr(config, "otklik_max_length", DEFAULT_MAX_LENGTH) or DEFAULT_MAX_LENGTH)
    max_length = min(max_length, int(getattr(config, "max_position_embeddings", max_length)))
    return sentiments, topics, thresholds, version, prefix, max_length


def read_links(config) -> str | None:
    """The word a checkpoint reads in place of every link (`otklik_link_placeholder`), or None: links as written."""
    return getattr(config, "otklik_link_placeholder", None) or None


def encoder_text(text: str | None, prefix: str, links: str | None = None) -> str:
    """What the encoder reads for `text`: `prefix`, then the text (`unshouted`) with every link replaced by `links`
    when set.

    A shortened link (`http://t.co/AbC123xyz`) is ~8 word pieces of noise; in the tweets and VK posts of the benchmark
    links are 18 % of all pieces, so a checkpoint trained to read a placeholder reads them ~1.2x faster.
    """
    text = unshouted(text or "")
    return prefix + (LINK.sub(lambda _: links, text) if links else text)


CALM_READING = "+calm"  # what a served checkpoint's version gains: its texts are read through `unshouted`
SHOUT_MIN_LETTERS = 8  # a text in capitals this short ("ОК", "ПВЗ") is not put in sentence case
SHOUT_SHARE = 0.7
_SENTENCE_START = re.compile(r"(^|[.!?…]\s+)(\w)")
_CAPITAL_WORD = re.compile(r"\b[^\W\d_]{4,}\b")


def unshouted(text: str) -> str:
    """A text as it would be written calmly: one typed in capitals (at least 70 % of its cased letters) in sentence
    case, and in any other text each word of four or more letters written in capitals in lower case.

    The encoder's pieces for «КУРЬЕР НЕ ПРИЕХАЛ» are spellings it has barely seen. On the logistics validation split
    the same texts in capitals lost 0.12 topic micro-F1 and 0.19 sentiment macro-F1, and banks tweets 0.38
    F1(pos,neg); with a third of the words in capitals, 0.03 and 0.04 (docs/classifier.md, *Inference*). Words
    of three letters or fewer (МТС, ПВЗ, SMS) and texts in ordinary case are read as they are.
    """
    upper = sum(map(str.isupper, text))  # C-level loops: this runs on every text the encoder reads
    if upper < 4:
        return text
    cased = upper + sum(map(str.islower, text))
    if cased >= SHOUT_MIN_LETTERS and upper >= SHOUT_SHARE * cased:
        return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text.lower())
    return _CAPITAL_WORD.sub(lambda m: m.group(0).lower() if m.group(0).isupper() else m.group(0), text)
