"""Helpers for API tests: headers for a Bearer token, HTTP Basic, or a signed-in cookie."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from flask import Flask, session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf

from app.extensions import db
from app.models import User
from app.services.tokens import issue_token
from tests.factories import session_id

API = "/api/v1"
Headers = dict[str, str]


@pytest.fixture
def bearer(app: Flask) -> Callable[[User], Headers]:
    """`bearer(user)`: headers carrying a fresh API token for `user`."""

    def headers(user: User) -> Headers:
        with app.app_context():
            raw, _ = issue_token(db.session.merge(user))
            db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return headers


def basic(username: str, password: str) -> Headers:
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


@pytest.fixture
def sign_in(app: Flask) -> Callable[[FlaskClient, User], Headers]:
    """`sign_in(client, user)`: give `client` a session cookie for `user`, as /login would.

    Returns the X-CSRFToken header that the app's own JavaScript sends with writes.
    """

    def signed_in(client: FlaskClient, user: User) -> Headers:
        with app.test_request_context():
            token = generate_csrf()
            raw = session["csrf_token"]
        with client.session_transaction() as cookie:
            cookie["_user_id"] = session_id(user)
            cookie["_fresh"] = True
            cookie["csrf_token"] = raw
        return {"X-CSRFToken": token}

    return signed_in
