"""The report page draws its charts, and computes its numbers, once per period, filters and data version."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.utils import timezone as djtz

from reports import build, charts
from tests.factories import classified
from tests.reports.fixtures import plant_dataset

pytestmark = pytest.mark.django_db
URL = "/reports/?date_from=2026-11-09&date_to=2026-11-22"


def test_charts_are_drawn_once_per_period_and_data_version(client, monkeypatch):
    cache.clear()
    with djtz.override("Europe/Moscow"):
        plant_dataset()
    user = User.objects.create_user("marketer")
    user.groups.add(Group.objects.get_or_create(name="marketer")[0])
    client.force_login(user)
    drawn = []
    real = charts.volume_chart
    monkeypatch.setattr(charts, "volume_chart", lambda data: drawn.append(data.total) or real(data))
    computed = []
    real_context = build.report_context
    monkeypatch.setattr(build, "report_context", lambda *a, **kw: computed.append(a[:2]) or real_context(*a, **kw))

    first = client.get(URL).content.decode()
    second = client.get(URL).content.decode()
    assert drawn == [117] and 'id="total-mentions"' in first
    assert len(computed) == 1  # the warm request reuses the numbers too (quotes, service metrics)
    assert first.count("data:image/png;base64,") == second.count("data:image/png;base64,") >= 3
    client.get(URL.replace("2026-11-22", "2026-11-21"))  # another period: drawn for it
    assert len(drawn) == 2 and len(computed) == 2
    # New data (a mention classified inside the period) changes the version: drawn again, with it.
    with djtz.override("Europe/Moscow"):
        classified("Курьер опоздал", posted_at=djtz.make_aware(datetime(2026, 11, 15, 12)))
    client.get(URL)
    assert drawn[-1] == 118 and len(computed) == 3
