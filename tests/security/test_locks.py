"""A locked thread is read-only: no replies (CONTRACT §4: nobody's), and no edits or kind changes
except by its moderators.

Before, a lock refused only replies: the author (API PATCH, and the page's edit form) and other
repliers could still change their text inside a locked thread.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Annotation
from app.services.moderation import moderate_annotation
from tests.functional.web.page import parse


@pytest.fixture
def thread(make):  # type: ignore[no-untyped-def]
    """A group thread (ann's note, bob's reply) that its instructor has locked."""
    teacher = make.user(role="instructor")
    ann, bob = make.user(), make.user()
    article = make.article()
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    make.groups.join(ann, group)
    make.groups.join(bob, group)
    root = make.groups.group_note(ann, article, group, body="The claim.")
    reply = make.groups.group_note(bob, article, group, parent=root, body="A reply.")
    mine = make.groups.group_note(teacher, article, group, parent=root, body="Instructor here.")
    moderate_annotation(teacher, root, "lock")
    db.session.commit()
    return SimpleNamespace(teacher=teacher, ann=ann, bob=bob, article=article, group=group,
                           root=root, reply=reply, mine=mine)  # fmt: skip


def _body(note_id: int) -> str:
    db.session.rollback()
    return db.session.get(Annotation, note_id).body


@pytest.mark.parametrize("change", [{"body": "Rewritten."}, {"kind": "question"}])
def test_the_api_refuses_edits_inside_a_locked_thread_with_409(
    client: FlaskClient, thread, bearer, change
) -> None:
    for author, note in ((thread.ann, thread.root), (thread.bob, thread.reply)):
        answer = client.patch(f"/api/v1/annotations/{note.id}", json=change,
                              headers=bearer(author))  # fmt: skip
        assert answer.status_code == 409, answer.get_json()
        assert "locked" in answer.get_json()["error"]["message"]
    db.session.rollback()
    assert (db.session.get(Annotation, thread.root.id).kind, _body(thread.root.id)) == (
        "comment",
        "The claim.",
    )


def test_the_edit_form_is_refused_and_not_offered_inside_a_locked_thread(thread, signed_in) -> None:
    client = signed_in(thread.bob)
    page_url = f"/articles/{thread.article.slug}/p/p2?group={thread.group.slug}"
    page = parse(client.get(page_url).data)
    assert "read-only" in page.find(data_annotation_id=str(thread.root.id)).text
    assert not page.has("a", href=f"{page_url.split('?')[0]}?group={thread.group.slug}"
                        f"&edit={thread.reply.id}#a-{thread.reply.id}")  # fmt: skip
    assert "Edit" not in [a.text for a in page.find(data_annotation_id=str(thread.reply.id))
                          .find_all("a")]  # fmt: skip
    refused = client.post(f"/annotations/{thread.reply.id}/edit",
                          data={"kind": "comment", "body": "Sneaky."})  # fmt: skip
    assert refused.status_code == 409
    assert "locked" in parse(refused.data).find(cls="form-error").text
    assert _body(thread.reply.id) == "A reply."


def test_its_moderators_still_edit_but_reply_only_after_unlocking(
    client: FlaskClient, thread, bearer
) -> None:
    auth = bearer(thread.teacher)
    edited = client.patch(f"/api/v1/annotations/{thread.mine.id}", json={"body": "Settled."},
                          headers=auth)  # fmt: skip
    assert edited.status_code == 200
    reply = client.post(
        f"/api/v1/articles/{thread.article.slug}/annotations",
        json={"anchor": "p2", "kind": "comment", "body": "Closing note.", "parent": thread.root.id},
        headers=auth,
    )
    assert reply.status_code == 409  # CONTRACT §4: replies to a locked annotation are refused


def test_members_cannot_reply_and_unlocking_opens_the_thread_again(
    client: FlaskClient, thread, bearer
) -> None:
    payload = {"anchor": "p2", "kind": "comment", "body": "Me too.", "parent": thread.reply.id}
    url = f"/api/v1/articles/{thread.article.slug}/annotations"
    assert client.post(url, json=payload, headers=bearer(thread.ann)).status_code == 409
    moderate_annotation(thread.teacher, db.session.merge(thread.root), "unlock")
    db.session.commit()
    assert client.post(url, json=payload, headers=bearer(thread.ann)).status_code == 201
    edited = client.patch(f"/api/v1/annotations/{thread.reply.id}", json={"body": "Now editable."},
                          headers=bearer(thread.bob))  # fmt: skip
    assert edited.status_code == 200
