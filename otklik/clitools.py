"""Helpers shared by the CLI modules of every package."""

from __future__ import annotations

import os

import click
from rich.console import Console

console = Console()


def django():
    """Set Django up (and create the database schema if it does not exist yet)."""
    from store.django_setup import setup

    setup()
    from django.core.management import call_command
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            call_command("migrate", interactive=False, verbosity=0)
    except DatabaseError as exc:
        raise click.ClickException(f"cannot use the database {database_label()}: {exc}".strip()) from None


def database_label() -> str:
    """The default database as a person can find it (engine, host, name), never the password."""
    from django.db import connection

    conf = connection.settings_dict
    where = f"{conf.get('HOST')}:{conf.get('PORT')}/" if conf.get("HOST") else ""
    return f"({connection.vendor}) {where}{conf.get('NAME')}"


def prefect_home(start_server: bool = True) -> None:
    """Keep Prefect's local state beside Otklik's unless the user points Prefect elsewhere; without
    PREFECT_API_URL, start Prefect's temporary API server now, guarded so it ends with this process even on
    SIGKILL (store.processes.guard)."""
    from otklik.preflight import check_writable_dir
    from store.paths import home

    os.environ.setdefault("PREFECT_HOME", str(home() / "prefect"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # the first start creates Prefect's own database: on a busy machine that takes longer than Prefect's 20 s
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    check_writable_dir(os.environ["PREFECT_HOME"], "каталог Prefect (PREFECT_HOME)")
    if start_server:
        from prefect.settings import PREFECT_API_URL

        if not PREFECT_API_URL.value():  # also set by a profile or a test harness, not only the environment
            start_guarded_prefect_server()


def start_guarded_prefect_server() -> None:
    """Start the temporary Prefect API server that flows would start anyway, and guard its process."""
    from prefect.server.api.server import SubprocessASGIServer

    from store.processes import guard

    server = SubprocessASGIServer()
    try:
        server.start()
    except Exception as exc:  # noqa: BLE001 - Prefect's message buries the cause under the server's output
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(f"временный сервер Prefect не запустился: {first[:300]}") from None
    if server.server_process is not None:
        guard(server.server_process.pid)
