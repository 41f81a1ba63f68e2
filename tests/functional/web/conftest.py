"""Helpers for the page tests: signed-in clients and annotation shortcuts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Annotation
from tests import factories


def _fresh_g(sender: Flask, **_: Any) -> None:
    for name in list(g):
        g.pop(name)


@pytest.fixture(autouse=True)
def _fresh_g_per_request(app: Flask) -> Iterator[None]:
    """Each request starts with an empty `g`, as it does in production.

    While `make` holds an app context open, Flask reuses it for the test client's requests, so
    `g` would carry Flask-Login's cached user and Flask-WTF's CSRF token from one request (and
    one client) into the next.
    """
    request_started.connect(_fresh_g, app)
    yield
    request_started.disconnect(_fresh_g, app)


@pytest.fixture
def signed_in(app, make):  # type: ignore[no-untyped-def]
    """`signed_in(user)` → a test client with that user signed in through the login form."""

    def sign_in(user) -> FlaskClient:  # type: ignore[no-untyped-def]
        client = app.test_client()
        factories.login(client, user.username)
        return client

    return sign_in


def fresh(annotation_id: int) -> Annotation:
    """The annotation as stored now (the requests ran in their own sessions)."""
    db.session.expire_all()
    found = db.session.get(Annotation, annotation_id)
    assert found is not None
    return found
