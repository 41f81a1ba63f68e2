"""Discussion versions: every write a page shows raises its article's version, once a
transaction, including the writes that bypass the unit of work (app/services/versions.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Article
from app.services.annotations import NewAnnotation, edit_annotation, post_annotation
from app.services.helpful import mark_helpful, unmark_helpful
from app.services.threads import adjust_reply_count


def _version(article_id: int) -> int:
    """The version as the database holds it in this transaction (not the loaded attribute)."""
    return int(
        db.session.scalar(select(Article.discussion_version).where(Article.id == article_id))
    )


def test_the_core_reply_count_update_raises_the_version_itself(make: Any) -> None:
    author, article = make.user(), make.article()
    root = make.annotation(author, article)
    reply = make.annotation(author, article, parent=root)
    db.session.commit()
    before = _version(article.id)
    adjust_reply_count(reply, -1)
    assert _version(article.id) == before + 1
    db.session.commit()
    db.session.refresh(root)
    assert root.reply_count == 0


def test_helpful_marks_raise_the_version_themselves(make: Any) -> None:
    author, reader, article = make.user(), make.user(), make.article()
    note = make.annotation(author, article)
    db.session.commit()
    before = _version(article.id)
    assert mark_helpful(reader, note)
    assert _version(article.id) == before + 1
    db.session.commit()
    assert unmark_helpful(reader, note)
    assert _version(article.id) == before + 2


def test_many_flushes_of_one_transaction_raise_the_version_once(make: Any) -> None:
    author, article = make.user(), make.article()
    root = make.annotation(author, article)
    db.session.commit()
    before = _version(article.id)
    reply = post_annotation(author, article, NewAnnotation("p2", "comment", "yes", root.id))
    edit_annotation(author, reply, body="yes, and")  # another flush, same transaction
    adjust_reply_count(reply, 0)
    assert _version(article.id) == before + 1
    db.session.commit()
    edit_annotation(author, reply, body="a new transaction")
    assert _version(article.id) == before + 2
