"""Keep secrets out of everything a crawl stores or prints: quarantine rows, statuses, error messages, logs.

A secret is the value of a query parameter that names one (`access_token=…`, `client_secret=…`), or the
value of an environment variable that holds one: every source's `token_env` (VK_TOKEN by default) and any
variable whose name ends in _TOKEN, _SECRET, _PASSWORD or _API_KEY. Each is replaced by `***`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable

MASK = "***"
SECRET_PARAMS = ("access_token", "refresh_token", "token", "client_secret", "api_key", "apikey", "password", "secret", "sig")
_PARAM = re.compile(r"(?i)((?:^|[?&;\s\"'])(?:" + "|".join(SECRET_PARAMS) + r")=)[^&#\s\"'<>]+")
_SECRET_ENV = re.compile(r"(?:_TOKEN|_SECRET|_PASSWORD|_API_KEY)$")
MIN_SECRET = 6  # shorter values would mask ordinary words


def secret_values(token_envs: Iterable[str] = ()) -> list[str]:
    """The secret values configured in the environment, longest first."""
    names = set(token_envs) | {"VK_TOKEN"} | {n for n in os.environ if _SECRET_ENV.search(n)}
    values = {os.environ.get(n, "") for n in names}
    return sorted((v for v in values if len(v) >= MIN_SECRET), key=len, reverse=True)


class Redactor:
    """Replace secret parameters and configured secret values in text."""

    def __init__(self, token_envs: Iterable[str] = ()):
        self.values = secret_values(token_envs)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        text = _PARAM.sub(lambda m: m.group(1) + MASK, text)
        for value in self.values:
            text = text.replace(value, MASK)
        return text


def install_log_redaction(redactor: Redactor) -> None:
    """Redact every log record of this process as it is created (whatever logger or handler prints it)."""
    make = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: leave the record as it is
            return record
        clean = redactor(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redactor(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
