"""The responder commands drive the same services as the desk."""

from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.contrib.auth import get_user_model
from django.utils import timezone

from otklik.cli import main
from responders.models import Reply, Ticket
from responders.services.templates import load_templates
from store.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args, input=None):
    result = CliRunner().invoke(main, list(args), input=input)
    return result


def test_users_ticket_sla_outbox_and_exports(open_ticket, tmp_path):
    load_templates()
    r = run("users", "add", "anna", "--role", "moderator", input="Desk-pass-2026\nDesk-pass-2026\n")
    assert r.exit_code == 0, r.output
    anna = get_user_model().objects.get(username="anna")
    assert anna.check_password("Desk-pass-2026") and anna.groups.filter(name="moderator").exists()
    assert run("users", "add", "weak", "--role", "lead", input="123\n123\n").exit_code != 0
    assert not get_user_model().objects.filter(username="weak").exists()
    assert AuditEvent.objects.filter(action="user.add", actor_label="cli").count() == 1

    t = open_ticket("Заказ опаздывает", posted_at=timezone.now() - timedelta(hours=30))
    assert run("ticket", "claim", str(t.pk), "--user", "nobody").exit_code != 0
    assert run("ticket", "close", str(t.pk), "--user", "anna").output.count("укажите причину") == 1
    assert run("ticket", "reply", str(t.pk), "--user", "anna").exit_code == 0
    assert Reply.objects.get().template.topic == "delivery_delay"
    out = run("sla", "sweep").output
    assert "Checked 1" in out
    assert "dry run 1" in run("outbox", "send").output
    assert "closed" in run("ticket", "close", str(t.pk), "--user", "anna").output
    assert Ticket.objects.get(pk=t.pk).state == "closed"

    r = run("metrics", "--start", (timezone.localdate() - timedelta(days=3)).isoformat(),
            "--end", timezone.localdate().isoformat(), "--by", "channel", "--csv", str(tmp_path / "m.csv"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m.csv").read_text().splitlines()[1].startswith("total,all,1,1,")
    assert run("corrections", "export", str(tmp_path / "c.jsonl")).exit_code == 0
    assert (tmp_path / "c.jsonl").read_text() == ""  # nothing corrected yet
    survey = t.surveys.get()
    assert run("csat", "answer", survey.token, "4").exit_code == 0
    assert run("csat", "answer", survey.token, "5").exit_code != 0
    survey.refresh_from_db()
    assert survey.score == 4
