"""Russian text for the embedded index: lemmatised index text, the desk query syntax, highlighted snippets.

FTS5 has no Russian stemmer, so documents and queries are both reduced to pymorphy3 lemmas
(«посылки», «посылку» → «посылка»; «ё» folds to «е»). Query syntax, as on the other backends:
words (all must occur, in any form), "an exact phrase", -excluded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from classifiers.lemmas import lemma

# Same word pattern as classifiers.lemmas.words, with positions.
WORD_RE = re.compile(r"[A-Za-zА-Яа-яЁё0-9]+(?:-[A-Za-zА-Яа-яЁё0-9]+)*")
_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')

# Lemmas of the Snowball Russian stop list (what Elasticsearch's `_russian_` drops), minus negation and
# question words that change what a moderator is looking for. Dropped from queries, kept in the index.
STOP_LEMMAS = frozenset(
    "и в во на с со к ко о об обо от по за из у а но да же ли бы то это тот этот так как вот ещё еще уже "
    "для до при про над под без через или либо ни я ты он она оно мы вы они мой твой свой наш ваш его ее их "
    "весь сам себя быть был который чтобы что чем там тут здесь".split()
)


def lemma_text(*parts: str) -> str:
    """Return the space-separated lemmas of the given texts (what the FTS5 table indexes)."""
    return " ".join(lemma(w) for part in parts for w in WORD_RE.findall(part or ""))


@dataclass
class ParsedQuery:
    """A desk query as lemma phrases: every `required` phrase must occur, no `excluded` one may."""

    required: list[list[str]] = field(default_factory=list)
    excluded: list[list[str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.required or self.excluded)

    @property
    def lemmas(self) -> set[str]:
        """Every lemma that should be highlighted."""
        return {w for phrase in self.required for w in phrase}


def parse_query(text: str) -> ParsedQuery:
    """Parse words, "phrases" and -exclusions into lemma phrases (stop words dropped outside phrases)."""
    parsed = ParsedQuery()
    for m in _TOKEN_RE.finditer(text or ""):
        negative = bool(m.group(1) or m.group(3))
        quoted = m.group(2) is not None
        lemmas = [lemma(w) for w in WORD_RE.findall(m.group(2) if quoted else m.group(4))]
        if not quoted:
            # An unquoted token such as «посылка,» or «трек-номер» is one word or a short phrase.
            lemmas = [w for w in lemmas if w not in STOP_LEMMAS] if not negative else lemmas
        if lemmas:
            (parsed.excluded if negative else parsed.required).append(lemmas)
    if not parsed.required and not parsed.excluded and text and text.strip():
        # Only stop words: search for them after all rather than return everything.
        parsed.required = [[lemma(w)] for w in WORD_RE.findall(text)]
    return parsed


def fts5_expression(phrases: list[list[str]], operator: str = "AND") -> str:
    """Return an FTS5 MATCH expression: each phrase quoted (so no user text is read as FTS5 syntax)."""
    quoted = ['"' + " ".join(p).replace('"', '""') + '"' for p in phrases]
    return f" {operator} ".join(quoted)


def highlight(text: str, lemmas: set[str], max_chars: int = 300) -> SafeString:
    """Return an HTML-escaped excerpt of `text` around the first match, matches wrapped in <mark>."""
    text = text or ""
    spans = [(m.start(), m.end()) for m in WORD_RE.finditer(text) if lemmas and lemma(m.group()) in lemmas]
    start = 0
    if spans and spans[0][0] > max_chars // 3:
        start = text.rfind(" ", 0, spans[0][0] - max_chars // 4) + 1
    end = min(len(text), start + max_chars)
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    out, pos = ["…" if start else ""], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out += [escape(text[pos:s]), "<mark>", escape(text[s:e]), "</mark>"]
        pos = e
    out.append(escape(text[pos:end]))
    out.append("…" if end < len(text) else "")
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped
