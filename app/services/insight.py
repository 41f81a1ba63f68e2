"""Class insight for instructors: participation, where the class is stuck, one member's work.

Everything here reads one group's discussion as its instructors see it: the group's visible
annotations (held, hidden and deleted ones earn nothing and are counted nowhere). Each report
runs a fixed number of statements, whatever the size of the class.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, case, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, contains_eager
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app import permissions
from app.extensions import db
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    Article,
    Block,
    Feedback,
    Flag,
    Group,
    GroupRole,
    HelpfulMark,
    Membership,
    MembershipStatus,
    Reading,
    User,
)
from app.services.reading import in_scope

STUCK_LIMIT = 10
KINDS = tuple(AnnotationKind)  # iterating the enum class itself is slow, 300 times a page
UNANSWERED_KINDS = (AnnotationKind.QUESTION, AnnotationKind.COUNTERARGUMENT)


@dataclass
class MemberActivity:
    """One member's participation (the gradebook's row)."""

    user: User
    role: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    replies_given: int = 0
    replies_received: int = 0
    words: int = 0
    helpful_received: int = 0
    first: datetime | None = None
    last: datetime | None = None
    # Posted on the reading by the end of its due day (None: no reading or no due date).
    on_time: bool | None = None

    @property
    def notes(self) -> int:
        return sum(self.counts.values())


@dataclass
class Participation:
    group: Group
    reading: Reading | None  # None: the whole group, every article
    members: list[MemberActivity]
    per_day: list[tuple[date, int]]  # notes written each day, first to last (gaps filled)
    per_block: dict[int, int]  # block id → notes (a reading only)
    blocks: list[Block]  # the reading's blocks in order (a reading only)

    @property
    def due(self) -> date | None:
        return self.reading.due_on if self.reading is not None else None


def counted_in(group: Group) -> ColumnElement[bool]:
    """The group's annotations that count: visible ones, as every member sees them."""
    return and_(Annotation.group_id == group.id, Annotation.status == AnnotationStatus.VISIBLE)


def _members(group: Group) -> list[tuple[User, str]]:
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group.id, Membership.status == MembershipStatus.ACTIVE)
        .order_by(
            case((Membership.role == GroupRole.INSTRUCTOR, 1), else_=0),
            func.lower(User.display_name),
            User.id,
        )
    )
    return [(user, role) for user, role in rows]


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


class utc_day(FunctionElement[date]):
    """The UTC calendar day of a UTCDateTime column, as a date, on either database."""

    type = Date()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UTC text ('2026-11-30 07:49:18.000000'): its date part is the day.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    # timestamptz: the day in UTC, whatever the session's time zone.
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC') AS DATE)"


def participation(group: Group, reading: Reading | None = None) -> Participation:
    """Per member: notes by kind, words, replies given and received, helpful marks received,
    first and last activity, and (for a reading with a due date) whether they posted in time.
    Everything is counted by the database (GROUP BY, words from annotations.word_count): four
    statements for the whole group, five for a reading, for any class size or discussion."""
    scope = counted_in(group)
    if reading is not None:
        scope = and_(scope, Annotation.article_id == reading.article_id)
    members = {user.id: MemberActivity(user, role) for user, role in _members(group)}
    _add_written(members, scope)
    _add_received(members, scope)
    if reading is not None and reading.due_on is not None:
        end = _end_of(reading.due_on)
        for row in members.values():  # posted by the end of the due day: their first note was
            row.on_time = row.first is not None and row.first < end
    days = db.session.execute(
        select(utc_day(Annotation.created_at).label("day"), func.count())
        .where(scope)
        .group_by("day")
    )
    blocks, per_block = _blocks(reading.article_id, scope) if reading is not None else ([], {})
    return Participation(
        group,
        reading,
        list(members.values()),
        _fill_days(Counter({day: int(n) for day, n in days})),
        per_block,
        blocks,
    )


def _add_written(members: dict[int, MemberActivity], scope: ColumnElement[bool]) -> None:
    """Each member's notes by kind, words, replies given, first and last note (one statement,
    a row per author in the activity index's order). A former member's notes stay in the
    discussion, not in the grades."""
    per_kind = [func.sum(case((Annotation.kind == kind, 1), else_=0)) for kind in KINDS]
    rows = db.session.execute(
        select(
            Annotation.author_id,
            func.coalesce(func.sum(Annotation.word_count), 0),
            func.count(Annotation.parent_id),
            func.min(Annotation.created_at),
            func.max(Annotation.created_at),
            *per_kind,
        )
        .where(scope)
        .group_by(Annotation.author_id)
    )
    for author_id, words, replies, first, last, *counts in rows:
        row = members.get(author_id)
        if row is None:
            continue
        row.counts = {kind: int(n) for kind, n in zip(KINDS, counts, strict=True)}
        row.words, row.replies_given = int(words), int(replies)
        row.first, row.last = first, last


def _add_received(members: dict[int, MemberActivity], scope: ColumnElement[bool]) -> None:
    """Replies by others to each member's notes, and helpful marks on them (one statement)."""
    parent = aliased(Annotation)
    replies = (
        select(literal("replies").label("what"), parent.author_id, func.count())
        .select_from(Annotation)
        .join(parent, parent.id == Annotation.parent_id)
        .where(scope, Annotation.author_id != parent.author_id)
        .group_by(parent.author_id)
    )
    marks = (
        select(literal("helpful").label("what"), Annotation.author_id, func.count())
        .select_from(HelpfulMark)
        .join(Annotation, Annotation.id == HelpfulMark.annotation_id)
        .where(scope, HelpfulMark.user_id != Annotation.author_id)
        .group_by(Annotation.author_id)
    )
    for what, author_id, n in db.session.execute(union_all(replies, marks)):
        row = members.get(author_id)
        if row is None:
            continue
        if what == "replies":
            row.replies_received = int(n)
        else:
            row.helpful_received = int(n)


def _blocks(article_id: int, scope: ColumnElement[bool]) -> tuple[list[Block], dict[int, int]]:
    """The article's blocks in order, and the notes on each that has any (one statement). The
    notes are counted per block first: joined block by block, SQLite would scan the group's
    index once per block."""
    counted = (
        select(Annotation.block_id, func.count().label("n"))
        .where(scope)
        .group_by(Annotation.block_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Block, counted.c.n)
        .outerjoin(counted, counted.c.block_id == Block.id)
        .where(Block.article_id == article_id)
        .order_by(Block.position)
    )
    blocks, per_block = [], {}
    for block, n in rows:
        blocks.append(block)
        if n:
            per_block[block.id] = int(n)
    return blocks, per_block


def _fill_days(days: Counter[date]) -> list[tuple[date, int]]:
    if not days:
        return []
    first, last = min(days), max(days)
    span = min((last - first).days, 365)  # a year at most: the chart stays readable
    start = last - timedelta(days=span)
    return [(start + timedelta(days=n), days[start + timedelta(days=n)]) for n in range(span + 1)]


def get_reading(group: Group, article_slug: str) -> Reading | None:
    """The group's reading of this article, with the article loaded; None if not assigned."""
    return db.session.scalar(
        select(Reading)
        .join(Reading.article)
        .options(contains_eager(Reading.article))
        .where(Reading.group_id == group.id, Article.slug == article_slug)
    )


def list_readings(group: Group) -> list[Reading]:
    return list(
        db.session.scalars(
            select(Reading)
            .join(Reading.article)
            .options(contains_eager(Reading.article))
            .where(Reading.group_id == group.id)
            .order_by(Reading.due_on.is_(None), Reading.due_on, Reading.id)
        )
    )


# --- where the class is stuck ---------------------------------------------------------------


@dataclass(frozen=True)
class StuckBlock:
    article: Article
    block: Block
    questions: int
    counterarguments: int

    @property
    def total(self) -> int:
        return self.questions + self.counterarguments


@dataclass(frozen=True)
class FlaggedThread:
    root: Annotation
    flags: int


@dataclass(frozen=True)
class Silent:
    reading: Reading
    members: list[User]


@dataclass(frozen=True)
class Stuck:
    blocks: list[StuckBlock]
    flagged: list[FlaggedThread]
    silent: list[Silent]


def where_stuck(
    group: Group,
    readings: list[Reading] | None = None,
    members: list[MemberActivity] | None = None,
) -> Stuck:
    """The paragraphs with the most unanswered questions and counterarguments, the most-flagged
    threads, and the members who have not posted on each assigned reading (five statements;
    three when the caller passes the group's readings and its participation rows)."""
    if readings is None:
        readings = list_readings(group)
    if members is None:
        members = [MemberActivity(user, role) for user, role in _members(group)]
    students = [m.user for m in members if m.role == GroupRole.MEMBER]
    return Stuck(_unanswered(group), _flagged(group), _silent(group, readings, students))


def _unanswered(group: Group) -> list[StuckBlock]:
    """Counted per block first, from the group activity index alone; only the top blocks are
    joined to their block and article."""
    questions = func.sum(case((Annotation.kind == AnnotationKind.QUESTION, 1), else_=0))
    counters = func.sum(case((Annotation.kind == AnnotationKind.COUNTERARGUMENT, 1), else_=0))
    top = (
        select(
            Annotation.block_id,
            questions.label("questions"),
            counters.label("counters"),
            func.count().label("n"),
        )
        .where(
            counted_in(group),
            Annotation.parent_id.is_(None),
            Annotation.reply_count == 0,
            Annotation.kind.in_(UNANSWERED_KINDS),
        )
        .group_by(Annotation.block_id)
        .order_by(func.count().desc(), Annotation.block_id)
        .limit(STUCK_LIMIT)
        .subquery()
    )
    rows = db.session.execute(
        select(Article, Block, top.c.questions, top.c.counters)
        .select_from(top)
        .join(Block, Block.id == top.c.block_id)
        .join(Article, Article.id == Block.article_id)
        .order_by(top.c.n.desc(), Block.id)
    )
    return [StuckBlock(a, b, int(q), int(c)) for a, b, q, c in rows]


def _flagged(group: Group) -> list[FlaggedThread]:
    root = aliased(Annotation)
    flags = (
        select(Annotation.root_id.label("root_id"), func.count(Flag.id).label("n"))
        .join(Flag, Flag.annotation_id == Annotation.id)
        .where(Annotation.group_id == group.id, Flag.resolved_at.is_(None))
        .group_by(Annotation.root_id)
        .subquery()
    )
    rows = db.session.execute(
        select(root, flags.c.n)
        .join(flags, flags.c.root_id == root.id)
        .join(root.author)
        .join(root.article)
        .join(root.block)
        .options(
            contains_eager(root.author), contains_eager(root.article), contains_eager(root.block)
        )
        .order_by(flags.c.n.desc(), root.id)
        .limit(STUCK_LIMIT)
    )
    return [FlaggedThread(r, int(n)) for r, n in rows]


def _silent(group: Group, readings: list[Reading], students: list[User]) -> list[Silent]:
    """Per reading, the members with no visible note on it. Who posted where is one grouped
    query; the difference is taken here (a correlated NOT EXISTS per member and reading costs
    seconds on a large class)."""
    rows = db.session.execute(
        select(Annotation.author_id, Annotation.article_id)
        .where(counted_in(group))
        .group_by(Annotation.author_id, Annotation.article_id)  # the activity index's order
    )
    posted = {(article_id, author_id) for author_id, article_id in rows}
    return [
        Silent(r, [u for u in students if (r.article_id, u.id) not in posted]) for r in readings
    ]


# --- one member's work ----------------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    member: User
    annotations: list[Annotation]  # oldest first, with article, block and parent loaded
    feedback: dict[int, list[Feedback]]  # annotation id → the instructors' notes on it


def member_work(group: Group, member: User) -> Work:
    """All of a member's annotations in the group (any status but deleted: their instructor
    moderates them), in context, with the feedback given on each (two statements)."""
    parent = aliased(Annotation)
    notes = list(
        db.session.scalars(
            select(Annotation)
            .join(Annotation.author)
            .join(Annotation.article)
            .join(Annotation.block)
            .outerjoin(parent, Annotation.parent)
            .options(
                contains_eager(Annotation.author),
                contains_eager(Annotation.article),
                contains_eager(Annotation.block),
                contains_eager(Annotation.parent.of_type(parent)),
            )
            .where(
                Annotation.group_id == group.id,
                Annotation.author_id == member.id,
                Annotation.status != AnnotationStatus.DELETED,
            )
            .order_by(Annotation.created_at, Annotation.id)
        )
    )
    given: dict[int, list[Feedback]] = defaultdict(list)
    if notes:
        rows = db.session.scalars(
            select(Feedback)
            .join(Feedback.author)
            .options(contains_eager(Feedback.author))
            .where(Feedback.annotation_id.in_([n.id for n in notes]))
            .order_by(Feedback.created_at, Feedback.id)
        )
        for item in rows:
            given[item.annotation_id].append(item)
    return Work(member, notes, dict(given))


def group_member(group: Group, username: str) -> User | None:
    """An active member of the group by username (None for anyone else)."""
    return db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.group_id == group.id,
            Membership.status == MembershipStatus.ACTIVE,
            User.username == username,
        )
    )


# --- the printable article ------------------------------------------------------------------


@dataclass(frozen=True)
class Footnote:
    number: int
    note: Annotation  # author loaded
    parent_number: int | None  # the footnote it replies to


@dataclass(frozen=True)
class Printable:
    footnotes: list[Footnote]
    by_block: dict[int, list[int]]  # block id → the numbers of its notes, for the marks


def printable_notes(user: object, article: Article, group: Group | None) -> Printable:
    """The discussion `user` reads on the article, numbered in reading order (each thread's
    replies after it): footnotes for the printed page. Only bodies the reader sees in full."""
    notes = db.session.scalars(
        select(Annotation)
        .join(Annotation.author)
        .join(Block, Block.id == Annotation.block_id)
        .options(contains_eager(Annotation.author))
        .where(
            Annotation.article_id == article.id,
            in_scope(group),
            permissions.counted_annotations(user),
        )
        .order_by(Block.position, Annotation.root_id, Annotation.created_at, Annotation.id)
    )
    numbers: dict[int, int] = {}
    footnotes: list[Footnote] = []
    by_block: dict[int, list[int]] = defaultdict(list)
    for note in notes:
        if note.parent_id is not None and note.parent_id not in numbers:
            continue  # its parent is not printed (hidden): a reply to nothing reads oddly
        number = len(footnotes) + 1
        numbers[note.id] = number
        footnotes.append(Footnote(number, note, numbers.get(note.parent_id or 0)))
        if note.parent_id is None:
            by_block[note.block_id].append(number)
    return Printable(footnotes, dict(by_block))
