"""Per-article discussion versions: raised in the same transaction as every write a page shows.

The article pages' HTTP validators and their cache of rendered fragments are keyed on
`articles.discussion_version`, so nothing may change what a page shows without raising it.
Services could each remember to; instead one session hook sees every flushed change to an
annotation, a block, an article, or an author's display name, and raises the version of each
article concerned before the transaction commits (once: later flushes of the same
transaction find it raised).

A write that bypasses the unit of work (Core INSERT/UPDATE/DELETE, an ORM bulk statement, an
attribute set to an SQL expression) is not seen by the hook. Those that change what a page
shows raise the version themselves, each with a test in tests/unit/test_versions.py:
- `threads.adjust_reply_count`: a parent's reply count (`SET n = n + 1`);
- `helpful.mark_helpful` / `unmark_helpful`: the helpful_marks row (INSERT ... ON CONFLICT,
  DELETE) and the note's count, set to an SQL expression.
The other Core writes change nothing an article page shows: flags closed and a member's
approved-post count by `moderation` (always with a flushed annotation change when the page
changes), notifications marked read, sessions, tokens, sign-in backoff; and the benchmark's
seeder, which runs before serving. Posting is an ORM add + flush: the hook sees it; the
new thread's own `root_id`, set right after by primary key (`annotations._root_itself`), is
written in the same transaction as that flush, whose bump already covers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.models import Annotation, Article, Block, User

_articles = Article.__table__
_PENDING = "cp_bump_articles"  # session.info keys: what the flush changed, for after it
_AUTHORS = "cp_bump_authors"
_BUMPED = "cp_bumped"  # articles already raised in the current transaction
_RAISED = {
    # Named here so the column's onupdate leaves it alone: the article itself is unchanged.
    "discussion_version": _articles.c.discussion_version + 1,
    "updated_at": _articles.c.updated_at,
}
_BUMP = (
    update(_articles).where(_articles.c.id.in_(bindparam("ids", expanding=True))).values(_RAISED)
)
# Nearly every write touches one article: `id = ?` skips expanding the IN list each time
# (posting runs it with the write lock held, so its cost is paid by every waiting writer).
_BUMP_ONE = update(_articles).where(_articles.c.id == bindparam("article")).values(_RAISED)


def bump_discussion(session: Session, article_ids: Iterable[int]) -> None:
    """Raise the discussion version of each article, in the session's transaction.

    `v = v + 1` in SQL, never read-modify-write: concurrent writers cannot lose a bump. Once
    per article per transaction is enough (no one sees the new version before the commit,
    which also shows every later change), so later flushes of the same transaction skip it.
    """
    bumped: set[int] = session.info.setdefault(_BUMPED, set())
    ids = sorted({i for i in article_ids if i is not None} - bumped)
    if not ids:
        return
    bumped.update(ids)
    if len(ids) == 1:
        session.connection().execute(_BUMP_ONE, {"article": ids[0]})
    else:
        session.connection().execute(_BUMP, {"ids": ids})
    _forget_loaded_versions(session, ids)


def _bump_for_authors(session: Session, user_ids: set[int]) -> None:
    """A new display name shows on every article its owner has written on."""
    written_on = select(Annotation.article_id).where(Annotation.author_id.in_(user_ids))
    ids = session.connection().execute(written_on.distinct()).scalars()
    bump_discussion(session, ids)


def _forget_loaded_versions(session: Session, ids: list[int]) -> None:
    """Articles already loaded in this session must not keep showing the old version."""
    for article_id in ids:
        loaded = session.identity_map.get(identity_key(Article, article_id))
        if loaded is not None and "discussion_version" in inspect(loaded).dict:
            session.expire(loaded, ["discussion_version"])


def _changed(session: Session, obj: Any) -> bool:
    return obj in session.new or obj in session.deleted or session.is_modified(obj)


def _collect(session: Session, _context: Any) -> None:
    """after_flush: note the articles the flush touched (the states still say what changed)."""
    articles: set[int] = session.info.setdefault(_PENDING, set())
    authors: set[int] = session.info.setdefault(_AUTHORS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Annotation | Block):
            if _changed(session, obj):
                articles.add(obj.article_id)
        elif isinstance(obj, Article):
            if obj not in session.new and _changed(session, obj):
                articles.add(obj.id)
        elif (
            isinstance(obj, User)
            and obj not in session.new
            and inspect(obj).attrs.display_name.history.has_changes()
        ):
            authors.add(obj.id)


def _apply(session: Session, _context: Any) -> None:
    """after_flush_postexec: raise the versions, still inside the flush's transaction."""
    articles: set[int] = session.info.pop(_PENDING, set())
    authors: set[int] = session.info.pop(_AUTHORS, set())
    if authors:
        _bump_for_authors(session, authors)
    if articles:
        bump_discussion(session, articles)


def _transaction_ended(session: Session, transaction: Any) -> None:
    # Savepoints too: a rolled-back savepoint takes its bump with it, so the next change
    # must bump again. Not the subtransaction each flush opens: the bump is still pending in
    # the enclosing transaction, and a second flush of it must not raise the version again.
    if transaction.nested or transaction.parent is None:
        session.info.pop(_BUMPED, None)


def watch(session_class: Any) -> None:
    """Install the hook on a session class (idempotent): create_app calls it once."""
    if not event.contains(session_class, "after_flush", _collect):
        event.listen(session_class, "after_flush", _collect)
        event.listen(session_class, "after_flush_postexec", _apply)
        event.listen(session_class, "after_transaction_end", _transaction_ended)
