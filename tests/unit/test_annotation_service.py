"""The annotation service: what is accepted, what is refused, and what a reply inherits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, Article
from app.services import annotations as annotation_service
from app.services.annotations import (
    NewAnnotation,
    Quote,
    delete_annotation,
    edit_annotation,
    post_annotation,
)
from app.services.errors import Conflict, Forbidden, ValidationFailed


def test_post_stores_markdown_and_its_sanitised_rendering(make) -> None:
    author, article = make.user(), make.article()
    note = make.annotation(author, article, body="  *Not* so <script>x</script>  ")
    assert note.body == "*Not* so <script>x</script>"
    assert note.body_html.startswith("<p><em>Not</em> so &lt;script&gt;")
    assert note.root_id == note.id
    assert note.depth == 0


def test_reply_counts_on_its_parent_and_shares_its_thread(make) -> None:
    author, article = make.user(), make.article()
    root = make.annotation(author, article)
    reply = make.annotation(author, article, parent=root, kind="counterargument")
    db.session.refresh(root)
    assert root.reply_count == 1
    assert (reply.root_id, reply.depth) == (root.id, 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"body": "   "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"kind": "rant"}, "kind"),
        ({"anchor": "nowhere"}, "anchor"),
        ({"quote": Quote("words that are not there")}, "quote"),
        ({"parent_id": 999_999}, "parent"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_stored(
    make, change: dict, field: str
) -> None:
    author, article = make.user(), make.article()
    data = {"anchor": "p2", "kind": "comment", "body": "fine"} | change
    with pytest.raises(ValidationFailed) as caught:
        post_annotation(author, article, NewAnnotation(**data))
    assert field in caught.value.fields
    db.session.rollback()
    assert db.session.query(type(make.annotation(author, article))).count() == 1


def test_a_quote_must_occur_in_the_block_and_keeps_64_chars_of_context(make) -> None:
    author, article = make.user(), make.article()
    note = make.annotation(author, article, quote=Quote("a claim", "x" * 100, "y" * 100))
    assert note.quote == {"exact": "a claim", "prefix": "x" * 64, "suffix": "y" * 64}


def test_reply_from_another_block_is_refused(make) -> None:
    author, article = make.user(), make.article()
    root = make.annotation(author, article, anchor="p2")
    with pytest.raises(ValidationFailed, match="another paragraph"):
        post_annotation(author, article, NewAnnotation("p3", "comment", "hi", parent_id=root.id))


def test_locked_thread_refuses_replies_with_a_conflict(make) -> None:
    author, article = make.user(), make.article()
    root = make.annotation(author, article)
    reply = make.annotation(author, article, parent=root)
    root.locked = True
    db.session.commit()
    with pytest.raises(Conflict):
        post_annotation(author, article, NewAnnotation("p2", "comment", "hi", parent_id=reply.id))


def test_only_the_author_edits(make) -> None:
    author, other, article = make.user(), make.user(), make.article()
    note = make.annotation(author, article)
    with pytest.raises(Forbidden):
        edit_annotation(other, note, body="mine now")
    edit_annotation(author, note, body="**better**", kind="question")
    assert (note.kind, note.body_html) == ("question", "<p><strong>better</strong></p>")


def test_delete_keeps_the_row_and_its_replies(make) -> None:
    author, article = make.user(), make.article()
    root = make.annotation(author, article)
    make.annotation(author, article, parent=root)
    delete_annotation(author, root)
    db.session.commit()
    assert root.status == AnnotationStatus.DELETED
    assert root.reply_count == 1


def test_a_posted_annotation_is_complete_and_its_post_runs_few_statements(
    make, count_queries
) -> None:
    """Posting is one ORM add + flush: every column (defaults included) and relation of the
    new annotation is loaded for the caller, and the post is an INSERT, the root's UPDATE
    and one version bump, whatever the model gains."""
    from sqlalchemy import inspect

    author, article = make.user(), make.article()
    article_id = article.id
    with count_queries() as posting:
        note = post_annotation(author, article, NewAnnotation("p2", "comment", "A claim."))
    writes = [s.split()[0] for s in posting.statements if not s.startswith("SELECT")]
    assert writes == ["INSERT", "UPDATE", "UPDATE"]  # the note, its root, the article's version
    assert not inspect(note).unloaded
    with count_queries() as reading:
        assert (note.author, note.article.id, note.group) == (author, article_id, None)
        assert (note.helpful_count, note.is_answer, note.reply_count) == (0, False, 0)
    assert len(reading) == 0


def _plain_root(annotation: Annotation) -> None:
    """The plain path _root_itself stands in for: set the attribute and flush again."""
    annotation.root_id = annotation.id
    db.session.flush()


def test_a_threads_own_root_is_written_as_a_second_flush_would_write_it(
    make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """_root_itself (one UPDATE by id on the connection) leaves the row, the session and the
    article's version exactly as the plain path (`root_id = id`, flush) does."""
    author, article = make.user(), make.article()
    table = Annotation.__table__

    def post_one() -> tuple[dict[str, object], int, bool]:
        before = db.session.get(Article, article.id).discussion_version
        note = post_annotation(author, article, NewAnnotation("p2", "question", "Why *now*?"))
        assert note.root_id == note.id
        left_pending = bool(db.session.new or db.session.dirty)
        db.session.commit()
        row = dict(db.session.execute(select(table).where(table.c.id == note.id)).mappings().one())
        assert row["root_id"] == row["id"]
        kept = {
            k: v for k, v in row.items() if k not in ("id", "root_id", "created_at", "updated_at")
        }
        raised = db.session.get(Article, article.id).discussion_version - before
        return kept, raised, left_pending

    fast = post_one()
    monkeypatch.setattr(annotation_service, "_root_itself", _plain_root)
    plain = post_one()
    assert fast == plain
    assert fast[1:] == (1, False)  # raised once, nothing left for the commit to flush
