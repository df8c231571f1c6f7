"""VK: community walls (wall.get, offset paging) and keyword search (newsfeed.search, next_from cursor).

Reposts resolve to the original post: its owner_id_postid is the key, so the same post
reached through a repost, the wall and the search is stored once.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from urllib.parse import urlencode

from scrapy.http import Response

from crawlers.spiders.base import OtklikSpider

API = "https://api.vk.com/method/"
# VK error codes worth retrying later rather than quarantining: too many requests, flood control, server error.
TRANSIENT_ERRORS = {6, 9, 10}


class VkSpider(OtklikSpider):
    name = "vk"
    kind = "vk"

    def api_url(self, method: str, **params) -> str:
        params.setdefault("v", self.config.get("api_version", "5.199"))
        token = os.environ.get(self.config.get("token_env", "VK_TOKEN"), "")
        if token:
            params["access_token"] = token
        return API + method + "?" + urlencode(params)

    def page_url(self, offset: int = 0, cursor: str | None = None) -> str:
        count = min(int(self.config.get("count", 100)), 100)
        if self.config.get("mode", "wall") == "search":
            params = {"q": self.config["q"], "count": min(count, 200), "extended": 1}
            if cursor:
                params["start_from"] = cursor
            return self.api_url("newsfeed.search", **params)
        owner = {"owner_id": self.config["owner_id"]} if "owner_id" in self.config else {"domain": self.config["domain"]}
        return self.api_url("wall.get", **owner, offset=offset, count=count, extended=1)

    async def start(self):
        yield self.request(self.page_url(), self.parse, cb_kwargs={"page": 1, "offset": 0})

    def parse(self, response: Response, page: int, offset: int):
        try:
            data = self.load_json(response)
        except ValueError as exc:
            yield self.quarantine(response.url, str(exc), response.text[:2000])
            return
        if "error" in data:
            err = data["error"] or {}
            reason = f"VK API error {err.get('error_code')}: {err.get('error_msg', '')}"
            if err.get("error_code") in TRANSIENT_ERRORS:
                self.crawler.stats.inc_value("otklik/vk_transient_errors")
            yield self.quarantine(response.url, reason, response.text[:2000])
            return
        body = data.get("response") or {}
        items = body.get("items") or []
        names = _names(body)
        dates = []
        for post in items:
            # A repost is one mention whose identity is the original post; the reposter's words stay in raw.
            original = (post.get("copy_history") or [post])[0]
            item = self._post_item(original, post, names, response)
            if item is None:
                yield self.quarantine(response.url, "VK post without owner_id/id", str(post)[:2000])
                continue
            dates.append(datetime.fromisoformat(item.posted_at) if item.posted_at else None)
            yield item
        if not items or page >= self.max_pages or self.page_is_known(dates):
            return
        if self.config.get("mode", "wall") == "search":
            cursor = body.get("next_from")
            if cursor:
                yield self.request(self.page_url(cursor=cursor), self.parse, cb_kwargs={"page": page + 1, "offset": 0})
        elif offset + len(items) < int(body.get("count", 0)):
            nxt = offset + len(items)
            yield self.request(self.page_url(offset=nxt), self.parse, cb_kwargs={"page": page + 1, "offset": nxt})

    def _post_item(self, original: dict, wrapper: dict, names: dict[int, str], response: Response):
        owner, pid = original.get("owner_id"), original.get("id")
        if owner is None or pid is None:
            return None
        posted = datetime.fromtimestamp(int(original["date"]), tz=timezone.utc) if original.get("date") else None
        author_id = original.get("from_id") or owner
        return self.item(
            f"{owner}_{pid}",
            original.get("text", ""),
            posted,
            response,
            author=names.get(author_id, str(author_id)),
            url=f"https://vk.com/wall{owner}_{pid}",
            raw={
                "reposted_by": f"{wrapper.get('owner_id')}_{wrapper.get('id')}" if original is not wrapper else "",
                "repost_comment": wrapper.get("text", "") if original is not wrapper else "",
                "likes": (original.get("likes") or {}).get("count"),
                "comments": (original.get("comments") or {}).get("count"),
            },
        )


def _names(body: dict) -> dict[int, str]:
    """Map VK ids to display names: users are positive ids, communities negative."""
    names = {p["id"]: f"{p.get('first_name', '')} {p.get('last_name', '')}".strip() for p in body.get("profiles") or []}
    names.update({-g["id"]: g.get("name", "") for g in body.get("groups") or []})
    return names
