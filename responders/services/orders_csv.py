"""Read an order system's CSV export as it really comes: encoding, delimiter, Russian dates and amounts.

Every value problem is a `RowError` naming the column, so the importer can report the line and go on.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

DELIMITERS = (",", ";", "\t")
ENCODINGS = ("utf-8", "cp1251")
AMOUNT_MAX_DIGITS, AMOUNT_PLACES = 12, 2  # store.models.Order.amount
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_CURRENCY = re.compile(r"(руб\.?|р\.|₽|rub)$", re.IGNORECASE)
_RU_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


class RowError(ValueError):
    """A value in one row that cannot be imported; the message says which column and why (Russian)."""


class FileRefused(ValueError):
    """The file as a whole cannot be read (encoding, no header, missing columns); nothing was imported."""


def decode(data: bytes, path: str | Path) -> tuple[str, str]:
    """The text of the file and the encoding it was in: UTF-8 (with or without BOM), else windows-1251."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused(f"{path}: кодировка не UTF-8 и не windows-1251")


def sniff_delimiter(header: str, wanted: tuple[str, ...]) -> str:
    """The delimiter (comma, semicolon or tab) that splits the header into the most known columns."""
    def known(delim: str) -> int:
        cols = next(csv.reader([header], delimiter=delim), [])
        return sum(1 for c in cols if c.strip().lower() in wanted)

    return max(DELIMITERS, key=lambda d: (known(d), header.count(d)))


def read_rows(path: str | Path, columns: tuple[str, ...], required: tuple[str, ...]) -> tuple[list[tuple[int, dict]], dict]:
    """`(line number, row)` for every data row (column names stripped and lower-cased) and what was detected."""
    text, encoding = decode(Path(path).read_bytes(), path)
    header = text.split("\n", 1)[0].rstrip("\r")
    if not header.strip():
        raise FileRefused(f"{path}: нет строки заголовка")
    delimiter = sniff_delimiter(header, columns)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    names = [c.strip().lower() for c in next(reader)]
    missing = [c for c in required if c not in names]
    if missing:
        raise FileRefused(f"{path}: нет столбцов {', '.join(missing)} (заголовок: {header[:200]!r})")
    rows = []
    line_end = reader.line_num
    for cells in reader:
        line, line_end = line_end + 1, reader.line_num  # a quoted value may span lines: name the first
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names):
            rows.append((line, {"__error__": f"лишние значения: {len(cells)} вместо {len(names)}"}))
            continue
        rows.append((line, {n: (cells[i].strip() if i < len(cells) else "") for i, n in enumerate(names)}))
    return rows, {"encoding": encoding, "delimiter": delimiter}


def parse_datetime_ru(value: str, column: str, tz: str) -> datetime | None:
    """ISO 8601 or dd.mm.yyyy[ hh:mm[:ss]]; a value without a zone is in `tz`; a date alone is its midnight."""
    if not value:
        return None
    m = _RU_DATE.match(value)
    try:
        if m:
            d, mo, y, h, mi, s = (int(g) if g else 0 for g in m.groups())
            parsed = datetime(y, mo, d, h, mi, s)
        elif len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time())
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"{column}: не дата {value[:40]!r} (ожидается 2026-11-01T10:00:00+03:00 или 01.11.2026 10:00)") from None
    if not 2000 <= parsed.year <= 2100:
        raise RowError(f"{column}: неправдоподобный год {parsed.year}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(tz))


def parse_amount(value: str, column: str = "amount_rub") -> Decimal | None:
    """'12 990,00', '12990.00', '1,200.50', '300 ₽' → Decimal; refuses what the amount field cannot hold."""
    raw = _CURRENCY.sub("", _SPACES.sub("", value or ""))
    if not raw:
        return None
    if "," in raw and "." in raw:  # the later one is the decimal mark, the other groups thousands
        raw = raw.replace(",", "") if raw.rfind(".") > raw.rfind(",") else raw.replace(".", "").replace(",", ".")
    else:
        raw = raw.replace(",", ".")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise RowError(f"{column}: не число {value[:40]!r}") from None
    if not amount.is_finite():
        raise RowError(f"{column}: не конечное число {value[:40]!r}")
    if amount.adjusted() >= AMOUNT_MAX_DIGITS - AMOUNT_PLACES:
        raise RowError(f"{column}: {value[:40]!r} больше предела поля ({AMOUNT_MAX_DIGITS - AMOUNT_PLACES} цифр до запятой)")
    cents = amount.quantize(Decimal(1).scaleb(-AMOUNT_PLACES))
    if cents != amount:
        raise RowError(f"{column}: больше {AMOUNT_PLACES} знаков после запятой в {value[:40]!r}")
    return cents
