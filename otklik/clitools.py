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


def prefect_home() -> None:
    """Keep Prefect's local state beside Otklik's unless the user points Prefect elsewhere."""
    from store.paths import home

    os.environ.setdefault("PREFECT_HOME", str(home() / "prefect"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
