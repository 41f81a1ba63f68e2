"""Database engine set-up: SQLite pragmas and the health probe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import SessionTransaction

from app.extensions import db
from app.services.errors import Conflict

T = TypeVar("T")
# Enough for a class creating the same group name at once: each round one of them wins.
RACE_ATTEMPTS = 8
RACE_LOST = "Someone else changed this at the same moment. Try again."


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    # WAL lets readers go on while one writer writes; NORMAL is durable in WAL mode.
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def commit_racing(work: Callable[[], T], attempts: int = RACE_ATTEMPTS) -> T:
    """Run `work` (a view's one service call) and commit, as if no twin request ran alongside.

    The services check before they insert (already a member? flagged? is the name free?), but
    two requests can both pass the check before either commits: the database's unique
    constraint then refuses the second. That is not this request's mistake: `work` is undone
    and runs again, and the service, now seeing what the twin stored, answers as it would have
    in turn (joined already, already flagged, the name's next free slug, the username taken).
    What the request wrote before `work` (its Idempotency-Key or form nonce, app/idempotency.py)
    is kept: it is undone only to a SAVEPOINT taken after it. Domain errors pass through.
    """
    for _ in range(attempts):
        savepoint = _savepoint_after_earlier_writes()
        try:
            result = work()
            if savepoint is not None:
                savepoint.commit()
            db.session.commit()
            return result
        except IntegrityError:
            (savepoint or db.session).rollback()
    raise Conflict(RACE_LOST)


def _savepoint_after_earlier_writes() -> SessionTransaction | None:
    """A SAVEPOINT, unless nothing is written yet (then a rollback loses nothing).

    SQLite's driver opens a transaction only at a write: a SAVEPOINT before one would open it
    for the reads, and a twin's write would then fail this request "database is locked" (SQLite
    does not wait to turn a stale read into a write) instead of making it wait its turn.
    """
    db.session.flush()  # what the request added before `work` is written before the SAVEPOINT
    connection = db.session.connection()
    if (
        connection.dialect.name == "sqlite"
        and not connection.connection.driver_connection.in_transaction
    ):
        return None
    return db.session.begin_nested()


def init_app(app: Flask) -> None:
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
