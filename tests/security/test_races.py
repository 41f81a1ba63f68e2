"""Twin requests at the same moment, against a real gunicorn: the answers a serial order gives.

The services check before they insert, and two requests can pass the check together; before
app/database.commit_racing the unique constraint then ended the second in a 500. A double
click posted the same note twice. A client that announced more body than it sent held a worker
until gunicorn killed it. Each case here is sent at once from threads released together, to
the repository's own gunicorn.conf.py (two workers of four threads), on the suite's database
(SQLite, or PostgreSQL with TEST_DATABASE_URL).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, Flag, Group, Membership, OutboxMessage, User
from tests.factories import PASSWORD
from tests.security.live import Answer, Live, Visitor, at_once, gunicorn

BODY_TIMEOUT = 2


@pytest.fixture(scope="module")
def live(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with gunicorn(url, tmp_path_factory.mktemp("live"), BODY_TIMEOUT=str(BODY_TIMEOUT)) as server:
        yield server
    assert "Traceback" not in server.log(), server.log()[-3000:]


def _post_json(live: Live, path: str, payload: Any, headers: dict[str, str]) -> Answer:
    return Visitor(live.port).open("POST", path, json_body=json.dumps(payload).encode(),
                                   headers=headers)  # fmt: skip


def _count(*where: Any) -> int:
    db.session.rollback()  # read what the server committed, not an older snapshot
    return int(db.session.scalar(select(func.count()).where(*where)) or 0)


def _statuses(answers: list[Answer]) -> list[int]:
    return sorted(answer.status for answer in answers)


def test_one_user_joining_ten_times_at_once_is_one_membership(live: Live, make, bearer) -> None:
    teacher, student = make.user(role="instructor"), make.user()
    group = make.groups.group(teacher)
    code, auth = group.join_code, bearer(student)
    answers = at_once(
        [lambda: _post_json(live, "/api/v1/groups/join", {"join_code": code}, auth)] * 10
    )
    assert _statuses(answers) == [200] * 10, [a.body[:200] for a in answers]
    assert _count(Membership.group_id == group.id, Membership.user_id == student.id) == 1


def test_one_name_created_four_times_at_once_makes_four_groups(live: Live, make, bearer) -> None:
    auth = bearer(make.user(role="instructor"))
    slugs = []
    for _ in range(3):
        answers = at_once(
            [lambda: _post_json(live, "/api/v1/groups", {"name": "Rhetoric 2"}, auth)] * 4
        )
        assert _statuses(answers) == [201] * 4, [a.body[:200] for a in answers]
        slugs += [json.loads(a.body)["slug"] for a in answers]
    assert sorted(slugs) == sorted({"rhetoric-2", *(f"rhetoric-2-{n}" for n in range(2, 13))})
    assert _count(Group.name == "Rhetoric 2") == 12


def test_one_flag_sent_five_times_at_once_is_one_flag(live: Live, make, bearer) -> None:
    note = make.annotation(make.user(), make.article())
    flagger = make.user()
    path, auth = f"/api/v1/annotations/{note.id}/flags", bearer(flagger)
    answers = at_once([lambda: _post_json(live, path, {"reason": "spam"}, auth)] * 5)
    assert _statuses(answers) == [201, 409, 409, 409, 409], [a.body[:200] for a in answers]
    assert all(
        json.loads(a.body)["error"]["code"] == "conflict" for a in answers[1:] if a.status == 409
    )
    assert _count(Flag.annotation_id == note.id, Flag.user_id == flagger.id) == 1


def test_one_username_registered_four_times_at_once_is_one_account(live: Live, app_ctx) -> None:
    visitors = [Visitor(live.port) for _ in range(4)]
    forms = [{**v.form_fields("/register"), "username": "twin", "password": PASSWORD,
              "confirm": PASSWORD, "email": f"twin{n}@example.edu"}
             for n, v in enumerate(visitors)]  # fmt: skip

    def register(n: int) -> Answer:
        return visitors[n].open("POST", "/register", forms[n])

    answers = at_once([lambda n=n: register(n) for n in range(4)])
    assert _statuses(answers) == [302, 422, 422, 422], [a.body[:200] for a in answers]
    assert all("That username is taken" in a.body for a in answers if a.status == 422)
    assert _count(User.username == "twin") == 1
    # Only the winner's confirmation mail is queued: a loser's went with its rollback.
    assert _count(OutboxMessage.to_addr.like("twin_@example.edu")) == 1


def test_a_double_clicked_post_is_stored_once(live: Live, make) -> None:
    article, writer = make.article(), make.user()
    visitor = Visitor(live.port)
    visitor.sign_in(writer.username, PASSWORD)
    action = f"/articles/{article.slug}/p/p2/annotations"
    fields = visitor.form_fields(f"/articles/{article.slug}/p/p2", action=action)
    assert fields.get("form_nonce"), "the composer carries no one-time nonce"
    form = {**fields, "kind": "question", "body": "Clicked twice, meant once."}
    answers = at_once([lambda: visitor.open("POST", action, form)] * 2)
    assert _statuses(answers) == [302, 302], [a.body[:200] for a in answers]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert _count(Annotation.author_id == writer.id) == 1


def test_an_api_post_sent_twice_with_one_idempotency_key_is_stored_once(
    live: Live, make, bearer
) -> None:
    article, writer = make.article(), make.user()
    auth = {**bearer(writer), "Idempotency-Key": "5a1f0c7e-retry-after-timeout"}
    payload = {"anchor": "p2", "kind": "comment", "body": "Sent once, retried."}
    path = f"/api/v1/articles/{article.slug}/annotations"
    answers = at_once([lambda: _post_json(live, path, payload, auth)] * 3)
    assert _statuses(answers) == [201, 201, 201], [a.body[:200] for a in answers]
    assert len({json.loads(a.body)["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 2
    assert _count(Annotation.author_id == writer.id) == 1


def _short_body(port: int) -> socket.socket:
    """A POST announcing 1,000 bytes of form and sending 10, then saying nothing more."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        b"username=a"
    )
    return sock


def test_slow_bodies_hold_no_worker_and_end_in_408(live: Live) -> None:
    socks = [_short_body(live.port) for _ in range(6)]
    try:
        time.sleep(0.3)  # they are all being read now
        started = time.monotonic()
        health = Visitor(live.port).open("GET", "/healthz")
        assert health.status == 200
        assert time.monotonic() - started < 1.5, "six slow clients delayed /healthz"
        for sock in socks:
            answer = sock.recv(4096).decode(errors="replace")
            assert answer.startswith("HTTP/1.1 408"), answer[:200]
        assert time.monotonic() - started < BODY_TIMEOUT + 3
    finally:
        for sock in socks:
            sock.close()
    assert "WORKER TIMEOUT" not in live.log()
