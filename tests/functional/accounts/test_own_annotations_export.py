"""Your own notes as W3C Web Annotations: every one you wrote (private, hidden and deleted ones
too), nothing of anyone else's, valid by the Working Group's MUST assertions, from the API and
from the account page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.extensions import db
from app.models import AnnotationStatus
from app.services import webanno
from app.services.annotations import NewAnnotation, Quote, delete_annotation, post_annotation
from tests.factories import login
from tests.functional.api.test_webanno import _check

API = "/api/v1"


@pytest.fixture
def ann_and_bob(make) -> tuple[Any, Any]:  # type: ignore[no-untyped-def]
    ann, bob = make.user("ann"), make.user("bob")
    article = make.article(slug="essay")
    bobs = make.annotation(bob, article, body="Bob's <own> claim.")
    make.annotation(ann, article, body="Ann & the quote.", quote=Quote("a claim"))
    make.annotation(ann, article, parent=bobs, kind="counterargument", body="Ann answers Bob.")
    post_annotation(ann, article, NewAnnotation("p2", "question", "Private doubt?", private=True))
    gone = make.annotation(ann, article, body="Taken back.")
    make.annotation(bob, article, parent=gone, body="Bob below the deleted one.")
    delete_annotation(ann, gone)
    db.session.commit()
    return ann, bob


def _items(doc: dict[str, Any]) -> list[dict[str, Any]]:
    items, page = [], doc.get("first")
    while isinstance(page, dict):
        items += page["items"]
        page = page.get("next")
    return items


def test_the_api_export_is_every_note_i_wrote_and_passes_the_w3c_checks(
    app, ann_and_bob, bearer, tmp_path: Path, count_queries
) -> None:
    ann, bob = ann_and_bob
    with count_queries() as queries:
        response = app.test_client().get(f"{API}/me/export.jsonld", headers=bearer(ann))
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert 'profile="http://www.w3.org/ns/anno.jsonld"' in response.headers["Content-Type"]
    doc = json.loads(response.get_data(as_text=True))
    assert "4 annotation(s), 0 failed" in _check(doc, tmp_path)
    assert doc["type"] == "AnnotationCollection"
    assert doc["total"] == 4
    items = _items(doc)
    assert {i["body"]["value"] for i in items} == {
        "Ann & the quote.", "Ann answers Bob.", "Private doubt?", "Taken back.",
    }  # fmt: skip
    assert {i["creator"]["nickname"] for i in items} == {"ann"}
    assert "Bob" not in json.dumps([i["body"] for i in items]).replace("Ann answers Bob.", "")
    by_body = {i["body"]["value"]: i for i in items}
    assert by_body["Private doubt?"]["cp:visibility"] == "private"
    assert by_body["Taken back."]["cp:status"] == AnnotationStatus.DELETED
    assert by_body["Ann answers Bob."]["motivation"] == "replying"
    assert by_body["Ann & the quote."]["target"]["selector"][0]["refinedBy"]["exact"] == "a claim"
    # Bob's export has only his own two notes.
    theirs = app.test_client().get(f"{API}/me/export.jsonld", headers=bearer(bob)).get_json()
    assert {i["creator"]["nickname"] for i in _items(theirs)} == {"bob"}
    assert theirs["total"] == 2
    # The token, the count, one page of notes: no statement per note.
    assert len(queries) <= 5, queries.statements


def test_the_account_page_offers_both_downloads_and_the_jsonld_is_inert_as_html(
    app, ann_and_bob, tmp_path: Path
) -> None:
    client = app.test_client()
    login(client, "ann")
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/account/export"' in page
    assert 'href="/account/export.jsonld" download="counterpoint-ann-annotations.jsonld"' in page
    assert "/account/export.jsonld" in client.get("/account/delete").get_data(as_text=True)
    response = client.get("/account/export.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    text = response.get_data(as_text=True)
    assert "<" not in text
    assert "&" not in text
    doc = json.loads(text)
    assert doc["id"] == "http://localhost/account/export.jsonld"
    assert "4 annotation(s), 0 failed" in _check(doc, tmp_path)
    assert "Ann & the quote." in {i["body"]["value"] for i in _items(doc)}


def test_every_page_is_embedded_so_nothing_is_behind_a_link(
    app, ann_and_bob, bearer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ann, _ = ann_and_bob
    monkeypatch.setattr(webanno, "PAGE_SIZE", 3)
    doc = app.test_client().get(f"{API}/me/export.jsonld", headers=bearer(ann)).get_json()
    assert doc["first"]["next"]["startIndex"] == 3
    assert doc["last"] == doc["first"]["next"]["id"]
    assert len(_items(doc)) == 4
    # What the importer reads from a collection is all of it, in order.
    assert [i["id"] for i in webanno._items_of(doc)] == [i["id"] for i in _items(doc)]
    _check(doc, tmp_path)


def test_with_nothing_written_the_collection_is_empty_and_valid(
    app, make, bearer, tmp_path: Path
) -> None:
    quiet = make.user("quiet")
    db.session.commit()
    doc = app.test_client().get(f"{API}/me/export.jsonld", headers=bearer(quiet)).get_json()
    assert doc["total"] == 0
    assert "first" not in doc
    _check(doc, tmp_path)
    assert app.test_client().get(f"{API}/me/export.jsonld").status_code == 401
