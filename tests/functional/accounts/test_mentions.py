"""@mentions: links in the stored rendering, notifications only for those who may see the note."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Notification, NotificationKind
from app.services.annotations import edit_annotation
from app.text import render_markdown
from tests.factories import login

API = "/api/v1"


def _mentions_of(user) -> list[Notification]:  # type: ignore[no-untyped-def]
    return list(
        db.session.scalars(
            select(Notification).where(
                Notification.user_id == user.id, Notification.kind == NotificationKind.MENTION
            )
        )
    )


def test_a_mention_becomes_a_link_and_tells_the_member(make) -> None:
    ann, bob = make.user("ann", display_name="Ann"), make.user("bob", display_name="Bob")
    note = make.annotation(bob, make.article(), body="What do you think, @Ann? And @nobody?")
    assert '<a href="/people/ann" class="mention">@Ann</a>' in note.body_html
    assert "@nobody" in note.body_html
    assert 'href="/people/nobody"' not in note.body_html
    [told] = _mentions_of(ann)
    assert told.annotation_id == note.id
    assert told.message == "Bob mentioned you."


def test_mentions_in_code_links_and_addresses_are_left_alone() -> None:
    links = {"ann": "/people/ann"}
    html = render_markdown("`@ann` [@ann](https://example.org) ann@ann.org mail@ann", links)
    assert "mention" not in html


def test_mentioning_someone_who_cannot_see_the_note_tells_nobody(make) -> None:
    teacher, ann = make.user("teach", role="instructor"), make.user("ann")
    outsider = make.user("olga")
    article = make.article()
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    make.groups.join(ann, group)
    group_note = make.groups.group_note(ann, article, group, body="Hey @olga and @teach.")
    assert 'href="/people/olga"' in group_note.body_html  # rendered as for anyone else
    assert _mentions_of(outsider) == []
    assert len(_mentions_of(teacher)) == 1


def test_completion_offers_the_groups_members_and_the_articles_participants_only(
    app, make, bearer
) -> None:
    teacher, ann = make.user("teach", role="instructor"), make.user("ann", display_name="Ann")
    andy, outsider = make.user("andy"), make.user("anouk")
    article = make.article(slug="essay")
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    make.groups.join(ann, group)
    make.groups.join(andy, group)
    make.annotation(outsider, article, body="A public note.")
    client = app.test_client()
    in_group = client.get(f"{API}/people/mentionable?group=seminar&q=an", headers=bearer(ann))
    assert [p["username"] for p in in_group.get_json()["items"]] == ["andy"]
    public = client.get(f"{API}/people/mentionable?article=essay&q=a", headers=bearer(ann))
    assert [p["username"] for p in public.get_json()["items"]] == ["anouk"]
    hidden = client.get(f"{API}/people/mentionable?group=seminar", headers=bearer(outsider))
    assert hidden.status_code == 404
    unknown = client.get(f"{API}/people/mentionable?article=nope", headers=bearer(ann))
    assert unknown.status_code == 404
    assert client.get(f"{API}/people/mentionable?q=a", headers=bearer(ann)).get_json() == {
        "items": []
    }


def test_a_members_page_shows_only_notes_the_viewer_may_see(app, make) -> None:
    teacher, ann = make.user("teach", role="instructor"), make.user("ann", display_name="Ann")
    article = make.article()
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    make.groups.join(ann, group)
    make.annotation(ann, article, body="Public words.")
    make.groups.group_note(ann, article, group, body="Group words.")
    anonymous = app.test_client().get("/people/ann").get_data(as_text=True)
    assert "Public words." in anonymous
    assert "Group words." not in anonymous
    member = app.test_client()
    login(member, "teach")
    assert "Group words." in member.get("/people/ann").get_data(as_text=True)
    assert app.test_client().get("/people/ghost").status_code == 404


def test_an_edit_tells_only_the_members_it_newly_mentions(make) -> None:
    ann, bob, cyd = make.user("ann"), make.user("bob"), make.user("cyd")
    note = make.annotation(ann, make.article(), body="Hello @bob.")
    edit_annotation(ann, note, body="Hello @bob and @cyd.")
    db.session.commit()
    assert len(_mentions_of(bob)) == 1
    assert len(_mentions_of(cyd)) == 1
