"""The reply outbox: publish queued replies through one adapter per channel, with retries and a record.

`OTKLIK_REPLY_MODE=dry_run` (the default) publishes nothing: every reply is recorded as DRY_RUN with the
request it would have sent. `live` uses the channel adapters below; their endpoints and tokens come from
settings (never from the database or the crawled data). Review sites have no API: their replies wait as
MANUAL for a moderator to copy them by hand and mark them posted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from responders.config import ResponderConfig, load_config
from responders.models import Reply, ReplyAttempt
from store.services.audit import record


class PublishError(Exception):
    """The channel refused or failed; the reply is retried later."""


@dataclass
class Published:
    status: str  # Reply.Status value
    request: dict
    response: str = ""
    external_id: str = ""


class ChannelAdapter(Protocol):
    """Publishes one reply on one channel; raises PublishError on a failure worth retrying."""

    name: str

    def publish(self, reply: Reply) -> Published: ...


def _target(reply: Reply) -> dict:
    m = reply.ticket.mention
    return {"channel": reply.ticket.channel, "source": m.source.name, "external_id": m.external_id, "url": m.url}


class DryRunAdapter:
    """Records what would be sent; sends nothing."""

    name = "dry_run"

    def publish(self, reply: Reply) -> Published:
        return Published(Reply.Status.DRY_RUN, {**_target(reply), "text": reply.text})


class ManualCopyAdapter:
    """Review sites: a moderator copies the text to the site by hand, then marks it posted."""

    name = "manual"

    def publish(self, reply: Reply) -> Published:
        return Published(Reply.Status.MANUAL, {**_target(reply), "text": reply.text})


@dataclass
class HttpAdapter:
    """Base for API adapters: POST JSON to `base_url` + path, with a bearer token kept out of the record."""

    base_url: str
    token: str = ""
    timeout: float = 10.0
    name: str = "http"
    client: httpx.Client | None = field(default=None, repr=False)

    def request(self, reply: Reply) -> tuple[str, dict]:
        raise NotImplementedError

    def send(self, client: httpx.Client, url: str, payload: dict) -> httpx.Response:
        """POST the payload (JSON with a bearer token by default)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return client.post(url, json=payload, headers=headers)

    def external_id(self, body: dict) -> str:
        return ""

    def check(self, body: dict) -> None:
        """Raise PublishError if a 200 response still reports an error (APIs that do that)."""

    def publish(self, reply: Reply) -> Published:
        if not self.base_url:
            raise PublishError(f"{self.name}: no API URL configured")
        path, payload = self.request(reply)
        try:
            with (self.client or httpx.Client(timeout=self.timeout)) as client:
                resp = self.send(client, self.base_url.rstrip("/") + path, payload)
        except httpx.HTTPError as exc:
            raise PublishError(f"{self.name}: {exc}") from exc
        if resp.status_code >= 400:
            raise PublishError(f"{self.name}: HTTP {resp.status_code} {resp.text[:300]}")
        try:
            body = resp.json()
        except ValueError:
            body = {}
        self.check(body if isinstance(body, dict) else {})
        return Published(Reply.Status.SENT, {"path": path, **payload}, resp.text[:2000], self.external_id(body))


@dataclass
class VkCommentAdapter(HttpAdapter):
    """A comment under the VK post (wall.createComment: form-encoded, token and API version as parameters); to a
    customer's comment (raw.reply_to_post names its post), an answer in that comment's thread."""

    api_version = "5.199"
    group_id: str = ""  # the company's community (OTKLIK_VK_GROUP_ID): on its own wall it answers as itself

    def request(self, reply: Reply) -> tuple[str, dict]:
        mention = reply.ticket.mention
        post_key = str((mention.raw or {}).get("reply_to_post") or "")
        if post_key:
            owner, _, post = post_key.partition("_")
            thread = {"reply_to_comment": mention.external_id.rpartition("_")[2]}
        else:
            owner, _, post = mention.external_id.partition("_")
            thread = {}
        # On the company's own wall the answer comes from the community (the crawler then knows it for theirs).
        group = {"from_group": self.group_id} if self.group_id and owner == f"-{self.group_id}" else {}
        return "/method/wall.createComment", {"owner_id": owner, "post_id": post, **thread, **group,
                                              "message": reply.text, "v": self.api_version}

    def send(self, client: httpx.Client, url: str, payload: dict) -> httpx.Response:
        return client.post(url, data={**payload, "access_token": self.token})

    def check(self, body: dict) -> None:
        if "error" in body:
            err = body["error"] or {}
            raise PublishError(f"{self.name}: VK error {err.get('error_code')}: {err.get('error_msg', '')[:200]}")

    def external_id(self, body: dict) -> str:
        return str((body.get("response") or {}).get("comment_id", ""))


class TelegramAdapter(HttpAdapter):
    """A reply in the Telegram chat to the customer's message (Bot API sendMessage)."""

    def request(self, reply: Reply) -> tuple[str, dict]:
        chat, _, message = reply.ticket.mention.external_id.rpartition("/")
        return "/sendMessage", {"chat_id": f"@{chat}" if chat else "", "text": reply.text,
                                "reply_parameters": {"message_id": int(message) if message.isdigit() else None}}

    def external_id(self, body: dict) -> str:
        return str((body.get("result") or {}).get("message_id", ""))


class AppStoreAdapter(HttpAdapter):
    """A developer response to an App Store review (App Store Connect customerReviewResponses)."""

    def request(self, reply: Reply) -> tuple[str, dict]:
        review = reply.ticket.mention.external_id
        return "/v1/customerReviewResponses", {"data": {
            "type": "customerReviewResponses", "attributes": {"responseBody": reply.text},
            "relationships": {"review": {"data": {"type": "customerReviews", "id": review}}}}}

    def external_id(self, body: dict) -> str:
        return str((body.get("data") or {}).get("id", ""))


def _cfg(key: str) -> str:
    return str(settings.OTKLIK.get(key) or "")


def adapter_for(channel: str) -> ChannelAdapter:
    """The adapter for a channel in the configured mode (dry run unless OTKLIK_REPLY_MODE=live)."""
    if settings.OTKLIK.get("REPLY_MODE", "dry_run") != "live":
        return DryRunAdapter()
    if channel == "vk":
        return VkCommentAdapter(_cfg("VK_API_URL"), _cfg("VK_TOKEN"), name="vk_comment",
                                group_id=_cfg("VK_GROUP_ID").lstrip("-"))
    if channel == "telegram":
        return TelegramAdapter(_cfg("TELEGRAM_API_URL"), "", name="telegram")
    if channel == "appstore":
        return AppStoreAdapter(_cfg("APPSTORE_API_URL"), _cfg("APPSTORE_TOKEN"), name="appstore_response")
    return ManualCopyAdapter()


def adapter_name_for(channel: str) -> str:
    return adapter_for(channel).name


@dataclass
class OutboxStats:
    sent: int = 0
    dry_run: int = 0
    manual: int = 0
    retried: int = 0
    failed: int = 0


def _backoff(cfg: ResponderConfig, attempts: int) -> timedelta:
    steps = (cfg.outbox or {}).get("retry_minutes") or [1, 5, 30, 120]
    return timedelta(minutes=float(steps[min(attempts - 1, len(steps) - 1)]))


def publish(reply: Reply, adapter: ChannelAdapter, cfg: ResponderConfig, now: datetime) -> str:
    """Try to publish one reply once; record the attempt; return the reply's new status."""
    max_attempts = int((cfg.outbox or {}).get("max_attempts", 5))
    reply.attempts += 1
    reply.adapter = adapter.name
    try:
        result = adapter.publish(reply)
    except PublishError as exc:
        ReplyAttempt.objects.create(reply=reply, at=now, adapter=adapter.name, ok=False,
                                    request={**_target(reply), "text": reply.text}, error=str(exc))
        reply.last_error = str(exc)
        if reply.attempts >= max_attempts:
            reply.status, reply.next_attempt_at = Reply.Status.FAILED, None
        else:
            reply.next_attempt_at = now + _backoff(cfg, reply.attempts)
        reply.save()
        record("reply.publish_failed", reply, label="system", after={"attempt": reply.attempts, "error": str(exc)})
        return reply.status
    ReplyAttempt.objects.create(reply=reply, at=now, adapter=adapter.name, ok=True, request=result.request,
                                response=result.response)
    reply.status, reply.external_id, reply.next_attempt_at, reply.last_error = (
        result.status, result.external_id, None, "")
    if result.status in (Reply.Status.SENT, Reply.Status.DRY_RUN):
        reply.sent_at = now
    reply.save()
    record("reply.publish", reply, label="system", after={"status": reply.status, "adapter": adapter.name})
    return reply.status


def send_pending(now: datetime | None = None, cfg: ResponderConfig | None = None, adapters: dict | None = None,
                 limit: int = 500) -> OutboxStats:
    """Publish every pending reply whose next attempt is due; `adapters` maps channel → adapter (tests)."""
    cfg, now = cfg or load_config(), now or timezone.now()
    stats = OutboxStats()
    due = (Reply.objects.filter(status=Reply.Status.PENDING, next_attempt_at__lte=now)
           .select_related("ticket", "ticket__mention", "ticket__mention__source").order_by("next_attempt_at", "id"))
    for reply in due[:limit]:
        adapter = (adapters or {}).get(reply.ticket.channel) or adapter_for(reply.ticket.channel)
        with transaction.atomic():
            # Lock and re-read so two senders never publish the same reply twice.
            locked = Reply.objects.select_for_update().filter(pk=reply.pk, status=Reply.Status.PENDING).first()
            if locked is None:
                continue
            locked.ticket = reply.ticket
            status = publish(locked, adapter, cfg, now)
        if status == Reply.Status.PENDING:
            stats.retried += 1
        else:
            field_name = {Reply.Status.SENT: "sent", Reply.Status.DRY_RUN: "dry_run", Reply.Status.MANUAL: "manual",
                          Reply.Status.FAILED: "failed"}[status]
            setattr(stats, field_name, getattr(stats, field_name) + 1)
    return stats


def mark_posted(reply_id: int, user, now: datetime | None = None) -> Reply:
    """A moderator copied a manual reply to the site: record it as sent."""
    now = now or timezone.now()
    with transaction.atomic():
        reply = Reply.objects.select_for_update().get(pk=reply_id)
        if reply.status != Reply.Status.MANUAL:
            raise ValueError(f"reply #{reply_id} is {reply.status}, not waiting for a manual copy")
        reply.status, reply.sent_at = Reply.Status.SENT, now
        reply.save(update_fields=["status", "sent_at"])
        record("reply.mark_posted", reply, actor=user, before={"status": "manual"}, after={"status": "sent"})
    return reply
