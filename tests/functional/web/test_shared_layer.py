"""Signed-in reading pages: the shared layer (drawn once per discussion version for everyone
reading it) plus each reader's personal layer. Never stale after any kind of write, never
showing one reader another's part, and drawing what the full page would."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.importing import parse_article
from app.models import Annotation, Membership
from app.models.base import utcnow
from app.services import feedback, groups, helpful, moderation
from app.services.annotations import NewAnnotation, post_annotation
from app.services.articles import add_article, revise_article
from app.web import caching
from tests.functional.web.page import parse
from tests.functional.web.test_article_cache import WRITES, Written


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    caching.fragments.clear()
    yield
    caching.fragments.clear()


def _layer(page: str) -> dict[str, list[int]]:
    found = re.search(r'<script type="application/json" id="personal-layer">(.*?)</script>', page)
    assert found, "no personal layer on the page"
    return json.loads(found.group(1))


def _text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _note_ids(page: str) -> list[str]:
    return re.findall(r'data-annotation-id="(\d+)"', page)


# --- every kind of write reaches every signed-in reader at once -----------------------------


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_reaches_a_signed_in_reader_of_the_public_discussion(
    app: Flask, signed_in: Any, make: Any, write: Callable[..., str]
) -> None:
    make.user("site-admin", role="admin")
    author, reader = make.user(display_name="First Name"), make.user()
    article = make.article()
    note = make.annotation(author, article, anchor="p2", body="The original words.")
    w = Written(author.username, article.slug, note.id)
    client = signed_in(reader)
    assert "The original words." in _text(client, f"/articles/{w.slug}")
    assert len(caching.fragments) == 1  # the reader was served the shared layer

    shows = write(app, w)

    assert shows in _text(client, f"/articles/{w.slug}")


def _group_post(c: Any, note: Annotation) -> str:
    new = NewAnnotation(anchor="p3", kind="question", body="Why so?", group_slug=c.group.slug)
    post_annotation(c.ann, c.article, new)
    return "Why so?"


def _group_edit(c: Any, note: Annotation) -> str:
    note.body, note.body_html = "Second thoughts", "<p>Second thoughts</p>"
    return "Second thoughts"


def _group_helpful(c: Any, note: Annotation) -> str:
    helpful.mark_helpful(c.bob, note)
    return 'data-helpful-count="1"'


def _instructor(action: str, shows: str) -> Callable[[Any, Annotation], str]:
    def act(c: Any, note: Annotation) -> str:
        moderation.moderate_annotation(c.teacher, note, action, "for the class")
        return shows

    return act


GROUP_WRITES = {
    "a member posts": _group_post,
    "the author edits": _group_edit,
    "another member marks it helpful": _group_helpful,
    "the instructor hides it": _instructor("hide", "[hidden by"),
    "the instructor pins it": _instructor("pin", "is-pinned"),
}


@pytest.mark.parametrize("write", GROUP_WRITES.values(), ids=GROUP_WRITES.keys())
def test_every_write_reaches_a_member_reading_the_groups_discussion(
    signed_in: Any, classroom: Any, make: Any, write: Callable[[Any, Annotation], str]
) -> None:
    c = classroom
    note = make.groups.group_note(c.ann, c.article, c.group, body="For the seminar")
    url = f"/articles/{c.article.slug}?group={c.group.slug}"
    reader = make.user("carol")
    make.groups.join(reader, c.group)
    client = signed_in(reader)
    assert "For the seminar" in _text(client, url)
    assert len(caching.fragments) == 1

    shows = write(c, db.session.get(Annotation, note.id))
    db.session.commit()

    assert shows in _text(client, url)


def test_a_revision_reaches_a_signed_in_reader(signed_in: Any, make: Any) -> None:
    owner, reader = make.user(role="instructor"), make.user()
    source = "# Title\n\nThe first paragraph says 32% of cats.\n\nA second paragraph.\n"
    article = add_article(owner, parse_article(source, "md"), "revised").article
    db.session.commit()
    client = signed_in(reader)
    assert "32% of cats" in _text(client, "/articles/revised")
    revise_article(owner, article, parse_article(source.replace("32%", "33%"), "md"))
    db.session.commit()
    assert "33% of cats" in _text(client, "/articles/revised")


# --- membership changes are decided per request, never kept ----------------------------------


def test_membership_changes_take_effect_on_the_next_page(
    signed_in: Any, classroom: Any, make: Any
) -> None:
    c = classroom
    make.groups.group_note(c.ann, c.article, c.group, body="Members only")
    url = f"/articles/{c.article.slug}?group={c.group.slug}"
    client = signed_in(c.bob)
    page = _text(client, url)
    assert "Members only" in page
    assert 'class="closed-note' not in page

    until = utcnow() + timedelta(days=1)
    moderation.suspend_member(c.teacher, c.group, c.bob, until, "cool off")
    db.session.commit()
    page = _text(client, url)
    assert "You are suspended from posting" in page
    assert 'class="reading is-closed"' in page  # the stylesheet hides every "Add a note"
    assert "Select words in a paragraph to comment" not in page  # nor invites them to

    groups.remove_member(c.teacher, c.group, c.bob.username, "left the course")
    db.session.commit()
    assert client.get(url).status_code == 404
    assert "Members only" not in _text(client, f"/articles/{c.article.slug}")


def test_a_member_made_instructor_gets_the_moderators_page(
    signed_in: Any, classroom: Any, make: Any
) -> None:
    c = classroom
    make.groups.group_note(c.ann, c.article, c.group, body="To moderate")
    url = f"/articles/{c.article.slug}?group={c.group.slug}"
    client = signed_in(c.bob)
    assert 'data-tool="moderate"' not in _text(client, url)
    groups.set_member_role(c.teacher, c.group, c.bob.username, "instructor")
    db.session.commit()
    assert 'data-tool="moderate"' in _text(client, url)


# --- the personal layer ------------------------------------------------------------------


def test_the_personal_layer_holds_the_readers_notes_marks_and_flags(
    signed_in: Any, make: Any
) -> None:
    reader, other = make.user(), make.user()
    article = make.article()
    theirs = make.annotation(other, article, body="Theirs")
    flagged = make.annotation(other, article, anchor="p3", body="Rude")
    mine = make.annotation(reader, article, body="Mine")
    helpful.mark_helpful(reader, theirs)
    moderation.flag_annotation(reader, flagged, "spam")
    db.session.commit()
    page = _text(signed_in(reader), f"/articles/{article.slug}")
    assert _layer(page) == {"mine": [mine.id], "marked": [theirs.id], "flagged": [flagged.id]}
    # Another reader of the same kept layer has their own, empty part.
    assert _layer(_text(signed_in(make.user()), f"/articles/{article.slug}")) == {
        "mine": [],
        "marked": [],
        "flagged": [],
    }


def test_the_shared_layer_holds_no_ones_controls_and_no_per_note_forms(
    signed_in: Any, make: Any
) -> None:
    reader = make.user()
    article = make.article()
    for n in range(3):
        make.annotation(make.user(), article, body=f"Note {n}")
    page = parse(_text(signed_in(reader), f"/articles/{article.slug}").encode())
    blocks = page.find(cls="blocks")
    assert not blocks.find_all("form", method="post")
    assert len(blocks.find_all("li", data_shared="*")) == 3
    # The controls are in the page once, for the script to give each note its own.
    assert page.find("template", id="note-tools")
    # Without the script, each note's Reply opens the paragraph page with its form open.
    replies = blocks.find_all("a", cls="for-members")
    assert len(replies) == 3
    assert all(a.attrs["href"].startswith(f"/articles/{article.slug}/p/p2?reply=") for a in replies)


def _tools(page: str) -> dict[str, Any]:
    """The token and nonces in the page's kept tools, and the group the composer names."""
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    tools = page[page.index('<template id="note-tools">') :]
    return {
        "meta": meta.group(1) if meta else None,
        "tokens": set(re.findall(r'name="csrf_token" value="([^"]+)"', tools)),
        "nonces": re.findall(r'name="form_nonce" value="([^"]+)"', tools),
        "audience": re.findall(r"<span class=\"composer-audience\" data-audience>([^<]+)<", tools),
    }


def test_the_kept_tools_carry_each_readers_token_and_a_new_nonce(
    signed_in: Any, classroom: Any, make: Any
) -> None:
    c = classroom
    url = f"/articles/{c.article.slug}?group={c.group.slug}"
    bob, ann = signed_in(c.bob), signed_in(c.ann)
    first, again, other = _tools(_text(bob, url)), _tools(_text(bob, url)), _tools(_text(ann, url))
    for seen in (first, again, other):
        assert seen["tokens"] == {seen["meta"]}  # the reader's own, in every form
        assert len(seen["nonces"]) == 1
        assert seen["audience"] == [f"For {c.group.name} only"]
    assert first["meta"] != other["meta"]
    assert first["nonces"] != again["nonces"]  # a new drawing of the form: a new nonce
    # The group renamed: its composer names it by its new name.
    groups.rename_group(c.teacher, c.group, "Renamed seminar")
    db.session.commit()
    assert _tools(_text(bob, url))["audience"] == ["For Renamed seminar only"]


def test_a_suspended_reader_gets_the_tools_without_the_composer(
    signed_in: Any, classroom: Any
) -> None:
    c = classroom
    moderation.suspend_member(c.teacher, c.group, c.bob, utcnow() + timedelta(days=1), "pause")
    db.session.commit()
    page = _text(signed_in(c.bob), f"/articles/{c.article.slug}?group={c.group.slug}")
    assert '<template id="note-tools">' in page
    assert 'id="composer-template"' not in page
    assert 'id="composer-template"' in _text(
        signed_in(c.ann), f"/articles/{c.article.slug}?group={c.group.slug}"
    )


def test_a_groups_shared_reply_link_stays_in_the_group(
    signed_in: Any, classroom: Any, make: Any
) -> None:
    c = classroom
    note = make.groups.group_note(c.ann, c.article, c.group, body="In the group")
    page = parse(
        _text(signed_in(c.bob), f"/articles/{c.article.slug}?group={c.group.slug}").encode()
    )
    reply = page.find("li", id=f"a-{note.id}").find("a", cls="for-members")
    assert reply.attrs["href"] == (
        f"/articles/{c.article.slug}/p/p2?group={c.group.slug}&reply={note.id}#a-{note.id}"
    )


@pytest.mark.parametrize(
    "what",
    ["private", "held", "hidden", "feedback"],
)
def test_a_reader_whose_notes_look_different_to_them_gets_the_page_in_full(
    signed_in: Any, classroom: Any, make: Any, what: str
) -> None:
    c = classroom
    url = f"/articles/{c.article.slug}?group={c.group.slug}"
    make.groups.group_note(c.ann, c.article, c.group, anchor="p3", body="Elsewhere")
    make.annotation(c.ann, c.article, anchor="p3", body="Elsewhere in public")
    if what == "private":
        post_annotation(
            c.bob,
            c.article,
            NewAnnotation(anchor="p2", kind="comment", body="Only me", private=True),
        )
        url, shows = f"/articles/{c.article.slug}", "Only me"
    elif what == "held":
        c.group.premoderation = "all"
        post_annotation(
            c.bob,
            c.article,
            NewAnnotation(
                anchor="p2", kind="comment", body="Waiting here", group_slug=c.group.slug
            ),
        )
        shows = "Awaiting approval"
    else:
        note = make.groups.group_note(c.bob, c.article, c.group, body="My words")
        if what == "hidden":
            moderation.moderate_annotation(c.teacher, note, "hide", "off topic")
            shows = "Hidden by"
        else:
            feedback.give_feedback(c.teacher, note, "Well argued")
            shows = "Well argued"
    db.session.commit()
    page = parse(_text(signed_in(c.bob), url).encode())
    # That paragraph is drawn for them, with their controls; the others are the shared layer.
    assert shows in page.find("section", id="p2").text
    assert not page.find("section", id="p2").find_all("li", data_shared="*")
    assert page.find("section", id="p3").find_all("li", data_shared="*")
    others = _text(signed_in(c.ann), url)
    assert shows not in others


def test_the_shared_layer_shows_a_member_the_notes_the_full_page_would(
    signed_in: Any, classroom: Any, make: Any
) -> None:
    c = classroom
    note = make.groups.group_note(c.ann, c.article, c.group, body="A claim")
    make.groups.group_note(c.teacher, c.article, c.group, body="A reply", parent=note)
    make.groups.group_note(c.ann, c.article, c.group, anchor="p3", kind="question", body="Why?")
    moderation.moderate_annotation(
        c.teacher, make.groups.group_note(c.ann, c.article, c.group, body="Rude"), "hide", "no"
    )
    make.annotation(c.ann, c.article, body="A public note")
    db.session.commit()
    client = signed_in(c.bob)
    url = f"/articles/{c.article.slug}?group={c.group.slug}"
    shared = _text(client, url)
    with caching.bypassed():
        full = _text(client, url)
    assert "data-shared" in shared
    assert "data-shared" not in full
    assert _note_ids(shared) == _note_ids(full)
    for kept in (shared, full):
        assert "[hidden by" in kept
        assert "Rude" not in kept
        assert "also 1 in the public discussion" in kept

    def counts(page: str) -> list[str]:
        return re.findall(r"<span[^>]*data-kind[^>]*>[^<]*</span>", page)

    assert counts(shared) == counts(full)


def test_a_group_discussion_is_kept_apart_from_the_public_one(
    signed_in: Any, classroom: Any, make: Any
) -> None:
    c = classroom
    make.groups.group_note(c.ann, c.article, c.group, body="Seminar words")
    make.annotation(c.ann, c.article, body="Public words")
    client = signed_in(c.bob)
    group_page = _text(client, f"/articles/{c.article.slug}?group={c.group.slug}")
    public_page = _text(client, f"/articles/{c.article.slug}")
    assert "Seminar words" in group_page
    assert "Public words" not in group_page
    assert "Public words" in public_page
    assert "Seminar words" not in public_page
    assert len(caching.fragments) == 2
    # An outsider asking for the group never gets its kept layer.
    assert (
        signed_in(c.outsider).get(f"/articles/{c.article.slug}?group={c.group.slug}").status_code
        == 404
    )


def test_the_membership_cache_is_read_once_with_its_groups(
    app: Flask, signed_in: Any, classroom: Any, count_queries: Any
) -> None:
    c = classroom
    client = signed_in(c.bob)
    url = f"/articles/{c.article.slug}?group={c.group.slug}"
    client.get(url)
    db.session.remove()
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    memberships = [q for q in queries.statements if "FROM memberships" in q.split("WHERE")[0]]
    groups_by_slug = [q for q in queries.statements if "WHERE groups.slug" in q]
    assert len(memberships) == 1
    assert not groups_by_slug
    assert db.session.query(Membership).count() >= 3
