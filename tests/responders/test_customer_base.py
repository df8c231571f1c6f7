"""The claim rate's denominator: the company's monthly active-customer counts, prorated over a period; the
fallback to customers with orders; the CSV import with its line-numbered errors; the admin."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from django.utils import timezone

from otklik.cli import main
from responders.models import ActiveCustomers, Ticket, TicketKind, TicketState
from responders.services.customer_base import (
    FileRefused,
    customer_base,
    import_active_customers_csv,
    months_overlapping,
)
from responders.services.metrics import metrics_by, service_metrics
from store.models import Customer, Order
from tests.factories import mention

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
# 28 November – 4 December 2026 in Moscow: 3 days of November (30 days) and 4 of December (31 days).
START = datetime(2026, 11, 28, tzinfo=MSK)
END = datetime(2026, 12, 5, tzinfo=MSK)
NOW = datetime(2026, 12, 10, tzinfo=MSK)


@pytest.fixture(autouse=True)
def moscow():
    with timezone.override(MSK):  # the months are local calendar months
        yield


def complaints(n: int, kind: str = TicketKind.COMPLAINT) -> None:
    for i in range(n):
        opened = START + timedelta(hours=10 * i)
        Ticket.objects.create(mention=mention(f"c{kind}{i}"), kind=kind, opened_at=opened, state=TicketState.NEW,
                              first_reply_due=opened + timedelta(hours=24), resolution_due=opened + timedelta(hours=48))


def orders_of(*customer_ids: str) -> None:
    for i, cid in enumerate(customer_ids):
        customer = Customer.objects.get_or_create(external_id=cid)[0]
        Order.objects.create(order_number=f"o{i}", customer=customer, created_at=START + timedelta(days=1))


def test_months_overlapping_are_local_months_prorated_by_time():
    shares = months_overlapping(START, END)
    assert [m for m, _ in shares] == [date(2026, 11, 1), date(2026, 12, 1)]
    assert shares[0][1] == pytest.approx(3 / 30) and shares[1][1] == pytest.approx(4 / 31)
    # One whole month is a share of 1; an hour at the month's end in UTC is already the next month in Moscow.
    assert months_overlapping(datetime(2026, 11, 1, tzinfo=MSK), datetime(2026, 12, 1, tzinfo=MSK)) == [
        (date(2026, 11, 1), 1.0)]
    utc_evening = datetime(2026, 11, 30, 22, tzinfo=ZoneInfo("UTC"))
    assert [m for m, _ in months_overlapping(utc_evening, utc_evening + timedelta(hours=1))] == [date(2026, 12, 1)]


def test_supplied_counts_over_two_months_make_the_claim_rate():
    ActiveCustomers.objects.create(month=date(2026, 11, 1), count=30_000)
    ActiveCustomers.objects.create(month=date(2026, 12, 1), count=31_000)
    complaints(14)
    complaints(3, kind=TicketKind.QUESTION)  # questions are not complaints
    orders_of("a", "b")  # the orders no longer matter once the company gave its base
    base = customer_base(START, END)
    assert base.supplied and base.estimated == []
    assert base.count == 7_000  # 30,000 × 3/30 + 31,000 × 4/31
    m = service_metrics(START, END, now=NOW)
    assert (m.complaints, m.active_customers, m.active_customers_supplied) == (14, 7_000, True)
    assert m.claim_rate_per_1000 == 2.0  # 14 / 7,000 × 1,000
    # Every breakdown group divides by the same base.
    [(key, by_kind)] = metrics_by("channel", START, END, now=NOW)
    assert by_kind.active_customers == 7_000 and by_kind.claim_rate_per_1000 == 2.0


def test_a_month_without_a_count_takes_the_nearest_supplied_one():
    ActiveCustomers.objects.create(month=date(2026, 11, 1), count=30_000)
    base = customer_base(START, END)
    assert base.estimated == [date(2026, 12, 1)]
    assert base.count == round(3_000 + 30_000 * 4 / 31)
    # Equally near months on both sides: the earlier one.
    ActiveCustomers.objects.all().delete()
    ActiveCustomers.objects.create(month=date(2026, 10, 1), count=10_000)
    ActiveCustomers.objects.create(month=date(2026, 12, 1), count=99_000)
    nov = customer_base(datetime(2026, 11, 1, tzinfo=MSK), datetime(2026, 11, 16, tzinfo=MSK))
    assert (nov.count, nov.estimated) == (5_000, [date(2026, 11, 1)])


def test_without_any_count_the_base_is_the_customers_with_orders():
    complaints(6)
    orders_of("a", "a", "b", "c")
    Order.objects.create(order_number="older", customer=Customer.objects.get(external_id="a"),
                         created_at=START - timedelta(days=30))
    m = service_metrics(START, END, now=NOW)
    assert (m.active_customers, m.active_customers_supplied) == (3, False)
    assert m.claim_rate_per_1000 == 2000.0  # the over-1,000 figure that needs the company's base


def write(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "active.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_import_keeps_valid_rows_and_names_the_bad_lines(tmp_path):
    path = write(tmp_path, "\ufeffmonth;active_customers\n"
                 "2026-10;40 100\n"        # line 2: a thousands space
                 "2026-13;5\n"             # line 3: no such month
                 "11.2026;41200\n"         # line 4: Russian month
                 "2026-12;0\n"             # line 5: zero
                 "2026-12-01;12,5\n"       # line 6: not a whole number
                 "2026-11;41 000\n"        # line 7: November again
                 "\n"
                 "2027-01;42000;extra\n"   # line 9: one value too many
                 "2027-02;\n")             # line 10: no count
    s = import_active_customers_csv(path)
    assert (s.read, s.created, s.skipped) == (8, 2, 6)
    assert [e.split(":")[0] for e in s.errors] == ["строка 3", "строка 5", "строка 6", "строка 7", "строка 9",
                                                   "строка 10"]
    assert "не месяц '2026-13'" in s.errors[0] and "уже задан в строке 4" in s.errors[3]
    assert "лишние значения" in s.errors[4] and "active_customers" in s.errors[5]
    assert dict(ActiveCustomers.objects.values_list("month", "count")) == {
        date(2026, 10, 1): 40_100, date(2026, 11, 1): 41_200}
    # A rerun changes nothing; a new figure updates; a dry run writes nothing.
    again = import_active_customers_csv(write(tmp_path, "month,active_customers\n2026-10,40100\n2026-11,41300\n"
                                              "2026-12,42000\n"), dry_run=True)
    assert (again.unchanged, again.updated, again.created) == (1, 1, 1)
    assert ActiveCustomers.objects.count() == 2 and ActiveCustomers.objects.get(month=date(2026, 11, 1)).count == 41_200


def test_import_refuses_a_file_without_the_columns(tmp_path):
    with pytest.raises(FileRefused, match="нет столбцов active_customers"):
        import_active_customers_csv(write(tmp_path, "month,customers\n2026-11,5\n"))
    assert not ActiveCustomers.objects.exists()


def test_cli_reports_lines_and_exit_code(tmp_path):
    path = write(tmp_path, "month,active_customers\n2026-11,41200\n2026-12,много\n", encoding="cp1251")
    res = CliRunner().invoke(main, ["customers", "import-active", str(path)])
    assert res.exit_code == 1, res.output
    assert "строка 3: active_customers: не целое положительное число 'много'" in res.output
    assert "добавлено месяцев 1" in res.output and "пропущено 1" in res.output
    assert ActiveCustomers.objects.get().count == 41_200
    res = CliRunner().invoke(main, ["customers", "import-active", str(path), "--allow-skips"])
    assert res.exit_code == 0 and "без изменений 1" in res.output
    res = CliRunner().invoke(main, ["customers", "import-active", str(write(tmp_path, "x\n1\n"))])
    assert res.exit_code == 1 and "ничего не импортировано" in res.output


def grant_lead_permissions() -> None:
    """The permissions migration 0008 grants the lead group (a transactional test before this one flushes them)."""
    from importlib import import_module

    from django.contrib.auth.models import Group, Permission

    codenames = import_module("responders.migrations.0008_lead_active_customers").LEAD_PERMS
    perms = Permission.objects.filter(content_type__app_label="responders", codename__in=codenames)
    assert perms.count() == 3
    Group.objects.get(name="lead").permissions.add(*perms)


def test_a_lead_edits_the_counts_in_the_admin(client, make_user):
    lead = make_user("lena", role="lead", is_staff=True)
    grant_lead_permissions()
    client.force_login(lead)
    res = client.post("/admin/responders/activecustomers/add/", {"month": "15.11.2026", "count": "41200"})
    assert res.status_code == 302, res.content.decode()[:2000]
    assert ActiveCustomers.objects.get().month == date(2026, 11, 1)  # any day means its month
    # The same month again is refused by the form, not by a database error.
    res = client.post("/admin/responders/activecustomers/add/", {"month": "03.11.2026", "count": "5"})
    assert res.status_code == 200 and ActiveCustomers.objects.count() == 1
    assert "уже существует" in res.content.decode()
    moderator = make_user("anna", is_staff=True)
    client.force_login(moderator)
    assert client.get("/admin/responders/activecustomers/").status_code == 403
