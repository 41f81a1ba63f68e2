"""`flask backup PATH` and `flask restore PATH`: the whole database to a file and back."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask_migrate import upgrade

from app.extensions import db
from app.services.backup import (
    BackupError,
    backup_database,
    check_restorable,
    describe_url,
    migration_history,
    read_backup,
    restore_database,
)


def _rows(rows: dict[str, int] | None) -> str:
    if rows is None:
        return ""
    return f", {sum(rows.values()):,} rows in {len(rows)} tables"


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _history() -> list[str]:
    return migration_history(current_app.extensions["migrate"].directory)


@click.command(
    "backup",
    help="Copy the whole database to PATH while the app keeps running "
    "(SQLite: a database file; PostgreSQL: a pg_dump custom-format archive).",
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    engine = db.engine
    db.session.remove()
    try:
        info = backup_database(engine, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Backed up the {describe_url(engine)} to {info.path} "
        f"({info.size / 1024:,.0f} KiB, migration revision {info.revision}{_rows(info.rows)})."
    )


@click.command(
    "restore",
    help="Replace everything in the database with the contents of a backup made by "
    "`flask backup` (of this schema revision or an older one, which is then upgraded).",
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed without a tty).")
def restore_command(path: Path, yes: bool) -> None:
    engine = db.engine
    db.session.remove()
    history = _history()
    try:
        info = read_backup(path.resolve())
        check_restorable(info, engine, history)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    question = (
        f"Replace ALL data in the {describe_url(engine)} with the backup {info.path} "
        f"(migration revision {info.revision}{_rows(info.rows)})?"
    )
    if not yes:
        if not stdin_is_terminal():
            raise click.ClickException(
                f"Not restored: replacing ALL data in the {describe_url(engine)} needs --yes "
                "when standard input is not a terminal."
            )
        click.confirm(question, abort=True)
    try:
        result = restore_database(engine, info, history)
    except BackupError as exc:
        raise click.ClickException(f"{exc} The database was not changed.") from None
    if result.dropped:
        click.echo(f"Dropped tables newer than the backup: {', '.join(result.dropped)}.")
    click.echo(
        f"Restored {info.path} into the {describe_url(engine)}: migration revision "
        f"{info.revision} (was {result.previous_revision or 'empty'}){_rows(result.rows)}."
    )
    if info.revision != history[-1]:
        upgrade()
        click.echo(f"Upgraded the schema from {info.revision} to {history[-1]}.")
