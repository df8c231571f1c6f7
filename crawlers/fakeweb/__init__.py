"""A fake internet for tests and benchmarks: a local HTTP server and feedback channels in their real formats."""

from crawlers.fakeweb.channels import (
    AppStoreFeed,
    Post,
    ReviewSite,
    RssFeed,
    TelegramChannel,
    VkApi,
)
from crawlers.fakeweb.server import FakeWeb, Hit, Reply

__all__ = ["AppStoreFeed", "FakeWeb", "Hit", "Post", "Reply", "ReviewSite", "RssFeed", "TelegramChannel", "VkApi"]
