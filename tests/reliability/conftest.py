"""Fresh, seeded databases for the reliability checks: a SQLite file or a PostgreSQL database."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.reliability.harness import engine_for, seed

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str | None:
    """TEST_DATABASE_URL when set, else the local server if it answers; None otherwise."""
    url = os.environ.get("TEST_DATABASE_URL") or LOCAL_POSTGRES
    if make_url(url).get_backend_name() != "postgresql":
        return None
    try:
        with engine_for(url, connect_args={"connect_timeout": 3}) as engine, engine.connect():
            return url
    except OperationalError:
        return None


# Seeding (migrations, the demo article, 32 accounts with their password hashes) takes ~20 s;
# it is done once per database kind and each test starts from a copy.


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("sqlite-seed")
    path = workdir / "seed.sqlite3"
    seed(f"sqlite:///{path}", workdir)
    return path


@pytest.fixture
def sqlite_url(seeded_sqlite: Path, tmp_path: Path) -> str:
    """A copy of the seeded SQLite database, for this test alone."""
    path = tmp_path / "reliability.sqlite3"
    source, target = sqlite3.connect(seeded_sqlite), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    url = postgres_admin_url()
    if url is None:
        pytest.skip("no PostgreSQL: set TEST_DATABASE_URL or run one at 127.0.0.1:5432")
    return url


def _create(admin_url: str, name: str, template: str | None = None) -> str:
    with engine_for(admin_url, isolation_level="AUTOCOMMIT") as admin, admin.connect() as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    return make_url(admin_url).set(database=name).render_as_string(False)


def _drop(admin_url: str, name: str) -> None:
    with engine_for(admin_url, isolation_level="AUTOCOMMIT") as admin, admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def seeded_postgres(postgres_admin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The name of a seeded database that each test's database is created from."""
    name = f"cp_reliab_{secrets.token_hex(4)}_seed"
    url = _create(postgres_admin, name)
    try:
        seed(url, tmp_path_factory.mktemp("postgres-seed"))
        yield name
    finally:
        _drop(postgres_admin, name)


@pytest.fixture
def postgres_url(postgres_admin: str, seeded_postgres: str) -> Iterator[str]:
    """A new database `cp_reliab_<random>`, a copy of the seeded one, dropped afterwards."""
    name = f"cp_reliab_{secrets.token_hex(4)}"
    url = _create(postgres_admin, name, template=seeded_postgres)
    try:
        yield url
    finally:
        _drop(postgres_admin, name)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run these minutes-long checks only when asked for (`-m reliability`), never by default."""
    if "reliability" in (config.option.markexpr or ""):
        return
    chosen = [item for item in items if item.get_closest_marker("reliability") is None]
    if len(chosen) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
        items[:] = chosen
