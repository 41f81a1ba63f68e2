"""CONTRACT §5 through the API: add an article, revise it, read revisions, health, re-attach."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, Article, ArticleRevision, Block, Notification
from tests.functional.api.conftest import API

V1 = """# Reading Week

## Opening

The first paragraph makes a claim that readers may dispute at length.

The second paragraph offers evidence, with numbers: 32% and 69%.

The third paragraph concludes, perhaps too quickly, that all is well.
"""


@pytest.fixture
def teacher(make):  # type: ignore[no-untyped-def]
    return make.user("teacher", role="instructor")


def _add(client, headers, source: str = V1, **extra):  # type: ignore[no-untyped-def]
    body = {"source": source, "markup": "md", **extra}
    return client.post(f"{API}/articles", json=body, headers=headers)


def _revise(client, headers, source: str, slug: str = "reading-week", **extra):  # type: ignore[no-untyped-def]
    body = {"source": source, "markup": "md", **extra}
    return client.post(f"{API}/articles/{slug}/revisions", json=body, headers=headers)


def _quote_note(client, headers, anchor: str, exact: str, text: str) -> int:  # type: ignore[no-untyped-def]
    start = text.index(exact)
    quote = {"exact": exact, "prefix": text[max(0, start - 32) : start],
             "suffix": text[start + len(exact) : start + len(exact) + 32]}  # fmt: skip
    response = client.post(
        f"{API}/articles/reading-week/annotations",
        json={"anchor": anchor, "kind": "comment", "body": "Hmm.", "quote": quote},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_an_instructor_adds_an_article_and_gets_it_back_with_a_location(
    client, teacher, bearer
) -> None:
    response = _add(client, bearer(teacher))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert response.headers["Location"].endswith(f"{API}/articles/reading-week")
    assert (data["slug"], data["title"], data["revision"]) == ("reading-week", "Reading Week", 1)
    assert [b["kind"] for b in data["blocks"]] == ["heading", "paragraph", "paragraph", "paragraph"]
    assert client.get(f"{API}/articles/reading-week").get_json()["blocks"] == data["blocks"]


def test_a_member_may_not_add_an_article(client, make, bearer) -> None:
    response = _add(client, bearer(make.user()))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("source", "markup", "field"),
    [
        ("", "md", "source"),
        ("   \n\n ", "md", "source"),
        ("PK\x03\x04binary", "md", "source"),
        ("# Only a title\n", "md", "blocks"),
        ("<script>alert(1)</script><style>p{}</style><iframe src=x></iframe>", "html", "source"),
        ("# T\n\nText.", "docx", "markup"),
    ],
    ids=["empty", "blank", "binary", "no-paragraphs", "scripts-only", "unknown-markup"],
)
def test_bad_sources_are_a_validation_error_and_store_nothing(
    client, teacher, bearer, source: str, markup: str, field: str
) -> None:
    response = client.post(
        f"{API}/articles", json={"source": source, "markup": markup}, headers=bearer(teacher)
    )
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"].get("fields", {}), response.get_json()
    assert db.session.scalar(select(func.count()).select_from(Article)) == 0


def test_more_than_two_mib_is_refused_with_a_reason(client, teacher, bearer) -> None:
    big = "# Big\n\n" + ("A sentence of a long reading. " * 80_000)
    response = _add(client, bearer(teacher), big)
    assert response.status_code == 422
    assert "2 MiB" in response.get_json()["error"]["fields"]["source"]


def test_broken_html_is_imported_not_a_server_error(client, teacher, bearer) -> None:
    broken = "<html><h1>Broken <b>page</h1><p>First <i>para.<p>Second para.</div></span><p"
    response = client.post(
        f"{API}/articles", json={"source": broken, "markup": "html"}, headers=bearer(teacher)
    )
    assert response.status_code == 201, response.get_json()
    texts = [b["text"] for b in response.get_json()["blocks"]]
    assert texts == ["First para.", "Second para."]


def test_a_taken_slug_is_a_conflict(client, teacher, bearer) -> None:
    headers = bearer(teacher)
    assert _add(client, headers).status_code == 201
    again = _add(client, headers)
    assert again.status_code == 409
    assert "slug" in again.get_json()["error"]["fields"]


def test_a_revision_moves_quotes_with_their_words_and_reports_it(
    client, teacher, make, bearer
) -> None:
    headers = bearer(teacher)
    blocks = _add(client, headers).get_json()["blocks"]
    reader = bearer(make.user("reader"))
    first, second = blocks[1], blocks[2]
    kept = _quote_note(client, reader, first["anchor"], "readers may dispute", first["text"])
    edited = _quote_note(client, reader, second["anchor"], "offers evidence", second["text"])
    v2 = V1.replace("offers evidence", "offers some evidence").replace(
        "## Opening\n", "## Opening\n\nA new first paragraph, added later.\n"
    )
    response = _revise(client, headers, v2)
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {
        "revision": 2,
        "report": {
            "blocks": {"kept": 3, "moved": 0, "edited": 1, "added": 1, "removed": 0},
            "annotations": {"anchored": 1, "reanchored": 1, "orphaned": 0},
        },
    }
    note = client.get(f"{API}/annotations/{edited}").get_json()
    assert (note["anchor"], note["orphaned"]) == (second["anchor"], False)
    now = client.get(f"{API}/articles/reading-week").get_json()["blocks"][3]["text"]
    start, end = note["quote_range"]["start"], note["quote_range"]["end"]
    assert now[start:end] == "offers some evidence"
    assert note["quote"]["exact"] == "offers evidence"  # the author's words stay
    assert client.get(f"{API}/annotations/{kept}").get_json()["quote_range"] is not None


def test_revisions_are_listed_newest_first_and_earlier_ones_stay_readable(
    client, teacher, bearer
) -> None:
    headers = bearer(teacher)
    _add(client, headers)
    _revise(client, headers, V1.replace("all is well", "nothing is well"))
    listed = client.get(f"{API}/articles/reading-week/revisions").get_json()
    assert [r["revision"] for r in listed["items"]] == [2, 1]
    assert listed["items"][0]["author"]["username"] == "teacher"
    old = client.get(f"{API}/articles/reading-week?revision=1").get_json()
    assert (old["revision"], old["current_revision"]) == (1, 2)
    assert "all is well" in old["blocks"][-1]["text"]
    current = client.get(f"{API}/articles/reading-week").get_json()
    assert "nothing is well" in current["blocks"][-1]["text"]
    assert client.get(f"{API}/articles/reading-week?revision=9").status_code == 404


def test_a_removed_paragraph_leaves_the_text_and_its_note_is_orphaned_not_lost(
    client, teacher, make, bearer
) -> None:
    headers = bearer(teacher)
    blocks = _add(client, headers).get_json()["blocks"]
    ann = make.user("ann")
    reader = bearer(ann)
    gone = _quote_note(client, reader, blocks[3]["anchor"], "all is well", blocks[3]["text"])
    stays = _quote_note(client, reader, blocks[1]["anchor"], "makes a claim", blocks[1]["text"])
    stays2 = _quote_note(client, reader, blocks[2]["anchor"], "32%", blocks[2]["text"])
    v2 = V1.replace("The third paragraph concludes, perhaps too quickly, that all is well.\n", "")
    assert _revise(client, headers, v2).status_code == 201
    texts = [b["text"] for b in client.get(f"{API}/articles/reading-week").get_json()["blocks"]]
    assert not any("all is well" in t for t in texts)  # no ghost paragraph
    orphan = client.get(f"{API}/annotations/{gone}", headers=reader).get_json()
    assert (orphan["orphaned"], orphan["quote_range"], orphan["body"]) == (True, None, "Hmm.")
    health = client.get(f"{API}/articles/reading-week/health", headers=headers).get_json()
    assert [a["id"] for a in health["orphaned"]] == [gone]
    assert health["report"]["annotations"] == {"anchored": 2, "reanchored": 0, "orphaned": 1}
    told = db.session.scalars(select(Notification).where(Notification.user_id == ann.id)).all()
    assert [n.kind for n in told] == ["orphaned"]
    assert {stays, stays2}.isdisjoint(a["id"] for a in health["orphaned"])


def test_orphaning_most_notes_asks_for_force_and_applies_nothing_until_given(
    client, teacher, make, bearer
) -> None:
    headers = bearer(teacher)
    blocks = _add(client, headers).get_json()["blocks"]
    reader = bearer(make.user())
    note = _quote_note(client, reader, blocks[3]["anchor"], "all is well", blocks[3]["text"])
    rewrite = "# Reading Week\n\nAn entirely different text now.\n"
    refused = _revise(client, headers, rewrite)
    assert refused.status_code == 409
    assert "force" in refused.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.max(ArticleRevision.number))) == 1
    assert not db.session.get(Annotation, note).orphaned
    assert _revise(client, headers, rewrite, force=True).status_code == 201
    db.session.expire_all()
    assert db.session.get(Annotation, note).orphaned


def test_only_the_owner_or_an_admin_revises(client, teacher, make, bearer) -> None:
    _add(client, bearer(teacher))
    other = bearer(make.user("colleague", role="instructor"))
    assert _revise(client, other, V1 + "\nMore.\n").status_code == 403
    admin = bearer(make.user("boss", role="admin"))
    assert _revise(client, admin, V1 + "\nMore.\n").status_code == 201


def test_an_orphan_is_re_attached_on_new_words_with_its_replies(
    client, teacher, make, bearer
) -> None:
    headers = bearer(teacher)
    blocks = _add(client, headers).get_json()["blocks"]
    reader = bearer(make.user("ann"))
    root = _quote_note(client, reader, blocks[3]["anchor"], "all is well", blocks[3]["text"])
    reply = client.post(
        f"{API}/articles/reading-week/annotations",
        json={"anchor": blocks[3]["anchor"], "kind": "support", "body": "Yes.", "parent": root},
        headers=reader,
    ).get_json()["id"]
    v2 = V1.replace("The third paragraph concludes, perhaps too quickly, that all is well.\n", "")
    _revise(client, headers, v2, force=True)
    target = blocks[1]
    response = client.post(
        f"{API}/annotations/{root}/anchor",
        json={"anchor": target["anchor"], "quote": {"exact": "makes a claim"}},
        headers=reader,
    )
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert (data["anchor"], data["orphaned"]) == (target["anchor"], False)
    assert target["text"][data["quote_range"]["start"] : data["quote_range"]["end"]] == (
        "makes a claim"
    )
    followed = client.get(f"{API}/annotations/{reply}").get_json()
    assert (followed["anchor"], followed["orphaned"]) == (target["anchor"], False)
    bad = client.post(
        f"{API}/annotations/{root}/anchor", json={"anchor": "nowhere"}, headers=reader
    )
    assert bad.status_code == 422


def test_health_is_for_the_owner_admins_and_instructors_of_a_reading_group(
    client, teacher, make, bearer
) -> None:
    _add(client, bearer(teacher))
    article = db.session.scalar(select(Article).where(Article.slug == "reading-week"))
    stranger = make.user("stranger", role="instructor")
    assert (
        client.get(f"{API}/articles/reading-week/health", headers=bearer(stranger)).status_code
        == 403
    )
    make.groups.group(stranger, "Stranger's seminar", articles=(article,))
    assert (
        client.get(f"{API}/articles/reading-week/health", headers=bearer(stranger)).status_code
        == 200
    )


def test_retired_blocks_take_no_new_annotations(client, teacher, make, bearer) -> None:
    headers = bearer(teacher)
    blocks = _add(client, headers).get_json()["blocks"]
    _revise(
        client,
        headers,
        V1.replace("The second paragraph offers evidence, with numbers: 32% and 69%.\n", ""),
    )
    assert db.session.scalar(select(Block.retired).where(Block.anchor == blocks[2]["anchor"]))
    response = client.post(
        f"{API}/articles/reading-week/annotations",
        json={"anchor": blocks[2]["anchor"], "kind": "comment", "body": "Late."},
        headers=bearer(make.user()),
    )
    assert response.status_code == 422
