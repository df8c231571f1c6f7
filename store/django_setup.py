"""Configure Django once for code that runs outside a Django server (CLI, Scrapy, Prefect)."""

import os

_done = False


def setup() -> None:
    """Point Django at store.settings and call django.setup() once per process."""
    global _done
    if _done:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "store.settings")
    import django

    django.setup()
    _done = True
