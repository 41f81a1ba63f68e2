"""Reading groups' pages: create, join, leave, manage; and the group switcher on the reading
pages, which shows one discussion at a time."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, Group, Membership, ModerationAction
from app.models.base import utcnow
from tests.functional.web.conftest import fresh
from tests.functional.web.page import parse

FETCH = {"X-Requested-With": "fetch"}


def _group(slug: str) -> Group:
    db.session.expire_all()
    return db.session.scalars(select(Group).where(Group.slug == slug)).one()


def _membership(group: Group, user) -> Membership:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.scalars(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    ).one()


def _flash(page) -> str:  # type: ignore[no-untyped-def]
    return page.find(cls="flashes").text


# --- my groups, create, join -------------------------------------------------------------------


def test_the_groups_pages_send_a_signed_out_visitor_to_sign_in_and_back(client) -> None:
    for url in ("/groups", "/groups/new", "/groups/join", "/groups/anything", "/notifications"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=")
        assert url in response.headers["Location"].replace("%2F", "/")


def test_an_instructor_creates_a_group_and_lands_on_its_page_with_code_and_link(
    make, signed_in
) -> None:
    teacher = make.user(role="instructor")
    client = signed_in(teacher)
    page = parse(client.get("/groups").data)
    assert page.find("form", action="/groups/new").find("input", name="name")
    assert page.find("form", action="/groups/join").find("input", name="join_code")

    response = client.post("/groups/new", data={"name": "  Politics   101 "})
    assert response.status_code == 302
    assert response.headers["Location"] == "/groups/politics-101"
    group = _group("politics-101")
    assert group.name == "Politics 101"
    page = parse(client.get("/groups/politics-101").data)
    assert "Politics 101 is ready" in _flash(page)
    code = page.find(data_join_code="*").text.replace("-", "")
    assert code == group.join_code
    assert (
        page.find("input", id="invite-link")
        .attrs["value"]
        .endswith(f"/groups/join/{group.join_code}")
    )
    assert page.find("button", data_copy=group.join_code).attrs.get("data-js-only") == ""
    assert page.find("a", href="/groups/politics-101/moderation")
    assert page.find("a", href="/groups/politics-101/moderation/log")
    listed = parse(client.get("/groups").data).find(cls="group-list")
    assert "Politics 101" in listed.text
    assert "Instructor" in listed.text


def test_a_member_is_offered_no_create_form_and_cannot_create(make, signed_in) -> None:
    client = signed_in(make.user())
    page = parse(client.get("/groups").data)
    assert not page.has("form", action="/groups/new")
    assert client.post("/groups/new", data={"name": "Mine"}).status_code == 403
    assert db.session.scalar(select(Group.id)) is None


def test_a_group_without_a_name_comes_back_with_the_error_at_the_field(make, signed_in) -> None:
    client = signed_in(make.user(role="instructor"))
    response = client.post("/groups/new", data={"name": "   "})
    assert response.status_code == 422
    field = parse(response.data).find(cls="has-error")
    assert field.find("input", name="name")
    assert field.find(cls="field-error").text


def test_joining_with_a_code_makes_you_a_member(classroom, make, signed_in) -> None:
    newcomer = make.user()
    client = signed_in(newcomer)
    code = classroom.group.join_code
    response = client.post("/groups/join", data={"join_code": f" {code[:4].lower()}-{code[4:]} "})
    assert response.headers["Location"] == f"/groups/{classroom.group.slug}"
    page = parse(client.get(response.headers["Location"]).data)
    assert "Welcome to Seminar." in _flash(page)
    assert _membership(classroom.group, newcomer).status == "active"
    names = [m.find(cls="member-name").text for m in page.find_all("li", cls="member")]
    assert names == ["Ms Teacher", "Ann Author", "Bob Reader", newcomer.display_name]


def test_a_wrong_join_code_is_explained_next_to_the_field(make, signed_in) -> None:
    client = signed_in(make.user())
    response = client.post("/groups/join", data={"join_code": "NOPE2345"})
    assert response.status_code == 422
    assert "No group has that code." in parse(response.data).find(cls="has-error").text


def test_an_invite_link_shows_the_group_and_its_join_button_joins(
    classroom, make, signed_in
) -> None:
    newcomer = make.user()
    client = signed_in(newcomer)
    url = f"/groups/join/{classroom.group.join_code}"
    page = parse(client.get(url).data)
    assert page.find("h1").text == "Seminar"
    form = page.find("form", action=url)
    assert "Join Seminar" in form.find("button").text
    response = client.post(url)
    assert response.headers["Location"] == f"/groups/{classroom.group.slug}"
    assert _membership(classroom.group, newcomer).is_active


def test_a_signed_out_visitor_to_an_invite_link_signs_in_and_comes_back(client, classroom) -> None:
    url = f"/groups/join/{classroom.group.join_code}"
    page = parse(client.get(url).data)
    assert page.find("h1").text == "Seminar"
    assert page.find("a", href=f"/login?next={url}")
    response = client.post(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_an_unknown_invite_link_is_a_404_with_the_join_form(client, make, signed_in) -> None:
    response = signed_in(make.user()).get("/groups/join/NOPE2345")
    assert response.status_code == 404
    page = parse(response.data)
    assert page.find("form", action="/groups/join")
    assert "No group has that code." in page.text


def test_the_group_page_is_404_for_anyone_outside_it(classroom, signed_in) -> None:
    response = signed_in(classroom.outsider).get(f"/groups/{classroom.group.slug}")
    assert response.status_code == 404
    assert "Seminar" not in response.get_data(as_text=True)
    assert signed_in(classroom.outsider).get("/groups/no-such-group").status_code == 404


def test_members_see_readings_with_due_dates_and_members_but_no_instructor_tools(
    classroom, signed_in
) -> None:
    due = date.today() + timedelta(days=3)
    page = parse(signed_in(classroom.teacher).get(f"/groups/{classroom.group.slug}").data)
    assert page.find("form", action=f"/groups/{classroom.group.slug}/code")
    signed_in(classroom.teacher).post(
        f"/groups/{classroom.group.slug}/readings",
        data={"article": classroom.article.slug, "due_on": due.isoformat()},
    )
    page = parse(signed_in(classroom.ann).get(f"/groups/{classroom.group.slug}").data)
    reading = page.find("li", cls="reading-item")
    link = reading.find("a", cls="reading-title")
    assert link.attrs["href"] == f"/articles/{classroom.article.slug}?group={classroom.group.slug}"
    assert reading.find("time").attrs["datetime"] == due.isoformat()
    assert [m.find(cls="member-name").text for m in page.find_all("li", cls="member")] == [
        "Ms Teacher",
        "Ann Author",
        "Bob Reader",
    ]
    assert page.find(cls="role-badge").text == "Instructor"
    assert not page.has(data_join_code="*")
    assert not page.has("form", action=f"/groups/{classroom.group.slug}/code")
    assert not page.has("a", href=f"/groups/{classroom.group.slug}/moderation")
    assert not page.has(cls="member-tools")
    assert page.find("form", action=f"/groups/{classroom.group.slug}/leave")


def test_instructor_forms_refuse_members(classroom, signed_in) -> None:
    client, slug = signed_in(classroom.ann), classroom.group.slug
    for url, data in (
        (f"/groups/{slug}/code", {}),
        (f"/groups/{slug}/readings", {"article": classroom.article.slug}),
        (f"/groups/{slug}/members/bob/role", {"role": "instructor"}),
        (f"/groups/{slug}/archive", {"archived": "1"}),
        (f"/groups/{slug}/premoderation", {"mode": "all"}),
        (f"/groups/{slug}/members/bob/suspend", {"days": "2"}),
        (f"/groups/{slug}/moderation", None),
        (f"/groups/{slug}/moderation/log", None),
    ):
        response = client.get(url) if data is None else client.post(url, data=data)
        assert response.status_code == 403, url
    assert signed_in(classroom.outsider).post(f"/groups/{slug}/code").status_code == 404


def test_a_member_leaves_and_the_code_lets_them_back_in(classroom, signed_in) -> None:
    client, slug = signed_in(classroom.bob), classroom.group.slug
    response = client.post(f"/groups/{slug}/leave")
    assert response.headers["Location"] == "/groups"
    assert "You left Seminar." in _flash(parse(client.get("/groups").data))
    assert client.get(f"/groups/{slug}").status_code == 404
    client.post("/groups/join", data={"join_code": classroom.group.join_code})
    assert client.get(f"/groups/{slug}").status_code == 200


def test_the_only_instructor_is_told_why_they_cannot_leave(classroom, signed_in) -> None:
    client, slug = signed_in(classroom.teacher), classroom.group.slug
    page = parse(client.post(f"/groups/{slug}/leave", follow_redirects=True).data)
    assert "only instructor" in page.find(cls="flash--error").text
    assert _membership(classroom.group, classroom.teacher).is_active


def test_an_instructor_makes_a_co_instructor_and_back(classroom, signed_in) -> None:
    client, slug = signed_in(classroom.teacher), classroom.group.slug
    page = parse(
        client.post(
            f"/groups/{slug}/members/bob/role", data={"role": "instructor"}, follow_redirects=True
        ).data
    )
    assert "bob is now an instructor." in _flash(page)
    assert _membership(classroom.group, classroom.bob).is_instructor
    bob_page = parse(signed_in(classroom.bob).get(f"/groups/{slug}").data)
    assert bob_page.find("a", href=f"/groups/{slug}/moderation")
    client.post(f"/groups/{slug}/members/bob/role", data={"role": "member"})
    assert not _membership(classroom.group, classroom.bob).is_instructor


def test_removing_a_member_with_a_reason_and_restoring_them(classroom, signed_in) -> None:
    client, slug = signed_in(classroom.teacher), classroom.group.slug
    client.post(f"/groups/{slug}/members/bob/remove", data={"reason": "Not in this class"})
    assert _membership(classroom.group, classroom.bob).status == "removed"
    assert signed_in(classroom.bob).get(f"/groups/{slug}").status_code == 404
    page = parse(client.get(f"/groups/{slug}").data)
    removed = page.find("ul", cls="member-list--removed")
    assert "Bob Reader" in removed.text
    entry = db.session.scalars(select(ModerationAction)).one()
    assert (entry.action, entry.reason) == ("remove_member", "Not in this class")

    client.post(removed.find("form").attrs["action"])
    assert _membership(classroom.group, classroom.bob).is_active
    assert not parse(client.get(f"/groups/{slug}").data).has(cls="member-list--removed")


def test_a_new_join_code_replaces_the_old_one(classroom, make, signed_in) -> None:
    client, slug = signed_in(classroom.teacher), classroom.group.slug
    old = classroom.group.join_code
    page = parse(client.post(f"/groups/{slug}/code", follow_redirects=True).data)
    new = _group(slug).join_code
    assert new != old
    assert f"The new join code is {new}." in _flash(page)
    late = signed_in(make.user())
    assert late.post("/groups/join", data={"join_code": old}).status_code == 422
    assert late.get(f"/groups/join/{old}").status_code == 404


def test_archiving_makes_the_discussion_read_only_and_reopening_restores_it(
    classroom, signed_in
) -> None:
    client, slug = signed_in(classroom.teacher), classroom.group.slug
    client.post(f"/groups/{slug}/archive", data={"archived": "1"})
    assert _group(slug).is_archived
    url = f"/articles/{classroom.article.slug}/p/p2?group={slug}"
    page = parse(signed_in(classroom.ann).get(url).data)
    assert "archived" in page.find(cls="closed-note").text
    assert not page.has("form", cls="composer")
    refused = signed_in(classroom.ann).post(
        f"/articles/{classroom.article.slug}/p/p2/annotations",
        data={"kind": "comment", "body": "Late", "group": slug},
    )
    assert refused.status_code == 409
    assert "archived" in parse(refused.data).find(cls="form-error").text
    assert db.session.scalar(select(Annotation.id)) is None

    client.post(f"/groups/{slug}/archive", data={"archived": "0"})
    assert not _group(slug).is_archived
    assert parse(signed_in(classroom.ann).get(url).data).has("form", cls="composer")


def test_premoderation_holds_new_members_first_posts(classroom, signed_in) -> None:
    client, slug = signed_in(classroom.teacher), classroom.group.slug
    page = parse(
        client.post(
            f"/groups/{slug}/premoderation",
            data={"mode": "new_members", "posts": "2"},
            follow_redirects=True,
        ).data
    )
    assert "first 2 posts wait for approval" in _flash(page)
    group = _group(slug)
    assert (group.premoderation, group.premoderation_posts) == ("new_members", 2)
    checked = page.find("input", name="mode", value="new_members")
    assert "checked" in checked.attrs
    signed_in(classroom.ann).post(
        f"/articles/{classroom.article.slug}/p/p2/annotations",
        data={"kind": "comment", "body": "Held?", "group": slug},
    )
    assert db.session.scalars(select(Annotation)).one().status == "pending"
    bad = client.post(
        f"/groups/{slug}/premoderation", data={"mode": "new_members", "posts": "0"},
        follow_redirects=True,
    )  # fmt: skip
    assert "Hold between 1 and 100 posts." in _flash(parse(bad.data))


def test_assigning_and_unassigning_a_reading(classroom, make, signed_in) -> None:
    client, slug = signed_in(classroom.teacher), classroom.group.slug
    second = make.article(title="Second Reading")
    page = parse(client.get(f"/groups/{slug}").data)
    options = [o.text for o in page.find("form", cls="assign-form").find_all("option")]
    assert "The Reading (assigned)" in options
    assert "Second Reading" in options
    due = date.today() + timedelta(days=7)
    page = parse(
        client.post(
            f"/groups/{slug}/readings",
            data={"article": second.slug, "due_on": due.isoformat()},
            follow_redirects=True,
        ).data
    )
    assert "“Second Reading” is assigned, due" in _flash(page)
    titles = [a.text for a in page.find_all("a", cls="reading-title")]
    assert titles == ["Second Reading", "The Reading"]  # dated readings first

    unassign = f"/groups/{slug}/readings/{second.slug}/unassign"
    assert page.find("form", action=unassign)
    page = parse(client.post(unassign, follow_redirects=True).data)
    assert [a.text for a in page.find_all("a", cls="reading-title")] == ["The Reading"]
    bad = client.post(f"/groups/{slug}/readings", data={"article": second.slug, "due_on": "soon"})
    assert bad.status_code == 302
    assert "Not a valid date value." in _flash(parse(client.get(bad.headers["Location"]).data))


def test_suspending_a_member_from_the_group_page_and_lifting_it(classroom, signed_in) -> None:
    client, slug = signed_in(classroom.teacher), classroom.group.slug
    page = parse(
        client.post(
            f"/groups/{slug}/members/bob/suspend",
            data={"days": "3", "reason": "Cool off"},
            follow_redirects=True,
        ).data
    )
    assert "Bob Reader cannot post in Seminar until" in _flash(page)
    until = _membership(classroom.group, classroom.bob).suspended_until
    assert until is not None
    assert timedelta(days=2, hours=23) < until - utcnow() <= timedelta(days=3)
    row = page.find("li", id="member-bob")
    assert "Suspended until" in row.find(cls="status-badge").text
    client.post(row.find("form", action=f"/groups/{slug}/members/bob/unsuspend").attrs["action"])
    assert _membership(classroom.group, classroom.bob).suspended_until is None


# --- the group switcher ----------------------------------------------------------------------


def _page(client, url: str):  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, url
    return parse(response.data)


def test_a_group_note_is_only_in_its_groups_view(classroom, make, signed_in, client) -> None:
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group, body="Ours")
    public = make.annotation(classroom.bob, classroom.article, body="Everyone's")
    slug, art = classroom.group.slug, classroom.article.slug
    member = signed_in(classroom.bob)
    for url in (f"/articles/{art}", f"/articles/{art}/p/p2"):
        shown = _page(member, url)
        assert not shown.has(data_annotation_id=str(note.id)), url
        assert shown.has(data_annotation_id=str(public.id)), url
        grouped = _page(member, f"{url}?group={slug}")
        assert grouped.has(data_annotation_id=str(note.id)), url
        assert not grouped.has(data_annotation_id=str(public.id)), url
        for outside in (signed_in(classroom.outsider), client):
            page = outside.get(url).get_data(as_text=True)
            assert f'data-annotation-id="{note.id}"' not in page
            assert "Ours" not in page


def test_outsiders_asking_for_a_groups_view_get_404(classroom, signed_in, client) -> None:
    slug, art = classroom.group.slug, classroom.article.slug
    for url in (f"/articles/{art}?group={slug}", f"/articles/{art}/p/p2?group={slug}"):
        assert signed_in(classroom.outsider).get(url).status_code == 404
        assert client.get(url).status_code == 404
        assert signed_in(classroom.ann).get(url.replace(slug, "nope")).status_code == 404


def test_counts_and_highlights_follow_the_chosen_discussion(classroom, make, signed_in) -> None:
    from app.services.annotations import NewAnnotation, Quote, post_annotation

    post_annotation(
        classroom.ann,
        classroom.article,
        NewAnnotation(
            anchor="p3", kind="question", body="Which?", quote=Quote("32% and 69%"),
            group_slug=classroom.group.slug,
        ),
    )  # fmt: skip
    db.session.commit()
    make.annotation(classroom.bob, classroom.article, anchor="p3", kind="support")
    slug, art, client = classroom.group.slug, classroom.article.slug, signed_in(classroom.bob)
    public = _page(client, f"/articles/{art}")
    grouped = _page(client, f"/articles/{art}?group={slug}")
    assert public.find(data_counts_for="p3").text == "1 supporting"
    assert grouped.find(data_counts_for="p3").text == "1 question"
    assert grouped.find(data_counts_for="p3").attrs["href"] == f"/articles/{art}/p/p3?group={slug}"
    assert "data-quotes" not in public.find("section", id="p3").find(cls="block-text").attrs
    assert (
        "32% and 69%"
        in grouped.find("section", id="p3").find(cls="block-text").attrs["data-quotes"]
    )
    paragraph = _page(client, f"/articles/{art}/p/p3?group={slug}")
    assert paragraph.find(data_total_for="p3").text == "1"
    assert paragraph.find(cls="article-kicker").find("a").attrs["href"] == (
        f"/articles/{art}?group={slug}#p3"
    )


def test_the_switcher_offers_the_readers_groups_that_read_this_article(
    classroom, make, signed_in
) -> None:
    art = classroom.article.slug
    other = make.groups.group(classroom.teacher, "Evening class", articles=(classroom.article,))
    make.groups.group(classroom.teacher, "Not reading it")
    make.groups.join(classroom.ann, other)
    page = _page(signed_in(classroom.ann), f"/articles/{art}/p/p2?group={other.slug}")
    switcher = page.find("form", data_switcher="*")
    assert switcher.attrs["action"] == f"/articles/{art}/p/p2"
    options = {o.text: o.attrs for o in switcher.find_all("option")}
    assert list(options) == ["Public", "Evening class", "Seminar"]
    assert "selected" in options["Evening class"]
    assert options["Seminar"]["data-url"] == f"/articles/{art}/p/p2?group={classroom.group.slug}"
    assert options["Public"]["data-url"] == f"/articles/{art}/p/p2"
    banner = page.find(cls="scope-banner")
    assert "Evening class" in banner.text
    assert banner.find("a").attrs["href"] == f"/articles/{art}/p/p2"
    assert _page(signed_in(classroom.ann), f"/articles/{art}/p/p2?group=").has(data_switcher="*")
    assert not _page(signed_in(classroom.outsider), f"/articles/{art}").has(data_switcher="*")


def test_posting_in_a_groups_view_posts_to_the_group_and_returns_there(
    classroom, signed_in
) -> None:
    slug, art, client = classroom.group.slug, classroom.article.slug, signed_in(classroom.ann)
    page = _page(client, f"/articles/{art}/p/p2?group={slug}")
    composer = page.find("form", id="new")
    assert composer.find("input", name="group").attrs["value"] == slug
    assert composer.has("input", name="private")  # "Private note instead" (issue 9)
    assert "For Seminar only" in composer.text
    assert page.find("template", id="composer-template")
    response = client.post(
        f"/articles/{art}/p/p2/annotations",
        data={"kind": "comment", "body": "For us", "group": slug},
    )
    note = db.session.scalars(select(Annotation)).one()
    assert (note.visibility, note.group_id) == ("group", classroom.group.id)
    assert response.headers["Location"] == f"/articles/{art}/p/p2?group={slug}#a-{note.id}"
    public = _page(client, f"/articles/{art}/p/p2")
    assert public.find("form", id="new").has("input", name="private")
    assert not public.find("form", id="new").has("input", name="group")


def test_a_reply_posted_in_place_in_a_group_counts_in_the_groups_view(
    classroom, make, signed_in
) -> None:
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group)
    make.annotation(classroom.bob, classroom.article)  # public: not counted in the group's view
    response = signed_in(classroom.bob).post(
        f"/articles/{classroom.article.slug}/p/p2/annotations",
        data={"kind": "support", "body": "Agreed", "parent": note.id,
              "group": classroom.group.slug},
        headers=FETCH,
    )  # fmt: skip
    assert response.status_code == 201
    data = response.get_json()
    assert data["counts"] == {"comment": 1, "support": 1}
    assert f"group={classroom.group.slug}#a-{data['id']}" in data["html"]
    reply = fresh(data["id"])
    assert (reply.visibility, reply.group_id) == ("group", classroom.group.id)


def test_a_group_notes_link_lands_in_the_groups_view(classroom, make, signed_in) -> None:
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group, anchor="p3")
    response = signed_in(classroom.bob).get(f"/annotations/{note.id}")
    assert response.headers["Location"] == (
        f"/articles/{classroom.article.slug}/p/p3?group={classroom.group.slug}#a-{note.id}"
    )
    assert signed_in(classroom.outsider).get(f"/annotations/{note.id}").status_code == 404


def test_editing_a_group_note_returns_to_the_groups_view(classroom, make, signed_in) -> None:
    note = make.groups.group_note(classroom.ann, classroom.article, classroom.group)
    client = signed_in(classroom.ann)
    ok = client.post(f"/annotations/{note.id}/edit", data={"kind": "comment", "body": "Better"})
    assert ok.headers["Location"].endswith(f"?group={classroom.group.slug}#a-{note.id}")
    failed = client.post(f"/annotations/{note.id}/edit", data={"kind": "comment", "body": " "})
    assert failed.status_code == 422
    page = parse(failed.data)
    assert page.find(cls="scope-banner--group")
    assert page.find(data_annotation_id=str(note.id)).find("form", cls="composer--edit")
