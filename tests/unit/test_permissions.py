"""The policy: who may see, post, edit, delete, flag and moderate, and the list filter agrees."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from app import permissions
from app.extensions import db
from app.models import Annotation
from app.services.annotations import NewAnnotation, post_annotation


@pytest.fixture
def world(make):
    """A class with an instructor, a member, an outsider, an admin, and one note of each kind."""
    teacher = make.user("teacher", role="instructor")
    student = make.user("student")
    outsider = make.user("outsider")
    admin = make.user("admin1", role="admin")
    article = make.article()
    group = make.groups.group(teacher, "Class", articles=(article,))
    make.groups.join(student, group)
    public = make.annotation(student, article, body="public")
    grouped = make.groups.group_note(student, article, group, body="group")
    private = post_annotation(
        student, article, NewAnnotation("p2", "comment", "mine", private=True)
    )
    db.session.commit()
    return {
        "teacher": teacher, "student": student, "outsider": outsider, "admin": admin,
        "anonymous": AnonymousUserMixin(), "public": public, "group": grouped,
        "private": private, "article": article, "grp": group,
    }  # fmt: skip


VIEW = {
    # actor: (public, group, private)
    "anonymous": (True, False, False),
    "outsider": (True, False, False),
    "student": (True, True, True),
    "teacher": (True, True, False),
    "admin": (True, True, False),
}


@pytest.mark.parametrize("actor", VIEW)
def test_detail_check_and_list_filter_agree_on_who_sees_what(world, actor: str) -> None:
    user = world[actor]
    expected = dict(zip(("public", "group", "private"), VIEW[actor], strict=True))
    listed = set(
        db.session.scalars(select(Annotation.body).where(permissions.visible_annotations(user)))
    )
    for note, visible in expected.items():
        assert permissions.can_view_annotation(user, world[note]) is visible, note
        assert (world[note].body in listed) is visible, note


def test_instructors_moderate_their_group_only_and_admins_moderate_public(world, make) -> None:
    other_teacher = make.user("other", role="instructor")
    assert permissions.can_moderate_annotation(world["teacher"], world["group"])
    assert not permissions.can_moderate_annotation(other_teacher, world["group"])
    assert not permissions.can_moderate_annotation(world["teacher"], world["public"])
    assert permissions.can_moderate_annotation(world["admin"], world["public"])
    assert not permissions.can_moderate_annotation(world["admin"], world["private"])


def test_nobody_flags_their_own_or_a_private_note(world) -> None:
    assert not permissions.can_flag_annotation(world["student"], world["group"])
    assert permissions.can_flag_annotation(world["teacher"], world["group"])
    assert not permissions.can_flag_annotation(world["anonymous"], world["public"])
    assert not permissions.can_flag_annotation(world["outsider"], world["group"])


def test_only_members_and_admins_see_a_group(world) -> None:
    group = world["grp"]
    assert permissions.can_view_group(world["student"], group)
    assert permissions.can_view_group(world["admin"], group)
    assert not permissions.can_view_group(world["outsider"], group)
    assert not permissions.can_view_group(world["anonymous"], group)


def test_only_site_instructors_and_admins_create_groups(world) -> None:
    assert permissions.can_create_group(world["teacher"])
    assert permissions.can_create_group(world["admin"])
    assert not permissions.can_create_group(world["student"])
    assert not permissions.can_create_group(world["anonymous"])


def test_the_memberships_cache_follows_flushed_changes_and_rollbacks_untold(
    make, count_queries
) -> None:
    from app.services.groups import join_group, leave_group

    teacher, student = make.user("teacher", role="instructor"), make.user("student")
    group = make.groups.group(teacher, "Class")
    assert permissions.membership(student, group.id) is None
    with count_queries() as again:
        assert permissions.membership(student, group.id) is None
    assert len(again) == 0  # cached for the request
    join_group(student, group.join_code)  # flushed: the cache is forgotten by the listener
    assert permissions.membership(student, group.id) is not None
    db.session.rollback()  # the join is gone again, and so is what the cache knew
    assert permissions.membership(student, group.id) is None
    join_group(student, group.join_code)
    db.session.commit()
    leave_group(student, group)
    assert permissions.membership(student, group.id) is None


def test_a_refused_rule_says_its_one_message_in_the_service_and_when_asked_first(make) -> None:
    from app.services.errors import Forbidden
    from app.services.groups import create_group

    member = make.user("member")
    refusal = permissions.REFUSALS[permissions.can_create_group]
    with pytest.raises(Forbidden, match=refusal):
        create_group(member, "Not mine to make")
    with pytest.raises(Forbidden, match=refusal):
        permissions.ensure(permissions.can_create_group, member)
    permissions.ensure(permissions.can_create_group, make.user("teacher", role="instructor"))
