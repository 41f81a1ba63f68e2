"""A form or API POST sent twice is carried out once (app/idempotency.py), one after the other.

(The same at the same moment, against a real server, is in test_races.py.) A repeat gets the
first answer back; a failed first attempt keeps nothing, so trying again really tries again;
a key is its owner's alone and stands for one request only.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.api.openapi import build_document
from app.extensions import db
from app.models import Annotation, Group, RequestKey
from app.services import groups as groups_service
from tests.functional.web.page import parse

KEY = "Idempotency-Key"


def _count(*where: object) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(Annotation).where(*where)) or 0)


def _composer(client: FlaskClient, slug: str) -> dict[str, str]:
    page = parse(client.get(f"/articles/{slug}/p/p2").data)
    form = page.find("form", id="new")
    return {i.attrs["name"]: i.attrs.get("value") or "" for i in form.find_all("input")
            if i.attrs.get("type") == "hidden"}  # fmt: skip


def test_a_form_posted_twice_is_one_note_and_the_same_answer(make, signed_in) -> None:
    article, writer = make.article(), make.user()
    client = signed_in(writer)
    form = {**_composer(client, article.slug), "kind": "comment", "body": "Posted twice."}
    assert form["form_nonce"]
    first = client.post(f"/articles/{article.slug}/p/p2/annotations", data=form)
    again = client.post(f"/articles/{article.slug}/p/p2/annotations", data=form)
    assert first.status_code == again.status_code == 302
    assert first.location == again.location
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(Annotation.author_id == writer.id) == 1


def test_each_drawing_of_a_form_has_its_own_nonce(make, signed_in) -> None:
    article = make.article()
    client = signed_in(make.user())
    assert (
        _composer(client, article.slug)["form_nonce"]
        != _composer(client, article.slug)["form_nonce"]
    )


def test_one_composer_used_for_two_different_notes_posts_both(make, signed_in) -> None:
    article, writer = make.article(), make.user()
    client = signed_in(writer)
    fields = _composer(client, article.slug)  # the page's script keeps the composer (and nonce)
    for body in ("First thought.", "Second thought."):
        answer = client.post(f"/articles/{article.slug}/p/p2/annotations",
                             data={**fields, "kind": "comment", "body": body})  # fmt: skip
        assert answer.status_code == 302
    assert _count(Annotation.author_id == writer.id) == 2


def test_a_refused_form_keeps_nothing_and_can_be_sent_again(make, signed_in) -> None:
    article, writer = make.article(), make.user()
    client = signed_in(writer)
    form = {**_composer(client, article.slug), "kind": "nonsense", "body": "A thought."}
    url = f"/articles/{article.slug}/p/p2/annotations"
    assert client.post(url, data=form).status_code == 422
    assert client.post(url, data=form).status_code == 422  # carried out again, not replayed
    assert client.post(url, data={**form, "kind": "question"}).status_code == 302
    assert _count(Annotation.author_id == writer.id) == 1


def test_the_new_group_form_twice_is_one_group(make, signed_in) -> None:
    client = signed_in(make.user(role="instructor"))
    page = parse(client.get("/groups/new").data)
    nonce = page.find("input", name="form_nonce").attrs["value"]
    for _ in range(2):
        answer = client.post("/groups/new", data={"name": "Logic", "form_nonce": nonce})
        assert answer.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(Group.name == "Logic")) == 1


def test_an_api_post_retried_with_its_key_gets_the_first_answer(
    client: FlaskClient, make, bearer
) -> None:
    article, writer = make.article(), make.user()
    headers = {**bearer(writer), KEY: "retry-1"}
    payload = {"anchor": "p2", "kind": "comment", "body": "Once."}
    url = f"/api/v1/articles/{article.slug}/annotations"
    first = client.post(url, json=payload, headers=headers)
    again = client.post(url, json=payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(Annotation.author_id == writer.id) == 1


def test_a_keyed_post_that_lost_a_race_keeps_its_key_for_the_replay(
    client: FlaskClient, make, bearer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """database.commit_racing runs the service again when a twin's insert won the race; the key
    taken before it, in the same transaction, must outlive that retry, or a replay of the key
    creates a second group instead of answering the first time's 201."""
    teacher = make.user(role="instructor")
    make.groups.group(teacher, "Logic")  # the twin's, committed just after this request looked
    free_slug, looked = groups_service._unique_slug, []

    def looked_too_early(base: str) -> str:
        looked.append(base)
        return base if len(looked) == 1 else free_slug(base)

    monkeypatch.setattr(groups_service, "_unique_slug", looked_too_early)
    headers = {**bearer(teacher), KEY: "lost-a-race"}
    first = client.post("/api/v1/groups", json={"name": "Logic"}, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert (first.get_json()["slug"], len(looked)) == ("logic-2", 2)  # lost once, then answered
    again = client.post("/api/v1/groups", json={"name": "Logic"}, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert len(looked) == 2
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(Group.name == "Logic")) == 2
    assert db.session.scalar(select(func.count()).select_from(RequestKey)) == 1


def test_a_key_reused_for_another_request_is_422(client: FlaskClient, make, bearer) -> None:
    article, writer = make.article(), make.user()
    headers = {**bearer(writer), KEY: "retry-2"}
    url = f"/api/v1/articles/{article.slug}/annotations"
    assert client.post(url, json={"anchor": "p2", "kind": "comment", "body": "A"},
                       headers=headers).status_code == 201  # fmt: skip
    other = client.post(url, json={"anchor": "p2", "kind": "comment", "body": "B"}, headers=headers)
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "validation"
    assert _count(Annotation.author_id == writer.id) == 1


def test_a_key_belongs_to_one_method_and_path(client: FlaskClient, make, bearer) -> None:
    """The same key on another path is another key: a POST without a body can never be
    refused for a key it shares with some other request (issue 15: no schema can state it)."""
    article, writer, reader = make.article(), make.user(), make.user()
    mine = make.annotation(writer, article, body="Mine.")
    theirs = make.annotation(writer, article, body="Also mine.")
    headers = {**bearer(reader), KEY: "same-key"}
    for note in (mine, theirs):
        response = client.post(f"/api/v1/annotations/{note.id}/helpful", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert "Idempotent-Replayed" not in response.headers
        assert response.get_json()["helpful_count"] == 1


def test_a_failed_keyed_request_is_carried_out_when_sent_again(
    client: FlaskClient, make, bearer
) -> None:
    article, writer = make.article(), make.user()
    headers = {**bearer(writer), KEY: "retry-3"}
    url = f"/api/v1/articles/{article.slug}/annotations"
    bad = {"anchor": "nowhere", "kind": "comment", "body": "A"}
    assert client.post(url, json=bad, headers=headers).status_code == 422
    good = {**bad, "anchor": "p2"}
    assert client.post(url, json=good, headers=headers).status_code == 201
    assert _count(Annotation.author_id == writer.id) == 1


def test_keys_are_their_owners_alone(client: FlaskClient, make, bearer) -> None:
    article, ann, bob = make.article(), make.user(), make.user()
    url = f"/api/v1/articles/{article.slug}/annotations"
    payload = {"anchor": "p2", "kind": "comment", "body": "Same words, same key."}
    for user in (ann, bob):
        answer = client.post(url, json=payload, headers={**bearer(user), KEY: "shared"})
        assert answer.status_code == 201
        assert "Idempotent-Replayed" not in answer.headers
    assert _count() == 2


def test_a_malformed_key_is_400(client: FlaskClient, make, bearer) -> None:
    article = make.article()
    url = f"/api/v1/articles/{article.slug}/annotations"
    payload = {"anchor": "p2", "kind": "comment", "body": "x"}
    for key in ("k" * 256, "tab\there"):
        answer = client.post(url, json=payload, headers={**bearer(make.user()), KEY: key})
        assert answer.status_code == 400
        assert answer.get_json()["error"]["code"] == "bad_request"
    assert _count() == 0


def test_every_api_post_documents_the_key(app: Flask) -> None:
    paths = build_document(app)["paths"]
    posts = [(path, op) for path, ops in paths.items() for method, op in ops.items()
             if method == "post" and op["security"] != [{"basic": []}]]  # fmt: skip
    assert posts
    for path, op in posts:
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
        assert names == [KEY], path
        assert {"409", "422"} <= set(op["responses"]), path


def test_a_new_token_is_never_kept_for_a_replay(app: Flask, make, signed_in) -> None:
    """A token's answer holds it in the clear; the database keeps tokens only as digests."""
    user = make.user()
    client = signed_in(user)  # a session cookie makes the caller known before Basic is read
    headers = {KEY: "token-1", "Authorization": _basic(user.username)}
    first = client.post("/api/v1/tokens", headers=headers)
    again = client.post("/api/v1/tokens", headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["token"] != again.get_json()["token"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RequestKey)) == 0


def _basic(username: str) -> str:
    from base64 import b64encode

    from tests.factories import PASSWORD

    return "Basic " + b64encode(f"{username}:{PASSWORD}".encode()).decode()


def test_what_is_kept_of_a_form_is_keyed_under_the_secret_key(app_ctx: Flask, client) -> None:
    """A registration's fields include the password: a dump must not let anyone test guesses."""
    import hashlib
    import json

    page = parse(client.get("/register").data)
    nonce = page.find("input", name="form_nonce").attrs["value"]
    form = {"username": "newbie", "email": "newbie@example.edu", "password":
            "orange staple horse 9", "confirm": "orange staple horse 9", "form_nonce": nonce,
            "next": ""}  # fmt: skip
    assert client.post("/register", data=form).status_code == 302
    db.session.rollback()
    kept = db.session.scalars(select(RequestKey)).one()
    fields = sorted((k, v) for k, v in form.items() if k != "form_nonce")
    plain = hashlib.sha256(json.dumps(fields).encode()).hexdigest()
    assert plain not in (kept.key, kept.fingerprint)
    assert kept.location is not None
    assert kept.body is None
