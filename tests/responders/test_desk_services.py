"""Assignment, presence, corrections export, the customer card, manual links and metrics breakdowns."""

import json
from datetime import timedelta

import pytest

from classifiers.taxonomy import SENTIMENTS, load_taxonomy
from responders.models import DeskSettings, Ticket, TicketOrderLink
from responders.services import workflow as wf
from responders.services.assignment import auto_assign
from responders.services.corrections import correct, export_corrections
from responders.services.customers import customer_card
from responders.services.metrics import metrics_by, write_csv
from responders.services.orders import import_orders_csv, link_manually, unlink
from responders.services.presence import seen, viewers
from store.models import AuditEvent, Classification
from tests.factories import T0, source
from tests.responders.test_orders import CSV

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def orders(tmp_path):
    p = tmp_path / "orders.csv"
    p.write_text(CSV, encoding="utf-8")
    import_orders_csv(p)


def test_round_robin_cycles_through_moderators(open_ticket, make_user, rules):
    ann, bob, cid = make_user("ann"), make_user("bob"), make_user("cid")
    make_user("mark", role="marketer")
    tickets = [open_ticket(f"Посылка {i} опаздывает", posted_at=T0 + i * H) for i in range(5)]
    stats = auto_assign(mode="round_robin", now=T0 + 10 * H)
    owners = [Ticket.objects.get(pk=t.pk).assignee for t in tickets]
    assert owners == [ann, bob, cid, ann, bob] and stats.assigned == {"ann": 2, "bob": 2, "cid": 1}
    # the cursor survives between runs
    more = open_ticket("Ещё одна", posted_at=T0 + 6 * H)
    auto_assign(mode="round_robin", now=T0 + 10 * H)
    assert Ticket.objects.get(pk=more.pk).assignee == cid
    # 'off' (the default in rules.yaml) assigns nothing
    open_ticket("И ещё", posted_at=T0 + 7 * H)
    assert auto_assign(now=T0 + 10 * H).assigned == {}


def test_least_loaded_prefers_the_idle_moderator(open_ticket, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    busy = [open_ticket(f"Старое {i}", posted_at=T0 + i * H) for i in range(2)]
    for t in busy:
        wf.claim(t.pk, ann, now=T0 + 5 * H)
    DeskSettings.objects.create(pk=1, assignment_mode="least_loaded")
    fresh = [open_ticket(f"Новое {i}", posted_at=T0 + (3 + i) * H) for i in range(3)]
    auto_assign(now=T0 + 5 * H)
    assert [Ticket.objects.get(pk=t.pk).assignee for t in fresh] == [bob, bob, ann]
    assert AuditEvent.objects.filter(action="ticket.auto_assign", actor_label="system").count() == 3


def test_expired_claims_go_back_to_the_pool(open_ticket, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    t = open_ticket()
    wf.claim(t.pk, ann, now=T0)
    wf.release(t.pk, ann, now=T0 + 0.1 * H)
    wf.assign(t.pk, ann, now=T0 + 0.2 * H)  # auto-assigned, then ann never opens it: expires at 0.7 h
    assert auto_assign(mode="least_loaded", now=T0 + 0.5 * H).assigned == {}
    wf.claim(open_ticket("Другое").pk, ann, now=T0 + 1.9 * H)  # ann is busy elsewhere
    auto_assign(mode="least_loaded", now=T0 + 2 * H)
    t.refresh_from_db()
    assert (t.assignee, t.claim_expires_at, t.state) == (bob, T0 + 2.5 * H, "claimed")


def test_presence_shows_recent_viewers_only(open_ticket, make_user):
    ann, bob, cid = make_user("ann"), make_user("bob"), make_user("cid")
    t = open_ticket()
    seen(t, ann, T0)
    seen(t, bob, T0 + timedelta(seconds=60))
    seen(t, cid, T0 - timedelta(minutes=10))
    assert viewers(t, now=T0 + timedelta(seconds=80)) == ["ann", "bob"]
    assert viewers(t, exclude=bob, now=T0 + timedelta(seconds=120)) == []  # ann's mark is 2 min old


def test_corrections_are_stored_and_exported_for_training(open_ticket, make_user, tmp_path):
    ann = make_user("ann")
    t = open_ticket("Курьер нахамил и бросил коробку", title="Ужас")
    correct(t.pk, ann, sentiment="negative", topics=["courier_behaviour", "damaged_packaging"])
    t.refresh_from_db()
    assert (t.topic, t.sentiment) == ("courier_behaviour", "negative")
    assert t.mention.current_classification.corrected_by == ann
    with pytest.raises(ValueError, match="unknown topic"):
        correct(t.pk, ann, sentiment="negative", topics=["teleport"])
    with pytest.raises(ValueError, match="sentiment"):
        correct(t.pk, ann, sentiment="angry", topics=[])
    other = open_ticket("Всё пришло вовремя", sentiment="negative")
    correct(other.pk, ann, sentiment="neutral", topics=["delivery_delay"])
    correct(other.pk, ann, sentiment="positive", topics=["praise"])  # the latest correction wins
    path = tmp_path / "corrections.jsonl"
    assert export_corrections(path) == 2
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["text"] == "Ужас. Курьер нахамил и бросил коробку"
    assert lines[0]["topics"] == ["courier_behaviour", "damaged_packaging"] and lines[0]["model_version"] == "test-v1"
    assert (lines[1]["sentiment"], lines[1]["topics"]) == ("positive", ["praise"])
    # the format `otklik train --corrections` reads: text, a known sentiment, taxonomy codes
    codes = set(load_taxonomy().codes)
    for line in lines:
        assert line["text"] and line["sentiment"] in SENTIMENTS and set(line["topics"]) <= codes
    assert Classification.objects.filter(corrected_by=ann).count() == 3
    assert AuditEvent.objects.filter(action="classification.correct").count() == 3


def test_customer_card_and_manual_links(open_ticket, make_user, orders):
    ann = make_user("ann")
    first = open_ticket("Заказ 40012345 опаздывает", posted_at=T0 - 48 * H, sentiment="negative")
    second = open_ticket("Трек SK123456790RU, всё ок, спасибо", sentiment="positive", topics=["praise"])
    card = customer_card(second)
    assert card.customer.external_id == "C1"
    assert [o.order_number for o in card.orders] == ["40012346", "40012345"]  # newest first
    assert [t.pk for t in card.previous_tickets] == [first.pk] and card.sentiment_counts == {"negative": 1}
    lone = open_ticket("Где посылка?")
    assert customer_card(lone).customer is None
    link = link_manually(lone.pk, "40020000", ann)
    assert (link.matched_by, link.created_by) == ("manual", ann)
    assert customer_card(lone).customer.external_id == "C2"
    with pytest.raises(LookupError, match="заказа с номером"):
        link_manually(lone.pk, "99999999", ann)
    unlink(link.pk, ann)
    assert not TicketOrderLink.objects.filter(ticket=lone).exists()
    assert AuditEvent.objects.filter(action="ticket.unlink_order", before__order="40020000").exists()


def test_metrics_by_dimension_and_csv(open_ticket, make_user):
    ann, bob = make_user("ann"), make_user("bob")
    a = open_ticket("vk 1", src=source("vk", "vk"), posted_at=T0)
    b = open_ticket("tg 1", posted_at=T0 + 25 * H)
    open_ticket("tg 2", posted_at=T0 + 26 * H)
    wf.reply(a.pk, ann, "ok", now=T0 + H)
    wf.close(a.pk, ann, now=T0 + 2 * H)
    wf.reply(b.pk, bob, "ok", now=T0 + 26 * H)
    start, end, now = T0 - H, T0 + 47 * H, T0 + 30 * H
    by_channel = dict(metrics_by("channel", start, end, now=now))
    assert (by_channel["vk"].tickets, by_channel["vk"].closed, by_channel["telegram"].tickets) == (1, 1, 2)
    by_mod = dict(metrics_by("moderator", start, end, now=now))
    assert (by_mod["ann"].closed, by_mod["bob"].backlog, by_mod["—"].backlog) == (1, 1, 1)
    days = metrics_by("day", start, end, now=now)  # Moscow days: 20, 21 and 22 November
    assert [(d, m.tickets) for d, m in days] == [("2026-11-20", 1), ("2026-11-21", 2), ("2026-11-22", 0)]
    with pytest.raises(ValueError, match="dimension"):
        metrics_by("colour", start, end)
    import io

    buf = io.StringIO()
    write_csv(buf, {"channel": list(by_channel.items())})
    header, *rows = buf.getvalue().splitlines()
    assert header.startswith("dimension,key,tickets,closed,sl_pct") and "first_reply_median_h" in header
    assert rows[0].startswith("channel,telegram,2,0,") and len(rows) == 2
