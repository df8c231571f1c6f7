"""Every morning: yesterday's topic report (and the last 7 days for the trend), written to the reports folder."""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect import flow

from flows.tasks import report_task, setup


def report_window(today: datetime, days: int) -> tuple[datetime, datetime]:
    """The `days` whole local days before `today`'s midnight."""
    end = today.replace(hour=0, minute=0, second=0, microsecond=0)
    return end - timedelta(days=days), end


@flow(name="daily-report", flow_run_name="daily-report")
def daily_report_flow(days: int = 7, out_dir: str | None = None) -> dict:
    from django.utils import timezone

    from store.paths import home

    setup()
    start, end = report_window(timezone.localtime(), days)
    return report_task(start, end, out_dir or str(home() / "reports"))
