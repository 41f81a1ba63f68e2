"""Statements built once per shape (app/shapes.py) find what the same statements built for
the real reader find: the personal layer and the header's counts, for each kind of reader."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import union_all

from app.extensions import db
from app.services import helpful, moderation
from app.services.personal import personal_layer, personal_union


def _plain(user: Any, article: Any, group: Any) -> list[tuple]:
    return sorted(db.session.execute(personal_union(user, article, group)), key=repr)


def _shaped(user: Any, article: Any, group: Any) -> list[tuple]:
    from app import shapes
    from app.services.personal import _statement

    statement = _statement(user.role, group is not None)
    rows = db.session.execute(statement, shapes.values(user, article, group))
    return sorted(rows, key=repr)


@pytest.fixture
def world(make: Any) -> Any:
    teacher = make.user(role="instructor")
    member, admin = make.user(), make.user(role="admin")
    article = make.article()
    group = make.groups.group(teacher, "Shapes", articles=(article,))
    make.groups.join(member, group)
    public = make.annotation(teacher, article, body="Public")
    note = make.groups.group_note(teacher, article, group, body="For the group")
    mine = make.groups.group_note(member, article, group, anchor="p3", body="Mine")
    helpful.mark_helpful(member, note)
    moderation.flag_annotation(member, public, "spam")
    moderation.flag_annotation(member, note, "off_topic")
    moderation.moderate_annotation(teacher, mine, "hide", "off topic")
    db.session.commit()
    return {"teacher": teacher, "member": member, "admin": admin}, article, group


@pytest.mark.parametrize("who", ["teacher", "member", "admin"])
@pytest.mark.parametrize("in_group", [False, True], ids=["public", "group"])
def test_the_shaped_personal_layer_finds_what_the_plain_statement_finds(
    world: Any, who: str, in_group: bool
) -> None:
    users, article, group = world
    user, shown = users[who], group if in_group else None
    plain = _plain(user, article, shown)
    assert plain  # something to compare: at least the header's unread row
    assert _shaped(user, article, shown) == plain


def test_the_personal_layer_reads_the_readers_part(world: Any) -> None:
    users, article, group = world
    layer = personal_layer(users["member"], article, group)
    assert len(layer.mine) == 1
    assert len(layer.marked) == 1
    assert len(layer.flagged) == 2
    assert layer.apart  # their hidden note's block is drawn for them
    assert [g.slug for g in layer.groups] == [group.slug]
    assert layer.header is not None
    assert layer.header.unread >= 1  # told their note was hidden


@pytest.mark.parametrize("who", ["teacher", "member", "admin"])
def test_the_shaped_header_counts_what_the_plain_one_counts(world: Any, who: str) -> None:
    users, _article, _group = world
    user = users[who]
    plain = moderation.HeaderCounts.of(
        db.session.execute(union_all(*moderation.header_parts(user)))
    )
    assert moderation.header_counts(user) == plain
    assert plain.queues if who != "member" else not plain.queues


@pytest.mark.parametrize("in_group", [False, True])
def test_a_shaped_statement_sends_only_the_readers_ids_as_parameters(
    app_ctx: Any, in_group: bool
) -> None:
    """Its constants are in its text, so PostgreSQL can keep one plan for it once prepared."""
    from app import shapes
    from app.services.personal import _statement

    compiled = _statement("member", in_group).compile(dialect=db.engine.dialect)
    sent = {bind.key for bind in compiled.binds.values() if not bind.literal_execute}
    assert sent == {shapes.READER, shapes.ARTICLE} | ({shapes.GROUP} if in_group else set())
    ids = {shapes.READER: 1, shapes.ARTICLE: 1, shapes.GROUP: 1}
    assert "'public'" in compiled.construct_expanded_state(ids).statement
