"""`otklik customers export/forget` (152-FZ): what is stored about a customer, and erasing it everywhere."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from otklik.cli import main
from responders.models import Reply, Ticket, TicketOrderLink
from responders.services.orders import import_orders_csv
from responders.services.routing import route_pending
from responders.services.workflow import claim, reply
from search.query import Query
from search.services.search import search
from search.services.sync import sync
from store.models import AuditEvent, Customer, Mention, Order
from tests.factories import classified

CSV = """order_number,tracking_number,customer_id,customer_name,phone,email,city,status,created_at,amount_rub
40012345,SK123456789RU,C1,Анна Смирнова,+7 900 111-22-33,Anna@Example.ru,Москва,delivered,2026-11-15T10:00:00+03:00,1200
40012346,,C1,Анна Смирнова,+7 900 111-22-33,anna@example.ru,Москва,delivered,2026-11-16T10:00:00+03:00,300
40020000,,C2,Пётр Иванов,89000003344,petr@example.ru,Казань,created,2026-11-19T10:00:00+03:00,
"""
ABOUT_ANNA = ("Я Анна Смирнова, заказ 40012345 не пришёл. Звоните 8 (900) 111-22-33 или пишите ANNA@example.ru")
ABOUT_PHONE_ONLY = "Курьер не дозвонился на +79001112233, посылка уехала обратно"
OTHER = "Пётр Иванов: заказ 40020000 задерживается, курьер молчит"
PII = ("Анна", "Смирнова", "111-22-33", "9001112233", "anna@example.ru")


@pytest.fixture
def stored(tmp_path):
    p = tmp_path / "orders.csv"
    p.write_text(CSV, encoding="utf-8")
    import_orders_csv(p)
    anna = classified(ABOUT_ANNA, author="Анна Смирнова", raw={"from": {"name": "Анна Смирнова"}})
    phone = classified(ABOUT_PHONE_ONLY)
    other = classified(OTHER, author="Пётр Иванов")
    route_pending()
    user = get_user_model().objects.create(username="mod")
    user.groups.add(Group.objects.get_or_create(name="moderator")[0])
    ticket = Ticket.objects.get(mention=anna)
    claim(ticket.pk, user)
    reply(ticket.pk, user, "Анна, простите за задержку: курьер позвонит на 8 900 111-22-33 сегодня.")
    sync()
    return {"anna": anna, "phone": phone, "other": other}


def _has_pii(text: str) -> bool:
    return any(s.lower() in text.lower() for s in PII)


@pytest.mark.django_db
def test_export_gives_what_is_stored(stored):
    res = CliRunner().invoke(main, ["customers", "export", "C1"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["customer"] == {"id": "C1", "name": "Анна Смирнова", "phone": "79001112233",
                                "email": "anna@example.ru", "city": "Москва", "forgotten_at": None}
    assert [o["order_number"] for o in data["orders"]] == ["40012345", "40012346"]
    assert {m["id"] for m in data["mentions"]} == {stored["anna"].pk, stored["phone"].pk}
    assert any("простите за задержку" in r["text"] for t in data["tickets"] for r in t["replies"])
    res = CliRunner().invoke(main, ["customers", "export", "nobody"])
    assert res.exit_code == 1 and "нет клиента с id 'nobody'" in res.output


@pytest.mark.django_db
def test_forget_erases_everywhere_and_keeps_counts(stored):
    before = {"orders": Order.objects.count(), "tickets": Ticket.objects.count(),
              "mentions": Mention.objects.count()}
    assert search(Query(text="Смирнова")).total == 1
    res = CliRunner().invoke(main, ["customers", "forget", "C1", "--yes"])
    assert res.exit_code == 0, res.output
    assert "очищено упоминаний 2, ответов 1" in res.output
    c = Customer.objects.get(external_id="C1")
    assert (c.name, c.phone, c.email, c.city) == ("", "", "", "Москва") and c.forgotten_at is not None
    for m in (stored["anna"], stored["phone"]):
        m.refresh_from_db()
        assert not _has_pii(m.text + m.title + m.author + json.dumps(m.raw, ensure_ascii=False)), m.text
    stored["anna"].refresh_from_db()
    assert "заказ 40012345 не пришёл" in stored["anna"].text and "[телефон удалён]" in stored["anna"].text
    assert stored["anna"].author == "[имя удалено]"
    other = Mention.objects.get(pk=stored["other"].pk)
    assert other.text == OTHER  # someone else's data is untouched
    assert not any(_has_pii(r.text) for r in Reply.objects.all())
    audit = AuditEvent.objects.filter(object_type="responders.reply")
    assert audit.exists() and not any(_has_pii(json.dumps(e.after, ensure_ascii=False)) for e in audit)
    assert not TicketOrderLink.objects.filter(matched_value__in=["79001112233", "anna@example.ru"]).exists()
    entry = AuditEvent.objects.get(action="customer.forget")
    assert entry.after["mentions"] == 2 and not _has_pii(json.dumps(entry.after, ensure_ascii=False))
    # the search index forgot too, once the outbox is drained
    sync()
    assert search(Query(text="Смирнова")).total == 0
    assert search(Query(text="Иванов")).total == 1
    # anonymous counts stay for the metrics
    assert before == {"orders": Order.objects.count(), "tickets": Ticket.objects.count(),
                      "mentions": Mention.objects.count()}
    assert Order.objects.filter(customer=c).count() == 2


@pytest.mark.django_db
def test_a_reimport_does_not_bring_the_data_back(stored, tmp_path):
    CliRunner().invoke(main, ["customers", "forget", "C1", "--yes"])
    p = tmp_path / "again.csv"
    p.write_text(CSV, encoding="utf-8")
    import_orders_csv(p)
    c = Customer.objects.get(external_id="C1")
    assert (c.name, c.phone, c.email) == ("", "", "")
    assert Customer.objects.get(external_id="C2").name == "Пётр Иванов"
