"""Fixtures for the responder tests: users with desk roles, tickets, a rules file variant."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from responders.config import load_config

H = timedelta(hours=1)
CHROMIUM = os.environ.get("OTKLIK_TEST_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    """Service-backed tests skip without their service, except where CI promised one (OTKLIK_REQUIRE_SERVICES=1)."""
    required = os.environ.get("OTKLIK_REQUIRE_SERVICES") == "1"
    browser_required = required or os.environ.get("OTKLIK_REQUIRE_BROWSER") == "1"
    for item in items:
        if item.get_closest_marker("postgres") and not os.environ.get("OTKLIK_TEST_POSTGRES_URL") and not required:
            item.add_marker(pytest.mark.skip(reason="set OTKLIK_TEST_POSTGRES_URL (scripts/ci-services.sh does)"))
        if item.get_closest_marker("browser") and not Path(CHROMIUM).exists() and not browser_required:
            item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"))


@pytest.fixture
def make_user(django_user_model):
    from django.contrib.auth.models import Group

    def make(name: str, role: str | None = "moderator", **kw):
        user = django_user_model.objects.create_user(name, password=kw.pop("password", "pw-" + name), **kw)
        if role:
            # get_or_create: transactional tests flush the groups the data migration made
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


@pytest.fixture
def rules(tmp_path):
    """Write a variant of rules.yaml: rules(sla={...}, csat={...}) → ResponderConfig."""
    from django.conf import settings

    from responders.config import _load

    base = yaml.safe_load(Path(settings.OTKLIK["RESPONDER_RULES"]).read_text(encoding="utf-8"))

    def make(**sections):
        data = {**base}
        for key, value in sections.items():
            data[key] = {**(data.get(key) or {}), **value} if isinstance(value, dict) else value
        path = tmp_path / f"rules-{len(list(tmp_path.glob('rules-*')))}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        _load.cache_clear()
        return load_config(path)

    return make


@pytest.fixture
def open_ticket(db):
    """Open a ticket for a classified mention: open_ticket(text=…, posted_at=…, cfg=…)."""
    from responders.models import Ticket
    from responders.services.routing import route_pending
    from tests.factories import classified

    def make(text="Курьер опоздал на три часа", cfg=None, **kw):
        m = classified(text, **kw)
        route_pending(cfg)
        return Ticket.objects.get(mention=m)

    return make


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Hash test passwords cheaply (PBKDF2's cost is for production, not for fixtures)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
