"""A marker word planted in each note a caller may not read is never found by that caller."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from app.extensions import db
from app.models import Annotation, AnnotationStatus, User
from app.services.annotations import NewAnnotation, post_annotation
from tests.factories import Factories, login

API = "/api/v1"
CALLERS = (
    "anonymous", "member", "author", "other_member", "instructor", "other_instructor", "admin",
)  # fmt: skip
GROUP_READERS = {"member", "author", "instructor", "admin"}
# marker word → who may find it by searching
MARKERS = {
    "zanzibarpublic": set(CALLERS),
    "zanzibargroup": GROUP_READERS,
    "zanzibarreply": GROUP_READERS,
    "zanzibarprivate": {"author"},
    "zanzibarheld": set(),  # a held body: its author and moderators read it on its page only
    "zanzibarhidden": set(),
    "zanzibardeleted": set(),
    "zanzibarother": {"other_member", "other_instructor", "admin"},
}


@pytest.fixture
def cast(make: type[Factories], bearer: Callable[[User], dict[str, str]]) -> dict[str, dict]:
    users = {
        "member": make.user("member"),
        "author": make.user("author"),
        "other_member": make.user("othermember"),
        "instructor": make.user("instructor", role="instructor"),
        "other_instructor": make.user("otherinstructor", role="instructor"),
        "admin": make.user("admin", role="admin"),
    }
    article = make.article("essay")
    group = make.groups.group(users["instructor"], "Seminar", articles=(article,))
    other = make.groups.group(users["other_instructor"], "Other", articles=(article,))
    make.groups.join(users["member"], group)
    make.groups.join(users["author"], group)
    make.groups.join(users["other_member"], other)

    def plant(word: str, user: str = "author", **kw: object) -> Annotation:
        new = NewAnnotation("p2", "comment", f"A note about {word} and tariffs.", **kw)  # type: ignore[arg-type]
        note = post_annotation(users[user], article, new)
        db.session.commit()
        return note

    plant("zanzibarpublic")
    parent = plant("zanzibargroup", group_slug=group.slug)
    plant("zanzibarreply", user="member", parent_id=parent.id)
    plant("zanzibarprivate", private=True)
    plant("zanzibarother", user="other_member", group_slug=other.slug)
    for word, status in (
        ("zanzibarheld", AnnotationStatus.PENDING),
        ("zanzibarhidden", AnnotationStatus.HIDDEN),
        ("zanzibardeleted", AnnotationStatus.DELETED),
    ):
        note = plant(word, group_slug=group.slug)
        db.session.execute(update(Annotation).where(Annotation.id == note.id).values(status=status))
    db.session.commit()
    return {name: bearer(user) for name, user in users.items()} | {"anonymous": {}}


@pytest.fixture
def pages(app: Flask, cast: dict[str, dict]) -> dict[str, FlaskClient]:
    """A signed-in browser session per caller (and an anonymous one)."""
    clients = {name: app.test_client() for name in CALLERS}
    usernames = {"other_member": "othermember", "other_instructor": "otherinstructor"}
    for name, client in clients.items():
        if name != "anonymous":
            login(client, usernames.get(name, name))
    return clients


@pytest.mark.parametrize("caller", CALLERS)
def test_search_never_shows_a_caller_a_note_they_may_not_read(
    client: FlaskClient, cast: dict[str, dict], pages: dict[str, FlaskClient], caller: str
) -> None:
    headers = cast[caller]
    for word, readers in MARKERS.items():
        for path in (f"/search?q={word}", f"/articles/essay/annotations?q={word}"):
            response = client.get(f"{API}{path}", headers=headers)
            assert response.status_code == 200, response.get_json()
            found = bool(response.get_json()["items"])
            assert found == (caller in readers), (caller, word, path)
            if caller not in readers:
                assert word not in response.get_data(as_text=True)
        # The search page: its results (the form above them echoes the query itself).
        page = pages[caller].get(f"/search?q={word}")
        assert page.status_code == 200
        results = page.get_data(as_text=True).split("data-search-results", 1)[1]
        assert (word in results) == (caller in readers), (caller, word, "page")
        # A broad search's snippets never quote what the caller may not read either.
        broad = client.get(f"{API}/search?q=tariffs&limit=200", headers=headers)
        if caller not in readers:
            assert word not in broad.get_data(as_text=True), (caller, word)
