"""Line-level isolation for the JSON Lines files people hand to Otklik (no Django: classifiers use it too).

`read_jsonl_lines` yields every line of a file as a `(line number, object)` or a `BadLine` naming the line and
the reason, so one bad line never costs the valid ones. Lines end at LF only: a bare carriage return inside a
line stays part of it (a CRLF ending is removed); a UTF-8 byte-order mark on the first line is dropped.
`SkipLog` counts the skipped lines by reason for the run's summary and reports each on stderr.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

# What a skip reason means, in the words the person running the command reads (Russian).
REASONS = {
    "not_utf8": "строка не в кодировке UTF-8",
    "invalid_json": "строка не является JSON",
    "too_deep": "слишком глубокая вложенность JSON",
    "not_object": "строка не является JSON-объектом",
    "bad_unicode": "одиночный суррогат UTF-16 (недопустимый символ)",
    "bad_id": "id должен быть строкой или целым числом",
    "missing_text": "нет поля text",
    "text_not_string": "text не строка",
    "empty_text": "пустой text",
    "text_too_long": "text слишком длинный",
    "classifier_error": "классификатор не смог обработать строку",
    "bad_sentiment": "sentiment не negative/neutral/positive/null",
    "bad_topics": "topics не список кодов",
    "no_label": "нет ни sentiment, ни topics",
    "no_topics": "нет поля topics (список кодов тем)",
    "unknown_topic": "неизвестный код темы",
    "empty_file": "в файле нет ни одной строки",
}


@dataclass(frozen=True)
class BadLine:
    """A line that cannot be used: its number, a reason code (a REASONS key) and a detail."""

    line: int
    reason: str
    detail: str = ""

    def message(self) -> str:
        text = REASONS.get(self.reason, self.reason)
        return f"строка {self.line}: {text}" + (f" ({self.detail})" if self.detail else "")


def read_jsonl_lines(path: str | Path) -> Iterator[tuple[int, dict] | BadLine]:
    """Yield `(line, object)` for every JSON object line and a `BadLine` for every other non-blank line."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            if raw.endswith(b"\n"):
                raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
            if not raw.strip():
                continue
            yield parse_json_line(lineno, raw)


def parse_json_line(lineno: int, raw: bytes) -> tuple[int, dict] | BadLine:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return BadLine(lineno, "not_utf8", f"байт {exc.start + 1}")
    try:
        obj = json.loads(text, strict=False)  # strict=False: a raw tab or CR inside a string is kept
    except RecursionError:
        return BadLine(lineno, "too_deep")
    except ValueError as exc:
        return BadLine(lineno, "invalid_json", getattr(exc, "msg", str(exc)))
    if not isinstance(obj, dict):
        return BadLine(lineno, "not_object")
    return lineno, obj


def is_valid_unicode(value: str) -> bool:
    """False for a string holding lone UTF-16 surrogates (JSON allows "\\ud800"; no file or model takes it)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class SkipLog:
    """Skipped lines by reason; each one is reported as it happens (to stderr unless `stream` is given)."""

    stream: TextIO | None = None
    by_reason: Counter = field(default_factory=Counter)
    limit: int = 100  # lines reported one by one; the rest only counted

    def skip(self, bad: BadLine) -> None:
        self.by_reason[bad.reason] += 1
        total = sum(self.by_reason.values())
        out = self.stream or sys.stderr
        if total <= self.limit:
            print(bad.message(), file=out)
        elif total == self.limit + 1:
            print(f"… дальше пропущенные строки только считаются (первые {self.limit} показаны)", file=out)

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())


def check_not_same_file(input_path: str | Path, output_path: str | Path) -> None:
    """Refuse an output path that is the input file (opening it for writing would truncate the input)."""
    inp, outp = Path(input_path), Path(output_path)
    same = inp.resolve() == outp.resolve()
    if not same and outp.exists():
        try:
            same = os.path.samefile(inp, outp)
        except OSError:
            same = False
    if same:
        raise SameFileError(f"выходной файл {output_path} — это входной файл: укажите другой --output")


class SameFileError(ValueError):
    """The output path would overwrite the input."""
