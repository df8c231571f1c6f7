"""Configure Django once for code that runs outside a Django server (CLI, Scrapy, Prefect)."""

import logging
import os

_done = False


def setup(keep_logging: bool = False) -> None:
    """Point Django at store.settings and call django.setup() once per process.

    `keep_logging` leaves the process's handlers to its host (a Prefect flow run): Django's dictConfig shuts every
    existing handler down while holding logging's lock, so Prefect's API log handler sat out its 5-second flush
    guard in every flow-run process (and never returned under a faked monotonic clock). OTKLIK_LOG_LEVEL, when
    set, still sets the root level.
    """
    global _done
    if _done:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "store.settings")
    import django
    from django.conf import settings

    if keep_logging:
        settings.LOGGING_CONFIG = None
        if "OTKLIK_LOG_LEVEL" in os.environ:
            logging.getLogger().setLevel(settings.LOG_LEVEL)
    django.setup()
    _done = True
