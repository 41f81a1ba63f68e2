"""What a signed-in page costs the database follows the reader, not the size of the tables.

The personal layer's statement runs on every signed-in reading page, and the header's counts on
every other signed-in page. Statement counts are asserted elsewhere (test_query_counts); this
asks the database how it runs them, with many notes by others in the tables: on PostgreSQL,
how many annotation rows EXPLAIN ANALYZE says were read; on SQLite, that its plan never scans
the annotations table whole. (A visibility test written as `IN (SELECT ...)` once made
PostgreSQL hash every annotation on every signed-in page: 4,600 rows read for a reader with no
notifications, and the page 45% slower after a class had posted a few thousand notes.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text

from app import shapes
from app.extensions import db
from app.models import Annotation, Notification
from app.models.base import utcnow
from app.services import moderation, personal
from app.services.annotations import NewAnnotation, post_annotation
from app.services.moderation import flag_annotation

OTHERS_NOTES = 120  # notes by others on another article: none of them the reader's business
READ_BOUND = 20  # note and flag rows a page may read for this reader (12 today: theirs, and slack)


@pytest.fixture
def crowded(make: Any) -> Any:
    """A reader with a few notes and notifications, an instructor, an admin, and many notes
    by others elsewhere."""
    reader = make.user("reader")
    teacher = make.user("teacher", role="instructor")
    admin = make.user("admin", role="admin")
    other = make.user("other")
    article, elsewhere = make.article(), make.article()
    group = make.groups.group(teacher, articles=(article,))
    make.groups.join(reader, group)
    for body in ("Mine, one.", "Mine, two."):
        make.annotation(reader, article, body=body)
    make.groups.group_note(reader, article, group, body="Mine, for the group.")
    make.annotation(other, article, body=f"@reader have a look, {reader.display_name}.")
    for n in range(OTHERS_NOTES):
        note = post_annotation(
            other, elsewhere, NewAnnotation(anchor="p2", kind="comment", body=f"#{n}")
        )
        if n % 4 == 0:  # flags long dealt with: kept, and none of a queue's business
            flag_annotation(reader, note, "spam").resolved_at = utcnow()
    db.session.commit()
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == reader.id))
    return reader, teacher, admin, article, group


def _statements(crowded: Any) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    reader, teacher, admin, article, group = crowded
    for who in (reader, teacher, admin):
        yield (
            f"article page, {who.username}",
            personal._statement(who.role, False),
            shapes.values(who, article),
        )
        yield (
            f"group view, {who.username}",
            personal._statement(who.role, True),
            shapes.values(who, article, group),
        )
        yield (
            f"header, {who.username}",
            moderation._header_statement(who.role, True),
            shapes.values(who),
        )


def _sql(statement: Any, values: dict[str, Any]) -> str:
    bound = statement.params(values)
    dialect = db.session.get_bind().dialect
    return str(bound.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _rows_read(plan: dict[str, Any]) -> float:
    """Rows PostgreSQL read from annotations and flags under this plan node: returned or
    filtered out."""
    read = 0.0
    if plan.get("Relation Name") in ("annotations", "flags"):
        each = (
            plan.get("Actual Rows", 0)
            + plan.get("Rows Removed by Filter", 0)
            + plan.get("Rows Removed by Index Recheck", 0)
        )
        read += each * plan.get("Actual Loops", 1)
    return read + sum(_rows_read(child) for child in plan.get("Plans", []))


def test_signed_in_statements_read_what_concerns_the_reader_not_the_table(
    app: Any, crowded: Any
) -> None:
    total = db.session.scalar(select(db.func.count(Annotation.id)))
    assert total > OTHERS_NOTES
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(text("ANALYZE"))  # plan with statistics, as a live database has
    for name, statement, values in _statements(crowded):
        sql = _sql(statement, values)
        if dialect == "postgresql":
            # A table of a hundred rows is cheapest to scan whole, so PostgreSQL would; with
            # scans discouraged it plans as for a large table, and a plan that can only read
            # the whole table (a hash of every visible note) still reads it all.
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
            raw = db.session.connection().exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = raw.scalar()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            read = _rows_read(plan[0]["Plan"])
            assert read <= READ_BOUND, f"{name}: read {read:.0f} rows ({total} notes): {plan}"
        else:
            lines = [
                row[-1]
                for row in db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            ]
            partial = _partial_indexes()
            whole = [line for line in lines if _scans_whole(line, partial)]
            assert not whole, f"{name}: scans a table whole: {whole} in {lines}"


def _partial_indexes() -> set[str]:
    """SQLite's partial indexes (a scan of one reads only the rows it holds: the queues)."""
    rows = db.session.connection().exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'"
    )
    return {name for (name,) in rows}


def _scans_whole(line: str, partial: set[str]) -> bool:
    """An SQLite plan line that walks all of annotations or flags."""
    if not line.startswith(("SCAN annotations", "SCAN flags")):
        return False
    return not any(line.endswith(f"USING INDEX {name}") for name in partial)
