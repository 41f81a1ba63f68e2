"""Moderation: each action, its undo, the log, flags, the queue, suspensions, pre-moderation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ModerationAction, Notification
from app.models.base import utcnow
from app.services.annotations import NewAnnotation, delete_annotation, post_annotation
from app.services.errors import Conflict, Forbidden, ValidationFailed
from app.services.feedback import give_feedback, list_feedback
from app.services.groups import set_premoderation
from app.services.moderation import (
    flag_annotation,
    moderate_annotation,
    moderation_log,
    moderation_queue,
    queue_size,
    suspend_member,
    unsuspend_member,
)


@pytest.mark.parametrize(
    ("action", "undo", "attribute", "after"),
    [
        ("hide", "unhide", "status", "hidden"),
        ("lock", "unlock", "locked", True),
        ("pin", "unpin", "pinned", True),
        ("delete", "restore", "status", "deleted"),
    ],
)
def test_every_action_is_logged_with_the_previous_state_and_undone_by_its_inverse(
    klass, action: str, undo: str, attribute: str, after: object
) -> None:
    teacher, _, _, _, group, note = klass
    before = getattr(note, attribute)
    entry = moderate_annotation(teacher, note, action, reason="because")
    db.session.commit()
    assert getattr(note, attribute) == after
    assert entry.previous[attribute] == before
    moderate_annotation(teacher, note, undo)
    db.session.commit()
    assert getattr(note, attribute) == before
    assert [e.action for e in moderation_log(teacher, group)] == [undo, action]


def test_hiding_tells_the_author_the_reason_and_keeps_the_body(klass) -> None:
    teacher, student, _, _, _, note = klass
    moderate_annotation(teacher, note, "hide", reason="Off topic for this week")
    db.session.commit()
    told = db.session.scalars(select(Notification).where(Notification.user_id == student.id)).all()
    assert any("Off topic for this week" in n.message for n in told)
    assert note.body == "a bold claim"
    assert note.moderation_reason == "Off topic for this week"


def test_invalid_transitions_are_conflicts_and_change_nothing(klass) -> None:
    teacher, _, _, _, _, note = klass
    with pytest.raises(Conflict):
        moderate_annotation(teacher, note, "unhide")
    with pytest.raises(Conflict):
        moderate_annotation(teacher, note, "unlock")
    with pytest.raises(ValidationFailed):
        moderate_annotation(teacher, note, "obliterate")
    assert db.session.scalar(select(ModerationAction.id)) is None


def test_members_and_other_instructors_cannot_moderate(klass, make) -> None:
    _, _, peer, _, _, note = klass
    stranger = make.user("stranger", role="instructor")
    for actor in (peer, stranger):
        with pytest.raises(Forbidden):
            moderate_annotation(actor, note, "hide")


def test_flag_once_each_then_it_waits_in_the_queue_until_acted_on(klass) -> None:
    teacher, _, peer, _, group, note = klass
    flag_annotation(peer, note, "disrespectful")
    with pytest.raises(Conflict):
        flag_annotation(peer, note, "spam")
    with pytest.raises(ValidationFailed):
        flag_annotation(teacher, note, "other")  # "other" needs words
    db.session.commit()
    queue = moderation_queue(teacher, group)
    assert [item.annotation.id for item in queue] == [note.id]
    assert [f.reason for f in queue[0].flags] == ["disrespectful"]
    assert queue_size(teacher) == 1
    moderate_annotation(teacher, note, "approve")  # keep it: the flags are resolved
    db.session.commit()
    assert moderation_queue(teacher, group) == []


def test_premoderation_holds_new_members_posts_until_approved(klass, make) -> None:
    teacher, _student, peer, article, group, _ = klass
    set_premoderation(teacher, group, "new_members", posts=1)
    db.session.commit()
    held = make.groups.group_note(peer, article, group, body="first post")
    assert held.status == "pending"
    assert moderation_queue(teacher, group)[0].annotation.id == held.id
    moderate_annotation(teacher, held, "approve")
    db.session.commit()
    second = make.groups.group_note(peer, article, group, body="second post")
    assert (held.status, second.status) == ("visible", "visible")


def test_a_suspended_member_cannot_post_until_the_suspension_is_lifted(klass) -> None:
    teacher, student, _, article, group, _ = klass
    suspend_member(teacher, group, student, utcnow() + timedelta(days=2), "cool off")
    db.session.commit()
    with pytest.raises(Forbidden, match="suspended"):
        post_annotation(
            student, article, NewAnnotation("p2", "comment", "x", group_slug=group.slug)
        )
    unsuspend_member(teacher, group, student)
    db.session.commit()
    post_annotation(student, article, NewAnnotation("p2", "comment", "x", group_slug=group.slug))


def test_a_moderators_delete_is_a_logged_reversible_action_not_a_destruction(klass) -> None:
    teacher, _, _, _, group, note = klass
    delete_annotation(teacher, note)
    db.session.commit()
    assert note.status == "deleted"
    assert note.body == "a bold claim"
    assert moderation_log(teacher, group)[0].action == "delete"


def test_an_authors_own_delete_cannot_be_restored_by_a_moderator(klass) -> None:
    teacher, student, _, _, _, note = klass
    delete_annotation(student, note)
    db.session.commit()
    with pytest.raises(Conflict, match="author"):
        moderate_annotation(teacher, note, "restore")


def test_locking_a_thread_refuses_replies_anywhere_below_it(klass, make) -> None:
    teacher, student, peer, article, group, note = klass
    reply = make.groups.group_note(peer, article, group, parent=note)
    moderate_annotation(teacher, note, "lock")
    db.session.commit()
    with pytest.raises(Conflict, match="locked"):
        post_annotation(student, article, NewAnnotation("p2", "comment", "x", parent_id=reply.id))


def test_feedback_is_seen_by_its_author_and_instructors_only(klass) -> None:
    teacher, student, peer, _, _, note = klass
    give_feedback(teacher, note, "Cite a source next time.")
    db.session.commit()
    assert [f.body for f in list_feedback(student, note)] == ["Cite a source next time."]
    assert list_feedback(teacher, note)
    with pytest.raises(Forbidden):  # fc98f7c: a member who is neither is refused, not shown []
        list_feedback(peer, note)
    with pytest.raises(Forbidden):
        give_feedback(peer, note, "me too")


def test_the_action_table_covers_every_action_and_each_inverse_leads_back() -> None:
    from app.models import AnnotationStatus
    from app.services.moderation import ACTIONS, INVERSES, AnnotationAction

    assert list(ACTIONS) == list(AnnotationAction)
    for action, rule in ACTIONS.items():
        assert set(rule.applies_to) <= set(AnnotationStatus), action
        assert all((rule.applies_to, rule.label, rule.done, rule.logged)), action
        assert not (rule.sets and rule.toggles), action
        if rule.inverse is not None:
            undo = ACTIONS[rule.inverse]
            assert INVERSES[action] == rule.inverse
            # The inverse applies to what the action leaves behind.
            left = rule.sets or rule.applies_to[0]
            assert left in undo.applies_to, action


def test_an_unknown_action_is_a_validation_error_naming_the_choices(klass) -> None:
    teacher, *_, note = klass
    with pytest.raises(ValidationFailed) as caught:
        moderate_annotation(teacher, note, "vanish")
    assert "unhide" in caught.value.fields["action"]
