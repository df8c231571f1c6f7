"""Signals the store sends for the layers above it (the search app listens; the store imports none of them)."""

from django.dispatch import Signal

# Sent inside the writing transaction when mentions were stored or changed in bulk (bulk_create and
# bulk_update send no post_save). Arguments: mention_ids (list[int]), reason (str).
mentions_changed = Signal()
