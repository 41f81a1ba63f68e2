"""The cast for the authorization table: one article, two groups, and every kind of actor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, Article, Group, Notification, User
from app.models.base import utcnow
from app.services.annotations import NewAnnotation, post_annotation
from app.services.feedback import give_feedback
from app.services.moderation import suspend_member
from app.services.tokens import issue_token
from tests.factories import Factories

ACTORS = (
    "anonymous",
    "member",  # in the group, not the author
    "author",  # in the group, wrote the target annotation
    "other_member",  # member of another group
    "instructor",  # teaches the group
    "other_instructor",  # teaches another group
    "admin",
    "suspended",  # in the group, suspended from posting
)


@dataclass
class World:
    article: Article
    group: Group
    other_group: Group
    note: Annotation  # a group annotation by "author"
    log_entry_id: int = 0  # the instructor's suspension of "suspended"
    notification_id: int = 0  # "author" is told of the instructor's feedback
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def build_world() -> World:
    make = Factories
    users = {
        "member": make.user("member"),
        "author": make.user("author"),
        "other_member": make.user("othermember"),
        "instructor": make.user("instructor", role="instructor"),
        "other_instructor": make.user("otherinstructor", role="instructor"),
        "admin": make.user("admin", role="admin"),
        "suspended": make.user("suspended"),
        "pupil": make.user("pupil"),  # the subject of member-management calls
    }
    article = make.article("essay")
    group = make.groups.group(users["instructor"], "Seminar", articles=(article,))
    other = make.groups.group(users["other_instructor"], "Other seminar", articles=(article,))
    for name in ("member", "author", "suspended", "pupil"):
        make.groups.join(users[name], group)
    make.groups.join(users["other_member"], other)
    note = post_annotation(
        users["author"],
        article,
        NewAnnotation("p2", "comment", "Group note.", group_slug=group.slug),
    )
    entry = suspend_member(
        users["instructor"], group, users["suspended"], utcnow() + timedelta(days=3)
    )
    give_feedback(users["instructor"], note, "Cite a source.")
    db.session.flush()
    told = db.session.scalar(
        select(Notification.id).where(Notification.user_id == users["author"].id)
    )
    world = World(
        article=article, group=group, other_group=other, note=note, users=users,
        log_entry_id=entry.id, notification_id=told or 0,
    )  # fmt: skip
    for name, user in users.items():
        world.tokens[name] = issue_token(user)[0]
    db.session.commit()
    return world


def wipe_database() -> None:
    """Empty every table (the rows of one actor's write must not leak into the next)."""
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
