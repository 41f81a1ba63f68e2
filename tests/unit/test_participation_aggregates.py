"""Participation counted by the database (GROUP BY, stored word counts) gives exactly what
reading every note and counting in Python gives, on a discussion with every kind of case."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text, update

from app.extensions import db
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    Block,
    Group,
    HelpfulMark,
    Membership,
    MembershipStatus,
    Reading,
    User,
)
from app.services import insight
from app.services.annotations import NewAnnotation, post_annotation

DUE = date(2030, 3, 10)
BODIES = (
    "Plain words here.",
    "  Leading and trailing spaces  ",
    "Tabs\tand\nnew lines\r\nand  double  spaces",
    "No\u00a0break\u2003em\u2009thin\u3000ideographic spaces",
    "Émigré naïve café — dashes – and emoji 🙂 count",
    "**Markdown** _is_ [counted](https://example.org) as written",
    "one",
)


@dataclass
class Expected:
    counts: Counter[str]
    words: int = 0
    replies_given: int = 0
    replies_received: int = 0
    helpful_received: int = 0
    first: datetime | None = None
    last: datetime | None = None
    on_time: bool | None = None


_seq = itertools.count()


def _note(author, article, group, kind="comment", parent=None, when=None):  # type: ignore[no-untyped-def]
    """A note through the real service; group None: a private note. Every note gets a time
    (by default a spread of days after the due date) so the day chart spans weeks, not years."""
    n = next(_seq)
    anchor = db.session.get(Block, parent.block_id).anchor if parent else ("p2", "p3", "p4")[n % 3]
    note = post_annotation(
        author,
        article,
        NewAnnotation(
            anchor=anchor,
            kind=kind,
            body=BODIES[n % len(BODIES)],
            parent_id=parent.id if parent else None,
            group_slug=group.slug if group is not None and parent is None else None,
            private=group is None and parent is None,
        ),
    )
    when = when or datetime(2030, 3, 12, 12, tzinfo=UTC) + timedelta(days=n % 9, minutes=n)
    db.session.execute(update(Annotation).where(Annotation.id == note.id).values(created_at=when))
    db.session.commit()
    return note


@pytest.fixture
def discussion(make):  # type: ignore[no-untyped-def]
    teacher = make.user("teacher", role="instructor")
    ann, bob, cat, dan, eve = (make.user(n) for n in ("ann", "bob", "cat", "dan", "eve"))
    first, second, unread = make.article(), make.article(), make.article()
    group = make.groups.group(teacher, "Seminar", (first, second))
    other = make.groups.group(teacher, "Other seminar", (first,))
    for member in (ann, bob, cat, dan):
        make.groups.join(member, group)
    make.groups.join(ann, other)
    db.session.execute(update(Reading).where(Reading.article_id == first.id).values(due_on=DUE))
    end = datetime.combine(DUE + timedelta(days=1), time.min, tzinfo=UTC)

    q = _note(ann, first, group, "question", when=end - timedelta(seconds=1))  # just in time
    a = _note(bob, first, group, parent=q, when=end)  # a second late
    _note(ann, first, group, parent=a, when=end + timedelta(hours=23, minutes=59))
    _note(ann, first, group, parent=q)  # replying to herself: given, not received
    c = _note(cat, first, group, "counterargument", when=end - timedelta(days=3, hours=1))
    _note(bob, first, group, "support", parent=c, when=end + timedelta(days=2))
    _note(teacher, first, group, "comment", parent=c)
    _note(bob, second, group, "support", when=datetime(2030, 1, 1, 0, 0, tzinfo=UTC))
    _note(ann, second, group, "counterargument", when=datetime(2029, 12, 31, 23, 59, tzinfo=UTC))
    gone = _note(dan, first, group, "comment")  # dan leaves: his notes stay, not his row
    _note(ann, first, group, parent=gone)
    # None of these count: held, hidden, deleted, private, public, another group's notes.
    held, hidden, deleted = (_note(cat, first, group, "question") for _ in range(3))
    _note(bob, first, group, parent=hidden)  # counts: the reply is visible
    for note, status in ((held, "pending"), (hidden, "hidden"), (deleted, "deleted")):
        db.session.execute(update(Annotation).where(Annotation.id == note.id).values(status=status))
    _note(ann, first, None, "comment")  # private
    post_annotation(ann, first, NewAnnotation("p2", "comment", "Public words."))
    elsewhere = _note(ann, first, other, "question")
    _note(eve, unread, None)
    marks = [(q, bob), (q, teacher), (q, ann), (c, ann), (a, cat), (gone, ann), (elsewhere, bob),
             (hidden, ann)]  # fmt: skip
    db.session.add_all(HelpfulMark(annotation_id=n.id, user_id=u.id) for n, u in marks)
    db.session.execute(
        update(Membership)
        .where(Membership.user_id == dan.id, Membership.group_id == group.id)
        .values(status=MembershipStatus.LEFT)
    )
    db.session.commit()
    return SimpleNamespace(group=group, first=first, second=second)


def _reference(
    group: Group, reading: Reading | None
) -> tuple[dict[str, Expected], Counter[date], Counter[int]]:
    """The plain Python path: read every note, keep the counted ones, count."""
    notes = {n.id: n for n in db.session.scalars(select(Annotation))}
    counted = [
        n
        for n in notes.values()
        if n.group_id == group.id
        and n.status == AnnotationStatus.VISIBLE
        and (reading is None or n.article_id == reading.article_id)
    ]
    members = dict(
        db.session.execute(
            select(Membership.user_id, User.username)
            .join(User, User.id == Membership.user_id)
            .where(Membership.group_id == group.id, Membership.status == MembershipStatus.ACTIVE)
        ).all()
    )
    rows = {uid: Expected(Counter()) for uid in members}
    due = reading.due_on if reading is not None else None
    if due is not None:
        for row in rows.values():
            row.on_time = False
    for n in counted:
        parent = notes.get(n.parent_id) if n.parent_id else None
        if parent is not None and parent.author_id != n.author_id and parent.author_id in rows:
            rows[parent.author_id].replies_received += 1
        row = rows.get(n.author_id)
        if row is None:
            continue
        row.counts[n.kind] += 1
        row.words += len(n.body.split())
        row.replies_given += n.parent_id is not None
        row.first = n.created_at if row.first is None else min(row.first, n.created_at)
        row.last = n.created_at if row.last is None else max(row.last, n.created_at)
        if due is not None and n.created_at < datetime.combine(
            due + timedelta(days=1), time.min, tzinfo=UTC
        ):
            row.on_time = True
    ids = {n.id: n.author_id for n in counted}
    for mark in db.session.scalars(select(HelpfulMark)):
        author = ids.get(mark.annotation_id)
        if author is not None and author != mark.user_id and author in rows:
            rows[author].helpful_received += 1
    days = Counter(n.created_at.astimezone(UTC).date() for n in counted)
    blocks = Counter(n.block_id for n in counted)
    return {members[uid]: row for uid, row in rows.items()}, days, blocks


@pytest.mark.parametrize("which", ["all", "first", "second"])
def test_the_database_counts_exactly_what_python_counts(discussion, which: str) -> None:  # type: ignore[no-untyped-def]
    group = discussion.group
    reading = None
    if which != "all":
        reading = insight.get_reading(group, getattr(discussion, which).slug)
    db.session.expire_all()
    if db.session.get_bind().dialect.name == "postgresql":
        # Days are UTC days whatever the connection's time zone (UTC+14: a different date).
        db.session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
    expected, days, blocks = _reference(group, reading)
    report = insight.participation(group, reading)

    got = {m.user.username: m for m in report.members}
    assert set(got) == set(expected) == {"teacher", "ann", "bob", "cat"}
    for name, want in expected.items():
        row = got[name]
        assert {k: v for k, v in row.counts.items() if v} == dict(want.counts), name
        assert set(row.counts) >= set(AnnotationKind), name
        assert (row.words, row.replies_given, row.replies_received, row.helpful_received) == (
            want.words,
            want.replies_given,
            want.replies_received,
            want.helpful_received,
        ), name
        assert (row.first, row.last, row.on_time) == (want.first, want.last, want.on_time), name
    assert {d: n for d, n in report.per_day if n} == dict(days)
    assert report.per_day[0][0] == min(days)
    assert report.per_day[-1][0] == max(days)
    assert report.per_block == (dict(blocks) if reading is not None else {})  # a reading only
    if reading is not None:
        assert [b.position for b in report.blocks] == sorted(b.position for b in report.blocks)
        assert {b.article_id for b in report.blocks} == {reading.article_id}
    # The case the fixture is there for: someone counted, someone on time, someone late.
    if which == "first":
        assert (got["ann"].on_time, got["bob"].on_time, got["cat"].on_time) == (True, False, True)
        assert got["ann"].helpful_received == 2  # bob's and the teacher's marks; not her own
        assert got["cat"].replies_received == 3  # bob's, the teacher's; bob's to her hidden note
