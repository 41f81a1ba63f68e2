"""Reading groups through the API: create, join, read, leave, readings, settings and members."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models.base import utcnow
from tests.factories import Factories
from tests.functional.api.classroom import Classroom, build_classroom, error
from tests.functional.api.conftest import API


@pytest.fixture
def room(make, client, bearer) -> Classroom:  # type: ignore[no-untyped-def]
    return build_classroom(make, client, bearer)


def _members(body: dict) -> dict[str, dict]:
    return {m["username"]: m for m in body["members"]}


# --- create -------------------------------------------------------------------------------


def test_an_instructor_creates_a_group_and_becomes_its_instructor(client, make, bearer) -> None:
    teacher = make.user("prof", role="instructor")
    headers = bearer(teacher)
    response = client.post(f"{API}/groups", json={"name": "  Civics   101 "}, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["slug"], body["name"], body["role"]) == ("civics-101", "Civics 101", "instructor")
    assert len(body["join_code"]) == 8
    assert body["archived"] is False
    assert body["readings"] == []
    assert [(m["username"], m["role"]) for m in body["members"]] == [("prof", "instructor")]
    assert response.headers["Location"].endswith(f"{API}/groups/civics-101")
    again = client.get(response.headers["Location"], headers=headers).get_json()
    assert again["join_code"] == body["join_code"]


def test_a_second_group_with_the_same_name_gets_its_own_slug(client, make, bearer) -> None:
    headers = bearer(make.user(role="instructor"))
    slugs = [
        client.post(f"{API}/groups", json={"name": "Seminar"}, headers=headers).get_json()["slug"]
        for _ in range(2)
    ]
    assert slugs == ["seminar", "seminar-2"]


def test_a_plain_member_cannot_create_a_group(client, make, bearer) -> None:
    response = client.post(f"{API}/groups", json={"name": "Mine"}, headers=bearer(make.user()))
    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"name": "   "}, "name"), ({}, "name"), ({"name": "x" * 121}, "name"),
     ({"name": "ok", "colour": "red"}, "colour"), ({"name": 7}, "name")],
)  # fmt: skip
def test_a_group_needs_a_valid_name_or_it_is_422_naming_the_field(
    client, make, bearer, payload: dict, field: str
) -> None:
    headers = bearer(make.user(role="instructor"))
    response = client.post(f"{API}/groups", json=payload, headers=headers)
    assert response.status_code == 422
    assert field in error(response)["fields"]


def test_anonymous_callers_must_sign_in_to_write_and_see_no_group(room: Classroom) -> None:
    assert room.post("/groups", None, {"name": "x"}).status_code == 401
    assert room.post("/groups/join", None, {"join_code": room.group.join_code}).status_code == 401
    assert room.get("/groups").status_code == 401
    assert room.get(f"/groups/{room.group.slug}").status_code == 404


# --- join ---------------------------------------------------------------------------------


def test_joining_with_the_code_makes_the_caller_a_member(room: Classroom) -> None:
    code = room.group.join_code
    typed = f"{code[:4].lower()}-{code[4:].lower()}"  # as read off a slide
    response = room.post("/groups/join", room.outsider, {"join_code": typed})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["slug"], body["role"]) == (room.group.slug, "member")
    assert "join_code" not in body
    assert _members(body)["outsider"]["role"] == "member"
    assert room.get(f"/groups/{room.group.slug}", room.outsider).status_code == 200


def test_joining_a_group_one_is_already_in_changes_nothing(room: Classroom) -> None:
    response = room.post("/groups/join", room.student, {"join_code": room.group.join_code})
    assert response.status_code == 200
    assert [m["username"] for m in response.get_json()["members"]].count("student") == 1


def test_joining_with_a_wrong_code_is_422_naming_join_code(room: Classroom) -> None:
    response = room.post("/groups/join", room.outsider, {"join_code": "NOTACODE"})
    assert response.status_code == 422
    assert set(error(response)["fields"]) == {"join_code"}


def test_joining_with_an_expired_code_is_422_naming_join_code(room: Classroom) -> None:
    room.group.join_code_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = room.post("/groups/join", room.outsider, {"join_code": room.group.join_code})
    assert response.status_code == 422
    assert "expired" in error(response)["message"]
    assert set(error(response)["fields"]) == {"join_code"}


def test_a_missing_join_code_is_422(room: Classroom) -> None:
    response = room.post("/groups/join", room.outsider, {})
    assert response.status_code == 422
    assert set(error(response)["fields"]) == {"join_code"}


def test_an_archived_group_refuses_joins_with_409(room: Classroom) -> None:
    assert (
        room.patch(f"/groups/{room.group.slug}", room.teacher, {"archived": True}).status_code
        == 200
    )
    response = room.post("/groups/join", room.outsider, {"join_code": room.group.join_code})
    assert response.status_code == 409
    assert error(response)["code"] == "conflict"


def test_a_removed_member_cannot_rejoin_until_an_instructor_restores_them(room: Classroom) -> None:
    slug = room.group.slug
    removed = room.delete(f"/groups/{slug}/members/student", room.teacher, {"reason": "spam"})
    assert removed.status_code == 204
    assert room.get(f"/groups/{slug}", room.student).status_code == 404
    rejoin = room.post("/groups/join", room.student, {"join_code": room.group.join_code})
    assert rejoin.status_code == 403
    assert room.post(f"/groups/{slug}/members/student/restore", room.teacher).status_code == 204
    assert room.get(f"/groups/{slug}", room.student).status_code == 200
    again = room.post(f"/groups/{slug}/members/student/restore", room.teacher)
    assert again.status_code == 409


def test_removing_without_a_body_works_and_instructors_cannot_be_removed(room: Classroom) -> None:
    slug = room.group.slug
    assert room.delete(f"/groups/{slug}/members/peer", room.teacher).status_code == 204
    assert room.delete(f"/groups/{slug}/members/teacher", room.teacher).status_code == 409
    assert room.delete(f"/groups/{slug}/members/student", room.peer).status_code == 404
    assert room.delete(f"/groups/{slug}/members/peer", room.student).status_code == 403


# --- read ---------------------------------------------------------------------------------


def test_a_member_sees_readings_and_members_but_no_code_or_suspensions(room: Classroom) -> None:
    response = room.get(f"/groups/{room.group.slug}", room.student)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["slug"], body["role"]) == (
        "Seminar Alpha",
        "seminar-alpha",
        "member",
    )
    assert body["readings"] == [{"article": "essay", "title": room.article.title, "due": None}]
    assert [(m["username"], m["role"]) for m in body["members"]] == [
        ("teacher", "instructor"), ("student", "member"), ("peer", "member")
    ]  # fmt: skip
    assert _members(body)["student"]["display_name"] == "Stu Dent"
    assert "join_code" not in body
    assert "join_code_expires" not in body
    assert all("suspended_until" not in m for m in body["members"])


def test_an_instructor_sees_the_join_code_and_suspension_fields(room: Classroom) -> None:
    slug = room.group.slug
    room.post(f"/groups/{slug}/members/peer/suspension", room.teacher, {"days": 3})
    body = room.get(f"/groups/{slug}", room.teacher).get_json()
    assert body["role"] == "instructor"
    assert body["join_code"] == room.group.join_code
    assert body["join_code_expires"].endswith("Z")
    members = _members(body)
    assert members["student"]["suspended_until"] is None
    assert members["peer"]["suspended_until"].endswith("Z")


def test_a_group_is_404_for_outsiders_exactly_like_a_group_that_does_not_exist(
    room: Classroom,
) -> None:
    hidden = room.get(f"/groups/{room.group.slug}", room.outsider)
    missing = room.get("/groups/no-such-group", room.outsider)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()


def test_a_site_admin_sees_any_group_without_a_role_in_it(room: Classroom, make) -> None:
    admin = make.user("root", role="admin")
    body = room.get(f"/groups/{room.group.slug}", admin).get_json()
    assert body["role"] is None
    assert body["join_code"] == room.group.join_code


def test_my_groups_lists_only_the_callers_groups_a_page_at_a_time(room: Classroom, make) -> None:
    for name in ("Beta", "Gamma"):
        room.post("/groups", room.teacher, {"name": name})
    first = room.get("/groups?limit=2", room.teacher).get_json()
    assert [g["slug"] for g in first["items"]] == ["seminar-alpha", "beta"]
    assert all(g["role"] == "instructor" and "join_code" in g for g in first["items"])
    rest = room.get(f"/groups?limit=2&cursor={first['next']}", room.teacher).get_json()
    assert ([g["slug"] for g in rest["items"]], rest["next"]) == (["gamma"], None)
    mine = room.get("/groups", room.student).get_json()["items"]
    assert [(g["slug"], g["role"]) for g in mine] == [("seminar-alpha", "member")]
    assert "join_code" not in mine[0]
    assert room.get("/groups", room.outsider).get_json() == {"items": [], "next": None}


def test_leaving_a_group_makes_it_404_but_the_only_instructor_cannot_leave(
    room: Classroom,
) -> None:
    slug = room.group.slug
    assert room.post(f"/groups/{slug}/leave", room.student).status_code == 204
    assert room.get(f"/groups/{slug}", room.student).status_code == 404
    assert room.post(f"/groups/{slug}/leave", room.student).status_code == 404
    response = room.post(f"/groups/{slug}/leave", room.teacher)
    assert response.status_code == 409
    rejoined = room.post("/groups/join", room.student, {"join_code": room.group.join_code})
    assert rejoined.get_json()["role"] == "member"


# --- readings -----------------------------------------------------------------------------


def test_an_instructor_assigns_a_reading_with_a_due_date_and_can_change_it(
    room: Classroom, make
) -> None:
    make.article(slug="second", title="Second Essay")
    path = f"/groups/{room.group.slug}/articles"
    response = room.post(path, room.teacher, {"article": "second", "due": "2030-05-01"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {
        "article": "second",
        "title": "Second Essay",
        "due": "2030-05-01",
    }
    again = room.post(path, room.teacher, {"article": "second", "due": "2030-06-01"})
    assert again.get_json()["due"] == "2030-06-01"
    readings = room.get(f"/groups/{room.group.slug}", room.student).get_json()["readings"]
    assert [(r["article"], r["due"]) for r in readings] == [
        ("second", "2030-06-01"),
        ("essay", None),
    ]


def test_unassigning_a_reading_takes_it_off_the_list_and_keeps_its_discussion(
    room: Classroom,
) -> None:
    slug = room.group.slug
    assert room.delete(f"/groups/{slug}/articles/essay", room.teacher).status_code == 204
    assert room.get(f"/groups/{slug}", room.student).get_json()["readings"] == []
    assert room.delete(f"/groups/{slug}/articles/essay", room.teacher).status_code == 404
    assert room.get(f"/annotations/{room.note.id}", room.peer).status_code == 200
    log = room.get(f"/groups/{slug}/moderation/log", room.teacher).get_json()["items"]
    assert (log[0]["action"], log[0]["previous"]["article"]) == ("unassign_reading", "essay")


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"article": "nope"}, "article"), ({"article": "essay", "due": "soon"}, "due"),
     ({"due": "2030-01-01"}, "article")],
)  # fmt: skip
def test_assigning_an_unknown_article_or_a_bad_date_is_422_naming_the_field(
    room: Classroom, payload: dict, field: str
) -> None:
    response = room.post(f"/groups/{room.group.slug}/articles", room.teacher, payload)
    assert response.status_code == 422
    assert set(error(response)["fields"]) == {field}


def test_members_cannot_manage_readings_and_outsiders_do_not_learn_the_group_exists(
    room: Classroom,
) -> None:
    path = f"/groups/{room.group.slug}/articles"
    assert room.post(path, room.student, {"article": "essay"}).status_code == 403
    assert room.post(path, room.outsider, {"article": "essay"}).status_code == 404
    assert room.delete(f"{path}/essay", room.student).status_code == 403
    assert room.delete(f"{path}/essay", room.outsider).status_code == 404


# --- settings -----------------------------------------------------------------------------


def test_patch_renames_and_sets_premoderation_and_logs_each_change(room: Classroom) -> None:
    slug = room.group.slug
    response = room.patch(
        f"/groups/{slug}",
        room.teacher,
        {"name": "Seminar Beta", "premoderation": {"mode": "new_members", "posts": 2}},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["name"], body["slug"]) == ("Seminar Beta", slug)
    assert body["premoderation"] == {"mode": "new_members", "posts": 2}
    log = room.get(f"/groups/{slug}/moderation/log", room.teacher).get_json()["items"]
    assert [(e["action"], e["previous"]) for e in log] == [
        ("premoderation", {"premoderation": "off", "posts": 3}),
        ("rename", {"name": "Seminar Alpha"}),
    ]
    same = room.patch(f"/groups/{slug}", room.teacher, {"name": "Seminar Beta"})
    assert same.status_code == 200
    assert len(room.get(f"/groups/{slug}/moderation/log", room.teacher).get_json()["items"]) == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "request"), ({"name": " "}, "name"), ({"archived": "yes"}, "archived"),
     ({"premoderation": {"mode": "sometimes"}}, "premoderation.mode"),
     ({"premoderation": {"mode": "all", "posts": 0}}, "premoderation.posts")],
)  # fmt: skip
def test_a_bad_patch_is_422_naming_the_field(room: Classroom, payload: dict, field: str) -> None:
    response = room.patch(f"/groups/{room.group.slug}", room.teacher, payload)
    assert response.status_code == 422
    assert set(error(response)["fields"]) == {field}


def test_only_instructors_change_settings_and_outsiders_get_404(room: Classroom) -> None:
    slug = room.group.slug
    assert room.patch(f"/groups/{slug}", room.student, {"name": "Mine"}).status_code == 403
    assert room.patch(f"/groups/{slug}", room.outsider, {"name": "Mine"}).status_code == 404
    assert room.post(f"/groups/{slug}/join-code", room.student).status_code == 403
    assert room.post(f"/groups/{slug}/join-code", room.outsider).status_code == 404


def test_an_archived_group_refuses_posts_with_409_until_reopened(room: Classroom) -> None:
    slug = room.group.slug
    assert room.patch(f"/groups/{slug}", room.teacher, {"archived": True}).get_json()["archived"]
    refused = room.post_note(room.student)
    assert refused.status_code == 409
    assert "archived" in error(refused)["message"]
    assert room.get(f"/groups/{slug}", room.student).status_code == 200  # still readable
    assert room.patch(f"/groups/{slug}", room.teacher, {"archived": False}).status_code == 200
    assert room.post_note(room.student).status_code == 201


def test_a_new_join_code_replaces_the_old_one_at_once(room: Classroom) -> None:
    old = room.group.join_code
    response = room.post(f"/groups/{room.group.slug}/join-code", room.teacher)
    assert response.status_code == 200
    new = response.get_json()["join_code"]
    assert new != old
    assert room.post("/groups/join", room.outsider, {"join_code": old}).status_code == 422
    assert room.post("/groups/join", room.outsider, {"join_code": new}).status_code == 200


# --- members ------------------------------------------------------------------------------


def test_an_instructor_makes_a_member_a_co_instructor_and_back(room: Classroom) -> None:
    path = f"/groups/{room.group.slug}/members/student"
    response = room.patch(path, room.teacher, {"role": "instructor"})
    assert response.status_code == 200
    assert response.get_json()["role"] == "instructor"
    assert response.get_json()["suspended_until"] is None
    assert "join_code" in room.get(f"/groups/{room.group.slug}", room.student).get_json()
    assert room.patch(path, room.teacher, {"role": "instructor"}).status_code == 409
    assert room.patch(path, room.teacher, {"role": "member"}).get_json()["role"] == "member"


def test_the_last_instructor_cannot_be_demoted(room: Classroom) -> None:
    path = f"/groups/{room.group.slug}/members/teacher"
    assert room.patch(path, room.teacher, {"role": "member"}).status_code == 409


@pytest.mark.parametrize(
    ("username", "payload", "status"),
    [("nobody", {"role": "member"}, 404), ("outsider", {"role": "instructor"}, 422),
     ("student", {"role": "owner"}, 422), ("student", {}, 422)],
)  # fmt: skip
def test_member_changes_name_a_real_member_and_role(
    room: Classroom, username: str, payload: dict, status: int
) -> None:
    response = room.patch(f"/groups/{room.group.slug}/members/{username}", room.teacher, payload)
    assert response.status_code == status


def test_members_cannot_change_roles_and_outsiders_get_404(room: Classroom) -> None:
    path = f"/groups/{room.group.slug}/members/peer"
    assert room.patch(path, room.student, {"role": "instructor"}).status_code == 403
    assert room.patch(path, room.outsider, {"role": "instructor"}).status_code == 404


# --- query counts -------------------------------------------------------------------------


def test_group_detail_and_list_queries_do_not_grow_with_members_or_readings(
    app, client, count_queries, bearer
) -> None:
    def measure(n: int) -> tuple[int, int]:
        with app.app_context():
            teacher = Factories.user(role="instructor")
            articles = tuple(Factories.article() for _ in range(n))
            group = Factories.groups.group(teacher, f"Group {n}", articles=articles)
            for _ in range(n):
                Factories.groups.join(Factories.user(), group)
            slug, headers = group.slug, bearer(teacher)
        with count_queries() as detail:
            body = client.get(f"{API}/groups/{slug}", headers=headers).get_json()
        assert (len(body["members"]), len(body["readings"])) == (n + 1, n)
        with count_queries() as listing:
            assert client.get(f"{API}/groups", headers=headers).status_code == 200
        return len(detail), len(listing)

    assert measure(2) == measure(25)


def test_a_token_speaks_alone_even_beside_another_account_s_session_cookie(
    client, make, bearer, sign_in
) -> None:
    # Loaders judge the API's caller (the token), not Flask-Login's user (the cookie's).
    teacher = make.user("teach", role="instructor")
    group = make.groups.group(teacher, "Seminar")
    sign_in(client, make.user("outsider"))
    assert client.get(f"/api/v1/groups/{group.slug}").status_code == 404
    answer = client.get(f"/api/v1/groups/{group.slug}", headers=bearer(teacher))
    assert answer.status_code == 200
