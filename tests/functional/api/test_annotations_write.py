"""Posting, editing and deleting annotations through the API, and every way it can refuse."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.extensions import db
from app.models import Annotation, AnnotationStatus
from tests.functional.api.conftest import API

POST = f"{API}/articles/essay/annotations"


@pytest.fixture
def essay(make):  # type: ignore[no-untyped-def]
    return make.article(slug="essay")


@pytest.fixture
def writer(make, bearer):  # type: ignore[no-untyped-def]
    """(user, headers) for a signed-in member."""
    user = make.user("writer")
    return user, bearer(user)


def _post(client, headers, **body):  # type: ignore[no-untyped-def]
    return client.post(POST, json={"anchor": "p2", "kind": "comment", "body": "Hm."} | body,
                       headers=headers)  # fmt: skip


def _count() -> int:
    db.session.expire_all()
    return db.session.query(Annotation).count()


def test_post_creates_an_annotation_201_with_location(client, essay, writer) -> None:
    _, headers = writer
    response = _post(client, headers, kind="counterargument", body="  Not *so*.  ",
                     quote={"exact": "a claim", "prefix": "makes ", "suffix": " that"})  # fmt: skip
    assert response.status_code == 201
    data = response.get_json()
    assert response.headers["Location"] == f"{API}/annotations/{data['id']}"
    assert data["kind"] == "counterargument"
    assert data["body"] == "Not *so*."
    assert data["body_html"] == "<p>Not <em>so</em>.</p>"
    assert data["quote"] == {"exact": "a claim", "prefix": "makes ", "suffix": " that"}
    assert (data["article"], data["anchor"], data["status"]) == ("essay", "p2", "visible")
    assert data["author"]["username"] == "writer"
    assert client.get(response.headers["Location"]).get_json() == data


def test_a_reply_names_its_parent_and_bumps_its_reply_count(client, essay, writer) -> None:
    _, headers = writer
    root = _post(client, headers).get_json()
    reply = _post(client, headers, parent=root["id"], kind="support")
    assert reply.status_code == 201
    assert reply.get_json()["parent"] == root["id"]
    assert client.get(f"{API}/annotations/{root['id']}").get_json()["reply_count"] == 1


@pytest.mark.parametrize(
    "text",
    [
        "Ünïcödé — “quotes” and ‘apostrophes’ … naïve café",
        "日本語のコメント、中文评论，한국어 댓글",
        "עברית וערבית: مرحبا بالعالم",
        "Emoji 👩🏽‍🔬🏳️‍🌈 and astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛",
        "e\u0301 (combining) vs é (precomposed)\tand a tab",
    ],
)
def test_unicode_bodies_round_trip_exactly(client, essay, writer, text: str) -> None:
    _, headers = writer
    posted = _post(client, headers, body=text).get_json()
    assert posted["body"] == text
    fetched = client.get(f"{API}/annotations/{posted['id']}").get_json()
    assert fetched["body"] == text
    assert text.split()[0] in fetched["body_html"]


class _Elements(HTMLParser):
    """Collects the real elements and attributes of an HTML fragment (not escaped text)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="https://evil.example" onclick="steal()">x</a>',
        "<iframe src=//evil.example></iframe><style>*{}</style>",
        "[ok](https://example.org) and <https://example.org/x>",
    ],
)
def test_html_and_script_in_a_body_come_back_inert(client, essay, writer, body: str) -> None:
    _, headers = writer
    data = _post(client, headers, body=body).get_json()
    assert data["body"] == body  # the source is kept as written
    found = _Elements()
    found.feed(data["body_html"])
    assert found.tags <= {"p", "a", "em", "strong", "code"}, data["body_html"]
    for name, value in found.attributes:
        assert name in {"href", "rel"}, data["body_html"]
        assert not value.lower().startswith(("javascript:", "data:")), data["body_html"]


def test_private_note_is_the_authors_alone(client, essay, writer, make, bearer) -> None:
    _, headers = writer
    note = _post(client, headers, private=True).get_json()
    assert client.get(f"{API}/annotations/{note['id']}", headers=headers).status_code == 200
    other = bearer(make.user())
    assert client.get(f"{API}/annotations/{note['id']}", headers=other).status_code == 404


def test_a_reply_cannot_be_private_under_a_public_parent(client, essay, writer) -> None:
    _, headers = writer
    root = _post(client, headers).get_json()
    response = _post(client, headers, parent=root["id"], private=True)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"private"}


def test_post_anonymously_is_401_and_stores_nothing(client, essay) -> None:
    assert _post(client, {}).status_code == 401
    assert _count() == 0


def test_post_to_an_unknown_article_is_404(client, writer) -> None:
    _, headers = writer
    response = client.post(f"{API}/articles/nope/annotations", headers=headers,
                           json={"anchor": "p2", "kind": "comment", "body": "x"})  # fmt: skip
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"anchor": None}, "anchor"),
        ({"kind": "rant"}, "kind"),
        ({"kind": 3}, "kind"),
        ({"body": 42}, "body"),
        ({"parent": "1"}, "parent"),
        ({"parent": 0}, "parent"),
        ({"parent": 2**40}, "parent"),
        ({"private": "yes"}, "private"),
        ({"quote": "a claim"}, "quote"),
        ({"quote": {"exact": "a claim", "colour": "red"}}, "quote.colour"),
        ({"quote": {"prefix": "x"}}, "quote.exact"),
        ({"surprise": True}, "surprise"),
        ({"body": "nul \x00 byte"}, "body"),
    ],
)
def test_schema_violations_are_422_naming_the_field(
    client, essay, writer, body: dict, field: str
) -> None:
    _, headers = writer
    response = _post(client, headers, **body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation"
    assert field in error["fields"], error
    assert _count() == 0


def test_a_missing_required_field_is_422(client, essay, writer) -> None:
    _, headers = writer
    response = client.post(POST, json={"kind": "comment"}, headers=headers)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"anchor", "body"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "   \n\t "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"body": " " + "x" * 10_001 + " "}, "body"),
        ({"anchor": "p99"}, "anchor"),
        ({"quote": {"exact": "words that are not in it"}}, "quote"),
        ({"parent": 999_999}, "parent"),
        ({"group": "seminar"}, "group"),
    ],
)
def test_domain_rules_are_422_naming_the_field(
    client, essay, writer, body: dict, field: str
) -> None:
    _, headers = writer
    response = _post(client, headers, **body)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {field}
    assert _count() == 0


def test_a_body_of_exactly_10000_characters_after_trimming_is_accepted(
    client, essay, writer
) -> None:
    _, headers = writer
    assert _post(client, headers, body="  " + "x" * 10_000 + "\n").status_code == 201


def test_a_reply_from_another_block_is_422_on_parent(client, essay, writer) -> None:
    _, headers = writer
    root = _post(client, headers, anchor="p2").get_json()
    response = _post(client, headers, anchor="p3", parent=root["id"])
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"parent"}


def test_a_reply_to_a_locked_thread_is_409_conflict(client, essay, writer) -> None:
    _, headers = writer
    root = _post(client, headers).get_json()
    db.session.get(Annotation, root["id"]).locked = True
    db.session.commit()
    response = _post(client, headers, parent=root["id"])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"


def test_malformed_json_is_400_bad_request(client, essay, writer) -> None:
    _, headers = writer
    for raw in ('{"anchor": "p2",', "", "nope", '{"body": "\\ud800"}'):
        response = client.post(POST, data=raw, content_type="application/json", headers=headers)
        assert response.status_code == 400, raw
        assert response.get_json()["error"]["code"] == "bad_request"


def test_json_that_is_not_an_object_is_422(client, essay, writer) -> None:
    _, headers = writer
    for raw in ("[]", '"text"', "null", "42"):
        response = client.post(POST, data=raw, content_type="application/json", headers=headers)
        assert response.status_code == 422, raw


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_not_sent_as_json_is_415_bad_request(
    client, essay, writer, content_type: str | None
) -> None:
    _, headers = writer
    data = '{"anchor": "p2", "kind": "comment", "body": "x"}'
    response = client.post(POST, data=data, content_type=content_type, headers=headers)
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "bad_request"


def test_json_with_a_charset_parameter_is_accepted(client, essay, writer) -> None:
    _, headers = writer
    data = '{"anchor": "p2", "kind": "comment", "body": "ça va"}'.encode()
    response = client.post(POST, data=data, headers=headers,
                           content_type="application/json; charset=utf-8")  # fmt: skip
    assert response.status_code == 201


# PATCH


def test_the_author_can_patch_body_and_kind(client, essay, writer) -> None:
    _, headers = writer
    note = _post(client, headers).get_json()
    url = f"{API}/annotations/{note['id']}"
    response = client.patch(url, json={"body": "On *reflection*…"}, headers=headers)
    assert response.status_code == 200
    data = response.get_json()
    assert (data["body"], data["body_html"]) == (
        "On *reflection*…",
        "<p>On <em>reflection</em>…</p>",
    )
    assert data["kind"] == "comment"
    data = client.patch(url, json={"kind": "question"}, headers=headers).get_json()
    assert (data["kind"], data["body"]) == ("question", "On *reflection*…")
    assert data["updated"] >= data["created"]


def test_only_the_author_may_patch(client, essay, writer, make, bearer) -> None:
    _, headers = writer
    note = _post(client, headers).get_json()
    url = f"{API}/annotations/{note['id']}"
    admin = bearer(make.user(role="admin"))
    for other in (bearer(make.user()), admin):
        response = client.patch(url, json={"body": "hijacked"}, headers=other)
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    assert client.patch(url, json={"body": "anon"}).status_code == 401
    assert client.get(url).get_json()["body"] == "Hm."


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "body"),
        ({"body": "  "}, 422, "body"),
        ({"kind": "rant"}, 422, "kind"),
        ({"anchor": "p3"}, 422, "anchor"),
        ({"body": "x" * 10_001}, 422, "body"),
    ],
)
def test_bad_patches_are_refused_naming_the_field(
    client, essay, writer, body: dict, status: int, field: str
) -> None:
    _, headers = writer
    note = _post(client, headers).get_json()
    response = client.patch(f"{API}/annotations/{note['id']}", json=body, headers=headers)
    assert response.status_code == status
    assert field in response.get_json()["error"]["fields"]
    assert client.get(f"{API}/annotations/{note['id']}").get_json()["body"] == "Hm."


def test_patch_of_an_unknown_annotation_is_404(client, writer) -> None:
    _, headers = writer
    response = client.patch(f"{API}/annotations/424242", json={"body": "x"}, headers=headers)
    assert response.status_code == 404


def test_patch_needs_a_json_body(client, essay, writer) -> None:
    _, headers = writer
    note = _post(client, headers).get_json()
    url = f"{API}/annotations/{note['id']}"
    assert client.patch(url, data="body=x", headers=headers).status_code == 415
    bad = client.patch(url, data="{", content_type="application/json", headers=headers)
    assert bad.status_code == 400


# DELETE


def test_the_author_deletes_204_and_a_placeholder_remains(client, essay, writer) -> None:
    _, headers = writer
    note = _post(client, headers).get_json()
    url = f"{API}/annotations/{note['id']}"
    response = client.delete(url, headers=headers)
    assert response.status_code == 204
    assert response.data == b""
    gone = client.get(url).get_json()
    assert (gone["status"], gone["body"], gone["body_html"]) == ("deleted", None, None)
    assert db.session.get(Annotation, note["id"]).status == AnnotationStatus.DELETED


def test_an_admin_may_delete_another_members_annotation(
    client, essay, writer, make, bearer
) -> None:
    _, headers = writer
    note = _post(client, headers).get_json()
    admin = bearer(make.user(role="admin"))
    assert client.delete(f"{API}/annotations/{note['id']}", headers=admin).status_code == 204


def test_another_member_may_not_delete(client, essay, writer, make, bearer) -> None:
    _, headers = writer
    note = _post(client, headers).get_json()
    url = f"{API}/annotations/{note['id']}"
    response = client.delete(url, headers=bearer(make.user()))
    assert response.status_code == 403
    assert client.delete(url).status_code == 401
    assert client.get(url).get_json()["status"] == "visible"


def test_delete_of_an_unknown_or_invisible_annotation_is_404(
    client, essay, writer, make, bearer
) -> None:
    _, headers = writer
    note = _post(client, headers, private=True).get_json()
    other = bearer(make.user())
    assert client.delete(f"{API}/annotations/{note['id']}", headers=other).status_code == 404
    assert client.delete(f"{API}/annotations/424242", headers=headers).status_code == 404
