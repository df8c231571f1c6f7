"""Login throttling (django-axes): wrong passwords lock the username from that address; cool-off and reset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def attempt(client: Client, password: str, name: str = "ann"):
    return client.post(reverse("login"), {"username": name, "password": password})


@pytest.fixture
def ann(make_user):
    return make_user("ann", password="right-pass-123")


def test_wrong_passwords_lock_the_login_even_for_the_right_password(ann):
    client = Client()
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        resp = attempt(client, "wrong")
        assert resp.status_code == 200 and "Пожалуйста, введите правильные" in resp.content.decode()
    resp = attempt(client, "wrong")
    assert resp.status_code == 429 and "Вход временно закрыт" in resp.content.decode()
    # Locked: the right password is refused too, and no session is opened.
    resp = attempt(client, "right-pass-123")
    assert resp.status_code == 429 and "_auth_user_id" not in client.session
    # Another user from the same address is not affected.
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("bob", password="bob-pass-123")
    assert attempt(Client(), "bob-pass-123", name="bob").status_code == 302


def test_the_lock_ends_after_the_cool_off(ann):
    from axes.models import AccessAttempt

    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong")
    assert attempt(client, "right-pass-123").status_code == 429
    # The cool-off counts from the last failure: move it back past the cool-off time.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time
                                 - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    resp = attempt(client, "right-pass-123")
    assert resp.status_code == 302 and client.session["_auth_user_id"] == str(ann.pk)


def test_a_reset_unlocks_at_once_and_a_success_clears_the_count(ann):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong")
    assert attempt(client, "right-pass-123").status_code == 429
    call_command("axes_reset_username", "ann")
    assert attempt(client, "right-pass-123").status_code == 302
    # A success resets the count: twice four failures, each run followed by a success, never lock.
    for _ in range(2):
        fresh = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert attempt(fresh, "wrong").status_code == 200
        assert attempt(fresh, "right-pass-123").status_code == 302
