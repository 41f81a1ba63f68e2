"""32 concurrent writers against gunicorn: every acknowledged write is kept, none fails with 5xx."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.services.backup import BackupInfo, read_backup
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
BACKUP_AFTER = 300  # acknowledged writes before `flask backup` runs, mid-load


def _load_test(name: str, database_url: str, workdir: Path, backup_mid_load: bool) -> None:
    server = Server(database_url, workdir)  # the database is seeded: see conftest
    path = workdir / "during-load.backup"
    backup: BackupInfo | None = None
    with running(server):
        slug, anchors = demo_article(server.port)
        load = Load(server.port, slug, anchors, USERNAMES, posts=POSTS, edits=EDITS)
        load.start()
        if backup_mid_load:
            while load.acknowledged() < BACKUP_AFTER and load.running():
                time.sleep(0.02)
            # `flask backup` while 32 writers go on: it must neither fail them nor tear.
            posts_before = load.posts_acknowledged()
            started = time.monotonic()
            server.flask("backup", str(path))
            backup_took = time.monotonic() - started
            backup = read_backup(path)
        load.join()
        listed = listed_bodies(server.port, slug)
    stored = stored_bodies(database_url)
    lost = lost_writes(load, stored)
    log = server.log()
    extra = ""
    if backup is not None:
        assert backup.rows is not None
        in_backup = backup.rows["annotations"]
        extra = f"`flask backup` mid-load: {backup_took:.1f} s, {in_backup} annotations in it"
    print("\n" + summary(name, load, len(lost), log, extra))

    if backup is not None:
        # read_backup ran quick_check; the copy holds at least what was acknowledged before it.
        assert posts_before <= in_backup <= len(stored)

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
    _load_test("load on SQLite", sqlite_url, tmp_path, backup_mid_load=True)


@pytest.mark.reliability
def test_concurrent_writers_on_postgres_lose_nothing(postgres_url: str, tmp_path: Path) -> None:
    _load_test("load on PostgreSQL", postgres_url, tmp_path, backup_mid_load=False)
