"""VK comments under a wall's posts (a `vk` wall source with `comments: true`), mixed into VkSpider.

Customers answer a company's own posts in their comments. For every post of the wall pages a run walks, the
comments are read when the post's comment count changed since the last successful run (state["comments"]):
wall.getComments newest first with each comment's first THREAD_ITEMS replies, page after page while a page
holds only comments not older than the newest read before, and a thread of more replies than shown is read
on its own (`comment_id`) when its count changed. A post first seen keeps only comments from the source's
floor on (its watermark, or `since`), so turning comments on does not import years of history. The
community's own replies are the company's answers and are not stored; comments never move the wall's
watermark. An error about one post (its comments closed to the token) is quarantined and the run goes on;
any other failed page fails the run, which keeps the state, so the next run reads it again.
"""

from __future__ import annotations

from datetime import datetime

from scrapy.http import Response

from crawlers.spiders.vk_fields import VK_API, counter, display_names, is_id, post_date, post_text

COMMENTS_PAGE = 100  # comments per wall.getComments page (the API's most)
THREAD_ITEMS = 10  # replies read with each comment (the API's most)
MAX_COMMENTED_POSTS = 500  # posts whose comment counts the state keeps: the latest by post id
POST_ERRORS = {15: "access denied", 18: "page deleted or banned", 212: "access to post comments denied"}


def _date_key(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class VkComments:
    """The comment-reading half of VkSpider (it provides api_url, api_body, request and item)."""

    def init_comments(self) -> None:
        self._comment_ids: set[str] = set()  # stored comments never move the wall's watermark
        self._comments_seen: dict[str, dict] = {}  # post key → {"count", "newest", "threads"} after this run
        self._reading: dict[str, dict] = {}  # post key → {"delta", "found", "pending"} while its pages are read

    def comments_state(self, state: dict) -> dict:
        """`state` with this run's comment counts merged in: the posts walked now, then the latest by post id up
        to MAX_COMMENTED_POSTS (a pinned old post stays while it is walked)."""
        if not self._comments_seen:
            return state
        old = {k: v for k, v in (self.state.get("comments") or {}).items() if self.known_post(k) is not None}
        rest = sorted((k for k in old if k not in self._comments_seen), key=_post_number)
        room = max(0, MAX_COMMENTED_POSTS - len(self._comments_seen))
        kept = {**{k: old[k] for k in rest[len(rest) - room:] if room}, **self._comments_seen}
        return {**state, "comments": {k: {n: v for n, v in seen.items() if v or n == "count"}
                                      for k, seen in kept.items()}}

    def known_post(self, key: str) -> dict | None:
        """What the last successful run kept of a post's comments, when it is readable."""
        comments = self.state.get("comments")
        value = comments.get(key) if isinstance(comments, dict) else None
        if not (isinstance(value, dict) and is_id(value.get("count"))):
            return None
        newest = value.get("newest")
        threads = value.get("threads")
        return {"count": value["count"], "newest": newest if isinstance(newest, str) else None,
                "threads": {str(k): v for k, v in threads.items() if is_id(v)} if isinstance(threads, dict) else {}}

    def comments_request(self, post: dict, floor: str | None):
        """The first page of a wall post's comments when its comment count changed since the last run; `floor`:
        the walking chain's, from which a post first seen keeps its comments."""
        owner, pid, comments = post.get("owner_id"), post.get("id"), post.get("comments")
        if not (is_id(owner) and is_id(pid) and isinstance(comments, dict) and is_id(comments.get("count"))):
            return
        if comments.get("can_view") == 0:
            return  # closed to this token: nothing to ask for
        key, count = f"{owner}_{pid}", comments["count"]
        if key in self._comments_seen:
            return  # met again on a later page (posts shifted): read once, its newest comment kept
        known = self.known_post(key)
        since = known["newest"] if known else floor
        self._comments_seen[key] = {"count": count, "newest": since, "threads": dict((known or {}).get("threads", {}))}
        if count and (known is None or count != known["count"]):
            # How many more comments than last time: a first sight expects none in particular.
            self._reading[key] = {"delta": count - known["count"] if known else 0, "found": 0, "pending": 0}
            yield self.comments_page(owner, pid, 0, since=since)

    def comments_page(self, owner: int, pid: int, offset: int, since: str | None, thread: int = 0):
        """One page of a post's comments, or of one comment's thread (`thread`: its id)."""
        params = {"owner_id": owner, "post_id": pid, "offset": offset, "count": COMMENTS_PAGE, "sort": "desc",
                  "extended": 1, "need_likes": 1}
        params.update({"comment_id": thread} if thread else {"thread_items_count": THREAD_ITEMS})
        self._reading[f"{owner}_{pid}"]["pending"] += 1
        return self.request(self.api_url("wall.getComments", **params), self.parse_comments,
                            meta={VK_API: True}, dont_filter=True,
                            cb_kwargs={"owner": owner, "pid": pid, "offset": offset, "since": since, "thread": thread})

    def parse_comments(self, response: Response, owner: int, pid: int, offset: int, since: str | None, thread: int):
        """A page of comments newest first: each comment, the replies its thread shows, a request for a longer
        thread whose count moved, and the next page while this one holds only comments not older than `since`."""
        key = f"{owner}_{pid}"
        reading = self._reading[key]
        reading["pending"] -= 1
        body, why, code = self.api_body(response)
        if body is None:
            if code in POST_ERRORS:  # about this post only: the run goes on, and the next one asks again
                yield self.quarantine(response.url, f"comments of post {key}: {why}", response.text[:2000])
                known = self.known_post(key)
                if known:
                    self._comments_seen[key] = known
                else:
                    self._comments_seen.pop(key, None)
                reading["delta"] = 0
            else:
                yield self.page_failed(response.url, why, response.text[:2000])
            return
        seen, names, floor = self._comments_seen[key], display_names(body), _date_key(since)
        items = [c for c in body.get("items") or [] if isinstance(c, dict)]
        for comment in items:
            replies = [] if thread else _thread_items(comment)
            for one in [comment, *replies]:
                posted = post_date(one)
                if floor is not None and (posted is None or posted < floor):
                    continue  # read before, or older than what the source reads
                if floor is None or posted > floor:
                    reading["found"] += 1
                if posted and (seen["newest"] is None or posted > _date_key(seen["newest"])):
                    seen["newest"] = posted.isoformat()
                item = self.comment_item(one, owner, pid, names, response)
                if item is not None:
                    yield item
            yield from self.thread_request(comment, owner, pid, since, seen) if not thread else ()
        tops = [post_date(c) for c in items if not c.get("deleted") and post_date(c)]
        total = body.get("current_level_count") if not thread else body.get("count")
        total = total if is_id(total) else body.get("count") if is_id(body.get("count")) else 0
        more = items and offset + len(items) < total and (floor is None or all(d >= floor for d in tops))
        if more and offset // COMMENTS_PAGE + 1 >= self.max_pages:
            self.warn(f"post {key} has more new comments than {self.max_pages} pages: the rest are not read")
        elif more:
            yield self.comments_page(owner, pid, offset + len(items), since, thread)
        if reading["pending"] == 0 and reading["found"] < reading["delta"]:
            self.warn(f"post {key}: {reading['delta'] - reading['found']} new comment(s) counted but not found on "
                      "the pages read (replies under older comments further down)")

    def thread_request(self, comment: dict, owner: int, pid: int, since: str | None, seen: dict):
        """A comment's thread read on its own when it holds more replies than shown and its count moved."""
        thread, cid = comment.get("thread"), comment.get("id")
        if not (isinstance(thread, dict) and is_id(thread.get("count")) and is_id(cid)):
            return
        shown = len(_thread_items(comment))
        if thread["count"] > shown and seen["threads"].get(str(cid)) != thread["count"]:
            seen["threads"][str(cid)] = thread["count"]
            yield self.comments_page(owner, pid, 0, since, thread=cid)

    def comment_item(self, comment: dict, owner: int, pid: int, names: dict[int, str], response: Response):
        """A comment as a mention of its post's conversation; None for the community's own replies, deleted
        comments and comments without words (a sticker, a photo: counted as skipped)."""
        cid, author = comment.get("id"), comment.get("from_id")
        if not is_id(cid) or comment.get("deleted") or (owner < 0 and author == owner):
            return None
        text = post_text(comment)
        if not text:
            self.skip_media_only()
            return None
        parent, stack = comment.get("reply_to_comment"), comment.get("parents_stack")
        root = stack[0] if isinstance(stack, list) and stack and is_id(stack[0]) else None
        external_id = f"{owner}_{pid}_{cid}"
        self._comment_ids.add(external_id)
        return self.item(
            external_id, text, post_date(comment), response,
            author=names.get(author, str(author)) if is_id(author) else "",
            url=f"https://vk.com/wall{owner}_{pid}?reply={cid}" + (f"&thread={root}" if root else ""),
            raw={"reply_to_post": f"{owner}_{pid}", "comment": True, "author_id": author if is_id(author) else None,
                 **({"reply_to_comment": parent} if is_id(parent) else {}),
                 "attachments": [a.get("type") for a in comment.get("attachments") or [] if isinstance(a, dict)],
                 "likes": counter(comment.get("likes"))},
        )


def _thread_items(comment: dict) -> list[dict]:
    """The replies a comment's `thread` shows (none when the thread is missing or malformed)."""
    thread = comment.get("thread")
    items = thread.get("items") if isinstance(thread, dict) else None
    return [r for r in items if isinstance(r, dict)] if isinstance(items, list) else []


def _post_number(key: str) -> int:
    """The post id of a state key `owner_post` (newer posts have larger ids); 0 when unreadable."""
    tail = str(key).rpartition("_")[2]
    return int(tail) if tail.isdigit() else 0
