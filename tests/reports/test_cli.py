"""`otklik report` and `otklik alerts check` on the fixed dataset."""

import pytest
from click.testing import CliRunner
from django.utils import timezone as djtz
from openpyxl import load_workbook

from otklik.cli import main
from reports.models import Alert
from tests.reports.fixtures import plant_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset():
    with djtz.override("Europe/Moscow"):
        yield plant_dataset()


def test_report_writes_the_requested_formats(dataset, tmp_path):
    with djtz.override("Europe/Moscow"):
        result = CliRunner().invoke(main, ["report", "--from", "2026-11-09", "--to", "2026-11-23", "--format", "csv",
                                           "--format", "xlsx", "--source", "tg-main", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "47 mentions, 2 spikes." in result.output
    assert not list(tmp_path.glob("*.html"))
    sheet = load_workbook(tmp_path / "topic-report-20261109-20261123.xlsx")["Объём по дням"]
    assert [c.value for c in sheet[2]][-3:] == [47, 28, 67.9]
    assert (tmp_path / "topic-report-20261109-20261123-volume.csv").exists()


@pytest.mark.parametrize("args, message", [
    (["--topic", "nope"], "unknown topic(s): nope"),
    (["--source", "nope"], "unknown source(s): nope"),
    (["--from", "2026-11-20", "--to", "2026-11-10"], "--to must be after --from"),
    (["--from", "20.11.2026"], "is not a date"),
])
def test_report_rejects_bad_input(args, message, tmp_path):
    result = CliRunner().invoke(main, ["report", *args, "--out", str(tmp_path)])
    assert result.exit_code == 2 and message in result.output and not list(tmp_path.iterdir())


def test_alerts_check(dataset, monkeypatch):
    monkeypatch.delenv("OTKLIK_ALERT_WEBHOOK", raising=False)
    monkeypatch.delenv("OTKLIK_ALERT_EMAILS", raising=False)
    dry = CliRunner().invoke(main, ["alerts", "check", "--now", "2026-11-18T20:00:00+03:00", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "«Задержка доставки» — 15 упоминаний за 18.11" in dry.output and not Alert.objects.exists()
    real = CliRunner().invoke(main, ["alerts", "check", "--now", "2026-11-18T20:00:00+03:00"])
    assert real.exit_code == 0 and "sent 0, recorded without channels 2" in real.output and Alert.objects.count() == 2
    listing = CliRunner().invoke(main, ["alerts", "list"])
    assert "Задержка доставки" in listing.output and "recorded" in listing.output
