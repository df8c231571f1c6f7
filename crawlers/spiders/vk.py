"""VK: community walls (wall.get, offset paging) and keyword search (newsfeed.search, next_from cursor).

With `comments: true` a wall source also reads the comments under the posts of the pages it walks
(crawlers/spiders/vk_comments.py).

Reposts resolve to the original post: its owner_id_postid is the key, so the same post
reached through a repost, the wall and the search is stored once. The token is read from
the environment variable named by `token_env` (default VK_TOKEN), never from the sources file.
API errors that mean "later" (6 too many requests, 9 flood control, 10 internal error) are
retried with backoff by crawlers.middlewares.retry; once retries run out, or for any other
error, the page is quarantined and the source's state is kept for the next run.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy.http import Request, Response

from crawlers.spiders.base import OtklikSpider
from crawlers.spiders.vk_comments import VkComments
from crawlers.spiders.vk_fields import VK_API, counter, display_names, is_id, post_date, post_text, reply_to_post

HOST = "https://api.vk.com"
API_HOST = "api.vk.com"
TRANSIENT_ERRORS = {6: "too many requests per second", 9: "flood control", 10: "internal server error"}


def transient_api_error(response: Response, request: Request | None = None) -> int | None:
    """Return the VK error code if `response` (to `request`) is a VK API error worth retrying later, else None."""
    is_api = bool(request is not None and request.meta.get(VK_API)) or urlsplit(response.url).hostname == API_HOST
    if not is_api or not response.body.lstrip().startswith(b'{"error"'):
        return None
    try:
        code = json.loads(response.body)["error"]["error_code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if code in TRANSIENT_ERRORS else None


class VkSpider(VkComments, OtklikSpider):
    name = "vk"
    kind = "vk"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._wall_dates: dict[str, datetime | None] = {}  # a stored repost's id → when it appeared on the wall
        self.init_comments()

    @property
    def mode(self) -> str:
        return self.config.get("mode", "wall")

    def note_seen(self, posted_at: datetime | None, external_id: str = "") -> None:
        """A repost moves the watermark by when it appeared on the wall, the clock its pages are dated by (its
        mention keeps the original's date)."""
        if external_id in self._comment_ids:
            return  # a comment's date says nothing of how far back the wall's pages are known
        super().note_seen(self._wall_dates.pop(external_id, posted_at), external_id)

    @property
    def new_state(self) -> dict:
        """The wall's state plus each walked post's comment count and newest comment (vk_comments.py)."""
        return self.comments_state(super().new_state)

    def api_url(self, method: str, **params) -> str:
        params.setdefault("v", self.config.get("api_version", "5.199"))
        token = os.environ.get(self.config.get("token_env", "VK_TOKEN"), "")
        if token:
            params["access_token"] = token
        return f"{self.base_url(HOST)}/method/{method}?" + urlencode(params)

    def page_request(self, cursor, chain: dict):
        """Wall: the cursor is the offset. Search: the cursor is next_from, and the chain's floor is start_time."""
        if self.mode == "search":
            params = {"q": self.config["q"], "count": min(int(self.config.get("count", 200)), 200), "extended": 1}
            if chain.get("floor"):
                params["start_time"] = int(datetime.fromisoformat(chain["floor"]).timestamp())
            if cursor:
                params["start_from"] = cursor
            url = self.api_url("newsfeed.search", **params)
        else:
            owner = {"owner_id": self.config["owner_id"]} if "owner_id" in self.config else {"domain": self.config["domain"]}
            count = min(int(self.config.get("count", 100)), 100)
            url = self.api_url("wall.get", **owner, offset=int(cursor or 0), count=count, extended=1)
        return self.request(url, self.parse, chain=chain, meta={VK_API: True}, cb_kwargs={"offset": int(cursor or 0) if self.mode != "search" else 0})

    def api_body(self, response: Response) -> tuple[dict | None, str, int | None]:
        """The `response` object of a VK API answer with a list of items, or (None, why the page failed, the VK
        error code if it was one)."""
        try:
            data = self.load_json(response)
            if not isinstance(data, dict):
                raise ValueError("malformed JSON: not an object")
        except ValueError as exc:
            return None, str(exc), None
        if "error" in data:
            err = data["error"] if isinstance(data["error"], dict) else {}
            code = err.get("error_code")
            later = " (transient: retry later)" if code in TRANSIENT_ERRORS else ""
            return None, f"VK API error {code}: {err.get('error_msg', '')}{later}", code if is_id(code) else None
        body = data.get("response")
        if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
            return None, _unreadable_body(body), None
        return body, "", None

    def parse(self, response: Response, offset: int):
        body, why, _ = self.api_body(response)
        if body is None:
            yield self.page_failed(response.url, why, response.text[:2000])
            return
        items = body.get("items") or []
        names = display_names(body)
        dates = []
        for post in items:
            if not isinstance(post, dict):
                yield self.quarantine(response.url, "VK item is not an object", str(post)[:2000])
                continue
            # A repost is one mention whose identity is the original post; the reposter's words stay in raw.
            history = [p for p in (post.get("copy_history") or [])[:1] if isinstance(p, dict)]
            original = history[0] if history else post
            # how far back the page reaches: when the post appeared on this wall (a repost's own date, not its
            # original's); a pinned post is old news at the top of the wall
            wall_date = post_date(post)
            page_date = None if post.get("is_pinned") else wall_date
            if self.mode == "wall" and self.config.get("comments"):
                yield from self.comments_request(post, self.chain_of(response)["floor"])
            if _media_only(original) and not str(post.get("text") or "").strip():
                self.skip_media_only()  # photos without a caption (nor a reposter's words): nothing to read
                dates.append(page_date)
                continue
            item = self._post_item(original, post, names, response)
            if item is None:
                yield self.quarantine(response.url, "VK post without owner_id/id", str(original)[:2000])
                continue
            dates.append(page_date)
            if original is not post:
                self._wall_dates[item.external_id] = wall_date
            yield item
        yield from self.follow(response, dates, self._next_cursor(body, items, offset))

    def _next_cursor(self, body: dict, items: list, offset: int):
        if not items:
            return None
        if self.mode == "search":
            return body.get("next_from") or None
        nxt = offset + len(items)
        total = body.get("count")
        return nxt if isinstance(total, int) and nxt < total else None

    def _post_item(self, original: dict, wrapper: dict, names: dict[int, str], response: Response):
        owner, pid = original.get("owner_id"), original.get("id")
        if owner is None or pid is None:
            return None
        posted = post_date(original)
        author_id = original.get("signer_id") or original.get("from_id") or owner
        # A comment that search found has the id a comment read under its post has (vk_comments.py): one mention.
        under = reply_to_post(original).get("reply_to_post")
        external_id = f"{under}_{pid}" if under else f"{owner}_{pid}"
        return self.item(
            external_id,
            post_text(original),
            posted,
            response,
            author=names.get(author_id, str(author_id)) if isinstance(author_id, int) else str(author_id),
            url=f"https://vk.com/wall{under}?reply={pid}" if under else f"https://vk.com/wall{owner}_{pid}",
            raw={
                "author_id": author_id if is_id(author_id) else None,
                "owner": names.get(owner, "") if isinstance(owner, int) else "",
                "attachments": [a.get("type") for a in original.get("attachments") or [] if isinstance(a, dict)],
                "reposted_by": f"{wrapper.get('owner_id')}_{wrapper.get('id')}" if original is not wrapper else "",
                "repost_comment": wrapper.get("text", "") if original is not wrapper else "",
                **(_repost_counters(wrapper) if original is not wrapper else {}),
                "likes": counter(original.get("likes")),
                "comments": counter(original.get("comments")),
                "reposts": counter(original.get("reposts")),
                "views": counter(original.get("views")),
                **reply_to_post(original),
            },
        )


def _repost_counters(wrapper: dict) -> dict:
    """When a repost appeared on the wall and its own counters (the original's are its own)."""
    posted = post_date(wrapper)
    return {"reposted_at": posted.isoformat() if posted else "", "repost_likes": counter(wrapper.get("likes")),
            "repost_views": counter(wrapper.get("views")), "repost_reposts": counter(wrapper.get("reposts"))}


def _media_only(post: dict) -> bool:
    """A post of attachments (photos, stickers…) and no words, not even an attachment's title."""
    attachments = post.get("attachments")
    has_media = isinstance(attachments, list) and any(isinstance(a, dict) for a in attachments)
    return has_media and not post_text(post)




def _unreadable_body(body) -> str:
    """Why a VK `response` is not an API 5.x page: a legacy (pre-5.0) array names its format, the rest no items."""
    legacy = isinstance(body, list) and body and type(body[0]) is int and all(isinstance(x, dict) for x in body[1:])
    if legacy:
        return (f"VK response in the pre-5.0 format (a count of {body[0]}, then {len(body) - 1} items in one array); "
                "this spider reads API 5.x answers: check the source's api_version")
    return "VK response without items"
