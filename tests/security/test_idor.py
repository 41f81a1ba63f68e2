"""Ids in URLs and bodies open nothing that is not the caller's: every id-bearing route, enumerated.

For another user's private note (and its reply), another group's annotation, the group itself,
and rows that belong to someone (a notification, a group's moderation log entry), every route
of app.url_map that names one, under every method it takes, is called by people who must not
reach it. Each answer must be 401/403/404 (a page route may send the anonymous to sign in),
the same as for an id that does not exist (so it tells nothing), change no row of the
database, and quote none of the secrets. A leak sweep then reads every GET route as each
outsider, after the insiders have read them (so a shared cache would be caught too).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import ModerationAction, Notification
from tests.security.bodies import PROBE, form_body, json_body
from tests.security.conftest import db_state, sign_in, state_difference
from tests.security.routes import WRITE_METHODS, Route, Values, routes
from tests.security.world import SECRETS, World, build_world

MISSING_ID = 2_000_000_000
REFUSED = {401, 403, 404}
PRIVATE = {SECRETS["private note"], SECRETS["private reply"]}
GROUP = set(SECRETS.values()) - PRIVATE
# Who must not see what: the secrets each kind of caller may never be shown.
HIDDEN_FROM = {
    None: PRIVATE | GROUP,
    "outsider": PRIVATE | GROUP,
    "rival": PRIVATE | GROUP,
    "victim": GROUP,
    "pupil": PRIVATE,
    "teach": PRIVATE,
    "admin": PRIVATE,
}


@dataclass(frozen=True)
class Target:
    """Something one caller owns or one group holds, and the callers it is hidden from."""

    name: str
    kind: str  # the URL argument kind that names it (see routes.argument_kind)
    value: Any
    missing: Any  # a value of the same kind that names nothing
    attackers: tuple[str | None, ...]


def _targets(world: World) -> list[Target]:
    # One caller of each kind: a member of the group, an instructor, an admin, a stranger.
    private_from = ("pupil", "teach", "admin", "outsider", None)
    group_from = ("victim", "rival", None)
    victims_notice = db.session.scalars(
        db.select(Notification.id).where(Notification.user_id == world.victim.id)
    ).first()
    log_entry = db.session.scalars(
        db.select(ModerationAction.id).where(ModerationAction.group_id == world.group.id)
    ).first()
    return [
        Target("private note", "annotation", world.private_note.id, MISSING_ID, private_from),
        Target("group note", "annotation", world.group_note.id, MISSING_ID, group_from),
        Target("group", "group", world.group.slug, "no-such-group", group_from),
        Target("victim's notification", "row:notifications", victims_notice, MISSING_ID,
               ("pupil", "admin", None)),
        Target("group's log entry", "row:moderation_log", log_entry, MISSING_ID,
               ("pupil", "rival", None)),
    ]  # fmt: skip


class Caller:
    """One person calling pages with their session cookie and the API with their token."""

    def __init__(self, app: Flask, world: World, name: str | None, bearer: Any) -> None:
        self.name = name
        self.pages: FlaskClient = app.test_client()
        self.api: FlaskClient = app.test_client()
        self.token: dict[str, str] = {}
        if name is not None:
            sign_in(self.pages, world.user(name).username)
            self.token = bearer(world.user(name))

    def call(self, route: Route, url: str, body: Any = None) -> TestResponse:
        if route.is_api:
            return self.api.open(url, method=route.method, json=body, headers=self.token)
        return self.pages.open(url, method=route.method, data=form_body())


def _bodies(app: Flask, world: World) -> Any:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    names = {"anchor": "p2", "article": world.article.slug, "body": PROBE, "name": PROBE,
             "join_code": world.rival_group.join_code, "action": "hide"}  # fmt: skip
    return lambda route: json_body(doc, route, names) if route.is_api else None


def _urls(app: Flask, route: Route, world: World, target: Target, caller: str | None
          ) -> Iterator[tuple[str, str]]:  # fmt: skip
    """(url naming the target, url naming nothing of that kind) pairs for one route."""
    values = world.values()
    own_groups = [world.group.slug]
    if caller == "rival" and "group" in route.kinds().values():
        own_groups.append(world.rival_group.slug)  # the thing, through a group the caller runs
    for group in own_groups if target.kind != "group" else [target.value]:
        base = Values({**values, "group": group})
        yield (route.url(app, Values({**base, target.kind: target.value})),
               route.url(app, Values({**base, target.kind: target.missing})))  # fmt: skip


def _verdict(caller: Caller, route: Route, hit: TestResponse, miss: TestResponse) -> str | None:
    """Why this answer gives something away (None if it does not)."""
    status = hit.status_code
    to_login = status == 302 and hit.headers.get("Location", "").startswith("/login")
    if not (status in REFUSED or (caller.name is None and not route.is_api and to_login)):
        return f"answered {status}"
    if status != miss.status_code:
        return f"answered {status}, but {miss.status_code} for a missing one: existence leaks"
    text = hit.get_data(as_text=True)
    if leaked := sorted(s for s in HIDDEN_FROM[caller.name] if s in text):
        return f"quoted {leaked}"
    return None


def test_no_id_bearing_route_opens_what_is_not_the_callers(app: Flask, make, bearer) -> None:
    world = build_world(make)
    body_for = _bodies(app, world)
    callers = {n: Caller(app, world, n, bearer) for n in HIDDEN_FROM}
    every = routes(app, {"GET", *WRITE_METHODS})
    problems: list[str] = []
    tried = covered = 0
    before = db_state()
    for target in _targets(world):
        bearing = [r for r in every if target.kind in r.kinds().values()]
        covered += len(bearing)
        for route, name in itertools.product(bearing, target.attackers):
            caller = callers[name]
            for url, missing_url in _urls(app, route, world, target, name):
                hit = caller.call(route, url, body_for(route))
                miss = caller.call(route, missing_url, body_for(route))
                after = db_state()
                tried += 1
                why = _verdict(caller, route, hit, miss)
                if changed := state_difference(before, after):
                    why = f"{why or 'refused'}, yet it (or the missing one's) changed {changed}"
                if why:
                    problems.append(f"{route} on the {target.name} as {name or 'anonymous'}: {why}")
                before = after
    assert covered >= 20, f"only {covered} id-bearing routes found"
    assert not problems, f"{len(problems)} of {tried} calls:\n" + "\n".join(problems)


def test_every_id_bearing_route_is_understood(app: Flask) -> None:
    # routes.argument_kind raises for a URL argument it cannot name: a new kind of id must be
    # taught to it (and given a target above) before it can be left untested.
    for route in routes(app, {"GET", *WRITE_METHODS}):
        route.kinds()


# --- ids carried in bodies and query strings -----------------------------------------------


@pytest.mark.parametrize("target", ["private_note", "group_note", "hidden_note"])
def test_replying_to_a_hidden_annotation_is_like_replying_to_none(
    app: Flask, make, bearer, target: str
) -> None:
    world = build_world(make)
    hidden_id = getattr(world, target).id
    client, headers = app.test_client(), bearer(world.outsider)
    url = f"/api/v1/articles/{world.article.slug}/annotations"

    def reply(parent: int) -> TestResponse:
        body = {"anchor": "p2", "kind": "comment", "body": "Me too.", "parent": parent}
        return client.post(url, json=body, headers=headers)

    browser = sign_in(app.test_client(), world.outsider.username)  # (signing in is a write)
    before = db_state()
    hit, miss = reply(hidden_id), reply(MISSING_ID)
    assert hit.status_code == miss.status_code == 422
    assert hit.get_json() == miss.get_json()
    page = browser.post(
        f"/articles/{world.article.slug}/p/p2/annotations",
        data={"kind": "comment", "body": "Me too.", "parent": str(hidden_id)},
    )
    assert page.status_code == 422
    assert not state_difference(before, db_state())


def test_posting_to_a_group_one_is_not_in_is_like_posting_to_none(app, make, bearer) -> None:  # type: ignore[no-untyped-def]
    world = build_world(make)
    client, headers = app.test_client(), bearer(world.outsider)
    url = f"/api/v1/articles/{world.article.slug}/annotations"
    note = {"anchor": "p2", "kind": "comment", "body": "Let me in."}
    hit = client.post(url, json={**note, "group": world.group.slug}, headers=headers)
    miss = client.post(url, json={**note, "group": "no-such-group"}, headers=headers)
    assert hit.status_code == miss.status_code == 422
    assert hit.get_json() == miss.get_json()


def test_marking_someone_elses_notifications_read_marks_nothing(app, make, bearer) -> None:  # type: ignore[no-untyped-def]
    world = build_world(make)
    theirs = db.session.scalars(
        db.select(Notification.id).where(Notification.user_id == world.victim.id)
    ).all()
    assert theirs
    headers = bearer(world.outsider)
    before = db_state()
    response = app.test_client().post(
        "/api/v1/notifications/read", json={"ids": theirs}, headers=headers
    )
    assert response.status_code == 200
    assert not state_difference(before, db_state())


def test_list_filters_name_nothing_the_caller_cannot_see(app, make, bearer) -> None:  # type: ignore[no-untyped-def]
    world = build_world(make)
    client = app.test_client()
    for name in ("outsider", "rival"):
        headers = bearer(world.user(name))
        base = f"/api/v1/articles/{world.article.slug}/annotations"
        for query in (f"group={world.group.slug}", f"author={world.victim.username}"):
            listed = client.get(f"{base}?{query}", headers=headers).get_json()["items"]
            assert all(a["id"] != world.private_note.id for a in listed)
            assert all(a.get("group") != world.group.slug for a in listed)
        counts = client.get(f"/api/v1/articles/{world.article.slug}", headers=headers).get_json()
        anonymous = client.get(f"/api/v1/articles/{world.article.slug}").get_json()
        assert [b["counts"] for b in counts["blocks"]] == [b["counts"] for b in anonymous["blocks"]]


# --- nothing leaks into any page --------------------------------------------------------------

# (The search page echoes its query, so tests/security/test_search_leaks.py reads its results.)
SEARCHING = {"api.search.search_annotations", "api.annotations.list_annotations"}


def _sweep_urls(app: Flask, world: World) -> list[str]:
    urls = []
    for route in routes(app, ["GET"]):
        kinds = set(route.kinds().values())
        if "static" in kinds or route.endpoint == "api.openapi.openapi_document":
            continue
        # The invite link shows a group to whoever holds its code: outsiders do not.
        values = world.values(join_code="WRONGCODE")
        notes = [world.private_note.id, world.group_note.id]
        for note in notes if "annotation" in kinds else [None]:
            url = route.url(app, Values({**values, "annotation": note or values["annotation"]}))
            if route.is_api:
                urls += [url, f"{url}?group={world.group.slug}"]
                if route.endpoint in SEARCHING:  # look each secret up by its own words
                    urls += [f"{url}?q={secret}" for secret in SECRETS.values()]
            else:
                secret = world.private_note.id
                urls.append(f"{url}?group={world.group.slug}&edit={secret}&reply={secret}")
                if route.endpoint in SEARCHING:
                    urls += [f"{url}?q={secret}" for secret in SECRETS.values()]
    return urls


def test_no_page_or_api_answer_shows_an_outsider_anything_secret(app, make, bearer) -> None:  # type: ignore[no-untyped-def]
    world = build_world(make)
    urls = _sweep_urls(app, world)
    callers = {n: Caller(app, world, n, bearer) for n in HIDDEN_FROM}
    problems = []
    # Insiders first: whatever a page caches from their visit must not reach the others.
    for name in ("victim", "teach", None, "outsider", "rival", "pupil", "admin"):
        caller = callers[name]
        for url in urls:
            client = caller.api if url.startswith("/api/") else caller.pages
            response = client.get(url, headers=caller.token if url.startswith("/api/") else {})
            text = response.get_data(as_text=True)
            if response.status_code >= 500:
                problems.append(f"{url} as {name}: {response.status_code}")
            elif leaked := sorted(s for s in HIDDEN_FROM[name] if s in text):
                problems.append(f"{url} as {name or 'anonymous'} shows {leaked}")
    assert len(urls) > 30
    assert not problems, "\n".join(problems)
