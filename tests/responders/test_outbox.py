"""The reply outbox: dry run by default, per-channel adapters, retries, a record of what was sent; CSAT."""

from datetime import timedelta

import pytest

from responders.models import CsatSurvey, Reply, ReplyAttempt
from responders.services import workflow as wf
from responders.services.csat import record_answer
from responders.services.metrics import service_metrics
from responders.services.outbox import mark_posted, send_pending
from tests.factories import T0, source
from tests.responders.receiver import Receiver

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def live(settings):
    def configure(**keys):
        settings.OTKLIK = {**settings.OTKLIK, "REPLY_MODE": "live", **keys}
    return configure


def test_dry_run_is_the_default_and_records_the_request(open_ticket, make_user):
    ann = make_user("ann")
    t = open_ticket(src=source("vk-wall", "vk"), external_id="-1_42")
    r = wf.reply(t.pk, ann, "Здравствуйте!", now=T0 + H)
    stats = send_pending(now=T0 + H)
    r.refresh_from_db()
    assert (stats.dry_run, r.status, r.adapter, r.attempts, r.sent_at) == (1, "dry_run", "dry_run", 1, T0 + H)
    attempt = ReplyAttempt.objects.get(reply=r)
    assert attempt.ok and attempt.request["text"] == "Здравствуйте!" and attempt.request["external_id"] == "-1_42"
    assert send_pending(now=T0 + 2 * H).dry_run == 0  # published once


def test_vk_adapter_retries_then_records_the_comment(open_ticket, make_user, live):
    ann = make_user("ann")
    t = open_ticket(src=source("vk-wall", "vk"), external_id="-1_42")
    vk_error = {"error": {"error_code": 6, "error_msg": "Too many requests per second"}}
    with Receiver([500, 200, 200], body=[{}, vk_error, {"response": {"comment_id": 777}}]) as vk:
        live(VK_API_URL=vk.url, VK_TOKEN="secret-token", VK_GROUP_ID="1")  # the company's community: -1
        r = wf.reply(t.pk, ann, "Здравствуйте!", now=T0)
        assert send_pending(now=T0).retried == 1
        r.refresh_from_db()
        assert (r.status, r.attempts) == ("pending", 1) and "HTTP 500" in r.last_error
        assert r.next_attempt_at == T0 + timedelta(minutes=1)
        assert send_pending(now=T0 + timedelta(seconds=30)).sent == 0  # not due yet
        assert send_pending(now=T0 + timedelta(minutes=2)).retried == 1  # HTTP 200 with a VK error
        r.refresh_from_db()
        assert "VK error 6" in r.last_error and r.next_attempt_at == T0 + timedelta(minutes=7)
        assert send_pending(now=T0 + timedelta(minutes=8)).sent == 1
    r.refresh_from_db()
    assert (r.status, r.external_id, r.attempts) == ("sent", "777", 3)
    assert vk.requests[2]["path"] == "/method/wall.createComment"
    assert vk.requests[2]["form"] == {"owner_id": "-1", "post_id": "42", "from_group": "1", "message": "Здравствуйте!",
                                      "v": "5.199", "access_token": "secret-token"}
    attempts = list(ReplyAttempt.objects.filter(reply=r).values_list("ok", flat=True))
    assert attempts == [False, False, True]
    assert "secret-token" not in str(ReplyAttempt.objects.get(reply=r, ok=True).request)


def test_a_vk_comment_is_answered_in_its_thread(open_ticket, make_user, live):
    ann = make_user("ann")
    comment = open_ticket(src=source("vk-wall", "vk"), external_id="-1_42_901", raw={"reply_to_post": "-1_42"})
    found = open_ticket("Где посылка?", src=source("vk-search", "vk"), external_id="-5_12_77",
                        raw={"reply_to_post": "-5_12"})  # a comment newsfeed.search found
    with Receiver(body={"response": {"comment_id": 902}}) as vk:
        live(VK_API_URL=vk.url, VK_TOKEN="secret-token", VK_GROUP_ID="1")
        wf.reply(comment.pk, ann, "Ответ в ветке", now=T0)
        wf.reply(found.pk, ann, "Ответ на найденный комментарий", now=T0)
        assert send_pending(now=T0).sent == 2
    forms = sorted((r["form"] for r in vk.requests), key=lambda f: f["owner_id"])
    assert [(f["owner_id"], f["post_id"], f["reply_to_comment"]) for f in forms] == [("-1", "42", "901"),
                                                                                      ("-5", "12", "77")]
    # On its own wall the company answers as the community; on another community's wall as the token's user.
    assert forms[0]["from_group"] == "1" and "from_group" not in forms[1]


def test_telegram_and_appstore_requests(open_ticket, make_user, live):
    ann = make_user("ann")
    tg = open_ticket(src=source("tg", "telegram"), external_id="skoro_chat/1234")
    app = open_ticket("Приложение падает", src=source("app", "appstore"), external_id="987654")
    with Receiver(body={"result": {"message_id": 5}, "data": {"id": "resp-1"}}) as api:
        live(TELEGRAM_API_URL=api.url + "/botTOKEN", APPSTORE_API_URL=api.url, APPSTORE_TOKEN="jwt")
        wf.reply(tg.pk, ann, "Ответ в чат", now=T0)
        wf.reply(app.pk, ann, "Ответ разработчика", now=T0)
        assert send_pending(now=T0).sent == 2
    by_path = {r["path"]: r["json"] for r in api.requests}
    assert by_path["/botTOKEN/sendMessage"] == {"chat_id": "@skoro_chat", "text": "Ответ в чат",
                                               "reply_parameters": {"message_id": 1234}}
    review = by_path["/v1/customerReviewResponses"]["data"]
    assert review["attributes"]["responseBody"] == "Ответ разработчика"
    assert review["relationships"]["review"]["data"]["id"] == "987654"
    assert set(Reply.objects.values_list("external_id", flat=True)) == {"5", "resp-1"}


def test_review_sites_wait_for_a_manual_copy(open_ticket, make_user, live):
    live()
    ann = make_user("ann")
    t = open_ticket(src=source("otzovik", "review_site"))
    r = wf.reply(t.pk, ann, "Спасибо, разбираемся", now=T0)
    assert send_pending(now=T0).manual == 1
    r.refresh_from_db()
    assert r.status == "manual" and r.sent_at is None
    mark_posted(r.pk, ann, now=T0 + H)
    r.refresh_from_db()
    assert (r.status, r.sent_at) == ("sent", T0 + H)
    with pytest.raises(ValueError, match="not waiting for a manual copy"):
        mark_posted(r.pk, ann)


def test_gives_up_after_max_attempts(open_ticket, make_user, live, rules):
    cfg = rules(outbox={"max_attempts": 2, "retry_minutes": [1]})
    ann = make_user("ann")
    t = open_ticket(src=source("vk-wall", "vk"), external_id="-1_1")
    with Receiver([502, 502, 502]) as vk:
        live(VK_API_URL=vk.url)
        r = wf.reply(t.pk, ann, "x", now=T0)
        send_pending(now=T0, cfg=cfg)
        assert send_pending(now=T0 + H, cfg=cfg).failed == 1
    r.refresh_from_db()
    assert (r.status, r.attempts, r.next_attempt_at) == ("failed", 2, None)


def test_csat_follow_up_and_answer(open_ticket, make_user):
    ann = make_user("ann")
    t = open_ticket(author="Ольга Петрова")
    wf.reply(t.pk, ann, "Ответ", now=T0 + H)
    wf.close(t.pk, ann, now=T0 + 2 * H)
    survey = CsatSurvey.objects.get(ticket=t)
    assert survey.reply.text.startswith("Ольга, мы закрыли ваше обращение") and survey.token in survey.reply.text
    t.refresh_from_db()
    assert (t.reply_count, t.replies.count()) == (1, 2)  # the survey is not a reply to the complaint
    with pytest.raises(ValueError, match="from 1 to 5"):
        record_answer(survey.token, 6)
    with pytest.raises(LookupError):
        record_answer("nope", 5)
    record_answer(survey.token, 4, "быстро")
    with pytest.raises(ValueError, match="already been answered"):
        record_answer(survey.token, 1)
    m = service_metrics(T0 - H, T0 + H, now=T0 + 3 * H)
    assert (m.csat, m.csat_responses) == (4.0, 1)
    # FCR still counts the customer-facing reply only
    assert m.fcr_pct == 100.0
