"""The `otklik` command line: one entry point over the same services the flows and the desk use."""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from datetime import datetime

import click

from otklik.clitools import console, django, prefect_home


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="otklik")
def main() -> None:
    """Otklik: crawl feedback, classify it, answer it within 48 hours, report on it."""


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from store.django_setup import setup

    setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command (e.g. `otklik manage createsuperuser`)."""
    from store.django_setup import setup

    setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["otklik manage", *args])


@main.command()
@click.option("--model", default=None, help="Classifier checkpoint directory (default: the shipped model).")
@click.option("--snapshot", type=click.Path(exists=True, file_okay=False), default=None,
              help="Snapshot folder (manifest.json, sources.yaml, orders.csv); default: the bundled one.")
def demo(model: str | None, snapshot: str | None) -> None:
    """Run the offline demo batch over the bundled snapshot: crawl → classify → queue → report."""
    django()
    preflight(reports=True)
    prefect_home()
    from flows.demo import demo_batch
    from otklik.summary import print_demo_summary

    started = datetime.now().astimezone()
    with console.status("Running the demo batch (crawl → classify → queue → report)…"), machine_faults():
        result = demo_batch(snapshot_dir=snapshot, model=model)
    print_demo_summary(console, result, started)


@main.command()
@click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSONL file with `id` and `text` per line; without it, stored mentions are classified.")
@click.option("--output", "output_path", type=click.Path(dir_okay=False), default=None, help="JSONL output file.")
@click.option("--model", default=None, help="Checkpoint directory (default: the shipped model).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto")
@click.option("--batch-size", type=int, default=64, show_default=True)
@click.option("--fast", is_flag=True, help="Use the distilled fast model.")
@click.option("--allow-skips", is_flag=True, help="Exit 0 even when some lines of --input were skipped.")
def classify(input_path, output_path, model, device, batch_size, fast, allow_skips) -> None:
    """Classify sentiment and topics: a JSONL file, or every stored mention not yet classified."""
    if input_path:
        if not output_path:
            raise click.UsageError("--output is required with --input")
        from classifiers.jsonl import classify_jsonl, exit_code, summary_text
        from store.linefile import SameFileError

        try:
            stats = classify_jsonl(input_path, output_path, model=model, device=device, batch_size=batch_size,
                                   fast=fast)
        except SameFileError as exc:
            raise click.UsageError(str(exc)) from None
        console.print(summary_text(stats, output_path), markup=False, highlight=False)
        raise SystemExit(exit_code(stats, allow_skips))
    django()
    from classifiers.registry import load_classifier
    from store.models import Mention
    from store.services.classify import classify_pending

    clf = load_classifier(model, device=device, fast=fast)
    todo = Mention.objects.unclassified_by(clf.version).count()
    from rich.progress import Progress

    with Progress(console=console) as progress:
        bar = progress.add_task(f"Classifying with {clf.version}", total=todo)
        n = classify_pending(clf, batch_size=batch_size, progress=lambda k: progress.advance(bar, k))
    console.print(f"Classified {n} mentions with {clf.name} {clf.version}.")


@main.command()
@click.option("--sources-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Sources YAML (default: $OTKLIK_SOURCES or ./sources.yaml).")
@click.option("--model", default=None, help="Classifier checkpoint directory (default: the shipped model).")
@click.option("--classify-batch-size", type=int, default=256, show_default=True)
@click.option("--no-alerts", is_flag=True, help="Skip the spike alert check.")
def batch(sources_file: str | None, model: str | None, classify_batch_size: int, no_alerts: bool) -> None:
    """Run the hourly batch once: crawl → classify → route → index → alerts."""
    django()
    preflight(reports=False)
    prefect_home()
    import json

    from flows.batch import batch_flow

    with machine_faults():
        result = batch_flow(sources_file=sources_file, model=model, alerts=not no_alerts,
                            classify_batch_size=classify_batch_size)
    console.print_json(json.dumps(result, default=str))
    from crawlers.cli import fail_if_sources_failed

    fail_if_sources_failed(result.get("crawl") or {})


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def backup(file: str | None) -> None:
    """Copy the SQLite database consistently while the desk and the batch run (default: var/backups/…)."""
    django()
    from store.services.backup import BackupError, backup_database

    try:
        r = backup_database(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"Резервная копия: {r.path} ({r.bytes // 1024} КБ, таблиц {r.tables}, упоминаний {r.mentions}); "
                  "проверка целостности пройдена.", markup=False, highlight=False, soft_wrap=True)


@main.command()
@click.option("--time-zone", default=None, help="Time zone of the cron schedules (default: OTKLIK_TIME_ZONE).")
def serve(time_zone: str | None) -> None:
    """Serve the scheduled flows (hourly batch, SLA sweep, index sync, daily report) until stopped."""
    django()
    preflight(reports=True)
    prefect_home()
    import os

    from django.conf import settings
    from prefect import serve as prefect_serve

    from flows.deployments import SCHEDULES, deployments

    if not os.environ.get("PREFECT_API_URL"):
        console.print("No PREFECT_API_URL: using a temporary local Prefect API. For the UI and run history, start "
                      "`prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api (docs/flows.md).")
    for _flow, name, cron, description in SCHEDULES:
        console.print(f"  {name:<14} {cron:<13} {description}")
    prefect_serve(*deployments(time_zone or settings.TIME_ZONE), print_starting_message=True)


@contextmanager
def machine_faults():
    """Turn a full disk or a read-only file met mid-run into one line (other errors keep their traceback)."""
    from otklik.clitools import database_label
    from store.faults import machine_fault, quiet_machine_faults

    quiet_machine_faults("prefect", "prefect.flow_runs", "prefect.task_runs")
    try:
        yield
    except Exception as exc:
        fault = machine_fault(exc, database_label())
        if fault is None:
            raise
        raise click.ClickException(f"{fault}. Работа остановлена; исправьте причину и запустите снова: "
                                   "повтор доделает её, ничего не повторив дважды.") from None


def preflight(reports: bool) -> None:
    """Stop before any work when the database (or the reports folder) cannot be written."""
    from django.conf import settings

    from otklik.preflight import check_database_writable, check_writable_dir

    check_database_writable()
    if reports:
        check_writable_dir(settings.OTKLIK["REPORTS_DIR"], "каталог отчётов")


@main.command()
@click.option("--pool", default="otklik", show_default=True, help="Process work pool for the flows.")
@click.option("--gpu-pool", default=None, help="Put classification in this pool, with --device cuda (a GPU worker).")
@click.option("--classify-runs", type=int, default=1, show_default=True,
              help="Classify flow runs the hourly batch starts at once (they claim work in chunks).")
@click.option("--sources-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Sources YAML whose sources get a concurrency limit of 1 (default: $OTKLIK_SOURCES).")
@click.option("--time-zone", default=None, help="Time zone of the cron schedules (default: OTKLIK_TIME_ZONE).")
def deploy(pool: str, gpu_pool: str | None, classify_runs: int, sources_file: str | None,
           time_zone: str | None) -> None:
    """Register the deployments on the Prefect server (PREFECT_API_URL) in process work pools."""
    import os

    if not os.environ.get("PREFECT_API_URL"):
        raise click.ClickException("не задан PREFECT_API_URL: запустите `prefect server start` и укажите "
                                   "PREFECT_API_URL=http://127.0.0.1:4200/api (docs/flows.md)")
    if classify_runs < 1:
        raise click.BadParameter("должно быть не меньше 1", param_hint="--classify-runs")
    from store.django_setup import setup

    setup()  # settings and the sources file only: registering deployments does not touch the database
    from django.conf import settings

    from flows.crawl import default_sources_file
    from flows.workpool import deploy as deploy_all
    from crawlers.sources import read_sources_file

    names = [s["name"] for s in read_sources_file(sources_file or default_sources_file()) if s["enabled"]]
    ids = deploy_all(pool, gpu_pool, classify_runs, time_zone or settings.TIME_ZONE, names)
    for name in ids:
        console.print(f"  {name}")
    console.print(f"Зарегистрировано развёртываний: {len(ids)}; пул «{pool}»"
                  + (f", GPU-пул «{gpu_pool}»" if gpu_pool else "")
                  + f"; ограничение 1 запуск на источник: {len(names)}. Запустите `otklik worker --pool {pool}`.")


@main.command()
@click.option("--pool", default="otklik", show_default=True, help="Work pool to take flow runs from.")
@click.option("--limit", type=int, default=None, help="Flow runs this worker runs at once (default: no limit).")
@click.option("--name", default=None, help="Worker name (default: Prefect's).")
def worker(pool: str, limit: int | None, name: str | None) -> None:
    """Run a Prefect process worker for a pool; its flow runs import the flows from this checkout."""
    import os
    import sys

    from store.paths import REPO_ROOT

    if not os.environ.get("PREFECT_API_URL"):
        raise click.ClickException("не задан PREFECT_API_URL: воркеру нужен сервер Prefect (docs/flows.md)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH"))
                                                        if p)}
    cmd = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process"]
    if limit:
        cmd += ["--limit", str(limit)]
    if name:
        cmd += ["--name", name]
    os.execve(sys.executable, cmd, env)


def _mount(module: str) -> None:
    """Add a package's commands (its COMMANDS list or name → command dict) to the main group."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:  # the module exists but something it needs is missing: say so
            raise
        return
    commands = getattr(mod, "COMMANDS", [])
    for cmd in commands.values() if isinstance(commands, dict) else commands:
        main.add_command(cmd)


for _module in ("crawlers.cli", "responders.cli", "reports.cli", "classifiers.cli", "search.cli"):
    _mount(_module)
