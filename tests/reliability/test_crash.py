"""kill -9 of all of gunicorn mid-load: SQLite stays intact and keeps every acknowledged write."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.reliability.harness import (
    USERNAMES,
    Load,
    Server,
    call_once,
    demo_article,
    lost_writes,
    stored_bodies,
    summary,
    token_for,
)

# Kill once this many writes are acknowledged: well into the load, well before its end.
KILL_AFTER = 400
KILL_DEADLINE = 60.0


def _integrity(database_url: str) -> str:
    conn = sqlite3.connect(str(make_url(database_url).database))
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


@pytest.mark.reliability
def test_kill_9_mid_load_keeps_sqlite_intact_and_every_acknowledged_write(
    sqlite_url: str, tmp_path: Path
) -> None:
    server = Server(sqlite_url, tmp_path)
    server.start()
    try:
        slug, anchors = demo_article(server.port)
        load = Load(server.port, slug, anchors, USERNAMES, posts=25, edits=10)
        load.start()
        deadline = time.monotonic() + KILL_DEADLINE
        while load.acknowledged() < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.02)
        server.kill()
        load.stop.set()
        load.join()

        started = time.monotonic()
        server.start()  # the same file, as an operator's restart would find it
        restart = time.monotonic() - started
        integrity = _integrity(sqlite_url)
        stored = stored_bodies(sqlite_url)
        # The restarted server takes writes again.
        after = call_once(
            server.port,
            "POST",
            f"/api/v1/articles/{slug}/annotations",
            {"anchor": anchors[-1], "kind": "comment", "body": "after the crash"},
            {"Authorization": f"Bearer {token_for(server.port, USERNAMES[0])}"},
        )
    finally:
        server.stop()
    lost = lost_writes(load, stored)
    log = server.log()
    print(
        "\n"
        + summary(
            "kill -9 mid-load on SQLite",
            load,
            len(lost),
            log,
            f"killed after {load.acknowledged()} acknowledged, {load.unanswered()} requests "
            f"cut off; restart {restart:.1f} s; integrity_check {integrity}",
        )
    )

    assert 0 < load.acknowledged() < load.planned, "the kill must land mid-load"
    assert integrity == "ok"
    assert not lost, lost[:10]
    assert load.server_errors() == 0, load.statuses()
    assert "database is locked" not in log
    assert after.status == 201, after.body[:300]
