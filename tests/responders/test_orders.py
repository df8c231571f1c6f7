from pathlib import Path

import pytest

from responders.config import load_config
from responders.models import Ticket, TicketOrderLink
from responders.services.orders import (
    Reference,
    extract_references,
    import_orders_csv,
    normalize_phone,
)
from responders.services.routing import route_pending
from store.models import Customer, Order
from tests.factories import classified

CSV = """order_number,tracking_number,customer_id,customer_name,phone,email,city,status,created_at,shipped_at,delivered_at,amount_rub
40012345,SK123456789RU,C1,Анна Смирнова,+7 900 000-11-22,Anna@Example.ru,Москва,in_transit,2026-11-15T10:00:00+03:00,2026-11-16T10:00:00+03:00,,1200.50
40012346,SK123456790RU,C1,Анна Смирнова,+7 900 000-11-22,anna@example.ru,Москва,delivered,2026-11-18T10:00:00+03:00,2026-11-18T12:00:00+03:00,2026-11-19T12:00:00+03:00,300
40020000,,C2,Пётр,89000003344,,Казань,created,2026-11-19T10:00:00+03:00,,,
"""


@pytest.fixture
def orders_csv(tmp_path) -> Path:
    p = tmp_path / "orders.csv"
    p.write_text(CSV, encoding="utf-8")
    return p


@pytest.mark.parametrize("raw, norm", [("+7 (900) 000-11-22", "79000001122"), ("8 900 000 11 22", "79000001122"),
                                       ("9000001122", "79000001122")])
def test_normalize_phone(raw, norm):
    assert normalize_phone(raw) == norm


@pytest.mark.django_db
def test_extract_references():
    cfg = load_config()
    text = "Заказ 40012345, трек sk123456789ru? нет, SK123456789RU. Звоните +7 900 000-11-22 или anna@example.ru; 123456789012"
    refs = extract_references(text, cfg)
    assert refs == [
        Reference("tracking_number", "SK123456789RU"),
        Reference("order_number", "40012345"),
        Reference("phone", "79000001122"),
        Reference("email", "anna@example.ru"),
    ]


@pytest.mark.django_db
def test_import_is_an_idempotent_upsert(orders_csv):
    first = import_orders_csv(orders_csv)
    assert (first.created, first.customers, first.errors) == (3, 2, [])
    second = import_orders_csv(orders_csv)
    assert (second.created, second.updated, second.unchanged, second.customers) == (0, 0, 3, 0)
    assert Order.objects.count() == 3 and Customer.objects.count() == 2
    c1 = Customer.objects.get(external_id="C1")
    assert (c1.phone, c1.email) == ("79000001122", "anna@example.ru")
    assert str(Order.objects.get(order_number="40012345").amount) == "1200.50"


@pytest.mark.django_db
def test_bad_rows_are_reported_not_imported(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("order_number,customer_id,created_at,status\n1,C,2026-11-01T00:00:00+03:00,teleported\n2,C,,created\n")
    stats = import_orders_csv(p)
    assert stats.created == 0 and len(stats.errors) == 2
    assert "строка 2: status: неизвестный статус 'teleported'" in stats.errors[0]
    assert stats.errors[1] == "строка 3: created_at: пусто"
    with pytest.raises(ValueError, match="нет столбцов customer_id, created_at"):
        q = tmp_path / "q.csv"
        q.write_text("order_number\n1\n")
        import_orders_csv(q)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, order, matched_by",
    [
        ("Где заказ 40012345?", "40012345", "order_number"),
        ("Трек SK123456790RU стоит на месте", "40012346", "tracking_number"),
        ("Позвоните мне 8-900-000-33-44, посылки нет", "40020000", "phone"),
        ("Пишите на ANNA@example.ru", "40012346", "email"),  # the customer's latest order
    ],
)
def test_tickets_link_to_orders(orders_csv, text, order, matched_by):
    import_orders_csv(orders_csv)
    classified(text)
    route_pending()
    link = TicketOrderLink.objects.get()
    assert (link.order.order_number, link.matched_by) == (order, matched_by)


@pytest.mark.django_db
def test_unknown_order_number_links_nothing(orders_csv):
    import_orders_csv(orders_csv)
    classified("Заказ 49999999 не пришёл")
    stats = route_pending()
    assert stats.linked_to_order == 0 and Ticket.objects.get().order_links.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("text, found", [("Номер заказа 4005 8841", ["40058841"]), ("заказ 4005-8841!", ["40058841"]),
                                         ("тел 89000001122", []), ("код 123456789", []), ("40058841 и 40058842", ["40058841", "40058842"])])
def test_order_numbers_with_separators(text, found):
    refs = [r.value for r in extract_references(text, load_config()) if r.kind == "order_number"]
    assert refs == found
