"""The failed sign-in backoff holds across real gunicorn workers without Redis (issue 12.7).

Each worker has its own in-memory limiter; only the database can tell one worker about the
failures another saw. Parallel guesses go through every worker at once, and exactly the
documented number of passwords is checked: 5 per account from one address, 10 per address.
"""

from __future__ import annotations

import http.client
import os
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app, throttle
from app.extensions import db
from app.services.users import create_user
from tests.reliability.harness import PASSWORD, Server, get, running

WORKERS = 3
USERS = [f"owner{n}" for n in range(12)]


@dataclass
class LimitedServer(Server):
    """gunicorn with the production limits on, no Redis, behind one (pretend) proxy."""

    @property
    def env(self) -> dict[str, str]:
        env = super().env
        env.update(RATE_LIMITS="on", PROXY_HOPS="1")
        return env


def _database(tmp_path: Path) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'backoff.sqlite3'}"
        return
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    # Its own database, one per xdist worker: the suite's own is wiped between tests.
    name = f"{parsed.database}_backoff_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LimitedServer]:
    for url in _database(tmp_path):
        limited = LimitedServer(url, tmp_path, workers=WORKERS, threads=1)
        app = create_app(
            {
                "COUNTERPOINT_ENV": "production",
                "SECRET_KEY": limited.secret_key,
                "DATABASE_URL": url,
                "RATE_LIMITS": "off",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            }
        )
        with app.app_context():
            upgrade()
            for name in USERS:
                create_user(name, PASSWORD)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        with running(limited):
            yield limited


def _form(port: int) -> tuple[str, str]:
    """A fresh login form: its session cookie and CSRF token (production keeps CSRF on)."""
    reply = get(port, "/login")
    cookie = reply.headers["set-cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', reply.body.decode())
    assert token is not None
    return cookie, token[1]


def _guesses(port: int, attempts: list[tuple[str, str]], address: str) -> Counter[str]:
    """Post every attempt through the sign-in form at once; count what each was told.

    The form's own rate (20 a minute per address) is counted per worker without Redis, and
    is above what these tests send through any one worker: every 429 here is the backoff's.
    """
    forms = [_form(port) for _ in attempts]

    def one(n: int) -> str:
        (username, password), (cookie, token) = attempts[n], forms[n]
        body = urlencode({"username": username, "password": password, "csrf_token": token})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("POST", "/login", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "X-Forwarded-For": address,
            })  # fmt: skip
            response = conn.getresponse()
            page = response.read()
        finally:
            conn.close()
        if response.status == 429:
            return "backoff" if b"Too many failed attempts" in page else "route-rate"
        return str(response.status)

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return Counter(pool.map(one, range(len(attempts))))


def test_parallel_guesses_through_every_worker_check_exactly_the_documented_number(
    server: LimitedServer,
) -> None:
    victim = USERS[0]
    told = _guesses(server.port, [(victim, "wrong guess")] * 12, "192.0.2.1")
    assert told == {"422": throttle.FAILED_PER_PAIR, "backoff": 12 - throttle.FAILED_PER_PAIR}
    # The right password from that address waits too; from elsewhere the owner gets in.
    assert _guesses(server.port, [(victim, PASSWORD)], "192.0.2.1") == {"backoff": 1}
    assert _guesses(server.port, [(victim, PASSWORD)], "198.51.100.1") == {"302": 1}


def test_one_password_sprayed_over_many_accounts_is_checked_ten_times_per_address(
    server: LimitedServer,
) -> None:
    sprayed = [(name, "Summer2026!") for name in USERS[1:]]  # 11 accounts, one guess each
    told = _guesses(server.port, sprayed, "192.0.2.2")
    assert told == {"422": throttle.FAILED_PER_ADDRESS, "backoff": 1}
