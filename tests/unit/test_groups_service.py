"""Groups: creating, joining by code, leaving, roles, removal, codes, archiving, readings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models.base import utcnow
from app.services.annotations import NewAnnotation, post_annotation
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.groups import (
    create_group,
    get_group,
    join_group,
    leave_group,
    list_members,
    regenerate_join_code,
    remove_member,
    restore_member,
    set_archived,
    set_member_role,
)


def test_the_creator_is_the_first_instructor_and_slugs_are_unique(make) -> None:
    teacher = make.user(role="instructor")
    first, second = create_group(teacher, "Ethics 101"), create_group(teacher, "Ethics 101")
    assert (first.slug, second.slug) == ("ethics-101", "ethics-101-2")
    [row] = list_members(first)
    assert (row.user.id, row.membership.role) == (teacher.id, "instructor")


def test_members_cannot_create_groups(make) -> None:
    with pytest.raises(Forbidden):
        create_group(make.user(), "Nope")


def test_join_codes_are_forgiving_about_case_and_dashes_but_not_about_expiry(make) -> None:
    teacher, student = make.user(role="instructor"), make.user()
    group = make.groups.group(teacher)
    join_group(student, group.join_code.lower()[:4] + "-" + group.join_code.lower()[4:])
    with pytest.raises(ValidationFailed, match="Unknown"):
        join_group(make.user(), "WRONG123")
    group.join_code_expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(ValidationFailed, match="expired"):
        join_group(make.user(), group.join_code)


def test_a_new_code_invalidates_the_old_one(make) -> None:
    teacher = make.user(role="instructor")
    group = make.groups.group(teacher)
    old = group.join_code
    assert regenerate_join_code(teacher, group) != old
    with pytest.raises(ValidationFailed):
        join_group(make.user(), old)


def test_non_members_cannot_even_learn_a_group_exists(make) -> None:
    teacher = make.user(role="instructor")
    group = make.groups.group(teacher)
    with pytest.raises(NotFound):
        get_group(make.user(), group.slug)
    assert get_group(teacher, group.slug) is group


def test_removed_members_cannot_rejoin_until_restored(make) -> None:
    teacher, student = make.user(role="instructor"), make.user()
    group = make.groups.group(teacher)
    make.groups.join(student, group)
    remove_member(teacher, group, student.username, "spam")
    db.session.commit()
    with pytest.raises(Forbidden):
        join_group(student, group.join_code)
    restore_member(teacher, group, student.username)
    assert student.id in {row.user.id for row in list_members(group)}


def test_the_last_instructor_cannot_leave_or_be_demoted(make) -> None:
    teacher, student = make.user(role="instructor"), make.user()
    group = make.groups.group(teacher)
    make.groups.join(student, group)
    with pytest.raises(Conflict):
        leave_group(teacher, group)
    set_member_role(teacher, group, student.username, "instructor")
    leave_group(teacher, group)
    assert {row.user.id for row in list_members(group)} == {student.id}


def test_an_archived_group_is_read_only(make) -> None:
    teacher, student = make.user(role="instructor"), make.user()
    article = make.article()
    group = make.groups.group(teacher, articles=(article,))
    make.groups.join(student, group)
    set_archived(teacher, group, True)
    db.session.commit()
    with pytest.raises(Conflict, match="archived"):
        post_annotation(
            student, article, NewAnnotation("p2", "comment", "x", group_slug=group.slug)
        )
    with pytest.raises(Conflict):
        join_group(make.user(), group.join_code)


def test_posting_to_a_group_needs_membership_and_the_article_assigned(make) -> None:
    teacher, outsider = make.user(role="instructor"), make.user()
    assigned, other = make.article(), make.article()
    group = make.groups.group(teacher, articles=(assigned,))
    with pytest.raises(ValidationFailed) as caught:
        post_annotation(
            outsider, assigned, NewAnnotation("p2", "comment", "x", group_slug=group.slug)
        )
    assert "group" in caught.value.fields
    with pytest.raises(ValidationFailed, match="readings"):
        post_annotation(teacher, other, NewAnnotation("p2", "comment", "x", group_slug=group.slug))


def test_replies_inherit_the_parents_group(make) -> None:
    teacher, student = make.user(role="instructor"), make.user()
    article = make.article()
    group = make.groups.group(teacher, articles=(article,))
    make.groups.join(student, group)
    root = make.groups.group_note(teacher, article, group)
    reply = post_annotation(
        student, article, NewAnnotation("p2", "support", "yes", parent_id=root.id)
    )
    assert (reply.visibility, reply.group_id) == ("group", group.id)
