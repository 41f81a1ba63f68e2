"""Helpers for the page tests: signed-in clients and annotation shortcuts."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Annotation
from tests import factories


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
