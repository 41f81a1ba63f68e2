"""Helpers for the page tests: signed-in clients and annotation shortcuts."""

from __future__ import annotations

from types import SimpleNamespace

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


@pytest.fixture
def classroom(make):  # type: ignore[no-untyped-def]
    """An instructor's group reading one article, two members, and an outsider."""
    teacher = make.user("teacher", role="instructor", display_name="Ms Teacher")
    ann = make.user("ann", display_name="Ann Author")
    bob = make.user("bob", display_name="Bob Reader")
    outsider = make.user("outsider", display_name="Olga Outside")
    article = make.article(title="The Reading")
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    make.groups.join(ann, group)
    make.groups.join(bob, group)
    return SimpleNamespace(
        teacher=teacher, ann=ann, bob=bob, outsider=outsider, article=article, group=group
    )
