"""The marketer's report page in the desk and its downloads."""

import io
import zipfile

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone as djtz
from openpyxl import load_workbook

from reports.models import Alert
from responders.roles import LEAD, MARKETER, MODERATOR
from tests.reports.fixtures import plant_dataset

pytestmark = pytest.mark.django_db
PERIOD = {"date_from": "2026-11-09", "date_to": "2026-11-22"}


def user_with(role: str | None, name: str) -> User:
    user = User.objects.create_user(name, password="pw-for-tests-only")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def dataset():
    with djtz.override("Europe/Moscow"):
        yield plant_dataset()


def test_marketer_sees_the_report(client, dataset):
    client.force_login(user_with(MARKETER, "marketer"))
    with djtz.override("Europe/Moscow"):
        response = client.get("/reports/", PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="volume-chart"' in html and 'id="total-mentions">117<' in html and 'id="spike-count">2<' in html
    assert 'href="/reports/export/xlsx/?date_from=2026-11-09' in html
    assert "img-src 'self' data:" in response["Content-Security-Policy"]  # the charts are data: images


def test_roles(client):
    assert client.get("/reports/").status_code == 302  # anonymous: to the login page
    client.force_login(user_with(MODERATOR, "moderator"))
    assert client.get("/reports/").status_code == 403
    client.force_login(user_with(LEAD, "lead"))
    assert client.get("/reports/").status_code == 200


def test_filters_and_bad_input(client, dataset):
    client.force_login(user_with(MARKETER, "marketer"))
    with djtz.override("Europe/Moscow"):
        html = client.get("/reports/", {**PERIOD, "topic": "praise"}).content.decode()
        assert 'id="total-mentions">14<' in html
        bad = client.get("/reports/", {"date_from": "2026-11-22", "date_to": "2026-11-09"})
        assert bad.status_code == 200 and "раньше" in bad.content.decode() and 'id="volume-chart"' not in bad.content.decode()
        assert client.get("/reports/", {**PERIOD, "topic": "no_such_topic"}).status_code == 200
        assert client.get("/reports/export/xlsx/", {"date_from": "x"}).status_code == 400
        assert client.get("/reports/export/exe/", PERIOD).status_code == 404


def test_downloads(client, dataset):
    client.force_login(user_with(MARKETER, "marketer"))
    with djtz.override("Europe/Moscow"):
        xlsx = client.get("/reports/export/xlsx/", PERIOD)
        csvs = client.get("/reports/export/csv/", PERIOD)
        html = client.get("/reports/export/html/", PERIOD)
    assert xlsx["Content-Disposition"] == 'attachment; filename="topic-report-20261109-20261123.xlsx"'
    sheet = load_workbook(io.BytesIO(xlsx.content))["Объём по дням"]
    assert [c.value for c in sheet[2]][:2] == ["pickup_point", "Пункт выдачи"]
    names = zipfile.ZipFile(io.BytesIO(csvs.content)).namelist()
    assert "topic-report-20261109-20261123-volume.csv" in names and len(names) == 7
    assert b"data:image/png;base64," in html.content


def test_recent_alerts_are_listed(client):
    Alert.objects.create(kind="spike", topic="billing", topic_name="Оплата и счета", spike_start=djtz.now(),
                         peak_at=djtz.now(), peak_count=12, baseline=2.0, status=Alert.Status.SENT)
    client.force_login(user_with(MARKETER, "marketer"))
    html = client.get("/reports/").content.decode()
    assert "Оплата и счета" in html and "Отправлено" in html
