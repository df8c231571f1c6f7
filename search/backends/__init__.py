"""Pick the search backend from settings: Elasticsearch when ELASTICSEARCH_URL is set, else the database's own."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from search.backends.base import Backend

EMBEDDED = ("sqlite", "postgres")
_cache: dict[tuple, Backend] = {}


def _conf() -> dict:
    return getattr(settings, "OTKLIK_SEARCH", {}) or {}


def backend_name() -> str:
    """The configured backend: elasticsearch, postgres or sqlite."""
    conf = _conf()
    name = conf.get("BACKEND") or "auto"
    if name == "auto":
        if conf.get("ELASTICSEARCH_URL"):
            return "elasticsearch"
        return "postgres" if connection.vendor == "postgresql" else "sqlite"
    if name not in ("elasticsearch", *EMBEDDED):
        raise ValueError(f"OTKLIK_SEARCH BACKEND must be auto, elasticsearch, sqlite or postgres, not {name!r}")
    return name


def make_backend(name: str, **options) -> Backend:
    """Construct a backend by name (options: url and prefix for Elasticsearch, using for SQL)."""
    if name == "elasticsearch":
        from search.backends.elasticsearch import ElasticsearchBackend

        conf = _conf()
        return ElasticsearchBackend(
            options.get("url") or conf.get("ELASTICSEARCH_URL", ""),
            options.get("prefix") or conf.get("INDEX_PREFIX") or "otklik",
            api_key=conf.get("ELASTICSEARCH_API_KEY", ""),
            ca_certs=conf.get("ELASTICSEARCH_CA_CERTS", ""),
            timeout=float(options.get("timeout") or conf.get("TIMEOUT", 10)),
            shards=int(conf.get("SHARDS", 1)),
            replicas=int(conf.get("REPLICAS", 0)),
        )
    using = options.get("using", "default")
    if name == "sqlite":
        from search.backends.sqlite import SqliteBackend

        return SqliteBackend(using)
    if name == "postgres":
        from search.backends.postgres import PostgresBackend

        return PostgresBackend(using)
    raise ValueError(f"unknown search backend {name!r}")


def get_backend() -> Backend:
    """The configured backend (one instance per configuration)."""
    name = backend_name()
    conf = _conf()
    key = (name, conf.get("ELASTICSEARCH_URL"), conf.get("INDEX_PREFIX"))
    if key not in _cache:
        _cache[key] = make_backend(name)
    return _cache[key]


def auto_sync_enabled() -> bool:
    """Whether outbox rows are drained right after commit (default: for the embedded backends only)."""
    flag = _conf().get("AUTO_SYNC")
    return backend_name() in EMBEDDED if flag is None else bool(flag)
