"""The benchmark's reference routes: never in the app, faithful and SQL-free in the bench's."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.services.articles import DEMO_SLUG, import_demo
from bench.probe import counting_queries
from bench.reference import bench_insert_table, create_bench_app


@pytest.fixture
def bench_app(app: Flask) -> Iterator[Flask]:
    """The bench's app on the test database (the app plus the references), the demo loaded."""
    application = create_bench_app(
        {
            "COUNTERPOINT_ENV": "testing",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATE_LIMITS": "off",
            "SECRET_KEY": app.config["SECRET_KEY"],
            "SERVER_NAME": "localhost",
        }
    )
    with application.app_context():
        import_demo()
        db.session.commit()
    yield application
    with application.app_context():
        db.engine.dispose()


def test_the_app_itself_never_mounts_the_reference_routes(client: FlaskClient) -> None:
    assert client.get(f"/_bench/render/articles/{DEMO_SLUG}").status_code == 404
    assert client.post("/_bench/insert", json={"body": "x"}).status_code == 404


def test_render_reference_draws_the_real_page_from_memory(bench_app: Flask) -> None:
    client = bench_app.test_client()
    real = client.get(f"/articles/{DEMO_SLUG}").get_data(as_text=True)
    reference_path = f"/_bench/render/articles/{DEMO_SLUG}"
    client.get(reference_path)  # the first request per worker snapshots the real view
    with counting_queries(bench_app) as statements:
        response = client.get(reference_path)
    assert response.status_code == 200
    assert statements == []
    # Only links that carry the requested path back (sign-in's ?next=) may differ, and the CSRF
    # token (signed with the second it was made in).
    drawn = response.get_data(as_text=True).replace("/_bench/render/", "/")
    assert _without_csrf(drawn) == _without_csrf(real)


def _without_csrf(page: str) -> str:
    return re.sub(r'(name="csrf-token" content=")[^"]*', r"\1", page)


def test_insert_reference_writes_one_row_and_answers_201(bench_app: Flask) -> None:
    with bench_app.app_context():
        bench_insert_table.create(db.engine, checkfirst=True)
    try:
        response = bench_app.test_client().post("/_bench/insert", json={"body": "hello"})
        assert response.status_code == 201
        with bench_app.app_context():
            count = db.session.scalar(select(func.count()).select_from(bench_insert_table))
        assert count == 1
        assert response.get_json()["id"] >= 1
    finally:
        with bench_app.app_context():
            db.session.remove()
            bench_insert_table.drop(db.engine)
