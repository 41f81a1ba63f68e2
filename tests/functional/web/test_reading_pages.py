"""The reading pages: the article list, an article, a paragraph's whole discussion."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import AnnotationStatus
from app.services.annotations import Quote
from tests.factories import login
from tests.functional.web.conftest import fresh
from tests.functional.web.page import parse


def test_the_index_lists_each_article_with_its_discussion_count(client, make) -> None:
    author = make.user()
    article = make.article(title="On Arguing Well", author="Ann Author")
    make.annotation(author, article)
    make.annotation(author, article, anchor="p3")
    page = parse(client.get("/").data)
    item = page.find("li", cls="article-item")
    assert item.find("a").attrs["href"] == f"/articles/{article.slug}"
    assert "On Arguing Well" in item.text
    assert "Ann Author" in item.text
    assert "2 notes on 4 paragraphs" in item.text


def test_every_block_has_its_anchor_as_id_and_data_anchor_with_a_permalink(client, make) -> None:
    article = make.article()
    page = parse(client.get(f"/articles/{article.slug}").data)
    blocks = page.find_all(data_anchor="*", cls="block")
    assert [b.attrs["id"] for b in blocks] == ["h1", "p2", "p3", "p4"]
    for block in blocks:
        assert block.attrs["data-anchor"] == block.attrs["id"]
        assert block.find("a", cls="permalink").attrs["href"] == f"#{block.attrs['id']}"
    assert blocks[0].find(cls="block-text").tag == "h2"
    assert blocks[1].find(cls="block-text").tag == "p"
    assert "The first paragraph makes a claim" in blocks[1].text


def test_counts_by_kind_sit_beside_the_block_and_link_to_its_page(client, make) -> None:
    author, article = make.user(), make.article()
    make.annotation(author, article, kind="counterargument")
    make.annotation(author, article, kind="counterargument")
    make.annotation(author, article, kind="question")
    page = parse(client.get(f"/articles/{article.slug}").data)
    counts = page.find(data_counts_for="p2")
    assert counts.attrs["href"] == f"/articles/{article.slug}/p/p2"
    kinds = {c.attrs["data-kind"]: c.text for c in counts.find_all(data_kind="*")}
    assert kinds == {"counterargument": "2 counterarguments", "question": "1 question"}
    assert "hidden" in page.find(data_counts_for="p3").attrs  # nothing to count yet


def test_the_header_shows_standfirst_byline_date_credit_source_and_disclaimer(client, make) -> None:
    from datetime import date

    article = make.article(
        standfirst="Why it matters.",
        published=date(2020, 11, 19),
        photo_credit="A. Photographer / AFP",
        source_url="https://news.example.org/story",
        disclaimer="Views are the author's own.",
    )
    page = parse(client.get(f"/articles/{article.slug}").data)
    header = page.find("header", cls="article-header")
    assert header.find("h1").text == article.title
    assert header.find(cls="standfirst").text == "Why it matters."
    assert "By A. Writer" in header.find(cls="byline").text
    assert header.find("time").attrs["datetime"] == "2020-11-19"
    assert "A. Photographer / AFP" in header.text
    assert header.find("a", href="https://news.example.org/story").text == "news.example.org"
    assert page.find("footer", cls="disclaimer").text == "Views are the author's own."


def test_a_source_url_that_is_not_http_is_not_linked(client, make) -> None:
    article = make.article(source_url="javascript:alert(1)")
    html = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "javascript:" not in html


def test_asides_follow_their_block_as_plain_related_notes(client, make) -> None:
    article = make.article(
        asides=[
            {"text": "Related article: Another story", "after": "p2"},
            {"text": "An orphan aside", "after": "gone"},
        ]
    )
    page = parse(client.get(f"/articles/{article.slug}").data)
    blocks_area = page.find(cls="blocks")
    order = [
        el.attrs.get("id") or el.text
        for el in blocks_area.children
        if not isinstance(el, str) and el.tag in ("section", "aside")
    ]
    assert order == [
        "h1",
        "p2",
        "Related article Another story",
        "p3",
        "p4",
        "Related An orphan aside",
    ]
    for aside in page.find_all("aside", cls="related"):
        assert not aside.has("a")
        assert "data-anchor" not in aside.attrs


def test_each_block_previews_its_first_threads_in_a_collapsed_panel(client, make) -> None:
    author, article = make.user(), make.article()
    notes = [make.annotation(author, article, body=f"Note number {i}.") for i in range(4)]
    make.annotation(author, article, parent=notes[0], body="A reply.")
    page = parse(client.get(f"/articles/{article.slug}").data)
    panel = page.find("details", data_discussion_for="p2")
    assert "open" not in panel.attrs
    shown = [int(a.attrs["data-annotation-id"]) for a in panel.find_all(data_annotation_id="*")]
    assert shown == [n.id for n in notes[:3]]
    first = panel.find(data_annotation_id=str(notes[0].id))
    assert first.find(cls="annotation-body").text == "Note number 0."
    assert first.find(cls="reply-count").text == "1 reply"
    more = panel.find(cls="discussion-more").find("a")
    assert more.attrs["href"] == f"/articles/{article.slug}/p/p2"
    assert more.text == "See the whole discussion (5)"


def test_quoted_phrases_are_handed_to_the_highlighter(client, make) -> None:
    author, article = make.user(), make.article()
    make.annotation(author, article, anchor="p3", quote=Quote("numbers: 32%"))
    page = parse(client.get(f"/articles/{article.slug}").data)
    text = page.find(id="p3").find(cls="block-text")
    assert text.attrs["data-quotes"] == '["numbers: 32%"]'
    assert "data-quotes" not in page.find(id="p2").find(cls="block-text").attrs


def test_the_paragraph_page_shows_the_whole_thread_at_any_depth(client, make) -> None:
    author, article = make.user(), make.article()
    chain = [make.annotation(author, article, body="Level 0")]
    for depth in range(1, 7):
        chain.append(make.annotation(author, article, parent=chain[-1], body=f"Level {depth}"))
    others = [make.annotation(author, article, body=f"Other {i}") for i in range(4)]
    page = parse(client.get(f"/articles/{article.slug}/p/p2").data)
    assert page.find(id="p2").attrs["data-anchor"] == "p2"
    ids = [int(a.attrs["data-annotation-id"]) for a in page.find_all(data_annotation_id="*")]
    assert ids == [a.id for a in chain + others]
    deepest = page.find(data_annotation_id=str(chain[-1].id))
    assert deepest.find(cls="annotation-body").text == "Level 6"
    assert "indent-4" in deepest.classes  # indentation stops growing at four levels
    nested = page.find(data_annotation_id=str(chain[0].id)).find(
        data_annotation_id=str(chain[3].id)
    )
    assert nested.find(cls="annotation-body").text == "Level 3"


def test_an_annotation_shows_kind_author_time_and_edited_marker(client, make) -> None:
    author = make.user(display_name="Rosa Parks")
    article = make.article()
    note = make.annotation(author, article, kind="support", body="Well *said*.")
    from datetime import timedelta

    stored = fresh(note.id)
    stored.updated_at = stored.created_at + timedelta(minutes=5)
    db.session.commit()
    page = parse(client.get(f"/articles/{article.slug}/p/p2").data)
    item = page.find(data_annotation_id=str(note.id))
    assert item.attrs["id"] == f"a-{note.id}"
    assert item.find(cls="kind-badge").text == "Support"
    assert item.find(cls="annotation-author").text == "Rosa Parks"
    assert item.find("time").attrs["datetime"].endswith("Z")
    assert item.find(cls="annotation-edited").text == "edited"
    assert item.find(cls="annotation-body").find("em").text == "said"


def test_hidden_and_deleted_notes_are_placeholders_except_a_hidden_one_for_its_author(
    client, make, signed_in
) -> None:
    author, other, article = make.user(), make.user(), make.article()
    hidden = make.annotation(author, article, body="Hidden words")
    deleted = make.annotation(author, article, body="Deleted words")
    make.annotation(other, article, parent=hidden, body="Reply to hidden")
    make.annotation(other, article, parent=deleted, body="Reply to deleted")
    fresh(hidden.id).status = AnnotationStatus.HIDDEN
    fresh(deleted.id).status = AnnotationStatus.DELETED
    db.session.commit()

    page = parse(client.get(f"/articles/{article.slug}/p/p2").data)
    assert (
        page.find(data_annotation_id=str(hidden.id))
        .find(cls="annotation-body")
        .text.startswith("[hidden by a moderator]")
    )
    assert (
        page.find(data_annotation_id=str(deleted.id))
        .find(cls="annotation-body")
        .text.startswith("[deleted]")
    )
    assert "Hidden words" not in page.text
    assert "Deleted words" not in page.text
    assert "Reply to hidden" in page.text
    assert "Reply to deleted" in page.text

    own = parse(signed_in(author).get(f"/articles/{article.slug}/p/p2").data)
    item = own.find(data_annotation_id=str(hidden.id))
    assert "Hidden words" in item.find(cls="annotation-body").text
    assert "only you can see it" in item.text


def test_a_script_in_a_body_renders_as_inert_text(client, make) -> None:
    author, article = make.user(), make.article()
    make.annotation(author, article, body='<script>alert("x")</script> <img src=x onerror=y>')
    for url in (f"/articles/{article.slug}", f"/articles/{article.slug}/p/p2"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert" in html


def test_unknown_slug_anchor_or_annotation_is_a_friendly_404_page(client, make) -> None:
    article = make.article()
    for url in (
        "/articles/nope",
        f"/articles/{article.slug}/p/nowhere",
        "/annotations/999999",
        "/articles/nope/p/p2",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.mimetype == "text/html"
        page = parse(response.data)
        assert page.has("header", cls="site-header")
        assert page.find("a", href="/").text


def test_an_annotation_link_redirects_to_it_in_context(client, make) -> None:
    author, article = make.user(), make.article()
    note = make.annotation(author, article, anchor="p3")
    response = client.get(f"/annotations/{note.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/articles/{article.slug}/p/p3#a-{note.id}"


def test_a_private_note_is_not_found_by_others(client, make, signed_in) -> None:
    author, article = make.user(), make.article()
    note = make.annotation(author, article)
    fresh(note.id).visibility = "private"
    db.session.commit()
    assert client.get(f"/annotations/{note.id}").status_code == 404
    assert signed_in(author).get(f"/annotations/{note.id}").status_code == 302
    assert f'data-annotation-id="{note.id}"' not in client.get(
        f"/articles/{article.slug}/p/p2"
    ).get_data(as_text=True)


def test_a_signed_out_reader_is_offered_sign_in_instead_of_forms(client, make) -> None:
    author, article = make.user(), make.article()
    make.annotation(author, article)
    page = parse(client.get(f"/articles/{article.slug}/p/p2").data)
    assert not page.has("form", cls="composer")
    assert not page.has("template")
    assert not page.has(data_reply_to="*")
    prompt = page.find(cls="sign-in-prompt")
    assert prompt.find("a").attrs["href"] == f"/login?next=/articles/{article.slug}/p/p2"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_every_page_links_css_and_module_js_from_static_only(client, make, signed_in) -> None:
    article = make.article()
    if signed_in:
        login(client, make.user().username)
    page = parse(client.get(f"/articles/{article.slug}").data)
    scripts = page.find_all("script", type="module")
    assert scripts
    assert all(s.attrs["src"].startswith("/static/") and not s.children for s in scripts)
    # The one other script is data, never run: the signed-in reader's personal layer.
    data = [s for s in page.find_all("script") if s.attrs.get("type") != "module"]
    assert [s.attrs for s in data] == ([{"type": "application/json", "id": "personal-layer"}]
                                      if signed_in else [])  # fmt: skip
    assert all(link.attrs["href"].startswith("/static/") for link in page.find_all("link"))
    assert not page.has("style")
    assert not [el for el in page.iter() if "style" in el.attrs]
    assert not [el for el in page.iter() if any(k.startswith("on") for k in el.attrs)]
    # Only a signed-in reader posts: a guest's page holds no token (a proxy may keep it).
    assert page.has("meta", name="csrf-token") == signed_in
