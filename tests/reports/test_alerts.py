"""Alerts on the fixed dataset: the planted spike alerts once, flat series never, the cooldown holds, failures retry.

The webhook goes to a real HTTP server on 127.0.0.1; e-mail goes to Django's locmem outbox (pytest-django).
"""

import json
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone as djtz

from reports.alerts import check_alerts, payload
from reports.config import AlertConfig, SpikeParams
from reports.data import Quote, SpikeReport
from reports.models import Alert
from tests.factories import classified
from tests.reports.fixtures import MSK, plant_dataset

pytestmark = pytest.mark.django_db
SPIKE_EVENING = datetime(2026, 11, 18, 20, tzinfo=MSK)


class Receiver:
    def __init__(self):
        self.bodies: list[dict] = []
        self.status = 200
        self.url = ""


@pytest.fixture
def receiver():
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if rec.status == 200:
                rec.bodies.append(json.loads(body))
            self.send_response(rec.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_port}/hook"
    yield rec
    server.shutdown()
    server.server_close()


@pytest.fixture
def dataset():
    with djtz.override("Europe/Moscow"):
        yield plant_dataset()


@pytest.fixture
def config(receiver):
    return AlertConfig(spikes=SpikeParams(min_count=8), webhook_url=receiver.url, email_to=("lead@example.org",),
                       timeout_s=5)


def test_planted_spike_alerts_once_with_terms_and_quotes(dataset, config, receiver):
    result = check_alerts(SPIKE_EVENING, config)
    assert {(a.kind, a.topic) for a in result.sent} == {("spike", "delivery_delay"), ("negative_surge", "*")}
    assert all(a.status == Alert.Status.SENT and a.channels == {"webhook": "ok", "email": "ok"} for a in result.sent)
    hook = next(b for b in receiver.bodies if b["topic"] == "delivery_delay")
    assert hook["count"] == 15 and hook["baseline"] == round(17 / 7, 2) and hook["rise"] == round(15 - 17 / 7, 2)
    assert {"подольск", "сортировочный"} <= {t["lemma"] for t in hook["top_terms"][:4]}
    assert len(hook["quotes"]) == 3 and all("Подольск" in q["text"] for q in hook["quotes"])
    assert all(q["url"].startswith("https://t.me/skoro/18") for q in hook["quotes"])
    assert "Задержка доставки" in hook["text"] and "норме 2,4" in hook["text"]
    assert len(mail.outbox) == 2
    letter = next(m for m in mail.outbox if "Задержка доставки" in m.subject)
    assert letter.to == ["lead@example.org"] and "подольск" in letter.body and letter.body.count("«") >= 3

    again = check_alerts(SPIKE_EVENING + timedelta(hours=1), config)
    assert again.sent == [] and again.known == 2
    assert len(receiver.bodies) == 2 and len(mail.outbox) == 2 and Alert.objects.count() == 2


def test_flat_series_do_not_alert(dataset, config, receiver):
    result = check_alerts(datetime(2026, 11, 16, 12, tzinfo=MSK), config)
    assert result.found == [] and result.sent == [] and receiver.bodies == [] and mail.outbox == []
    assert not Alert.objects.exists()


def test_cooldown_holds_back_a_new_spike_of_the_same_topic(dataset, config, receiver):
    config = replace(config, spikes=replace(config.spikes, cooldown=0), cooldown_hours=48)
    check_alerts(SPIKE_EVENING, config)
    for i in range(15):  # a second, separate burst two days later
        classified(f"Снова задержка, посылка стоит {i}", topics=["delivery_delay"],
                   posted_at=datetime(2026, 11, 20, 10, tzinfo=MSK) + timedelta(minutes=i), src=dataset["tg"])
    later = datetime(2026, 11, 20, 12, tzinfo=MSK)
    held = check_alerts(later, config)
    assert {(s.topic, s.start.day) for s in held.found} == {("delivery_delay", 20), ("*", 20)}
    assert held.sent == [] and held.cooling == 2 and Alert.objects.count() == 2
    released = check_alerts(later, replace(config, cooldown_hours=24))
    assert {(a.topic, a.spike_start.day) for a in released.sent} == {("delivery_delay", 20), ("*", 20)}
    assert len(receiver.bodies) == 4


def test_failed_webhook_is_retried_and_email_not_repeated(dataset, config, receiver):
    receiver.status = 500
    first = check_alerts(SPIKE_EVENING, config)
    assert len(first.failed) == 2 and first.sent == []
    a = Alert.objects.get(topic="delivery_delay")
    assert a.status == Alert.Status.FAILED and a.channels["email"] == "ok" and "500" in a.channels["webhook"]
    assert a.sent_at == SPIKE_EVENING  # the e-mail went out: the cooldown runs from here
    receiver.status = 200
    second = check_alerts(SPIKE_EVENING + timedelta(hours=1), config)
    assert second.retried == 2 and len(second.sent) == 2 and second.known == 2
    a.refresh_from_db()
    assert a.status == Alert.Status.SENT and a.attempts == 2
    assert len(receiver.bodies) == 2 and len(mail.outbox) == 2


def test_without_channels_alerts_are_recorded_and_dry_run_records_nothing(dataset):
    config = AlertConfig(spikes=SpikeParams(min_count=8))
    dry = check_alerts(SPIKE_EVENING, config, dry_run=True)
    assert len(dry.found) == 2 and not Alert.objects.exists()
    result = check_alerts(SPIKE_EVENING, config)
    assert {a.status for a in result.sent} == {Alert.Status.RECORDED} and Alert.objects.count() == 2


def test_payload_text_cannot_ping_or_forge_links():
    t = datetime(2026, 11, 18, tzinfo=MSK)
    spike = SpikeReport("spike", "billing", "Оплата", "day", t, t + timedelta(days=1), t, 12, 2.0, 6.0, 12, 1e-6,
                        terms=[("списать", 9)], quotes=[Quote("<!channel> <http://evil|жми> & всё", "", "tg", t)])
    p = payload(spike)
    assert "<!channel>" not in p["text"] and "&lt;!channel&gt;" in p["text"] and "&amp;" in p["text"]
    assert p["quotes"][0]["text"].startswith("<!channel>")  # the structured field keeps the original
