"""The public discussion's moderation log (issue 14.5): what admins did to public annotations,
who, when and why, with undo — as a group's log does for its instructors."""

from __future__ import annotations

from app.extensions import db
from app.models import Annotation
from app.services.moderation import moderate_annotation
from tests.functional.web.page import parse


def test_admins_see_public_actions_in_their_log_and_undo_them(classroom, make, signed_in) -> None:
    admin = make.user("root", role="admin", display_name="Site Admin")
    public = make.annotation(classroom.bob, classroom.article, body="Buy cheap pills")
    moderate_annotation(admin, public, "hide", "Spam")
    group_note = make.groups.group_note(classroom.ann, classroom.article, classroom.group)
    moderate_annotation(classroom.teacher, group_note, "lock")
    db.session.commit()
    client = signed_in(admin)
    page = parse(client.get("/moderation/public/log").data)
    entries = page.find_all("li", cls="log-entry")
    assert [e.attrs["data-action"] for e in entries] == ["hide"]  # the group's lock is not here
    assert "Spam" in entries[0].text
    assert "Site Admin" in entries[0].text
    form = entries[0].find("form")
    response = client.post(form.attrs["action"])
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/moderation/public/log")
    db.session.expire_all()
    assert db.session.get(Annotation, public.id).status == "visible"
    again = parse(client.get("/moderation/public/log").data)
    assert [e.attrs["data-action"] for e in again.find_all("li", cls="log-entry")] == [
        "unhide",
        "hide",
    ]
    api = client.get("/api/v1/moderation/log").get_json()["items"]
    assert [(e["action"], e["reason"]) for e in api] == [("unhide", None), ("hide", "Spam")]
    # Reached from the public queue, and the queue from the log.
    assert parse(client.get("/moderation/public").data).has("a", href="/moderation/public/log")


def test_the_public_log_is_for_admins_and_undoes_only_public_entries(
    classroom, make, signed_in
) -> None:
    admin = make.user("root", role="admin")
    group_note = make.groups.group_note(classroom.ann, classroom.article, classroom.group)
    group_entry = moderate_annotation(classroom.teacher, group_note, "hide", "Off topic")
    public = make.annotation(classroom.bob, classroom.article)
    public_entry = moderate_annotation(admin, public, "hide", "Spam")
    db.session.commit()
    teacher = signed_in(classroom.teacher)
    assert teacher.get("/moderation/public/log").status_code == 403
    assert teacher.post(f"/moderation/public/log/{public_entry.id}/undo").status_code == 403
    # A group's entry is not the public log's to undo (nor is the public one the group's).
    client = signed_in(admin)
    assert client.post(f"/moderation/public/log/{group_entry.id}/undo").status_code == 404
    slug = classroom.group.slug
    assert client.post(f"/groups/{slug}/moderation/log/{public_entry.id}/undo").status_code == 404
    group_log = parse(client.get(f"/groups/{slug}/moderation/log").data)
    assert [e.attrs["data-action"] for e in group_log.find_all("li", cls="log-entry")] == ["hide"]
