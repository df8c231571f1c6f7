"""The desk search page: moderators only, filters validated, crawled text escaped, an index outage reported."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from search.services.sync import sync

URL = "/desk/search/"


@pytest.fixture
def embedded(db, settings):
    settings.OTKLIK_SEARCH = {**settings.OTKLIK_SEARCH, "ELASTICSEARCH_URL": "", "BACKEND": "auto"}
    from search.backends import get_backend

    backend = get_backend()
    backend.drop()
    return backend


@pytest.fixture
def moderator(db, client):
    user = User.objects.create_user("mod", password="x")
    user.groups.add(Group.objects.get(name="moderator"))
    client.force_login(user)
    return user


def test_url_name():
    assert reverse("search:desk") == URL


def test_login_and_role_required(db, client):
    assert client.get(URL).status_code == 302
    client.force_login(User.objects.create_user("marketer"))
    assert client.get(URL).status_code == 403


def test_search_shows_highlighted_hits_and_counts(embedded, dataset, moderator, client):
    from store.models import Mention

    Mention.objects.filter(pk=dataset.ids[2]).update(url="javascript:alert(1)")
    sync(embedded)
    response = client.get(URL, {"q": "посылки", "channel": "telegram"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Найдено: 2" in html
    assert "<mark>Посылка</mark> задерживается" in html
    assert "javascript:" not in html  # a hostile link is shown as text, never as an href
    assert "https://example.test/1" in html
    from responders.models import Ticket

    assert f'href="{reverse("desk:ticket", args=[Ticket.objects.get(mention_id=dataset.ids[1]).pk])}"' in html
    assert "негатив 2" in html and "Telegram 2" in html  # facet counts for the current filter


def test_hostile_text_is_escaped(embedded, moderator, client):
    from tests import factories

    factories.mention('<script>alert(1)</script> посылка')
    sync(embedded)
    html = client.get(URL, {"q": "посылка"}).content.decode()
    assert "<script>" not in html
    assert "alert(1)&lt;/script&gt;" in html


def test_empty_form_lists_newest_first(embedded, dataset, moderator, client):
    sync(embedded)
    html = client.get(URL).content.decode()
    assert "Найдено: 9" in html  # duplicates hidden
    assert html.index("Новая версия приложения") < html.index("Отличный сервис") < html.index("ёлочная")
    assert "Ожидают индексации" not in html


def test_invalid_filters_get_a_clear_error(embedded, moderator, client):
    response = client.get(URL, {"date_from": "2026-11-22", "date_to": "2026-11-01"})
    assert response.status_code == 400
    assert "позже" in response.content.decode()
    assert client.get(URL, {"sentiment": "furious"}).status_code == 400


def test_index_outage_is_reported(db, settings, moderator, client, closed_port):
    settings.OTKLIK_SEARCH = {**settings.OTKLIK_SEARCH, "ELASTICSEARCH_URL": f"http://127.0.0.1:{closed_port}",
                              "BACKEND": "auto", "TIMEOUT": 2}
    response = client.get(URL, {"q": "посылка"})
    assert response.status_code == 503
    assert "недоступен" in response.content.decode()
