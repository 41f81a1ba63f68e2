"""Posting, replying, editing and deleting from the pages: plain forms and the in-place path."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import Annotation, AnnotationStatus
from tests.functional.web.conftest import fresh
from tests.functional.web.page import parse

FETCH = {"X-Requested-With": "fetch"}


def _post_url(article, anchor: str = "p2") -> str:  # type: ignore[no-untyped-def]
    return f"/articles/{article.slug}/p/{anchor}/annotations"


def _last_id() -> int:
    db.session.expire_all()
    return db.session.query(Annotation).order_by(Annotation.id.desc()).first().id


def test_posting_without_js_redirects_to_the_new_note_in_its_thread(make, signed_in) -> None:
    user, article = make.user(), make.article()
    client = signed_in(user)
    response = client.post(
        _post_url(article),
        data={"kind": "counterargument", "body": "Not *so* fast.", "parent": ""},
    )
    note_id = _last_id()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/articles/{article.slug}/p/p2#a-{note_id}"
    page = parse(client.get(response.headers["Location"]).data)
    item = page.find(data_annotation_id=str(note_id))
    assert item.find(cls="annotation-body").find("em").text == "so"
    assert item.find(cls="kind-badge").text == "Counterargument"
    assert "Your note is posted." in page.find(cls="flashes").text
    assert page.find(data_counts_for="p2").find(data_kind="counterargument").text == (
        "1 counterargument"
    )


def test_a_quote_posted_with_the_form_is_stored_and_shown(make, signed_in) -> None:
    user, article = make.user(), make.article()
    client = signed_in(user)
    client.post(
        _post_url(article, "p3"),
        data={
            "kind": "question",
            "body": "Which numbers?",
            "quote_exact": "32% and 69%",
            "quote_prefix": "with numbers: ",
            "quote_suffix": ".",
        },
    )
    note = fresh(_last_id())
    assert (note.quote_exact, note.quote_prefix, note.quote_suffix) == (
        "32% and 69%",
        "with numbers: ",
        ".",
    )
    page = parse(client.get(f"/articles/{article.slug}/p/p3").data)
    assert page.find(cls="annotation-quote").text == "32% and 69%"


def test_a_reply_without_js_lands_under_its_parent(make, signed_in) -> None:
    user, other, article = make.user(), make.user(), make.article()
    parent = make.annotation(other, article)
    client = signed_in(user)
    form_page = parse(client.get(f"/articles/{article.slug}/p/p2?reply={parent.id}").data)
    form = form_page.find(data_annotation_id=str(parent.id)).find("form", cls="composer--reply")
    assert form.find("input", name="parent").attrs["value"] == str(parent.id)
    assert form.attrs["action"] == _post_url(article)

    response = client.post(
        _post_url(article), data={"kind": "support", "body": "Seconded.", "parent": parent.id}
    )
    reply_id = _last_id()
    assert response.headers["Location"].endswith(f"#a-{reply_id}")
    page = parse(client.get(f"/articles/{article.slug}/p/p2").data)
    under = page.find(data_annotation_id=str(parent.id)).find("ol", cls="replies")
    assert under.find(data_annotation_id=str(reply_id)).find(cls="annotation-body").text == (
        "Seconded."
    )
    assert fresh(parent.id).reply_count == 1


def test_a_refused_note_shows_the_error_by_its_field_and_keeps_the_text(make, signed_in) -> None:
    user, article = make.user(), make.article()
    client = signed_in(user)
    long_text = "My carefully argued point. " + "x" * 10_000
    response = client.post(_post_url(article), data={"kind": "question", "body": long_text})
    assert response.status_code == 422
    page = parse(response.data)
    form = page.find("form", id="new")
    body = form.find("textarea", name="body")
    assert body.text == " ".join(long_text.split())
    assert "at most 10,000 characters" in body.parent.find(cls="field-error").text
    assert form.find("option", value="question").attrs.get("selected") is not None
    assert db.session.query(Annotation).count() == 0


def test_a_quote_not_in_the_paragraph_is_a_form_error_and_the_text_stays(make, signed_in) -> None:
    user, article = make.user(), make.article()
    response = signed_in(user).post(
        _post_url(article),
        data={"kind": "comment", "body": "Keep me", "quote_exact": "words from elsewhere"},
    )
    assert response.status_code == 422
    form = parse(response.data).find("form", id="new")
    assert "do not occur in this paragraph" in form.find(cls="form-error").text
    assert form.find("textarea").text == "Keep me"
    assert form.find(cls="composer-quote").find("blockquote").text == "words from elsewhere"


def test_a_refused_reply_reopens_the_reply_form_with_the_text(make, signed_in) -> None:
    user, article = make.user(), make.article()
    parent = make.annotation(user, article)
    response = signed_in(user).post(
        _post_url(article), data={"kind": "rant", "body": "My reply text", "parent": parent.id}
    )
    assert response.status_code == 422
    page = parse(response.data)
    form = page.find(data_annotation_id=str(parent.id)).find("form", cls="composer--reply")
    assert form.find("textarea").text == "My reply text"
    assert "Kind must be one of" in form.find(cls="field--kind").text
    assert not page.find("form", id="new").find("textarea").text


def test_a_reply_to_a_deleted_note_is_refused_with_a_message(make, signed_in) -> None:
    user, article = make.user(), make.article()
    parent = make.annotation(user, article)
    make.annotation(user, article, parent=parent)
    fresh(parent.id).status = AnnotationStatus.DELETED
    db.session.commit()
    response = signed_in(user).post(
        _post_url(article), data={"kind": "comment", "body": "Too late", "parent": parent.id}
    )
    assert response.status_code == 409
    assert "deleted" in parse(response.data).find(cls="form-error").text


def test_the_author_edits_a_note_and_it_is_marked_edited(make, signed_in) -> None:
    user, article = make.user(), make.article()
    note = make.annotation(user, article, body="First thoughts")
    client = signed_in(user)
    page = parse(client.get(f"/articles/{article.slug}/p/p2?edit={note.id}").data)
    form = page.find(data_annotation_id=str(note.id)).find("form", cls="composer--edit")
    assert form.attrs["action"] == f"/annotations/{note.id}/edit"
    assert form.find("textarea").text == "First thoughts"

    response = client.post(
        f"/annotations/{note.id}/edit", data={"kind": "question", "body": "Second thoughts"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/articles/{article.slug}/p/p2#a-{note.id}"
    stored = fresh(note.id)
    assert (stored.kind, stored.body) == ("question", "Second thoughts")
    stored.updated_at = stored.created_at.replace(year=stored.created_at.year + 1)
    db.session.commit()
    item = parse(client.get(f"/articles/{article.slug}/p/p2").data).find(
        data_annotation_id=str(note.id)
    )
    assert item.find(cls="annotation-body").text == "Second thoughts"
    assert item.has(cls="annotation-edited")


def test_a_refused_edit_keeps_the_text_in_the_open_edit_form(make, signed_in) -> None:
    user, article = make.user(), make.article()
    note = make.annotation(user, article, body="Original")
    response = signed_in(user).post(
        f"/annotations/{note.id}/edit", data={"kind": "comment", "body": "   "}
    )
    assert response.status_code == 422
    form = (
        parse(response.data)
        .find(data_annotation_id=str(note.id))
        .find("form", cls="composer--edit")
    )
    assert "Write something first." in form.text
    assert fresh(note.id).body == "Original"


def test_only_the_author_may_edit_or_delete(make, signed_in, client) -> None:
    author, other, article = make.user(), make.user(), make.article()
    note = make.annotation(author, article)
    stranger = signed_in(other)
    page = parse(stranger.get(f"/articles/{article.slug}/p/p2?edit={note.id}").data)
    item = page.find(data_annotation_id=str(note.id))
    assert not item.has("form", cls="composer--edit")
    assert not item.has("a", href=f"/articles/{article.slug}/p/p2?edit={note.id}#a-{note.id}")
    assert not item.has("form", action=f"/annotations/{note.id}/delete")
    edit = stranger.post(f"/annotations/{note.id}/edit", data={"kind": "comment", "body": "X"})
    assert edit.status_code == 403
    assert stranger.post(f"/annotations/{note.id}/delete").status_code == 403
    anonymous = client.post(f"/annotations/{note.id}/delete")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")
    assert fresh(note.id).status == AnnotationStatus.VISIBLE


def test_deleting_leaves_a_placeholder_over_the_replies(make, signed_in) -> None:
    author, other, article = make.user(), make.user(), make.article()
    note = make.annotation(author, article, body="Regrettable")
    reply = make.annotation(other, article, parent=note, body="Still here")
    client = signed_in(author)
    response = client.post(f"/annotations/{note.id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/articles/{article.slug}/p/p2#a-{note.id}"
    page = parse(client.get(f"/articles/{article.slug}/p/p2").data)
    item = page.find(data_annotation_id=str(note.id))
    assert item.find(cls="annotation-body").text == "[deleted]"
    assert "Regrettable" not in page.text
    assert item.find(data_annotation_id=str(reply.id)).find(cls="annotation-body").text == (
        "Still here"
    )
    assert fresh(note.id).status == AnnotationStatus.DELETED


def test_a_signed_out_post_is_sent_to_sign_in_and_back(client, make) -> None:
    article = make.article()
    response = client.post(_post_url(article), data={"kind": "comment", "body": "Hi"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/articles/{article.slug}/p/p2"
    fetched = client.post(_post_url(article), data={"body": "Hi"}, headers=FETCH)
    assert fetched.status_code == 401
    assert fetched.get_json()["errors"]["form"] == "Sign in to take part."


def test_posting_to_an_unknown_paragraph_is_not_found(make, signed_in) -> None:
    user, article = make.user(), make.article()
    response = signed_in(user).post(_post_url(article, "p99"), data={"body": "x"})
    assert response.status_code == 404


def test_a_fetch_post_answers_with_the_rendered_note_and_new_counts(make, signed_in) -> None:
    user, article = make.user(), make.article()
    make.annotation(user, article, kind="question")
    client = signed_in(user)
    response = client.post(
        _post_url(article),
        data={"kind": "counterargument", "body": "In place", "quote_exact": "claim"},
        headers=FETCH,
    )
    assert response.status_code == 201
    data = response.get_json()
    note_id = _last_id()
    assert data["id"] == note_id
    assert data["anchor"] == "p2"
    assert data["parent"] is None
    assert data["counts"] == {"counterargument": 1, "question": 1}
    assert data["total"] == 2
    fragment = parse(data["html"])
    item = fragment.find(data_annotation_id=str(note_id))
    assert item.find(cls="annotation-body").text == "In place"
    assert item.find(cls="annotation-quote").text == "claim"
    # The same macro as the page draws it.
    page = parse(client.get(f"/articles/{article.slug}/p/p2").data)
    assert page.find(data_annotation_id=str(note_id)).text == item.text
    badges = parse(data["counts_html"]).find(data_counts_for="p2")
    assert badges.find(data_kind="counterargument").text == "1 counterargument"


def test_a_fetch_reply_answers_with_its_parent(make, signed_in) -> None:
    user, article = make.user(), make.article()
    parent = make.annotation(user, article)
    response = signed_in(user).post(
        _post_url(article),
        data={"kind": "comment", "body": "Nested", "parent": str(parent.id)},
        headers=FETCH,
    )
    assert response.status_code == 201
    data = response.get_json()
    assert data["parent"] == parent.id
    assert "indent-1" in parse(data["html"]).find(data_annotation_id=str(data["id"])).classes


def test_a_refused_fetch_post_answers_422_with_field_errors(make, signed_in) -> None:
    user, article = make.user(), make.article()
    response = signed_in(user).post(
        _post_url(article),
        data={"kind": "comment", "body": " ", "quote_exact": "nowhere to be found"},
        headers=FETCH,
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors == {"body": "Write something first."} or set(errors) <= {"body", "form"}
    assert "body" in errors


def test_forms_without_a_csrf_token_are_refused(app, make, csrf_on) -> None:
    user, article = make.user(), make.article()
    note = make.annotation(user, article)
    client = app.test_client()
    login_page = client.get("/login")
    token = parse(login_page.data).find("input", name="csrf_token").attrs["value"]
    refused = client.post("/login", data={"username": user.username, "password": "x"})
    assert refused.status_code == 400
    assert "Form expired" in parse(refused.data).find("h1").text
    from tests.factories import PASSWORD

    signed = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert signed.status_code == 302

    page = client.get(f"/articles/{article.slug}/p/p2")
    token = parse(page.data).find("meta", name="csrf-token").attrs["content"]
    for url, data in (
        (_post_url(article), {"kind": "comment", "body": "no token"}),
        (f"/annotations/{note.id}/edit", {"kind": "comment", "body": "no token"}),
        (f"/annotations/{note.id}/delete", {}),
        ("/logout", {}),
    ):
        assert client.post(url, data=data).status_code == 400, url
    assert client.post(_post_url(article), data={"body": "x"}, headers=FETCH).status_code == 400
    ok = client.post(
        _post_url(article),
        data={"kind": "comment", "body": "with token"},
        headers={**FETCH, "X-CSRFToken": token},
    )
    assert ok.status_code == 201
    assert re.search(r"with token", ok.get_json()["html"])
    assert fresh(note.id).status == AnnotationStatus.VISIBLE


def test_a_private_note_is_marked_and_shown_to_its_author_alone(make, signed_in, client) -> None:
    user, article = make.user(), make.article()
    mine = signed_in(user)
    mine.post(_post_url(article), data={"kind": "comment", "body": "Note to self", "private": "y"})
    note = fresh(_last_id())
    assert note.visibility == "private"
    item = parse(mine.get(f"/articles/{article.slug}/p/p2").data).find(
        data_annotation_id=str(note.id)
    )
    assert item.find(cls="visibility-badge").text == "Private"
    assert "Note to self" not in client.get(f"/articles/{article.slug}/p/p2").get_data(as_text=True)
    assert "Note to self" not in client.get(f"/articles/{article.slug}").get_data(as_text=True)


def test_a_group_note_stays_out_of_the_public_discussion_pages(make, signed_in) -> None:
    instructor, article = make.user(role="instructor"), make.article()
    group = make.groups.group(instructor, articles=(article,))
    note = make.groups.group_note(instructor, article, group, body="For the class")
    client = signed_in(instructor)
    for url in (f"/articles/{article.slug}", f"/articles/{article.slug}/p/p2"):
        page = client.get(url).get_data(as_text=True)
        assert f'data-annotation-id="{note.id}"' not in page
        assert "For the class" not in page
