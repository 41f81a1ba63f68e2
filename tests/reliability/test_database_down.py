"""PostgreSQL refusing connections: pages, /healthz and the API answer 503, then recover alone."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.reliability.harness import (
    USERNAMES,
    Reply,
    Server,
    call_once,
    demo_article,
    engine_for,
    get,
    running,
    token_for,
)

# Enough rounds that every one of the 4 workers (and its pool) meets the outage.
ROUNDS = 12
RECOVERY_DEADLINE = 30.0


def _probes(port: int, slug: str, anchor: str, token: str) -> dict[str, Callable[[], Reply]]:
    bearer = {"Authorization": f"Bearer {token}"}
    post = {"anchor": anchor, "kind": "question", "body": "Is anyone there?"}
    return {
        "page /": lambda: get(port, "/", {"Accept": "text/html"}),
        "page article": lambda: get(port, f"/articles/{slug}", {"Accept": "text/html"}),
        "/healthz": lambda: get(port, "/healthz"),
        "API GET": lambda: get(port, f"/api/v1/articles/{slug}/annotations", bearer),
        "API POST": lambda: call_once(
            port, "POST", f"/api/v1/articles/{slug}/annotations", post, bearer
        ),
    }


def _is_friendly_page(reply: Reply) -> bool:
    body = reply.body.decode(errors="replace")
    return reply.headers.get("content-type", "").startswith("text/html") and (
        "The database is not answering" in body and "<html" in body.lower()
    )


def _is_json_error(reply: Reply) -> bool:
    return reply.headers.get("content-type", "").startswith("application/json") and (
        reply.json().get("error", {}).get("code") == "server_error"
    )


@pytest.mark.reliability
def test_database_outage_answers_503_and_recovers_without_restart(
    postgres_admin: str, postgres_url: str, tmp_path: Path
) -> None:
    name = make_url(postgres_url).database
    server = Server(postgres_url, tmp_path)
    with running(server), engine_for(postgres_admin, isolation_level="AUTOCOMMIT") as admin:
        assert server.process is not None
        master = server.process.pid
        slug, anchors = demo_article(server.port)
        probes = _probes(server.port, slug, anchors[-1], token_for(server.port, USERNAMES[0]))
        for _ in range(ROUNDS):  # every worker has pooled connections before the outage
            for label, probe in probes.items():
                assert probe().status in (200, 201), label

        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            try:
                down = {label: [probe() for _ in range(ROUNDS)] for label, probe in probes.items()}
            finally:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

        back = time.monotonic()
        while probes["/healthz"]().status != 200:
            assert time.monotonic() - back < RECOVERY_DEADLINE, "the app did not recover"
            time.sleep(0.1)
        recovery = time.monotonic() - back
        up = {label: [probe() for _ in range(ROUNDS)] for label, probe in probes.items()}
        still_running = server.process.poll() is None and server.process.pid == master

    seen = {label: dict(Counter(r.status for r in replies)) for label, replies in down.items()}
    after = {label: dict(Counter(r.status for r in replies)) for label, replies in up.items()}
    print(
        f"\n[reliability] PostgreSQL outage (ALLOW_CONNECTIONS false + backends terminated): "
        f"during {seen}; recovered in {recovery:.1f} s without restart; after {after}"
    )

    assert all(r.status == 503 for replies in down.values() for r in replies), seen
    assert all(_is_friendly_page(r) for r in down["page /"] + down["page article"])
    healthz = down["/healthz"]
    assert all(r.json() == {"status": "unavailable", "detail": "the database is not answering"}
               for r in healthz)  # fmt: skip
    assert all(_is_json_error(r) for r in down["API GET"] + down["API POST"])
    assert all(r.status in (200, 201) for replies in up.values() for r in replies), after
    assert still_running, "gunicorn was restarted"
    assert "Traceback" not in server.log(), server.log_tail()
