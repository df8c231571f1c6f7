"""Scrapy's RetryMiddleware, waiting before each retry: Retry-After when the server sends one, else backoff.

Scrapy retries 429/5xx at once; a polite crawler waits. This subclass keeps Scrapy's retry
bookkeeping (RETRY_TIMES, RETRY_HTTP_CODES, the retry/* stats, `dont_retry`, give-up) and only
adds the wait before the retried request goes out:

- `Retry-After: <seconds>` or `Retry-After: <HTTP date>` is honoured, up to RETRY_AFTER_MAX
  seconds; a longer demand is not waited for in-process: the response goes to the spider,
  which quarantines the page, and the source's next scheduled run tries again;
- otherwise the wait is RETRY_BACKOFF_BASE * 2 ** (retries so far), capped at RETRY_BACKOFF_MAX;
- VK API errors 6/9/10 ("too many requests", flood control) arrive as HTTP 200 with an error
  body and are retried the same way.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

from crawlers.spiders.vk import transient_api_error


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delta seconds or HTTP date) into seconds from now; None if absent or invalid."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Retry like Scrapy does, after waiting as long as the server asked, or with exponential backoff."""

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 300.0)

    def backoff(self, request: Request) -> float:
        return min(self.backoff_max, self.backoff_base * 2 ** request.meta.get("retry_times", 0))

    def transient_reason(self, response: Response, request: Request | None = None) -> str | None:
        """Why this response should be retried, or None."""
        if response.status in self.retry_http_codes:
            return response_status_message(response.status)
        code = transient_api_error(response, request)
        return f"vk_api_error_{code}" if code is not None else None

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False):
            return response
        reason = self.transient_reason(response, request)
        if reason is None:
            return response
        stats = self.crawler.stats
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        if asked is not None and asked > self.retry_after_max:
            stats.inc_value("retry/retry_after_too_long")
            return response
        retry = self._retry(request, reason)
        if retry is None:
            return response
        wait = asked if asked is not None else self.backoff(request)
        if asked is not None:
            stats.inc_value("retry/retry_after_honoured")
        stats.inc_value("retry/wait_seconds", wait)
        await sleep(wait)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            wait = self.backoff(request)
            self.crawler.stats.inc_value("retry/wait_seconds", wait)
            await sleep(wait)
        return result
