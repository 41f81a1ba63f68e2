"""What a newcomer tripped over (issue 9, item 8), each fixed and kept fixed."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Annotation
from app.services.annotations import delete_annotation
from tests.factories import login
from tests.functional.web.conftest import fresh
from tests.functional.web.page import parse


def test_a_deleted_note_whose_reply_survives_is_shown_where_the_badge_counts_it(
    client, make
) -> None:
    ann, bob = make.user(), make.user()
    article = make.article()
    note = make.annotation(ann, article, body="Soon gone.")
    reply = make.annotation(bob, article, body="Still here.", parent=note)
    delete_annotation(ann, fresh(note.id))
    db.session.commit()

    block = parse(client.get(f"/articles/{article.slug}").data).find("section", id="p2")

    assert " ".join(block.find("a", cls="counts").text.split()) == "1 comment"
    assert not block.has("p", cls="discussion-empty")
    placeholder = block.find("li", id=f"a-{note.id}")
    assert placeholder.find("div", cls="annotation-body").text == "[deleted]"
    assert placeholder.find("a", cls="reply-count").text == "1 reply"
    assert reply.parent_id == note.id


def test_hiding_from_the_page_needs_a_reason_a_preset_or_free_text(client, make) -> None:
    admin, ann = make.user(role="admin"), make.user()
    note = make.annotation(ann, make.article())
    login(client, admin.username)
    url = f"/annotations/{note.id}/moderate"

    refused = client.post(url, data={"action": "hide"}, follow_redirects=True)

    assert "Say why you hide it" in refused.get_data(as_text=True)
    assert fresh(note.id).status == "visible"
    client.post(url, data={"action": "hide", "preset": "Spam or advertising", "reason": "Twice."})
    hidden = fresh(note.id)
    assert (hidden.status, hidden.moderation_reason) == ("hidden", "Spam or advertising: Twice.")


def test_a_hidden_placeholder_offers_no_flag_and_a_flagged_note_says_so(client, make) -> None:
    admin, ann, bob = make.user(role="admin"), make.user(), make.user()
    article = make.article()
    flagged = make.annotation(ann, article, body="Dubious.")
    hidden = make.annotation(ann, article, body="Rude.")
    login(client, admin.username)
    client.post(f"/annotations/{hidden.id}/moderate", data={"action": "hide", "reason": "Rude."})
    login(client, bob.username)
    client.post(f"/annotations/{flagged.id}/flag", data={"reason": "spam"})

    page = parse(client.get(f"/articles/{article.slug}/p/p2").data)

    placeholder = page.find("li", id=f"a-{hidden.id}")
    assert not placeholder.has("details", data_tool="flag")
    mine = page.find("li", id=f"a-{flagged.id}")
    assert not mine.has("details", data_tool="flag")
    assert mine.find("span", cls="flagged-note").text == "You flagged this"


def test_a_groups_view_says_what_the_public_discussion_holds(client, make, classroom) -> None:
    c = classroom
    make.annotation(c.ann, c.article, anchor="p2", body="My public note.")
    login(client, c.ann.username)

    article = parse(client.get(f"/articles/{c.article.slug}?group={c.group.slug}").data)
    paragraph = parse(client.get(f"/articles/{c.article.slug}/p/p2?group={c.group.slug}").data)

    side = article.find("section", id="p2").find("a", cls="elsewhere")
    assert side.text.startswith("also 1 in the public discussion")
    assert side.attrs["href"] == f"/articles/{c.article.slug}/p/p2"
    assert paragraph.find("p", cls="elsewhere").text == "also 1 in the public discussion"


def test_a_private_note_written_in_a_groups_view_stays_private_and_in_view(
    client, make, classroom
) -> None:
    c = classroom
    login(client, c.ann.username)
    url = f"/articles/{c.article.slug}/p/p2?group={c.group.slug}"
    composer = parse(client.get(url).data).find("form", id="new")
    assert composer.has("input", name="private")

    response = client.post(
        f"/articles/{c.article.slug}/p/p2/annotations",
        data={"kind": "comment", "body": "Just for me.", "group": c.group.slug, "private": "y"},
    )

    note = db.session.scalars(select(Annotation)).one()
    assert (note.visibility, note.group_id) == ("private", None)
    assert response.headers["Location"] == f"{url.split('?')[0]}?group={c.group.slug}#a-{note.id}"
    assert parse(client.get(url).data).has("li", id=f"a-{note.id}")
    login(client, c.bob.username)
    assert not parse(client.get(url).data).has("li", id=f"a-{note.id}")


def test_form_fields_never_say_none_and_login_focuses_one_field(client, make) -> None:
    make.user("ann")
    pages = [
        client.get("/login").get_data(as_text=True),
        client.get("/register").get_data(as_text=True),
        client.post("/login", data={"username": "ann", "password": ""}).get_data(as_text=True),
        client.post("/register", data={"username": "x"}).get_data(as_text=True),
    ]

    for html in pages:
        assert '="None"' not in html
    assert pages[0].count("autofocus") == 1
    failed = parse(pages[2])
    password = failed.find("input", name="password")
    assert password.attrs["aria-invalid"] == "true"
    assert password.attrs["aria-describedby"] == "password-error"


def test_each_blocks_controls_have_their_own_accessible_name(client, make) -> None:
    html = client.get(f"/articles/{make.article().slug}").get_data(as_text=True)
    page = parse(html)

    summaries = re.findall(r'<summary class="discussion-toggle">(.*?)</summary>', html)
    toggles = [re.sub(r"<[^>]+>", "", s) for s in summaries]  # what a screen reader says

    assert toggles == ["Discuss heading 1", "Discuss paragraph 1", "Discuss paragraph 2",
                       "Discuss paragraph 3"]  # fmt: skip
    assert len(page.find_all("h1")) == 1
