"""32 concurrent writers against gunicorn: every acknowledged write is kept, none fails with 5xx."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.harness import (
    USERNAMES,
    Load,
    Server,
    demo_article,
    listed_bodies,
    lost_writes,
    running,
    stored_bodies,
    summary,
)

POSTS = 25
EDITS = 10


def _load_test(name: str, database_url: str, workdir: Path) -> None:
    server = Server(database_url, workdir)  # the database is seeded: see conftest
    with running(server):
        slug, anchors = demo_article(server.port)
        load = Load(server.port, slug, anchors, USERNAMES, posts=POSTS, edits=EDITS)
        load.run()
        listed = listed_bodies(server.port, slug)
    stored = stored_bodies(database_url)
    lost = lost_writes(load, stored)
    log = server.log()
    print("\n" + summary(name, load, len(lost), log))

    errors = [error for ledger in load.ledgers for error in ledger.errors]
    assert not errors, f"{len(errors)} writes failed, e.g. {errors[:5]}"
    assert load.acknowledged() == load.planned
    assert not lost, lost[:10]
    assert load.server_errors() == 0, load.statuses()
    assert "database is locked" not in log
    assert "Traceback" not in log, server.log_tail()
    # Nothing phantom: the database holds exactly the acknowledged posts, and the API agrees.
    acknowledged = {i: body for ledger in load.ledgers for i, body in ledger.bodies.items()}
    assert stored == acknowledged
    assert listed == acknowledged


@pytest.mark.reliability
def test_concurrent_writers_on_sqlite_lose_nothing(sqlite_url: str, tmp_path: Path) -> None:
    _load_test("load on SQLite", sqlite_url, tmp_path)


@pytest.mark.reliability
def test_concurrent_writers_on_postgres_lose_nothing(postgres_url: str, tmp_path: Path) -> None:
    _load_test("load on PostgreSQL", postgres_url, tmp_path)
