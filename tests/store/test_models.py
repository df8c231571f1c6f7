from datetime import datetime, timezone

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from store.models import AuditEvent, Classification, Mention, Source
from store.services.audit import record

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def source():
    return Source.objects.create(name="tg", kind="telegram", config={"channel": "x"})


def make_mention(source, external_id="1", text="Курьер опоздал", **kw):
    return Mention.objects.create(source=source, external_id=external_id, text=text, posted_at=T0,
                                  content_hash="h" + external_id, **kw)


def test_source_and_external_id_are_unique(source):
    make_mention(source)
    with pytest.raises(IntegrityError):
        make_mention(source)


def test_same_external_id_in_another_source_is_allowed(source):
    other = Source.objects.create(name="vk", kind="vk")
    make_mention(source)
    make_mention(other)
    assert Mention.objects.count() == 2


def test_one_model_classification_per_version_but_corrections_allowed(source):
    m = make_mention(source)
    user = User.objects.create_user("mod", password="x-long-password")
    Classification.objects.create(mention=m, model_name="rules", model_version="v1", sentiment="negative",
                                  created_at=datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc))
    with pytest.raises(IntegrityError), transaction.atomic():
        Classification.objects.create(mention=m, model_name="rules", model_version="v1", sentiment="neutral")
    Classification.objects.create(mention=m, model_name="rules", model_version="v2", sentiment="neutral",
                                  created_at=datetime(2026, 11, 21, tzinfo=timezone.utc))
    assert m.current_classification.model_version == "v2"
    Classification.objects.create(mention=m, model_name="human", model_version="human", sentiment="positive",
                                  corrected_by=user, created_at=datetime(2026, 11, 20, 11, tzinfo=timezone.utc))
    # A moderator's correction wins over any model, even a newer one.
    assert m.current_classification.sentiment == "positive"


def test_originals_excludes_duplicates(source):
    a = make_mention(source, "1")
    make_mention(source, "2", duplicate_of=a)
    assert list(Mention.objects.originals()) == [a]


def test_audit_log_is_append_only(source):
    event = record("source.create", source, label="cli", after={"name": "tg"})
    assert AuditEvent.objects.get().action == "source.create"
    event.action = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action="x")
    assert AuditEvent.objects.get().action == "source.create"
