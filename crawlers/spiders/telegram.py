"""Public Telegram channels through their web preview t.me/s/<channel>, older pages via ?before=<id>."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.http import Response

from crawlers.parsing import html_to_text, parse_datetime
from crawlers.spiders.base import OtklikSpider


HOST = "https://t.me"


class TelegramSpider(OtklikSpider):
    name = "telegram"
    kind = "telegram"

    def page_request(self, cursor: int | None, chain: dict):
        """The cursor is the `before` message id of the next older page."""
        url = f"{self.base_url(HOST)}/s/{self.config['channel']}" + (f"?before={int(cursor)}" if cursor else "")
        return self.request(url, self.parse, chain=chain)

    def parse(self, response: Response):
        if not hasattr(response, "css"):
            yield self.page_failed(response.url, "not an HTML page", "")
            return
        empty = self.empty_page(response)
        if empty:
            yield self.page_failed(response.url, empty)
            return
        messages = response.css("div.tgme_widget_message[data-post]")
        if not messages and not response.css(".tgme_channel_info, .tgme_channel_history"):
            title = " ".join(response.css("title::text").get("").split())[:80]
            named = f" (title {title!r})" if title else ""  # t.me names a group's, bot's or user's page in its title
            yield self.page_failed(response.url, f"not a Telegram channel preview page{named}", response.text[:2000])
            return
        truncated = self.truncated_page(response)
        if truncated:
            yield self.page_failed(response.url, truncated, response.text[-2000:])
            return
        dates = []
        for msg in messages:
            if msg.css(".service_message") or "service_message" in msg.attrib.get("class", ""):
                continue  # "channel created", "pinned a message": not feedback
            post = msg.attrib["data-post"]
            posted = parse_datetime(msg.css("time[datetime]::attr(datetime)").get())
            dates.append(posted)
            body = msg.css(".tgme_widget_message_text.js-message_text").get()
            poll_text, poll = _poll(msg) if body is None else ("", {})
            if body is None and not poll_text and msg.css(MEDIA) and not msg.css("[class*=message_text]"):
                self.skip_media_only()  # a photo, sticker, a post the preview cannot show… without words
                continue  # (renamed text classes fail above rather than pass for media)
            text = poll_text or html_to_text(body)
            author = _whole_text(msg.css(".tgme_widget_message_from_author")) or _whole_text(
                msg.css(".tgme_widget_message_owner_name span"))
            yield self.item(
                post,
                text,
                posted,
                response,
                author=author.strip(),
                url=msg.css("a.tgme_widget_message_date::attr(href)").get("") or f"https://t.me/{post}",
                raw={"views": msg.css(".tgme_widget_message_views::text").get(""), **_forwarded(msg), **_reply_to(msg),
                     **poll},
            )
        yield from self.follow(response, dates, _before(response) if messages else None)


# What a message without words may carry instead (t.me/s markup).
MEDIA = (".tgme_widget_message_photo_wrap, .tgme_widget_message_video_player, .tgme_widget_message_sticker_wrap, "
         ".tgme_widget_message_document, .tgme_widget_message_voice, .tgme_widget_message_roundvideo_player, "
         ".tgme_widget_message_grouped_wrap, .tgme_widget_message_location_wrap, "
         ".message_media_not_supported_wrap")  # "Please open Telegram to view this post": stories, paid media…


def _poll(msg) -> tuple[str, dict[str, str]]:
    """A poll's words (its question, then one line per option) and its type and voter count; ("", {}) for none."""
    poll = msg.css(".tgme_widget_message_poll")
    if not poll:
        return "", {}
    question = html_to_text(poll.css(".tgme_widget_message_poll_question").get(""))
    options = [html_to_text(o) for o in poll.css(".tgme_widget_message_poll_option_text").getall()]
    text = "\n".join(t for t in [question, *options] if t)
    if not text:
        return "", {}
    return text, {"poll_type": _whole_text(poll.css(".tgme_widget_message_poll_type")),
                  "poll_voters": _whole_text(msg.css(".tgme_widget_message_voters"))}


def _whole_text(nodes) -> str:
    """All the text inside the first node (a name with an emoji in it is more than its first text node)."""
    return " ".join(nodes[0].xpath("string()").get("").split()) if nodes else ""


def _forwarded(msg) -> dict[str, str]:
    """Where a forwarded message comes from: the original channel's or user's name and link."""
    origin = msg.css(".tgme_widget_message_forwarded_from")
    if not origin:
        return {}
    name = " ".join(t.strip() for t in origin.css(".tgme_widget_message_forwarded_from_name ::text").getall() if t.strip())
    link = origin.css("a.tgme_widget_message_forwarded_from_name::attr(href)").get("")
    return {"forwarded_from": name or html_to_text(origin.get()).removeprefix("Forwarded from").strip(),
            "forwarded_from_url": link}


_POST = re.compile(r"[A-Za-z0-9_]+/\d+")


def _reply_to(msg) -> dict[str, str]:
    """The message this one answers (its quoted `a.tgme_widget_message_reply` links to it): `channel/id`."""
    href = msg.css("a.tgme_widget_message_reply::attr(href)").get("")
    post = urlsplit(href).path.strip("/") if href else ""
    return {"reply_to": post} if _POST.fullmatch(post) else {}


def _before(response: Response) -> int | None:
    """The `before` id of the older page: the "more" link's data-before, else its href's ?before=."""
    more = response.css("a.tme_messages_more[data-before]::attr(data-before)").get()
    if not more:
        href = response.css("a.tme_messages_more::attr(href)").get("")
        more = href.partition("before=")[2].split("&")[0]
    return int(more) if more.isdigit() else None
