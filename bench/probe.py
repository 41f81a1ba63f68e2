"""Per-request SQL statements and response sizes, measured in-process with the test client."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app.extensions import db

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass
class ProbeResult:
    status: int
    queries: int
    raw_bytes: int
    gzip_bytes: int  # as served with Accept-Encoding: gzip (Flask-Compress)
    gzip6_bytes: int  # the raw body through gzip -6, for comparison
    statements: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def counting_queries(app: Flask) -> Iterator[list[str]]:
    """Every statement the engine sends while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def signed_in_client(app: Flask, username: str, password: str) -> FlaskClient:
    """A test client signed in through the /login form, CSRF token and all."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    match = CSRF_RE.search(page)
    if match is None:
        raise RuntimeError("no csrf_token field in the /login form")
    response = client.post(
        "/login",
        data={
            "csrf_token": match.group(1) or match.group(2),
            "username": username,
            "password": password,
            "next": "",
        },
    )
    if response.status_code not in (302, 303):
        raise RuntimeError(f"sign-in through /login failed: {response.status_code}")
    return client


def probe(
    app: Flask,
    client: FlaskClient,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    warm: bool = True,
) -> ProbeResult:
    """Statements and bytes of one request; a first, uncounted one warms per-process caches."""
    send = dict(headers or {})
    data = json.dumps(body) if body is not None else None
    if data is not None:
        send["Content-Type"] = "application/json"
    if warm:
        client.open(path, method=method, headers=send, data=data)
    with counting_queries(app) as statements:
        plain = client.open(path, method=method, headers=send, data=data)
    raw = plain.get_data()
    # Asked again with gzip: for a POST that writes one more row, which the load does anyway.
    zipped = client.open(
        path, method=method, headers={**send, "Accept-Encoding": "gzip"}, data=data
    )
    served = len(zipped.get_data())
    return ProbeResult(
        status=plain.status_code,
        queries=len(statements),
        raw_bytes=len(raw),
        gzip_bytes=served,
        gzip6_bytes=len(gzip.compress(raw, 6)),
        statements=list(statements),
    )
