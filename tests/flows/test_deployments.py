from prefect.client.schemas.schedules import CronSchedule

from flows.deployments import SCHEDULES, deployments
from flows.retry import is_transient


def test_every_flow_is_scheduled_once_with_one_run_at_a_time():
    deps = deployments("Europe/Moscow")
    assert [d.name for d in deps] == [name for _, name, _, _ in SCHEDULES]
    for d, (_, _, cron, _) in zip(deps, SCHEDULES):
        (sched,) = d.schedules
        assert isinstance(sched.schedule, CronSchedule)
        assert (sched.schedule.cron, sched.schedule.timezone) == (cron, "Europe/Moscow")
        assert d.concurrency_limit == 1


def test_only_transient_failures_are_retried():
    from django.db import OperationalError

    from crawlers.runner import CrawlFailed

    assert is_transient(OperationalError("database is locked"))
    assert is_transient(ConnectionError("refused"))
    assert is_transient(CrawlFailed("crawl process gave no result: Empty()"))
    assert not is_transient(CrawlFailed("ValueError: unknown review site 'x'"))
    assert not is_transient(KeyError("app_id"))
    assert not is_transient(ValueError("bad config"))
    # A missing database file or table does not come back by itself: no retries.
    assert not is_transient(OperationalError("unable to open database file"))
    assert not is_transient(OperationalError("no such table: store_mention"))
    from search.query import BackendUnavailable

    assert is_transient(BackendUnavailable("Elasticsearch: ConnectionError: refused"))
