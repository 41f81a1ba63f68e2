"""Database engine set-up: SQLite pragmas, how a request's transaction ends, the health probe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import SessionTransaction

from app.extensions import db
from app.services.errors import Conflict

T = TypeVar("T")
# Enough for a class creating the same group name at once: each round one of them wins.
RACE_ATTEMPTS = 8
RACE_LOST = "Someone else changed this at the same moment. Try again."
WROTE = "cp_wrote"  # in a connection's info: it sent something other than a SELECT this transaction


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


def _began(conn: Connection) -> None:
    conn.info[WROTE] = False


def _executing(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
    # Anything but a plain SELECT (a write, a SAVEPOINT, a WITH) counts as a write: at worst
    # a request that only read then ends with ROLLBACK, as every request used to.
    if statement.lstrip()[:6].upper() != "SELECT":
        conn.info[WROTE] = True


def end_reading_transaction(exc: BaseException | None) -> None:
    """teardown_appcontext, just before Flask-SQLAlchemy removes the session: end a
    transaction that wrote nothing with COMMIT, not ROLLBACK.

    For the database the two are the same when nothing was written. For psycopg they are not:
    at every ROLLBACK it forgets (and deallocates) the statements it had prepared, so the
    statements every page runs never reached its prepare threshold, and PostgreSQL planned
    them anew on every request (the reading page's personal union: 2.1 ms, prepared 1.0 ms).
    A transaction that wrote, failed or still has unflushed changes is left for the session's
    removal to roll back, as before.
    """
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    if (
        not session.in_transaction()
        or session.in_nested_transaction()
        or session.new
        or session.dirty
        or session.deleted
        or session.connection().info.get(WROTE, True)
    ):
        return
    # Nothing changed, so nothing is stale: objects a streamed response still reads (a CSV
    # export's rows) keep their loaded values, as they do when the session is only closed.
    session.expire_on_commit = False
    session.commit()


def init_app(app: Flask) -> None:
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _began)
        event.listen(engine, "before_cursor_execute", _executing)
    # Registered after Flask-SQLAlchemy's, so it runs before it (teardowns run in reverse).
    app.teardown_appcontext(end_reading_transaction)


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
