"""Migrations: the models match the schema they build, and downgrades keep data valid."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation
from app.services.search import is_search_object


def _not_search_index(name: str | None, type_: str, _parents: object) -> bool:
    # The search index is the migration's alone (FTS5 tables, expression indexes).
    return not (type_ in ("table", "index", "column") and is_search_object(name, type_))


def test_the_migrations_build_exactly_the_schema_the_models_describe(app_ctx: Flask) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _not_search_index})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_downgrading_groups_keeps_group_notes_as_private_notes_and_upgrades_again(make) -> None:
    teacher = make.user(role="instructor")
    article = make.article()
    group = make.groups.group(teacher, articles=(article,))
    note_id = make.groups.group_note(teacher, article, group).id
    db.session.remove()
    try:
        downgrade(revision="0001_initial")
        visibility = db.session.execute(
            db.text("SELECT visibility FROM annotations WHERE id = :id"), {"id": note_id}
        ).scalar_one()
        assert visibility == "private"
    finally:
        db.session.remove()
        upgrade()
    db.session.remove()
    assert db.session.scalar(select(Annotation.author_id).where(Annotation.id == note_id))
