"""Write outbox rows inside the transaction that changes a mention, its classification or its ticket."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from search.services.outbox import enqueue


def _mention_saved(sender, instance, **kwargs) -> None:
    enqueue([instance.pk], "mention")


def _mention_deleted(sender, instance, **kwargs) -> None:
    enqueue([instance.pk], "delete")


def _by_mention_id(reason: str):
    def handler(sender, instance, **kwargs) -> None:
        if instance.mention_id:
            enqueue([instance.mention_id], reason)

    return handler


def _mentions_changed(sender, mention_ids, reason, **kwargs) -> None:
    enqueue(mention_ids, reason)


_classification_changed = _by_mention_id("classification")
_ticket_changed = _by_mention_id("ticket")


def connect() -> None:
    """Connect the handlers (called once from SearchConfig.ready)."""
    from responders.models import Ticket
    from store.models import Classification, Mention
    from store.signals import mentions_changed

    mentions_changed.connect(_mentions_changed, dispatch_uid="search.mentions_changed")
    post_save.connect(_mention_saved, sender=Mention, dispatch_uid="search.mention_saved")
    post_delete.connect(_mention_deleted, sender=Mention, dispatch_uid="search.mention_deleted")
    post_save.connect(_classification_changed, sender=Classification, dispatch_uid="search.classification_saved")
    post_delete.connect(_classification_changed, sender=Classification, dispatch_uid="search.classification_deleted")
    post_save.connect(_ticket_changed, sender=Ticket, dispatch_uid="search.ticket_saved")
    post_delete.connect(_ticket_changed, sender=Ticket, dispatch_uid="search.ticket_deleted")
