"""Reading VK API answers: ids, dates, counters, display names and the words of posts and comments (a comment
is read with a post's fields: crawlers/spiders/vk.py and vk_comments.py)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from crawlers.parsing import decode_entities

VK_API = "otklik_vk_api"  # request meta: this request is a VK API call (whatever its base_url)


def is_id(value: Any) -> bool:
    """A VK id or count: an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


ATTACHMENT_TITLES = ("video", "link", "doc", "article", "podcast", "audio_playlist")


def post_text(post: dict) -> str:
    """A post's words (HTML character references decoded); a post of only an attachment (a video, a link)
    speaks through the attachment's title and description."""
    text = decode_entities(str(post.get("text") or "")).strip()
    polls = [poll_text(a.get("poll")) for a in post.get("attachments") or [] if isinstance(a, dict)
             and a.get("type") == "poll" and isinstance(a.get("poll"), dict)]
    if text:
        return "\n".join([text, *filter(None, polls)])
    parts = []
    for att in post.get("attachments") or []:
        body = att.get(att.get("type")) if isinstance(att, dict) else None
        if isinstance(body, dict) and att.get("type") in ATTACHMENT_TITLES:
            parts += [decode_entities(str(body.get(k) or "")).strip() for k in ("title", "description")]
    return "\n".join(p for p in parts + polls if p)


def poll_text(poll: dict) -> str:
    """A poll's question, then its answers, a line each."""
    answers = [a.get("text") for a in poll.get("answers") or [] if isinstance(a, dict)]
    lines = [decode_entities(str(x or "")).strip() for x in [poll.get("question"), *answers]]
    return "\n".join(x for x in lines if x)


def post_date(post: dict) -> datetime | None:
    """The post's `date` (unix seconds), or None when it is missing or no date."""
    try:
        return datetime.fromtimestamp(int(post["date"]), tz=timezone.utc) if post.get("date") else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def reply_to_post(post: dict) -> dict[str, str]:
    """A comment's post (the post object's reply_owner_id / reply_post_id): `owner_post`, the conversation."""
    owner, pid = post.get("reply_owner_id"), post.get("reply_post_id")
    if is_id(owner) and is_id(pid):
        return {"reply_to_post": f"{owner}_{pid}"}
    return {}


def counter(value) -> int | None:
    """VK counters come as {"count": n}."""
    return value.get("count") if isinstance(value, dict) else None


def display_names(body: dict) -> dict[int, str]:
    """Map VK ids to display names: users are positive ids, communities negative."""
    def listed(key: str) -> list[dict]:
        value = body.get(key)
        if not isinstance(value, list):
            return []
        return [p for p in value if isinstance(p, dict) and isinstance(p.get("id"), int)]

    names = {p["id"]: f"{p.get('first_name') or ''} {p.get('last_name') or ''}".strip() for p in listed("profiles")}
    names.update({-g["id"]: str(g.get("name") or "") for g in listed("groups")})
    return names
