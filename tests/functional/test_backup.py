"""`flask backup` / `flask restore`: a round trip gives back every row of every table."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, delete, insert, inspect, select, text, update
from sqlalchemy.engine import Engine, make_url

from app import create_app
from app.commands import backup as backup_command
from app.extensions import db
from app.models import Annotation, User
from app.services import backup as backup_service
from app.services.annotations import NewAnnotation, Quote, post_annotation
from app.services.backup import migration_history
from app.services.feedback import give_feedback
from app.services.moderation import flag_annotation, moderate_annotation
from app.services.tokens import issue_token
from tests.factories import Factories

SETTINGS = {
    "COUNTERPOINT_ENV": "testing",
    "RATE_LIMITS": "off",
    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
}


def _postgres_admin_url() -> str | None:
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw or not raw.startswith(("postgresql", "postgres:")):
        return None
    return make_url(raw).set(drivername="postgresql+psycopg").render_as_string(False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind (PostgreSQL: a new one beside TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.sqlite3'}"
        return
    admin_url = _postgres_admin_url()
    if admin_url is None:
        pytest.skip("the PostgreSQL round trip needs TEST_DATABASE_URL (a PostgreSQL URL)")
    # A database of its own: restoring must not disturb the suite's shared one.
    name = f"cp_backup_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def live_app(database_url: str) -> Iterator[Flask]:
    """An app on the fresh database, migrated to the current head, inside an app context."""
    application = create_app({**SETTINGS, "DATABASE_URL": database_url})
    with application.app_context():
        upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()


# The tables the seed fills; every table in db.metadata is compared, whether listed or not.
SEEDED = (
    "users", "api_tokens", "articles", "blocks", "annotations", "groups", "memberships",
    "readings", "flags", "moderation_log", "feedback", "notifications",
)  # fmt: skip


def _cli(app: Flask, *args: str, stdin: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def _seed(groups: bool = True) -> None:
    """Some of everything: users, a token, an article, threads and edits, and (`groups`) a
    reading group with a flag, a moderation action, feedback and notifications."""
    alice = Factories.user("alice")
    bob = Factories.user("bob", role="instructor", display_name="Bob B.")
    article = Factories.article("the-claim", title="The claim")
    first = Factories.annotation(alice, article, "p2", "counterargument", "Not *so*.")
    reply = Factories.annotation(bob, article, "p2", "support", "Agreed.", parent=first)
    Factories.annotation(
        bob, article, "p3", "question", "Which numbers?", quote=Quote("32%", "numbers: ", " and")
    )
    post_annotation(alice, article, NewAnnotation("p4", "comment", "Mine only.", private=True))
    db.session.execute(
        update(Annotation).where(Annotation.id == reply.id).values(body="Agreed, mostly.")
    )
    issue_token(alice)
    db.session.commit()
    if not groups:
        return
    carol = Factories.user("carol")
    group = Factories.groups.group(bob, "Seminar", (article,))
    Factories.groups.join(alice, group)
    Factories.groups.join(carol, group)
    note = Factories.groups.group_note(alice, article, group, "p3", body="For the seminar.")
    flag_annotation(carol, note, "off_topic")
    moderate_annotation(bob, note, "hide", "Off topic for now.")
    give_feedback(bob, note, "A good start; cite the source.")
    db.session.commit()


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the app defines, plus the migration revision, in key order."""
    existing = set(inspect(engine).get_table_names())
    missing = {t.name for t in db.metadata.sorted_tables} - existing
    assert not missing, f"the migrated database lacks {missing}"
    with engine.connect() as conn:
        rows = {
            table.name: [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]
            for table in db.metadata.sorted_tables
        }
        rows["alembic_version"] = [
            tuple(r) for r in conn.execute(text("SELECT * FROM alembic_version"))
        ]
    return rows


def _set_revision(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_round_trip_restores_every_row_of_every_table(live_app: Flask, tmp_path: Path) -> None:
    _seed()
    engine = db.engine
    before = _snapshot(engine)
    assert all(before[name] for name in SEEDED), {name: len(before[name]) for name in SEEDED}
    path = tmp_path / "counterpoint.backup"

    made = _cli(live_app, "backup", str(path))
    assert made.exit_code == 0, made.output
    assert path.is_file()
    assert f"to {path}" in made.output
    assert "migration revision" in made.output

    # Change everything a restore must undo: new rows, edited rows, deleted rows.
    Factories.user("mallory")
    db.session.execute(update(Annotation).values(body="vandalised"))
    db.session.execute(delete(Annotation).where(Annotation.parent_id.is_not(None)))
    db.session.commit()
    changed = _snapshot(engine)
    assert changed != before

    refused = _cli(live_app, "restore", str(path))
    assert refused.exit_code != 0
    assert "--yes" in refused.output
    assert _snapshot(engine) == changed

    restored = _cli(live_app, "restore", str(path), "--yes")
    assert restored.exit_code == 0, restored.output
    assert f"Restored {path}" in restored.output
    db.session.remove()
    assert _snapshot(engine) == before
    # The restored database is a working one: ids go on from where the backup left them.
    newcomer = Factories.user("dave")
    assert newcomer.id > max(row[0] for row in before["users"])


def test_restore_asks_on_a_terminal_and_stops_on_no(
    live_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed()
    path = tmp_path / "b.backup"
    assert _cli(live_app, "backup", str(path)).exit_code == 0
    Factories.user("mallory")
    changed = _snapshot(db.engine)
    monkeypatch.setattr(backup_command, "stdin_is_terminal", lambda: True)
    answered_no = _cli(live_app, "restore", str(path), stdin="n\n")
    assert answered_no.exit_code != 0
    assert "Replace ALL data" in answered_no.output
    assert _snapshot(db.engine) == changed


def test_restore_refuses_a_file_that_is_not_a_counterpoint_backup(
    live_app: Flask, tmp_path: Path
) -> None:
    _seed()
    before = _snapshot(db.engine)
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database\n")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    conn.close()

    for path in (junk, other):
        result = _cli(live_app, "restore", str(path), "--yes")
        assert result.exit_code != 0
        assert "not a Counterpoint backup" in result.output
    assert _snapshot(db.engine) == before


def test_restore_refuses_a_backup_made_by_newer_code(live_app: Flask, tmp_path: Path) -> None:
    _seed()
    engine = db.engine
    path = tmp_path / "future.backup"
    _set_revision(engine, "9999_from_the_future")
    assert _cli(live_app, "backup", str(path)).exit_code == 0
    _set_revision(engine, migration_history(live_app.extensions["migrate"].directory)[-1])
    before = _snapshot(engine)

    result = _cli(live_app, "restore", str(path), "--yes")

    assert result.exit_code != 0
    assert "9999_from_the_future" in result.output
    assert "newer code" in result.output
    assert _snapshot(engine) == before


def test_restoring_an_older_backup_upgrades_it_to_the_current_schema(
    live_app: Flask, tmp_path: Path
) -> None:
    history = migration_history(live_app.extensions["migrate"].directory)
    if len(history) < 2:
        pytest.skip("only one migration exists: no older schema to restore from yet")
    _seed(groups=False)  # only what the older schema can hold: a downgrade would lose the rest
    # The first schema: later migrations add tables (groups), which a restore must drop.
    older = history[0]
    downgrade(revision=older)
    path = tmp_path / "older.backup"
    assert _cli(live_app, "backup", str(path)).exit_code == 0
    upgrade()

    result = _cli(live_app, "restore", str(path), "--yes")

    assert result.exit_code == 0, result.output
    assert f"Upgraded the schema from {older} to {history[-1]}" in result.output
    if db.engine.dialect.name == "postgresql":  # pg_restore --clean leaves newer tables alone
        assert "Dropped tables newer than the backup" in result.output
    db.session.remove()
    assert _snapshot(db.engine)["alembic_version"] == [(history[-1],)]


def test_backup_refuses_a_database_without_a_schema(tmp_path: Path) -> None:
    application = create_app({**SETTINGS, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    with application.app_context():
        result = _cli(application, "backup", str(tmp_path / "b.backup"))
        db.engine.dispose()
    assert result.exit_code != 0
    assert "db upgrade" in result.output
    assert not (tmp_path / "b.backup").exists()


def test_sqlite_backup_holds_committed_rows_only_while_a_writer_is_mid_transaction(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    application = create_app({**SETTINGS, "DATABASE_URL": url})
    with application.app_context():
        upgrade()
        _seed()
        committed = len(_snapshot(db.engine)["users"])
        writer = db.engine.connect()
        transaction = writer.begin()
        writer.execute(
            insert(User).values(
                username="pending", display_name="p", password_hash="x", session_token="t" * 32
            )
        )
        try:
            # The write lock is held: the online backup must neither wait for it nor see it.
            result = _cli(application, "backup", str(tmp_path / "b.backup"))
        finally:
            transaction.commit()
            writer.close()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "b.backup") as copy:
        users = copy.execute("SELECT username FROM users").fetchall()
    copy.close()
    assert len(users) == committed
    assert ("pending",) not in users


def test_postgres_backup_without_pg_dump_says_what_to_install(
    live_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_dump is for PostgreSQL only")
    monkeypatch.setattr(backup_service.shutil, "which", lambda _name: None)
    path = tmp_path / "b.backup"

    result = _cli(live_app, "backup", str(path))

    assert result.exit_code != 0
    assert "pg_dump was not found on PATH" in result.output
    assert "postgresql-client" in result.output
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_restore_leaves_no_table_the_backup_does_not_have(live_app: Flask, tmp_path: Path) -> None:
    _seed()
    path = tmp_path / "b.backup"
    assert _cli(live_app, "backup", str(path)).exit_code == 0
    # As if a later migration had added a table since the backup was made.
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE added_later (id INTEGER PRIMARY KEY)"))

    result = _cli(live_app, "restore", str(path), "--yes")

    assert result.exit_code == 0, result.output
    assert "added_later" not in inspect(db.engine).get_table_names()
