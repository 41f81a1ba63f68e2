"""Shared fixtures: one app per session, a clean database per test, factories, query counting.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests import factories


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_root / 'test.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(url, worker) if worker else url


def _worker_database(url: str, worker: str) -> str:
    """Each xdist worker gets its own PostgreSQL database next to the one named, made afresh."""
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{parsed.database}_{worker}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    _made_databases.append((parsed, name))
    return parsed.set(database=name).render_as_string(hide_password=False)


_made_databases: list[tuple[Any, str]] = []


def _drop_made_databases() -> None:
    for parsed, name in _made_databases:
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = _database_url(tmp_path_factory.mktemp("db"))
    application = create_app(
        {
            "COUNTERPOINT_ENV": "testing",
            "DATABASE_URL": url,
            "RATE_LIMITS": "off",
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "localhost",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt costs 0.17 s a hash
        }
    )
    with application.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()  # the schema comes from the migrations, so they are tested on every run
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter tears down
    _drop_made_databases()


def _wipe() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


# Whether the last test to use the database left it empty: then the next one need not wipe
# it first (a wipe is ~25 DELETEs; twice per test was a fifth of the PostgreSQL pass).
_left_clean = {"yes": False}


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    if not _left_clean["yes"]:
        with app.app_context():
            _wipe()
    _left_clean["yes"] = False
    yield
    with app.app_context():
        _wipe()
    _left_clean["yes"] = True


def _fresh_g(sender: Flask, **_: object) -> None:
    for name in list(g):
        g.pop(name)


@pytest.fixture(autouse=True)
def _fresh_g_per_request(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each request starts with an empty `g`, as it does in production.

    While `make` holds an app context open, Flask reuses it for the test client's requests, so
    `g` would carry Flask-Login's cached user (and our membership cache) into the next request.
    """
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    request_started.connect(_fresh_g, app)
    yield
    request_started.disconnect(_fresh_g, app)


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An application context, for tests that call services directly."""
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def csrf_on(app: Flask) -> Iterator[None]:
    """Turn CSRF protection on for one test (it is off for the rest of the suite)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def _record(self, _conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        self.statements.append(statement)


@pytest.fixture
def count_queries(app: Flask):  # type: ignore[no-untyped-def]
    """`with count_queries() as q: ...` then `len(q)` is the number of SQL statements run."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter._record)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter._record)

    return counting


@pytest.fixture
def make(app_ctx: Flask) -> type[factories.Factories]:
    """Factories bound to the app context: `make.user()`, `make.article()`, ..."""
    return factories.Factories


# The modules that run longest, by `pytest --durations`. xdist hands modules to its workers in
# collection order, so one of these collected last would run alone at the end with the other
# worker idle; sent first, they overlap the many short modules instead.
_LONGEST_FIRST = (
    "tests/security/test_schemathesis.py",
    "tests/browser/test_accessibility.py",
    "tests/authz/test_authorization_table.py",
    "tests/browser/test_arguing_in_browser.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        module = item.nodeid.split("::", 1)[0]
        return _LONGEST_FIRST.index(module) if module in _LONGEST_FIRST else len(_LONGEST_FIRST)

    items.sort(key=rank)  # stable: the rest keep their order
