"""Conversation keys: which stored mentions belong to one conversation on their channel.

A key names the conversation, not the customer (the desk compares authors itself):

- VK: `vk:<owner>_<post>`, the wall post a comment answers (`reply_owner_id`/`reply_post_id` of the post
  object, kept by the spider as raw["reply_to_post"]), else the post itself;
- Telegram: `tg:<channel>:<root message id>`, the first message of a reply chain (raw["reply_to"] is the
  message answered; the store resolves it to that message's own key, see store.services.threads);
- review sites: `review:<site>:<review id>`, one review and its later edits;
- App Store: `appstore:<app id>:<reviewer>`, one reviewer's reviews of one app (the reviewer's id from the
  feed's author link, kept by the spider as raw["author_id"], else the author's name);
- RSS and unknown kinds: no key (news items are not conversations).
"""

from __future__ import annotations

MAX_KEY_CHARS = 255


def telegram_key(post: str) -> str:
    """`chat/123` -> `tg:chat:123` (the key of a chain that starts at that message)."""
    channel, _, message = str(post).rpartition("/")
    return f"tg:{channel}:{message}" if channel and message else ""


def conversation_key(kind: str, source_name: str, config: dict | None, external_id: str, author: str,
                     raw: dict | None) -> str:
    """The conversation key of one mention from what its channel recorded ("" when the channel has none).

    For Telegram this is the key before the chain is resolved: the answered message's chain, or the message's
    own one.
    """
    config, raw = config or {}, raw or {}
    if kind == "vk":
        root = str(raw.get("reply_to_post") or external_id)
        key = f"vk:{root}"
    elif kind == "telegram":
        key = telegram_key(str(raw.get("reply_to") or external_id))
    elif kind == "review_site":
        key = f"review:{config.get('site') or source_name}:{external_id}"
    elif kind == "appstore":
        who = str(raw.get("author_id") or author.strip())  # the reviewer's Apple id when the feed names it
        if not who:
            return ""
        key = f"appstore:{config.get('app_id') or source_name}:{who}"
    else:
        return ""
    return key[:MAX_KEY_CHARS]
