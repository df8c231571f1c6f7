"""The report's numbers on the fixed dataset of tests/reports/fixtures.py (expected values computed there by hand)."""

import csv
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone as djtz
from openpyxl import load_workbook

from reports.build import build_report, report_context
from reports.data import collect, safe_url
from tests.factories import classified
from tests.reports.fixtures import END, MSK, NOW, SPIKE_DAY, START, plant_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset():
    with djtz.override("Europe/Moscow"):
        yield plant_dataset()


@pytest.fixture
def data(dataset):
    return collect(START, END)


def test_volumes_and_change(data):
    assert data.total == 117 and data.duplicates == 1
    assert data.days[0] == date(2026, 11, 9) and data.days[-1] == date(2026, 11, 22) and len(data.days) == 14
    assert data.topic_totals() == [("pickup_point", 56), ("delivery_delay", 47), ("praise", 14)]
    assert data.volume["delivery_delay"][SPIKE_DAY] == 15 and data.volume["delivery_delay"][date(2026, 11, 9)] == 2
    assert data.previous_total == 28 + 56 + 7
    assert data.change_pct("delivery_delay") == 67.9
    assert data.change_pct("pickup_point") == 0.0
    assert data.change_pct("praise") == 100.0
    assert data.change_pct() == round(100 * (117 - 91) / 91, 1) == 28.6
    assert data.weeks == [(date(2026, 11, 9), date(2026, 11, 15)), (date(2026, 11, 16), date(2026, 11, 22))]
    assert data.week_volume("delivery_delay") == [2 + 3 + 2 + 3 + 2 + 3 + 2, 3 + 2 + 15 + 3 + 2 + 3 + 2]


def test_sentiment_shares(data):
    assert data.sentiment == {"negative": 75, "neutral": 28, "positive": 14}
    assert data.sentiment_by_topic["pickup_point"] == {"negative": 28, "neutral": 28}
    assert data.sentiment_by_channel == {"telegram": {"negative": 47}, "vk": {"negative": 28, "neutral": 28},
                                         "appstore": {"positive": 14}}
    ctx_share = {k: pct for k, _, _, pct in report_context(START, END)["overall_share"]}
    assert ctx_share == {"negative": 64.1, "neutral": 23.9, "positive": 12.0}


def test_service_metrics_and_trend(dataset):
    ctx = report_context(START, END, now=NOW)
    m = ctx["metrics"]
    assert (m.tickets, m.closed, m.sl_pct, m.closed_24h_pct, m.backlog) == (3, 2, 66.67, 33.33, 1)
    assert [(label, t.tickets, t.sl_pct, t.closed_24h_pct, t.backlog) for label, t in ctx["trend"]] == [
        ("09.11–15.11", 2, 100.0, 50.0, 0), ("16.11–22.11", 1, 0.0, 0.0, 1)]
    assert ctx["service_chart"].startswith("data:image/png;base64,")


def test_competitors_only_in_share_of_voice(data):
    assert data.share_of_voice == {"СкороДоставка": {"negative": 75, "neutral": 28, "positive": 14},
                                   "БыстроПочта": {"negative": 39}}
    sov = {b["brand"]: b["pct"] for b in report_context(START, END)["share_of_voice"]}
    assert sov == {"СкороДоставка": 75.0, "БыстроПочта": 25.0}


def test_planted_spike_is_found_and_flat_series_is_not(data):
    found = {(s.kind, s.topic): s for s in data.spikes}
    assert set(found) == {("spike", "delivery_delay"), ("negative_surge", "*")}
    s = found[("spike", "delivery_delay")]
    assert s.start == datetime(2026, 11, 18, tzinfo=MSK) and s.end == datetime(2026, 11, 19, tzinfo=MSK)
    assert s.count == 15 and s.total == 15
    assert s.baseline == pytest.approx(17 / 7)
    assert s.threshold == pytest.approx(17 / 7 + 3 * (17 / 7) ** 0.5)
    assert s.rise == pytest.approx(15 - 17 / 7)
    terms = [w for w, _ in s.terms]
    assert {"подольск", "сортировочный"} <= set(terms[:4])
    assert all("Подольск" in q.text for q in s.quotes) and len(s.quotes) == 3
    neg = found[("negative_surge", "*")]
    assert neg.count == 17 and neg.baseline == pytest.approx(31 / 7)


def test_typical_quotes_not_newest_or_highest_scored(dataset):
    # The newest pickup-point mention has the highest score but is unlike the rest of the topic.
    odd = classified("Парковка у торгового центра платная, а кофе там невкусный, и вообще погода плохая",
                     topics=["pickup_point"], posted_at=END - timedelta(minutes=1), src=dataset["vk"])
    odd.classifications.update(topic_scores={"pickup_point": 0.99})
    d = collect(START, END)
    texts = [q.text for q in d.quotes["pickup_point"]]
    assert len(texts) == 3 and not any("Парковка" in t for t in texts)
    assert any("пункт" in t.lower() for t in texts)


def test_topic_and_source_filters(dataset):
    d = collect(START, END, topics=["praise"])
    assert d.total == 14 and list(d.volume) == ["praise"] and d.spikes == []
    d = collect(START, END, sources=["vk-wall"])
    assert d.total == 56 and d.share_of_voice == {} and d.duplicates == 1


def test_empty_period_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        collect(END, START)


def test_safe_url():
    assert safe_url("https://t.me/x/1") == "https://t.me/x/1"
    assert safe_url("JavaScript:alert(1)") == "" and safe_url("data:text/html,x") == ""


def test_build_writes_html_csv_xlsx(dataset, tmp_path):
    files = build_report(START, END, tmp_path, formats=("html", "csv", "xlsx"))
    html = files.html.read_text(encoding="utf-8")
    for element in ('id="volume-chart"', 'id="sentiment-chart"', 'id="channel-chart"', 'id="sov-chart"',
                    'class="spike-chart"', 'id="service-metrics"', 'id="volume-table"'):
        assert element in html
    assert "Задержка доставки" in html and "<script" not in html and "http://" not in html.replace(
        "https://t.me", "")
    by_name = {p.name.rsplit("-", 1)[1]: p for p in files.paths["csv"]}
    assert set(by_name) >= {"volume.csv", "weekly.csv", "sentiment.csv", "spikes.csv", "quotes.csv", "service.csv"}
    with files.csv.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["topic", "name", "2026-11-09"] and rows[0][-3:] == ["total", "previous_period", "change_pct"]
    delay = next(r for r in rows if r[0] == "delivery_delay")
    assert delay[2:16] == ["2", "3", "2", "3", "2", "3", "2", "3", "2", "15", "3", "2", "3", "2"]
    assert delay[16:] == ["47", "28", "67.9"]
    wb = load_workbook(files.paths["xlsx"][0])
    assert "Всплески" in wb.sheetnames and "Доля голоса" in wb.sheetnames
    spikes = list(wb["Всплески"].values)
    assert spikes[0][:2] == ("kind", "topic") and {r[1] for r in spikes[1:]} == {"delivery_delay", "*"}


def test_spreadsheet_formulas_from_crawled_text_are_neutralised(tmp_path):
    classified('=HYPERLINK("http://evil.example","click") курьер опоздал', posted_at=START + timedelta(hours=5))
    files = build_report(START, END, tmp_path, formats=("csv", "xlsx"))
    quotes = next(p for p in files.paths["csv"] if p.name.endswith("quotes.csv")).read_text(encoding="utf-8")
    assert "'=HYPERLINK" in quotes
    ws = load_workbook(files.paths["xlsx"][0])["Типичные цитаты"]
    cell = next(c for row in ws.iter_rows() for c in row if "HYPERLINK" in str(c.value))
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_hostile_text_is_escaped(tmp_path):
    classified('<img src=x onerror=alert(1)> курьер опоздал', posted_at=START + timedelta(hours=5),
               url="javascript:alert(1)")
    html = build_report(START, END, tmp_path).html.read_text(encoding="utf-8")
    assert "<img src=x" not in html and "&lt;img src=x" in html and "javascript:" not in html


def test_pdf_without_chromium_is_a_clear_error(tmp_path, monkeypatch):
    from reports.build import ReportError

    monkeypatch.delenv("OTKLIK_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ReportError, match="apt-get install chromium"):
        build_report(START, END, tmp_path, formats=("pdf",))
    with pytest.raises(ReportError, match="unknown report format"):
        build_report(START, END, tmp_path, formats=("docx",))


def test_a_moderators_correction_wins_over_a_newer_model_label(tmp_path):
    from django.contrib.auth.models import User

    from store.models import Classification

    m = classified("Курьер нахамил", topics=["delivery_delay"], posted_at=START + timedelta(hours=5))
    Classification.objects.create(mention=m, model_name="human", model_version="human", sentiment="negative",
                                  topics=["courier_behaviour"], corrected_by=User.objects.create(username="mod"),
                                  created_at=djtz.now() - timedelta(days=1))
    Classification.objects.create(mention=m, model_name="newer", model_version="v2", sentiment="neutral",
                                  topics=["other"], created_at=djtz.now())
    assert m.current_classification.topics == ["courier_behaviour"]
    d = collect(START, END)
    assert dict(d.volume) == {"courier_behaviour": {m.posted_at.astimezone(djtz.get_current_timezone()).date(): 1}}
    assert d.sentiment == {"negative": 1}
