"""Builds test data through the real services, so tests see what users would create."""

from __future__ import annotations

import itertools
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, Article, Block, Group, Membership, User
from app.services.annotations import NewAnnotation, Quote, post_annotation
from app.services.groups import assign_reading, create_group, join_group
from app.services.users import create_user

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)

SAMPLE_BLOCKS = [
    ("heading", "A heading to argue about"),
    ("paragraph", "The first paragraph makes a claim that readers may dispute at length."),
    ("paragraph", "The second paragraph offers evidence, with numbers: 32% and 69%."),
    ("paragraph", "The third paragraph concludes, perhaps too quickly, that all is well."),
]


class Factories:
    """`make.user()`, `make.article()`, `make.annotation()`; group helpers under `make.groups`."""

    @staticmethod
    def user(username: str | None = None, role: str = "member", **kw: Any) -> User:
        name = username or f"user{next(_seq)}"
        user = create_user(name, kw.pop("password", PASSWORD), role=role, **kw)
        db.session.commit()
        return user

    @staticmethod
    def article(
        slug: str | None = None, blocks: list[tuple[str, str]] | None = None, **kw: Any
    ) -> Article:
        n = next(_seq)
        article = Article(
            slug=slug or f"article-{n}",
            title=kw.pop("title", f"Article {n}"),
            author=kw.pop("author", "A. Writer"),
            **kw,
        )
        db.session.add(article)
        db.session.flush()
        for position, (kind, text) in enumerate(blocks or SAMPLE_BLOCKS):
            db.session.add(
                Block(
                    article_id=article.id,
                    anchor=f"{'h' if kind == 'heading' else 'p'}{position + 1}",
                    position=position,
                    kind=kind,
                    level=2 if kind == "heading" else 0,
                    text=text,
                    html=text,
                )
            )
        db.session.commit()
        return article

    @staticmethod
    def annotation(
        author: User,
        article: Article,
        anchor: str = "p2",
        kind: str = "comment",
        body: str = "A thought.",
        parent: Annotation | None = None,
        quote: Quote | None = None,
    ) -> Annotation:
        annotation = post_annotation(
            author,
            article,
            NewAnnotation(
                anchor=anchor,
                kind=kind,
                body=body,
                parent_id=parent.id if parent else None,
                quote=quote,
            ),
        )
        db.session.commit()
        return annotation


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form."""
    response = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def session_id(user: User, remember: bool = False) -> str:
    """A login session id for `user` with a live session row, as signing in would store it
    (for tests that put a session cookie together themselves)."""
    from datetime import timedelta

    from app.services.user_sessions import start_session

    secret, _ = start_session(user, remember, timedelta(days=30), "pytest", "127.0.0.1")
    db.session.commit()
    return f"{user.id}:{user.session_token}:{secret}"


def device_session(user: User) -> int:
    """The row id of a new signed-in session of `user` (another device of theirs)."""
    from datetime import timedelta

    from app.services.user_sessions import start_session

    _, row = start_session(user, False, timedelta(days=30), "pytest", "127.0.0.1")
    db.session.commit()
    return row.id


class GroupFactories:
    """Groups built through the services: an instructor, members, readings."""

    @staticmethod
    def group(instructor: User, name: str = "Seminar", articles: tuple[Article, ...] = ()) -> Group:
        group = create_group(instructor, name)
        for article in articles:
            assign_reading(instructor, group, article)
        db.session.commit()
        return group

    @staticmethod
    def join(user: User, group: Group) -> Membership:
        join_group(user, group.join_code)
        db.session.commit()
        return db.session.scalars(
            select(Membership).where(Membership.user_id == user.id, Membership.group_id == group.id)
        ).one()

    @staticmethod
    def group_note(
        author: User, article: Article, group: Group, anchor: str = "p2", **kw: Any
    ) -> Annotation:
        parent = kw.pop("parent", None)
        note = post_annotation(
            author,
            article,
            NewAnnotation(
                anchor=anchor,
                kind=kw.pop("kind", "comment"),
                body=kw.pop("body", "For the group."),
                parent_id=parent.id if parent else None,
                group_slug=None if parent else group.slug,
            ),
        )
        db.session.commit()
        return note


Factories.groups = GroupFactories  # type: ignore[attr-defined]
