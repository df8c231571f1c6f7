"""`otklik orders import` against real broken CRM exports (tests/data/orders) and under a working desk."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner

from responders.services.orders import ANONYMOUS_PREFIX, import_orders_csv
from responders.services.orders_csv import FileRefused
from store.models import Customer, Order

CORPUS = Path(__file__).resolve().parents[1] / "data" / "orders"
CASES = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))["cases"]
MSK = ZoneInfo("Europe/Moscow")


def _skipped(stats) -> dict[int, str]:
    """line → reason from the "строка N: …" errors (conflict when the message says so)."""
    out = {}
    for err in stats.errors:
        line = int(re.match(r"строка (\d+):", err).group(1))
        out[line] = "conflict" if "конфликт" in err else "invalid"
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_broken_export(case):
    path = CORPUS / case["file"]
    if "refused" in case:
        with pytest.raises(FileRefused, match=case["refused"]):
            import_orders_csv(path)
        assert Order.objects.count() == 0
        return
    dry = import_orders_csv(path, dry_run=True)
    assert Order.objects.count() == 0 and Customer.objects.count() == 0
    stats = import_orders_csv(path)
    assert (dry.created, dry.customers, dry.errors) == (stats.created, stats.customers, stats.errors)
    assert _skipped(stats) == {int(k): v for k, v in case["skipped"].items()}
    assert (stats.created, stats.customers) == (case["created"], case["customers"])
    assert Order.objects.count() == case["created"] and Customer.objects.count() == case["customers"]
    assert stats.read == case["created"] + len(case["skipped"])
    again = import_orders_csv(path)  # a rerun changes nothing and says so
    assert (again.created, again.updated, again.unchanged, again.customers) == (0, 0, case["created"], 0)


@pytest.mark.django_db
def test_values_survive_russian_formats():
    import_orders_csv(CORPUS / "russian-formats.csv")
    o1, o2, o3 = (Order.objects.get(order_number=n) for n in ("8001", "8002", "8003"))
    assert (o1.amount, o2.amount, o3.amount) == (Decimal("12990.00"), Decimal("1200.50"), Decimal("1200.50"))
    assert (o1.status, o2.status) == ("in_transit", "delivered")
    assert o1.created_at == datetime(2026, 11, 1, tzinfo=MSK)  # a date alone: midnight in OTKLIK_TIME_ZONE
    assert o1.shipped_at == datetime(2026, 11, 2, 14, 30, tzinfo=MSK)
    assert o2.delivered_at == datetime(2026, 11, 3, 9, 15, 20, tzinfo=MSK)
    assert o3.created_at == datetime(2026, 11, 1, 10, 0, tzinfo=MSK)  # 07:00Z
    import_orders_csv(CORPUS / "cp1251-semicolon.csv")
    anna = Customer.objects.get(external_id="К-1")
    assert (anna.name, anna.phone, anna.email) == ("Анна Смирнова", "79001112233", "anna@example.ru")
    assert Order.objects.get(order_number="9002").status == "delivered"


@pytest.mark.django_db
def test_empty_customer_ids_are_never_merged():
    import_orders_csv(CORPUS / "empty-customer-ids.csv")
    a, b, c = (Order.objects.select_related("customer").get(order_number=n) for n in ("5001", "5002", "5003"))
    assert a.customer.name == "Анна Смирнова" and b.customer.name == "Пётр Иванов"
    assert a.customer_id != b.customer_id and a.customer.external_id == ANONYMOUS_PREFIX + "5001"
    assert c.customer is None  # no id and no personal data: nobody to link
    assert not Customer.objects.filter(external_id="").exists()


@pytest.mark.django_db
def test_tracking_number_of_another_stored_order_is_a_conflict(tmp_path):
    head = "order_number,tracking_number,customer_id,created_at\n"
    first = tmp_path / "a.csv"
    first.write_text(head + "1,SK1RU,C1,2026-11-01T10:00:00+03:00\n", encoding="utf-8")
    import_orders_csv(first)
    second = tmp_path / "b.csv"
    second.write_text(head + "2,SK1RU,C2,2026-11-02T10:00:00+03:00\n3,SK3RU,C3,2026-11-02T10:00:00+03:00\n",
                      encoding="utf-8")
    stats = import_orders_csv(second)
    assert stats.errors == ["строка 2: конфликт: tracking_number 'SK1RU' уже у заказа 1"]
    assert stats.created == 1 and Order.objects.get(order_number="1").tracking_number == "SK1RU"


@pytest.mark.django_db
def test_update_and_dry_run_counts(tmp_path):
    head = "order_number,customer_id,status,created_at,amount_rub\n"
    p = tmp_path / "o.csv"
    p.write_text(head + "1,C1,created,01.11.2026,100\n2,C1,created,01.11.2026,200\n", encoding="utf-8")
    import_orders_csv(p)
    p.write_text(head + "1,C1,delivered,01.11.2026,100\n2,C1,created,01.11.2026,200\n3,C2,created,01.11.2026,\n",
                 encoding="utf-8")
    dry = import_orders_csv(p, dry_run=True)
    assert (dry.created, dry.updated, dry.unchanged, dry.customers) == (1, 1, 1, 1)
    assert Order.objects.get(order_number="1").status == "created" and Order.objects.count() == 2
    real = import_orders_csv(p)
    assert (real.created, real.updated, real.unchanged, real.customers) == (1, 1, 1, 1)
    assert Order.objects.get(order_number="1").status == "delivered"


@pytest.mark.django_db
def test_cli_reports_lines_and_exit_code():
    from otklik.cli import main

    res = CliRunner().invoke(main, ["orders", "import", str(CORPUS / "duplicate-order.csv"), "--dry-run"])
    assert res.exit_code == 1 and Order.objects.count() == 0
    assert "строка 4: конфликт: order_number '6001' повторяется в файле (строка 2, строка 4)" in res.output
    assert "было бы: создано 1" in res.output and "ничего не записано" in res.output
    res = CliRunner().invoke(main, ["orders", "import", str(CORPUS / "duplicate-order.csv"), "--allow-skips"])
    assert res.exit_code == 0 and Order.objects.count() == 1
    res = CliRunner().invoke(main, ["orders", "import", str(CORPUS / "binary.csv")])
    assert res.exit_code == 1 and "ничего не импортировано" in res.output and "Traceback" not in res.output


def _big_export(path: Path, rows: int) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("order_number,tracking_number,customer_id,customer_name,phone,city,status,created_at,amount_rub\n")
        for i in range(rows):
            c = i % 7919
            fh.write(f'{20_000_000 + i},TR{i:09d}RU,C{c},Клиент {c},+7 900 {c:07d},Москва,delivered,'
                     f'0{1 + i % 9}.11.2026 10:00,"{i % 99999} {i % 1000:03d},50"\n')
    return path


@pytest.mark.django_db(transaction=True)
def test_desk_answers_during_a_long_import(tmp_path):
    """A moderator logs in, opens the queue and claims/releases a ticket again and again while another process
    imports a big export. Desk writes wait at most 3 s for SQLite's lock here (30 s in production): an import
    holding one long transaction made them fail with "database is locked"."""
    import os
    import subprocess
    import sys

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from tests.responders.claim_race import make_fixture

    if connection.vendor != "sqlite":
        pytest.skip("the lock this guards against is SQLite's single writer")
    rows = int(os.environ.get("OTKLIK_TEST_IMPORT_ROWS", "20000"))
    ids, _ = make_fixture(1, 0)
    user = get_user_model().objects.create_user("desk", password="pass-словно-длинный-1")
    user.groups.add(Group.objects.get_or_create(name="moderator")[0])
    csv_path = _big_export(tmp_path / "big.csv", rows)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}"}
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "otklik", "orders", "import", str(csv_path)], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    options = connection.settings_dict["OPTIONS"]
    saved, options["timeout"] = options.get("timeout"), 3.0
    connection.close()
    statuses: list[int] = []
    try:
        while proc.poll() is None:
            client = Client()
            statuses.append(client.post("/login/", {"username": "desk", "password": "pass-словно-длинный-1"}).status_code)
            statuses.append(client.get("/desk/").status_code)
            statuses.append(client.post(f"/desk/tickets/{ids[0]}/do/claim/").status_code)
            statuses.append(client.post(f"/desk/tickets/{ids[0]}/do/release/").status_code)
    finally:
        options["timeout"] = saved
        out = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, out
    assert f"создано {rows}" in out
    assert len(statuses) >= 20, "the import ended before the desk was exercised: raise OTKLIK_TEST_IMPORT_ROWS"
    assert set(statuses) <= {200, 302}, statuses
    assert Order.objects.count() == rows
