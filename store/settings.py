"""Django settings for Otklik: one module, environment overrides, secrets only from the environment.

OTKLIK_ENV=production refuses to start without DJANGO_SECRET_KEY and ALLOWED_HOSTS; in
development a random key is generated once and kept in $OTKLIK_HOME/secret_key.
"""

from __future__ import annotations

import os
from datetime import timedelta
import secrets

import dj_database_url

from store.paths import REPO_ROOT, home

ENV = os.environ.get("OTKLIK_ENV", "development")
PRODUCTION = ENV == "production"
HOME = home()


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("OTKLIK_ENV=production needs DJANGO_SECRET_KEY in the environment")
    path = HOME / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("OTKLIK_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost").split(",") if h]
if PRODUCTION and not ALLOWED_HOSTS:
    raise RuntimeError("OTKLIK_ENV=production needs ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "store",
    "responders",
    "reports",
    "search",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "responders.middleware.ContentSecurityPolicyMiddleware",
    # Login throttling (django-axes): must come last.
    "axes.middleware.AxesMiddleware",
]

# Login throttling and lockout (django-axes): after OTKLIK_LOGIN_FAILURES wrong passwords for one username from
# one address, that pair is refused (HTTP 429, even with the right password) for OTKLIK_LOGIN_COOLOFF_MINUTES.
# A success resets the count. Unlock early: `otklik manage axes_reset_username NAME` (or axes_reset).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("OTKLIK_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("OTKLIK_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "otklik.urls"  # project-level: the store imports nothing above it
WSGI_APPLICATION = "store.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

_default_db = f"sqlite:///{HOME / 'otklik.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the desk read while a batch writes; IMMEDIATE transactions take the write
    # lock up front so concurrent claims queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        # Seconds a write waits for another writer's lock before "database is locked" (then the task retries).
        "timeout": float(os.environ.get("OTKLIK_SQLITE_TIMEOUT", "30")),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file, not :memory:, so a crawl in a child process sees the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(HOME / "test.sqlite3")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "ru"
TIME_ZONE = os.environ.get("OTKLIK_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve app static files straight from the apps (no collectstatic step for a small desk).
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # responders.views.home: each role lands on its own page
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    # Served over HTTPS behind a TLS-terminating proxy (nginx, a load balancer) that sets X-Forwarded-Proto and
    # strips it from clients; docs/reliability.md, "Production settings".
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    if os.environ.get("OTKLIK_TLS_PROXY", "1") == "1":
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("OTKLIK_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("OTKLIK_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("OTKLIK_HSTS_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("OTKLIK_HSTS_PRELOAD", "0") == "1"
    if not SECURE_HSTS_PRELOAD:
        # Joining browsers' preload list is the domain owner's decision (hstspreload.org), not a default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

EMAIL_BACKEND = os.environ.get("OTKLIK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("OTKLIK_FROM_EMAIL", "otklik@localhost")

OTKLIK = {
    "REPORTS_DIR": HOME / "reports",
    "SOURCES_FILE": os.environ.get("OTKLIK_SOURCES", str(REPO_ROOT / "sources.yaml")),
    # The admin's check of a source (the sources file's own check, which lives with the crawlers).
    "SOURCE_VALIDATOR": "crawlers.sources.source_problem",
    "RESPONDER_RULES": os.environ.get("OTKLIK_RULES", str(REPO_ROOT / "responders" / "rules.yaml")),
    # Responders (docs/responders.md): SLA notices, the desk's public address, reply publishing, search.
    "SLA_NOTIFY_EMAILS": [e.strip() for e in os.environ.get("OTKLIK_SLA_EMAILS", "").split(",") if e.strip()],
    "SLA_WEBHOOK_URL": os.environ.get("OTKLIK_SLA_WEBHOOK", ""),
    "PUBLIC_URL": os.environ.get("OTKLIK_PUBLIC_URL", "http://127.0.0.1:8000"),
    "REPLY_MODE": os.environ.get("OTKLIK_REPLY_MODE", "dry_run"),  # dry_run | live
    "VK_API_URL": os.environ.get("OTKLIK_VK_API_URL", "https://api.vk.com"),
    "VK_TOKEN": os.environ.get("OTKLIK_VK_TOKEN", ""),
    "VK_GROUP_ID": os.environ.get("OTKLIK_VK_GROUP_ID", ""),  # the company's community: it answers on its wall
    "TELEGRAM_API_URL": os.environ.get("OTKLIK_TELEGRAM_API_URL", ""),  # https://api.telegram.org/bot<token>
    "APPSTORE_API_URL": os.environ.get("OTKLIK_APPSTORE_API_URL", "https://api.appstoreconnect.apple.com"),
    "APPSTORE_TOKEN": os.environ.get("OTKLIK_APPSTORE_TOKEN", ""),
    # Queue search: the search index by default; empty = the ORM substring search.
    "TICKET_SEARCH_BACKEND": os.environ.get("OTKLIK_TICKET_SEARCH", "search.integrations.narrow_tickets"),
    # How often the desk's nav counter (new / at-risk tickets) polls, in seconds.
    "DESK_POLL_SECONDS": float(os.environ.get("OTKLIK_DESK_POLL_SECONDS", "30")),
}
if not EMAIL_BACKEND.endswith("console.EmailBackend"):
    EMAIL_HOST = os.environ.get("OTKLIK_EMAIL_HOST", "localhost")
    EMAIL_PORT = int(os.environ.get("OTKLIK_EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("OTKLIK_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("OTKLIK_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("OTKLIK_EMAIL_TLS", "0") == "1"

# Search index: Elasticsearch when ELASTICSEARCH_URL is set, otherwise the embedded backend of the database
# (SQLite FTS5, or PostgreSQL full-text search). See docs/search.md.
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")
OTKLIK_SEARCH = {
    "BACKEND": os.environ.get("OTKLIK_SEARCH_BACKEND", "auto"),  # auto | elasticsearch | sqlite | postgres
    "ELASTICSEARCH_URL": ELASTICSEARCH_URL,
    "ELASTICSEARCH_API_KEY": os.environ.get("ELASTICSEARCH_API_KEY", ""),
    "ELASTICSEARCH_CA_CERTS": os.environ.get("ELASTICSEARCH_CA_CERTS", ""),
    "INDEX_PREFIX": os.environ.get("OTKLIK_SEARCH_INDEX_PREFIX", "otklik"),
    # Drain the outbox right after each commit; default: on for the embedded backends, off for Elasticsearch
    # (there `otklik index sync` runs on a schedule).
    "AUTO_SYNC": {"1": True, "0": False}.get(os.environ.get("OTKLIK_SEARCH_AUTO_SYNC", "")),
}

LOG_LEVEL = os.environ.get("OTKLIK_LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The level sits on the handler too: libraries such as Scrapy set their own loggers to DEBUG.
    "handlers": {"console": {"class": "logging.StreamHandler", "level": LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
