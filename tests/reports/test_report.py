from datetime import datetime, timedelta, timezone

import pytest
from django.utils import timezone as djtz

from reports.build import build_report
from reports.data import collect, safe_url
from tests.factories import classified, mention

pytestmark = pytest.mark.django_db
MSK = timezone(timedelta(hours=3))
START = datetime(2026, 11, 16, tzinfo=MSK)
END = datetime(2026, 11, 19, tzinfo=MSK)


def at(day, hour=12):
    return datetime(2026, 11, day, hour, tzinfo=MSK)


@pytest.fixture
def dataset():
    for _ in range(3):
        classified("опоздали", topics=["delivery_delay"], posted_at=at(16))
    classified("опоздали и нахамили", topics=["delivery_delay", "courier_behaviour"], posted_at=at(17))
    classified("спасибо", sentiment="positive", topics=["praise"], posted_at=at(18), url="javascript:alert(1)")
    original = classified("копия", topics=["delivery_delay"], posted_at=at(18))
    classified("копия", topics=["delivery_delay"], posted_at=at(18), duplicate_of=original)
    classified("вне периода", topics=["delivery_delay"], posted_at=at(19, 0))
    mention("не классифицировано", posted_at=at(17))


def test_collect_counts(dataset):
    with djtz.override("Europe/Moscow"):
        d = collect(START, END)
    assert d.total == 6 and d.duplicates == 1
    assert [day.day for day in d.days] == [16, 17, 18]
    assert dict(d.volume["delivery_delay"]) == {at(16).date(): 3, at(17).date(): 1, at(18).date(): 1}
    assert d.topic_totals() == [("delivery_delay", 5), ("courier_behaviour", 1), ("praise", 1)]
    assert d.sentiment == {"negative": 5, "positive": 1}
    assert d.quotes["praise"][0].url == ""  # javascript: links never reach the HTML


def test_topic_filter(dataset):
    d = collect(START, END, topics=["praise"])
    assert d.total == 1 and list(d.volume) == ["praise"]


def test_safe_url():
    assert safe_url("https://t.me/x/1") == "https://t.me/x/1"
    assert safe_url("JavaScript:alert(1)") == "" and safe_url("data:text/html,x") == ""


def test_build_writes_html_and_csv(dataset, tmp_path):
    files = build_report(START, END, tmp_path)
    html = files.html.read_text(encoding="utf-8")
    assert 'id="volume-chart"' in html and "data:image/png;base64," in html
    assert "Задержка доставки" in html and "javascript:" not in html
    lines = files.csv.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "topic,name,2026-11-16,2026-11-17,2026-11-18,total"
    assert lines[1] == "delivery_delay,Задержка доставки,3,1,1,5"
