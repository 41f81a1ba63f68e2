"""The reading pages: add (preview, publish, assign), edit as a revision, history, diff, health,
re-attach, and an orphan's place at the article's end."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, Article, Block, Reading, User
from app.services import reading
from app.services.annotations import Quote, delete_annotation
from tests.functional.web.page import parse

SOURCE = """# Reading Week

By Dana Writer

## Opening

The first paragraph makes a claim that readers may dispute at length.

Related: a box about something else entirely.

The second paragraph offers evidence, with numbers: 32% and 69%.

The third paragraph concludes, perhaps too quickly, that all is well.
"""
HTML = """<html><head><title>Saved page</title></head><body>
<nav><a href="/">Home</a></nav><div class="ad">Advertisement</div><script>track()</script>
<article><h1>A Saved Page</h1><p>First paragraph of the saved page.</p>
<p>Second paragraph of the saved page.</p></article></body></html>"""


def _article(slug: str = "reading-week") -> Article:
    db.session.expire_all()
    return db.session.scalars(select(Article).where(Article.slug == slug)).one()


def _publish(client, **extra):  # type: ignore[no-untyped-def]
    form = {"source": SOURCE, "markup": "md", "title": "Reading Week", "author": "Dana Writer",
            "slug": "reading-week", "step": "publish", **extra}  # fmt: skip
    return client.post("/articles/new/publish", data=form)


def test_a_member_cannot_open_the_add_page(signed_in, make) -> None:
    assert signed_in(make.user()).get("/articles/new").status_code == 403


def test_the_preview_shows_the_blocks_the_repairs_and_what_was_dropped(signed_in, make) -> None:
    client = signed_in(make.user("teacher", role="instructor"))
    response = client.post("/articles/new", data={"source": SOURCE, "markup": "md"})
    assert response.status_code == 200
    page = parse(response.get_data(as_text=True))
    repairs = page.find(cls="repairs").text
    assert "Byline read: “Dana Writer”" in repairs
    assert "Set apart as an aside" in repairs
    assert page.find("input", name="title").attrs["value"] == "Reading Week"
    assert page.find("input", name="slug").attrs["value"] == "reading-week"
    assert len(page.find_all(cls="preview-block")) == 4
    assert db.session.scalar(select(Article.id)) is None  # a preview stores nothing


def test_a_pasted_article_larger_than_an_ordinary_form_is_previewed(app, signed_in, make) -> None:
    # Article pages take up to 2 MiB of text (app/uploads.py), past the 512 KiB other forms get.
    client = signed_in(make.user("teacher", role="instructor"))
    paragraph = "A long reading goes on and on, as long readings do. " * 20
    source = "# Long\n\n" + "\n\n".join([paragraph] * 1200)
    assert app.config["MAX_FORM_MEMORY_SIZE"] < len(source) < 2 * 1024 * 1024
    response = client.post("/articles/new", data={"source": source, "markup": "md"})
    assert response.status_code == 200
    assert "A long reading goes on" in response.get_data(as_text=True)


def test_an_uploaded_html_page_is_previewed_with_what_was_left_out(signed_in, make) -> None:
    client = signed_in(make.user("teacher", role="instructor"))
    upload = (io.BytesIO(HTML.encode()), "saved.html")
    response = client.post(
        "/articles/new", data={"source": "", "markup": "md", "upload": upload},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 200
    dropped = parse(response.get_data(as_text=True)).find(cls="dropped").text
    assert "<nav>" in dropped
    assert "<script>" in dropped
    assert "Advertisement" in dropped


def test_unsupported_and_binary_uploads_are_refused_on_the_page(signed_in, make) -> None:
    client = signed_in(make.user("teacher", role="instructor"))
    for name, raw, message in (
        ("slides.pdf", b"%PDF-1.7 ...", "Upload a .md, .txt or .html file."),
        ("notes.txt", b"\x00\x01\x02\x03binary", "Upload Markdown, plain text or HTML."),
        ("empty.md", b"   ", "There is no text to import."),
    ):
        response = client.post(
            "/articles/new",
            data={"source": "", "markup": "md", "upload": (io.BytesIO(raw), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422, name
        assert message in response.get_data(as_text=True), name


def test_publishing_stores_the_corrections_asides_and_assignments(signed_in, make) -> None:
    teacher = make.user("teacher", role="instructor")
    group = make.groups.group(teacher, "Seminar")
    client = signed_in(teacher)
    # Block 2 (the second body paragraph) becomes an aside; the group gets the reading.
    response = _publish(client, title="Reading Week, corrected", aside="2", group=group.slug)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/articles/reading-week")
    article = _article()
    assert (article.title, article.author, article.owner_id) == (
        "Reading Week, corrected", "Dana Writer", teacher.id,
    )  # fmt: skip
    assert [a["text"] for a in article.asides][-1].startswith("The second paragraph")
    assert db.session.scalar(select(Reading.group_id).where(Reading.article_id == article.id))


def test_a_taken_slug_comes_back_to_the_preview_with_the_reason(signed_in, make) -> None:
    client = signed_in(make.user("teacher", role="instructor"))
    assert _publish(client).status_code == 302
    again = _publish(client)
    assert again.status_code == 409
    assert "is taken by another article" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Article)) == 1


def _revised_with_orphan(client, make):  # type: ignore[no-untyped-def]
    _publish(client)
    article = _article()
    third = next(b for b in _blocks(article) if "all is well" in b.text)
    reader = make.user("ann")
    note = make.annotation(reader, article, anchor=third.anchor, quote=Quote("all is well", "", ""))
    keep = next(b for b in _blocks(article) if "makes a claim" in b.text)
    make.annotation(reader, article, anchor=keep.anchor)
    make.annotation(reader, article, anchor=keep.anchor)
    v2 = SOURCE.replace(
        "The third paragraph concludes, perhaps too quickly, that all is well.\n", ""
    )
    response = client.post("/articles/reading-week/edit", data={"source": v2, "markup": "md"})
    return response, note, keep


def _blocks(article: Article) -> list[Block]:
    return reading.list_blocks(article)


def test_editing_makes_a_revision_reports_it_and_lists_the_orphan(signed_in, make) -> None:
    client = signed_in(make.user("teacher", role="instructor"))
    response, note, _keep = _revised_with_orphan(client, make)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/articles/reading-week/health")
    health = parse(client.get("/articles/reading-week/health").get_data(as_text=True))
    assert "1 orphaned" in health.find(cls="report").text
    assert health.find(cls="orphan").attrs["data-annotation-id"] == str(note.id)
    page = parse(client.get("/articles/reading-week").get_data(as_text=True))
    orphans = page.find(id="orphans")
    assert "No longer in the text" in orphans.text
    assert "Originally quoted: “all is well”" in orphans.text
    assert not page.has(cls="block", id="p-the-third-paragraph")  # no ghost paragraph


def test_an_orphan_s_words_show_only_to_whom_the_policy_shows_them(signed_in, make) -> None:
    # The health page (its owner) and the article's end list orphans: a deleted one is a
    # placeholder there as everywhere, its author included.
    client = signed_in(make.user("teacher", role="instructor"))
    _response, note, _keep = _revised_with_orphan(client, make)
    note = db.session.get(Annotation, note.id)
    note.body, note.body_html = "Marker-word gone.", "<p>Marker-word gone.</p>"
    delete_annotation(db.session.get(User, note.author_id), note)
    db.session.commit()
    for path in ("/articles/reading-week/health", "/articles/reading-week"):
        for reader in (client, signed_in(db.session.get(User, note.author_id))):
            html = reader.get(path).get_data(as_text=True)
            assert "Marker-word" not in html, path
    health = parse(client.get("/articles/reading-week/health").get_data(as_text=True))
    assert health.find(cls="placeholder").text.strip() == "[deleted]"


def test_an_orphan_is_re_attached_from_the_health_page(signed_in, make) -> None:
    client = signed_in(make.user("teacher", role="instructor"))
    _response, note, keep = _revised_with_orphan(client, make)
    response = client.post(
        f"/annotations/{note.id}/anchor",
        data={"anchor": keep.anchor, "quote_text": "readers may dispute", "back": "health"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Annotation, note.id)
    assert (moved.orphaned, moved.block_id, moved.quote_exact) == (
        False, keep.id, "readers may dispute",
    )  # fmt: skip


def test_a_revision_orphaning_most_notes_asks_for_confirmation(signed_in, make) -> None:
    teacher = make.user("teacher", role="instructor")
    client = signed_in(teacher)
    _publish(client)
    article = _article()
    target = next(b for b in _blocks(article) if "all is well" in b.text)
    note = make.annotation(make.user(), article, anchor=target.anchor)
    rewrite = "# Reading Week\n\nSomething else altogether now.\n"
    refused = client.post("/articles/reading-week/edit", data={"source": rewrite, "markup": "md"})
    assert refused.status_code == 409
    assert parse(refused.get_data(as_text=True)).has("input", name="confirm")
    assert not db.session.get(Annotation, note.id).orphaned
    confirmed = client.post(
        "/articles/reading-week/edit", data={"source": rewrite, "markup": "md", "confirm": "y"}
    )
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Annotation, note.id).orphaned


def test_history_diff_and_an_earlier_revision_read_only(signed_in, make) -> None:
    client = signed_in(make.user("teacher", role="instructor"))
    _publish(client)
    v2 = SOURCE.replace("that all is well", "that nothing is well")
    assert (
        client.post("/articles/reading-week/edit", data={"source": v2, "markup": "md"}).status_code
        == 302
    )
    history = parse(client.get("/articles/reading-week/revisions").get_data(as_text=True))
    assert len(history.find_all(cls="revision")) == 2
    diff = parse(
        client.get("/articles/reading-week/revisions/diff?from=1&to=2").get_data(as_text=True)
    )
    assert diff.find("del").text == "all"
    assert diff.find("ins").text == "nothing"
    old = client.get("/articles/reading-week?revision=1").get_data(as_text=True)
    assert "You are reading revision 1 of 2" in old
    assert "that all is well" in old
    assert client.get("/articles/reading-week?revision=7").status_code == 404


def test_someone_else_cannot_edit_the_article(signed_in, make) -> None:
    owner = signed_in(make.user("teacher", role="instructor"))
    _publish(owner)
    other = signed_in(make.user("colleague", role="instructor"))
    assert other.get("/articles/reading-week/edit").status_code == 403
    assert (
        other.post(
            "/articles/reading-week/edit", data={"source": SOURCE + "\nMore.\n", "markup": "md"}
        ).status_code
        == 403
    )


def test_an_orphan_s_link_and_its_author_s_notification_lead_to_the_article_s_end(
    signed_in, make
) -> None:
    client = signed_in(make.user("teacher", role="instructor"))
    _response, note, _keep = _revised_with_orphan(client, make)
    reader = signed_in(db.session.get(User, note.author_id))
    opened = reader.get(f"/annotations/{note.id}")
    assert opened.headers["Location"].endswith(f"/articles/reading-week#a-{note.id}")
    listed = parse(reader.get("/notifications").get_data(as_text=True))
    assert "Revision" in listed.find(cls="notification-kind").text


def test_a_lightly_edited_quote_shows_its_new_words_and_the_original(signed_in, make) -> None:
    client = signed_in(make.user("teacher", role="instructor"))
    _publish(client)
    article = _article()
    second = next(b for b in _blocks(article) if "offers evidence" in b.text)
    make.annotation(
        make.user("ann"), article, anchor=second.anchor, quote=Quote("offers evidence", "", "")
    )
    v2 = SOURCE.replace("offers evidence", "offers some evidence")
    assert (
        client.post("/articles/reading-week/edit", data={"source": v2, "markup": "md"}).status_code
        == 302
    )
    page = parse(client.get(f"/articles/reading-week/p/{second.anchor}").get_data(as_text=True))
    assert page.find(cls="annotation-quote").text == "offers some evidence"
    assert page.find(cls="annotation-note--original").text == "Originally quoted: “offers evidence”"
