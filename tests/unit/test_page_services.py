"""Services the pages need: undo from the log, per-queue counts, the actions that apply now,
feedback for many notes at once, invite codes, removed members, opening a notification."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models.base import utcnow
from app.services import feedback, groups, moderation, notifications
from app.services.errors import Conflict, NotFound, ValidationFailed


@pytest.mark.parametrize(
    ("action", "attribute", "before"),
    [("hide", "status", "visible"), ("lock", "locked", False), ("pin", "pinned", False),
     ("delete", "status", "visible")],
)  # fmt: skip
def test_undo_applies_the_inverse_and_logs_it(klass, action, attribute, before) -> None:
    teacher, _, _, _, group, note = klass
    entry = moderation.moderate_annotation(teacher, note, action, reason="why")
    db.session.commit()
    done = moderation.undo_action(teacher, group, entry.id)
    db.session.commit()
    assert getattr(note, attribute) == before
    assert done is not None
    assert done.action == moderation.INVERSES[action]


def test_undo_lifts_a_suspension_and_restores_a_removed_member(klass) -> None:
    teacher, student, peer, _, group, _ = klass
    suspended = moderation.suspend_member(teacher, group, student, utcnow() + timedelta(days=2))
    groups.remove_member(teacher, group, peer.username, "spam")
    db.session.commit()
    removed = moderation.moderation_log(teacher, group)[0]
    assert removed.action == "remove_member"

    assert moderation.undo_action(teacher, group, suspended.id).action == "unsuspend"
    assert moderation.undo_action(teacher, group, removed.id) is None
    db.session.commit()
    assert groups.list_removed_members(group) == []
    assert [e.action for e in moderation.moderation_log(teacher, group)[:2]] == [
        "restore_member",
        "unsuspend",
    ]


def test_undo_refuses_what_has_no_inverse_or_no_longer_applies(klass) -> None:
    teacher, _, _, _, group, note = klass
    code = groups.regenerate_join_code(teacher, group)
    db.session.commit()
    assert code
    regenerated = moderation.moderation_log(teacher, group)[0]
    with pytest.raises(Conflict):
        moderation.undo_action(teacher, group, regenerated.id)
    hidden = moderation.moderate_annotation(teacher, note, "hide")
    moderation.moderate_annotation(teacher, note, "unhide")
    db.session.commit()
    with pytest.raises(Conflict):
        moderation.undo_action(teacher, group, hidden.id)
    with pytest.raises(NotFound):
        moderation.undo_action(teacher, group, 999_999)


def test_only_the_latest_entry_about_a_thing_offers_undo(klass) -> None:
    teacher, _, _, _, group, note = klass
    first = moderation.moderate_annotation(teacher, note, "hide")
    moderation.moderate_annotation(teacher, note, "unhide")
    again = moderation.moderate_annotation(teacher, note, "hide")
    locked = moderation.moderate_annotation(teacher, note, "lock")
    db.session.commit()
    log = moderation.moderation_log(teacher, group)
    assert moderation.undoable(log) == {again.id, locked.id}
    assert first.id not in moderation.undoable(log)


def test_queue_sizes_count_each_group_in_one_query(klass, make, count_queries) -> None:
    teacher, student, peer, article, group, note = klass
    other = make.groups.group(teacher, "Other", articles=(article,))
    make.groups.join(student, other)
    moderation.flag_annotation(peer, note, "spam")
    groups.set_premoderation(teacher, other, "all")
    db.session.commit()
    make.groups.group_note(student, article, other, body="held")
    moderation.queue_sizes(teacher)  # loads what a page has loaded
    with count_queries() as queries:
        sizes = moderation.queue_sizes(teacher)
    assert sizes == {group.slug: 1, other.slug: 1}
    assert len(queries) == 1
    assert moderation.queue_size(teacher) == 2
    assert moderation.queue_sizes(student) == {}


def test_applicable_actions_follow_the_state(klass) -> None:
    teacher, _, _, _, _, note = klass
    assert moderation.applicable_actions(note) == ["hide", "lock", "pin", "delete"]
    moderation.moderate_annotation(teacher, note, "hide")
    moderation.moderate_annotation(teacher, note, "lock")
    assert moderation.applicable_actions(note) == ["unhide", "unlock", "delete"]
    moderation.moderate_annotation(teacher, note, "delete")
    assert moderation.applicable_actions(note) == ["restore"]


def test_feedback_for_many_notes_is_one_query_and_only_what_the_viewer_may_read(
    klass, make, count_queries
) -> None:
    teacher, student, peer, article, group, note = klass
    other = make.groups.group_note(peer, article, group, body="another")
    public = make.annotation(student, article)
    feedback.give_feedback(teacher, note, "Nice.")
    feedback.give_feedback(teacher, other, "Say more.")
    db.session.commit()
    feedback.list_feedback_for(student, [note, other, public])  # loads what a page has loaded
    with count_queries() as queries:
        mine = feedback.list_feedback_for(student, [note, other, public])
    assert {k: [f.body for f in v] for k, v in mine.items()} == {note.id: ["Nice."]}
    assert len(queries) == 1
    assert set(feedback.list_feedback_for(teacher, [note, other])) == {note.id, other.id}
    with count_queries() as queries:
        assert feedback.list_feedback_for(student, [public]) == {}
    assert len(queries) == 0  # public notes take no feedback: nothing to ask


def test_an_invite_code_names_its_group_until_it_expires(klass) -> None:
    _, _, _, _, group, _ = klass
    assert groups.find_group_by_code(group.join_code.lower()) == group
    group.join_code_expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(ValidationFailed):
        groups.find_group_by_code(group.join_code)
    with pytest.raises(ValidationFailed):
        groups.find_group_by_code("NOPE2345")


def test_group_slugs_never_take_the_names_of_the_groups_pages(make) -> None:
    teacher = make.user(role="instructor")
    assert make.groups.group(teacher, "New").slug == "new-2"
    assert make.groups.group(teacher, "Join").slug == "join-2"


def test_opening_a_notification_marks_it_read_and_only_for_its_owner(klass) -> None:
    teacher, student, peer, _, _, note = klass
    moderation.moderate_annotation(teacher, note, "hide", reason="Off topic")
    db.session.commit()
    told = notifications.list_notifications(student)[0]
    with pytest.raises(NotFound):
        notifications.open_notification(peer, told.id)
    opened = notifications.open_notification(student, told.id)
    db.session.commit()
    assert opened.read_at is not None
    assert notifications.unread_count(student) == 0
