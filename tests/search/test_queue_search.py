"""The desk queue's text search goes through the index: any word form finds the ticket."""

import pytest

from responders.models import Ticket
from responders.services.routing import route_pending
from responders.services.search import search_tickets
from search.services.sync import sync
from tests.factories import classified

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets():
    from search.backends import get_backend

    get_backend().drop()
    classified("Посылку потеряли на сортировке, верните деньги", topics=["lost_item"])
    classified("Курьер опоздал на два часа", topics=["delivery_delay"])
    route_pending()
    sync()
    return Ticket.objects.all()


def test_word_forms_match_through_the_index(tickets):
    found = search_tickets(tickets, "посылки")
    assert [t.topic for t in found] == ["lost_item"]
    assert [t.topic for t in search_tickets(tickets, "опаздывает курьер")] == []  # every word must match
    assert [t.topic for t in search_tickets(tickets, "курьеры опоздали")] == ["delivery_delay"]


def test_unreachable_index_falls_back_to_the_database(tickets, settings, closed_port, caplog):
    settings.OTKLIK_SEARCH = {**settings.OTKLIK_SEARCH, "ELASTICSEARCH_URL": f"http://127.0.0.1:{closed_port}",
                              "AUTO_SYNC": False}
    found = search_tickets(tickets, "Посылку")
    assert [t.topic for t in found] == ["lost_item"]
    assert "falls back to the database" in caplog.text
