"""Public Telegram channels through their web preview t.me/s/<channel>, older pages via ?before=<id>."""

from __future__ import annotations

from scrapy.http import Response

from crawlers.parsing import html_to_text, parse_datetime
from crawlers.spiders.base import OtklikSpider


class TelegramSpider(OtklikSpider):
    name = "telegram"
    kind = "telegram"

    async def start(self):
        channel = self.config["channel"]
        yield self.request(f"https://t.me/s/{channel}", self.parse, cb_kwargs={"page": 1})

    def parse(self, response: Response, page: int):
        messages = response.css("div.tgme_widget_message[data-post]")
        if not messages and page == 1 and b"tgme_channel_info" not in response.body:
            yield self.quarantine(response.url, "not a Telegram channel preview page", response.text[:2000])
            return
        dates = []
        for msg in messages:
            post = msg.attrib["data-post"]
            posted = parse_datetime(msg.css("a.tgme_widget_message_date time::attr(datetime)").get())
            dates.append(posted)
            text = html_to_text(msg.css(".tgme_widget_message_text.js-message_text").get())
            author = msg.css(".tgme_widget_message_from_author::text").get() or msg.css(
                ".tgme_widget_message_owner_name span::text"
            ).get("")
            yield self.item(
                post,
                text,
                posted,
                response,
                author=author.strip(),
                url=msg.css("a.tgme_widget_message_date::attr(href)").get("") or f"https://t.me/{post}",
                raw={"views": msg.css(".tgme_widget_message_views::text").get("")},
            )
        more = response.css("a.tme_messages_more::attr(href)").get()
        if more and messages and page < self.max_pages and not self.page_is_known(dates):
            yield self.request(response.urljoin(more), self.parse, cb_kwargs={"page": page + 1})
