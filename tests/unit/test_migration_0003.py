"""Migration 0003: the discussion version and the thread index go down and come back up cleanly."""

from __future__ import annotations

from typing import Any

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.extensions import db


def _shape() -> tuple[set[str], set[str]]:
    found = inspect(db.engine)
    columns = {c["name"] for c in found.get_columns("articles")}
    indexes = {i["name"] for i in found.get_indexes("annotations")}
    return columns, indexes


def test_0003_downgrades_and_upgrades_keeping_articles_and_notes(make: Any) -> None:
    article = make.article()
    note_id = make.annotation(make.user(), article).id
    article_id = article.id
    db.session.remove()
    try:
        downgrade(revision="0002_groups")
        columns, indexes = _shape()
        assert "discussion_version" not in columns
        assert "ix_annotations_thread_starts" not in indexes
    finally:
        db.session.remove()
        upgrade()
    db.session.remove()
    columns, indexes = _shape()
    assert "discussion_version" in columns
    assert "ix_annotations_thread_starts" in indexes
    version = db.session.execute(
        text("SELECT discussion_version FROM articles WHERE id = :id"), {"id": article_id}
    ).scalar_one()
    assert version == 0  # a fresh start: nothing was cached under the old schema
    assert db.session.execute(
        text("SELECT id FROM annotations WHERE id = :id"), {"id": note_id}
    ).scalar_one()


def test_the_thread_index_is_partial_on_top_level_notes(app_ctx: Any) -> None:
    index = next(
        i for i in inspect(db.engine).get_indexes("annotations")
        if i["name"] == "ix_annotations_thread_starts"
    )  # fmt: skip
    assert index["column_names"] == ["article_id", "block_id", "pinned", "created_at", "id"]
    where = index.get("dialect_options", {})
    assert "parent_id IS NULL" in str(where.get("postgresql_where") or where.get("sqlite_where"))
