"""The desk over HTTP (Django's test client): roles, queue filters and search, actions, escaping, headers."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from responders.models import CsatSurvey, DeskSettings, Reply, Ticket
from responders.services import workflow as wf
from responders.services.templates import load_templates
from store.models import AuditEvent
from tests.factories import T0, source

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def now():
    return timezone.now()


def login(client, user):
    client.force_login(user)
    return client


def test_roles_guard_the_pages(client, make_user):
    assert client.get(reverse("desk:queue")).status_code == 302  # to the login page
    marketer = make_user("mark", role="marketer")
    login(client, marketer)
    assert client.get(reverse("desk:queue")).status_code == 403
    assert client.get(reverse("desk:metrics")).status_code == 200
    assert client.get(reverse("desk:settings")).status_code == 403
    login(client, make_user("ann"))
    assert client.get(reverse("desk:queue")).status_code == 200
    assert client.get(reverse("desk:settings")).status_code == 403


def test_each_role_lands_on_its_page_and_sees_only_its_links(client, make_user):
    assert client.get("/").status_code == 302 and "/login/" in client.get("/")["Location"]
    pages = {"moderator": reverse("desk:queue"), "lead": reverse("desk:metrics"), "marketer": reverse("reports:index")}
    for role, page in pages.items():
        login(client, make_user(f"u-{role}", role=role))
        assert client.get("/")["Location"] == page
    # A marketer who opens the queue gets a Russian page with the navigation, not a bare 403.
    resp = client.get(reverse("desk:queue"))
    html = resp.content.decode()
    assert resp.status_code == 403 and "Нет доступа" in html and 'href="/"' in html
    assert reverse("desk:metrics") in html and reverse("reports:index") in html
    assert f'href="{reverse("desk:queue")}"' not in html and reverse("desk:settings") not in html
    # Per-moderator figures are for leads and admins only.
    assert "По модераторам" not in client.get(reverse("desk:metrics")).content.decode()
    csv_lines = client.get(reverse("desk:metrics"), {"format": "csv"}).content.decode().splitlines()
    assert not any(line.startswith("moderator,") for line in csv_lines)
    login(client, make_user("u-none", role=None))
    assert client.get("/").status_code == 403
    # The login form sends each role to its page.
    client.logout()
    make_user("u-lead2", role="lead", password="secret-pass-1")
    resp = Client().post(reverse("login"), {"username": "u-lead2", "password": "secret-pass-1"}, follow=True)
    assert resp.redirect_chain[-1][0] == reverse("desk:metrics")


def test_queue_filters_search_and_due_order(client, make_user, open_ticket, now):
    ann = make_user("ann")
    late = open_ticket("Курьер ОПОЗДАЛ на день", posted_at=now - 30 * H, topics=["delivery_delay"])
    soon = open_ticket("Коробка помята", posted_at=now - 2 * H, topics=["damaged_packaging"],
                       src=source("vk", "vk"))
    replied = open_ticket("Где мой заказ?", posted_at=now - 40 * H, topics=["tracking"])
    wf.reply(replied.pk, ann, "Проверяем", now=now - 39 * H)  # next due: resolution, 8 h from now
    login(client, ann)
    rows = client.get(reverse("desk:queue")).context["page"].object_list
    assert [t.pk for t in rows] == [late.pk, replied.pk, soon.pk]  # first-reply due −6 h, resolution +8 h, +22 h
    assert [t.pk for t in client.get(reverse("desk:queue"), {"channel": "vk"}).context["page"]] == [soon.pk]
    assert [t.pk for t in client.get(reverse("desk:queue"), {"topic": "tracking"}).context["page"]] == [replied.pk]
    assert [t.pk for t in client.get(reverse("desk:queue"), {"assignee": "me"}).context["page"]] == [replied.pk]
    assert [t.pk for t in client.get(reverse("desk:queue"), {"q": "опоздал"}).context["page"]] == [late.pk]
    assert [t.pk for t in client.get(reverse("desk:queue"), {"q": "коробка ПОМЯТА"}).context["page"]] == [soon.pk]
    assert client.get(reverse("desk:queue"), {"sla_state": "nonsense"}).status_code == 200  # bad filter ignored


def test_hostile_mention_is_shown_as_text(client, make_user, open_ticket):
    t = open_ticket('<script>alert("xss")</script><img src=x onerror=alert(1)>', author="<b>Злой</b>",
                    title="<iframe src=//evil>", url="javascript:alert(1)")
    login(client, make_user("ann"))
    resp = client.get(reverse("desk:ticket", args=[t.pk]))
    html = resp.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html and "<iframe" not in html
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in html and "&lt;b&gt;Злой&lt;/b&gt;" in html
    assert "javascript:alert" not in html  # crawled URLs are linked only when http(s)
    queue = client.get(reverse("desk:queue")).content.decode()
    assert "<script>alert" not in queue and "&lt;script&gt;" in queue
    assert "script-src 'self'" in resp["Content-Security-Policy"]
    assert resp["X-Frame-Options"] == "DENY" and resp["X-Content-Type-Options"] == "nosniff"


def test_a_reviews_cut_preview_is_marked_as_such(client, make_user, open_ticket):
    cut = open_ticket("Посылку ждал три недели, трек не обновлялся, в поддержке...", raw={"preview": True},
                      url="https://otzovik.com/review_3.html")
    whole = open_ticket("Курьер опоздал на два часа и не извинился")
    login(client, make_user("ann"))
    html = client.get(reverse("desk:ticket", args=[cut.pk])).content.decode()
    assert "сайт показал только начало отзыва: полный текст по ссылке «оригинал»" in html
    assert 'href="https://otzovik.com/review_3.html"' in html
    assert "только начало отзыва" not in client.get(reverse("desk:ticket", args=[whole.pk])).content.decode()


def test_claim_reply_close_through_the_desk(client, make_user, open_ticket):
    load_templates()
    ann, bob = make_user("ann"), make_user("bob")
    t = open_ticket("Заказ опаздывает", author="Ольга", posted_at=timezone.now() - H)
    login(client, ann)
    page = client.get(reverse("desk:ticket", args=[t.pk]))
    assert page.context["template"].topic == "delivery_delay"
    text = page.context["reply_form"].initial["text"]
    assert text.startswith("Ольга, здравствуйте!")
    client.post(reverse("desk:action", args=[t.pk, "claim"]))
    assert Ticket.objects.get(pk=t.pk).assignee == ann
    # bob sees who holds it and cannot answer
    bob_client = login(Client(), bob)
    bob_page = bob_client.get(reverse("desk:ticket", args=[t.pk]))
    assert bob_page.context["holder"] == ann and not bob_page.context["mine"]
    resp = bob_client.post(reverse("desk:action", args=[t.pk, "reply"]), {"text": "чужой ответ"}, follow=True)
    assert "в работе у ann" in resp.content.decode() and not Reply.objects.exists()
    assert client.get(reverse("desk:ticket", args=[t.pk])).context["viewers"] == ["bob"]
    tpl = page.context["template"]
    client.post(reverse("desk:action", args=[t.pk, "reply"]), {"text": text, "template": tpl.pk})
    reply = Reply.objects.get()
    assert (reply.author, reply.template, reply.text) == (ann, tpl, text)
    client.post(reverse("desk:action", args=[t.pk, "close"]))
    t.refresh_from_db()
    assert t.state == "closed" and t.resolution_met is True
    assert client.get(reverse("desk:action", args=[t.pk, "claim"])).status_code == 405
    assert client.post(reverse("desk:action", args=[t.pk, "explode"])).status_code == 404
    metrics = client.get(reverse("desk:metrics")).context["total"]
    assert (metrics.tickets, metrics.closed, metrics.sl_pct) == (1, 1, 100.0)


def test_csrf_is_enforced(make_user, open_ticket):
    t = open_ticket()
    client = login(Client(enforce_csrf_checks=True), make_user("ann"))
    assert client.post(reverse("desk:action", args=[t.pk, "claim"])).status_code == 403
    assert Ticket.objects.get(pk=t.pk).assignee is None


def test_correction_link_and_heartbeat(client, make_user, open_ticket, tmp_path):
    ann = make_user("ann")
    t = open_ticket("Пришла мятая коробка", topics=["delivery_delay"])
    login(client, ann)
    client.post(reverse("desk:correct", args=[t.pk]), {"sentiment": "negative", "topics": ["damaged_packaging"]})
    t.refresh_from_db()
    assert t.topic == "damaged_packaging" and t.mention.current_classification.corrected_by == ann
    resp = client.post(reverse("desk:link_order", args=[t.pk]), {"reference": "12345678"}, follow=True)
    assert "заказа с номером или трек-номером «12345678» нет" in resp.content.decode()
    client.post(reverse("desk:action", args=[t.pk, "claim"]))
    beat = client.post(reverse("desk:heartbeat", args=[t.pk]), {"visible": "1"}).json()
    assert beat == {"viewers": [], "renewed": True}


def test_lead_settings_and_reassign(client, make_user, open_ticket):
    lead, ann = make_user("lena", role="lead"), make_user("ann")
    login(client, lead)
    resp = client.post(reverse("desk:settings"), {"first_reply_hours": "4", "resolution_hours": "24",
                                                  "at_risk_hours": "", "claim_ttl_minutes": "15",
                                                  "assignment_mode": "round_robin"})
    assert resp.status_code == 302
    row = DeskSettings.current()
    assert (row.first_reply_hours, row.resolution_hours, row.assignment_mode) == (4, 24, "round_robin")
    assert AuditEvent.objects.get(action="desk.settings").after["resolution_hours"] == 24
    t = open_ticket()  # new tickets get the new targets
    assert (t.first_reply_target_h, t.resolution_target_h) == (4, 24)
    assert client.post(reverse("desk:settings"), {"resolution_hours": "-1"}).status_code == 200  # form error
    client.post(reverse("desk:assign", args=[t.pk]), {"assignee": ann.pk})
    t.refresh_from_db()
    assert t.assignee == ann and t.claim_expires_at - timezone.now() <= timedelta(minutes=15)


def test_metrics_csv_export(client, make_user, open_ticket, now):
    open_ticket(posted_at=now - timedelta(days=2))  # inside the default period: the last 7 days
    open_ticket("Посылка не пришла", posted_at=T0)  # a fixed date, long before it
    login(client, make_user("lena", role="lead"))
    resp = client.get(reverse("desk:metrics"), {"format": "csv"})
    assert resp["Content-Type"].startswith("text/csv")
    lines = resp.content.decode().splitlines()
    assert lines[0].startswith("dimension,key,tickets")
    assert any(line.startswith("moderator,") for line in lines)  # team metrics for a lead
    assert lines[1].startswith("total,all,1,")
    day = T0.date().isoformat()
    resp = client.get(reverse("desk:metrics"), {"format": "csv", "start": day, "end": day})
    assert f"otklik-metrics-{day}-{day}.csv" in resp["Content-Disposition"]
    lines = resp.content.decode().splitlines()
    assert lines[1].startswith("total,all,1,") and any(line.startswith(f"day,{day},1,") for line in lines)


def test_csat_page(client, make_user, open_ticket):
    ann = make_user("ann")
    t = open_ticket()
    wf.reply(t.pk, ann, "Ответ")
    wf.close(t.pk, ann)
    survey = CsatSurvey.objects.get(ticket=t)
    url = reverse("csat", args=[survey.token])
    assert client.get(url).status_code == 200
    assert client.post(url, {"score": "9"}).status_code == 200 and CsatSurvey.objects.get(pk=survey.pk).score is None
    resp = client.post(url, {"score": "5", "comment": "<b>спасибо</b>"})
    assert "Ваша оценка: 5 из 5" in resp.content.decode()
    assert CsatSurvey.objects.get(pk=survey.pk).score == 5
    assert client.get(reverse("csat", args=["wrong"])).status_code == 404


def test_metrics_page_speaks_russian_with_n_charts_and_a_period_with_data(client, make_user, open_ticket):
    old = open_ticket("Посылка не пришла", posted_at=T0, topics=["lost_item"])  # long before the last 7 days
    lead = make_user("lena", role="lead")
    wf.reply(old.pk, lead, "Ищем", now=T0 + H)
    wf.close(old.pk, lead, now=T0 + 2 * H)
    login(client, lead)
    resp = client.get(reverse("desk:metrics"))
    html = resp.content.decode()
    # The default 7 days are empty: the page moves to the 7 days up to the newest ticket, and says so.
    assert resp.context["last"] == timezone.localtime(T0).date() and 'id="moved-period"' in html
    assert resp.context["total"].tickets == 1 and "n = 1" in html
    assert "Потеря отправления" in html and ">lost_item<" not in html  # names, not codes
    assert 'id="chart-days"' in html and "<rect" in html
    # No active-customer base supplied: the claim rate says what it was divided by instead.
    assert "у которых в этом периоде был заказ" in html and "по клиентам с заказами в периоде" in html
    # The CSV keeps the codes.
    csv_text = client.get(reverse("desk:metrics"), {"format": "csv", "start": T0.date().isoformat(),
                                                   "end": T0.date().isoformat()}).content.decode()
    assert "topic,lost_item," in csv_text and "sl_n" in csv_text.splitlines()[0]
    # An explicit period is kept even when empty.
    assert 'id="moved-period"' not in client.get(reverse("desk:metrics"), {"start": "2020-01-01"}).content.decode()


def test_history_rows_are_russian(client, make_user, open_ticket):
    ann = make_user("ann")
    t = open_ticket()
    wf.claim(t.pk, ann)
    wf.reply(t.pk, ann, "Ответ")
    wf.wait_for_customer(t.pk, ann)
    login(client, ann)
    html = client.get(reverse("desk:ticket", args=[t.pk])).content.decode()
    history = html[html.index("<h2>История</h2>"):]
    for text in ("Новый → В работе", "взято в работу", "Отвечен → Ждём клиента", "ждём клиента", "открыто"):
        assert text in history, text
    for code in ("new →", "→ claimed", "waiting for the customer"):
        assert code not in history, code


def test_queue_shows_both_deadlines_saved_views_and_an_assignee_list(client, make_user, open_ticket, now):
    ann = make_user("ann")
    make_user("bob")
    fresh = open_ticket("Где посылка?", posted_at=now - 2 * H)
    late = open_ticket("Курьер опоздал", posted_at=now - 30 * H)
    wf.reply(late.pk, ann, "Разбираемся", now=now - 5 * H)
    login(client, ann)
    resp = client.get(reverse("desk:queue"))
    html = resp.content.decode()
    row = lambda t: html[html.index(f'data-ticket="{t.pk}"'):][:900]  # noqa: E731
    assert "осталось 21 ч" in row(fresh) and "осталось 45 ч" in row(fresh)  # 24 h and 48 h targets
    assert "отвечено" in row(late) and "осталось 17 ч" in row(late)
    assert [c[0] for c in resp.context["form"].fields["assignee"].choices] == ["", "me", "none", "ann", "bob"]
    for title in ("Мои", "Под угрозой", "Без ответа"):
        assert f">{title}</a>" in html
    assert [t.pk for t in client.get(reverse("desk:queue"), {"unanswered": "on"}).context["page"]] == [fresh.pk]
    assert [t.pk for t in client.get(reverse("desk:queue"), {"assignee": "me"}).context["page"]] == [late.pk]
    page = client.get(reverse("desk:ticket", args=[late.pk])).content.decode()
    assert 'id="resolution-left">(осталось 17 ч)' in page
