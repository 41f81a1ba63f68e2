"""How a request's transaction ends (app/database.py): with COMMIT when it only read, so that
psycopg keeps its prepared statements, and with ROLLBACK, as before, whenever anything was
written and not committed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, text, update

from app.database import end_reading_transaction
from app.extensions import db
from app.models import Article, User
from app.services.users import create_user
from tests import factories
from tests.factories import PASSWORD, login


@contextmanager
def _endings(app: Flask) -> Iterator[list[str]]:
    """The words the database connections ended their transactions with, in order."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def commit(_conn: Any) -> None:
        seen.append("commit")

    def rollback(_conn: Any) -> None:
        seen.append("rollback")

    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", commit)
        event.remove(engine, "rollback", rollback)


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def test_a_request_that_only_read_ends_with_commit(app: Flask, make: Any) -> None:
    make.user("ann")
    db.session.commit()
    with app.test_request_context(), _endings(app) as seen:
        assert _users() == 1
        end_reading_transaction(None)
    assert seen == ["commit"]


def _flushed_user() -> None:
    create_user("ann", PASSWORD)  # a service: it flushes, the view would commit


def _pending_article() -> None:
    db.session.add(Article(slug="pending", title="Pending", author="A. Writer"))


def _core_rename() -> None:
    db.session.connection().execute(update(Article.__table__).values(title="Changed"))


def _orm_rename() -> None:
    db.session.execute(update(Article).values(title="Changed"))


def test_what_a_streamed_response_still_reads_stays_loaded(app: Flask, make: Any) -> None:
    """A CSV export's rows are read after the request's context has ended."""
    make.user("ann")
    db.session.commit()
    with app.test_request_context():
        user = db.session.scalars(select(User)).one()
        end_reading_transaction(None)
        db.session.remove()
    assert user.username == "ann"


@pytest.mark.parametrize("write", [_flushed_user, _pending_article, _core_rename, _orm_rename])
def test_a_request_that_wrote_and_did_not_commit_is_rolled_back(
    app: Flask, make: Any, write: Callable[[], None]
) -> None:
    make.article(slug="kept", title="Kept")
    db.session.commit()
    with app.test_request_context(), _endings(app) as seen:
        write()
        end_reading_transaction(None)
        db.session.rollback()  # what the session's removal does next
    assert "commit" not in seen
    assert _users() == 0
    assert db.session.scalars(select(Article.title)).all() == ["Kept"]


def test_a_failed_request_is_rolled_back_even_if_it_only_read(app: Flask, make: Any) -> None:
    with app.test_request_context(), _endings(app) as seen:
        _users()
        end_reading_transaction(RuntimeError("the view failed"))
    assert seen == []  # left to the session's removal, which rolls back


def _signed_in_reader(app: Flask, client: FlaskClient) -> str:
    """An article and a signed-in reader, made in an app context of their own: the requests
    below then run in theirs, as a server's do (the `make` fixture would share the test's)."""
    with app.app_context():
        slug = factories.Factories.article().slug
        factories.Factories.user("ann")
    login(client, "ann")
    return slug


def test_signed_in_pages_end_their_transactions_with_commit(
    app: Flask, client: FlaskClient
) -> None:
    slug = _signed_in_reader(app, client)
    with _endings(app) as seen:
        assert client.get(f"/articles/{slug}").status_code == 200
    assert seen == ["commit"]


def test_postgresql_keeps_the_statements_a_page_runs_prepared(
    app: Flask, client: FlaskClient
) -> None:
    slug = _signed_in_reader(app, client)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are psycopg's, on PostgreSQL")
        db.engine.dispose()  # one connection from here on, whatever earlier tests pooled
    for _ in range(7):  # psycopg prepares a statement at its 5th run on a connection
        assert client.get(f"/articles/{slug}").status_code == 200
    with app.app_context(), db.engine.connect() as conn:  # the pooled connection they used
        prepared = conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars()
        assert any("FROM articles" in statement for statement in prepared)
