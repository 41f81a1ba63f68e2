"""Fixtures for the adversarial suite: extra apps (HTTPS, rate limits on), clients, DB snapshots.

Flask-Limiter has one `limiter` object for every app, and `init_app` rewires it in place (its
storage, strategy and on/off switch) for the last app it saw. The session's app runs with limits
off; an app made here with them on would otherwise leave the limiter counting for the rest of
the suite. So `make_app` snapshots the limiter's attributes first and puts them back afterwards:
the same object, exactly as the session's app configured it. (A subprocess would isolate as well,
at a second or two of start-up per test and with failures harder to read.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db, limiter
from app.models import User
from app.services.tokens import issue_token
from tests.factories import PASSWORD

MakeApp = Callable[..., Flask]
DbState = dict[str, list[tuple[Any, ...]]]


@contextmanager
def limiter_restored() -> Iterator[None]:
    """Whatever init_app does to the shared limiter inside, it leaves as it found it."""
    saved = dict(vars(limiter))
    try:
        yield
    finally:
        vars(limiter).clear()
        vars(limiter).update(saved)


@pytest.fixture
def make_app(app: Flask) -> Iterator[MakeApp]:
    """`make_app(**settings)`: another app on the test database, built by create_app."""
    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        settings = {
            "COUNTERPOINT_ENV": "testing",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATE_LIMITS": "off",
            "SECRET_KEY": app.config["SECRET_KEY"],
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "localhost",
            "PASSWORD_HASH_METHOD": app.config["PASSWORD_HASH_METHOD"],
            **overrides,
        }
        application = create_app(settings)
        made.append(application)
        return application

    with limiter_restored():
        yield build
        for application in made:
            with application.app_context():
                if application.config["RATELIMIT_ENABLED"] and limiter.initialized:
                    limiter.reset()  # counters in Redis would outlive the test
                db.engine.dispose()


@pytest.fixture
def limited_app(make_app: MakeApp) -> Flask:
    """An app with the production rate limits on (in-memory counters, fresh for each test)."""
    return make_app(RATE_LIMITS="on")


def sign_in(client: FlaskClient, username: str, remember: bool = False) -> FlaskClient:
    """Sign `client` in through the real login form (with its CSRF token); returns it."""
    data = {"username": username, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    login_page = client.get("/login").get_data(as_text=True)
    if token := re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page):
        data["csrf_token"] = token[1]
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


@pytest.fixture
def signed_in(app: Flask) -> Callable[..., FlaskClient]:
    """`signed_in(user, remember=False)`: a new test client signed in as `user`."""

    def build(user: User, remember: bool = False) -> FlaskClient:
        return sign_in(app.test_client(), user.username, remember)

    return build


@pytest.fixture
def bearer(app: Flask) -> Callable[[User], dict[str, str]]:
    """`bearer(user)`: an Authorization header with a fresh API token."""

    def headers(user: User) -> dict[str, str]:
        with app.app_context():
            raw, _ = issue_token(db.session.merge(user))
            db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return headers


def db_state() -> DbState:
    """Every row of every table, in a stable order: compared before and after a refused request."""
    db.session.rollback()  # a new snapshot: SQLite's WAL keeps showing an open transaction's
    connection = db.session.connection()
    state: DbState = {}
    for table in db.metadata.sorted_tables:
        # Raw rows, no type processing: this runs twice for each of hundreds of requests.
        sql = f'SELECT * FROM "{table.name}" ORDER BY 1'  # noqa: S608  (names from our metadata)
        state[table.name] = [tuple(row) for row in connection.exec_driver_sql(sql)]
    db.session.rollback()
    return state


def state_difference(before: DbState, after: DbState) -> list[str]:
    """The tables whose rows changed, with a hint of how."""
    changed = []
    for name in before:
        if before[name] != after.get(name):
            old, now = set(map(repr, before[name])), set(map(repr, after.get(name, [])))
            changed.append(f"{name}: -{sorted(old - now)[:2]} +{sorted(now - old)[:2]}")
    return changed
