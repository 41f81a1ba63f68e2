"""Every state-changing route refuses a forged request: forms without their CSRF token, cookie
writes to the API without X-CSRFToken. Routes come from app.url_map, so new forms are covered.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.api.auth import CSRF_FREE_ENDPOINTS
from app.web.own_data import LINK_AUTHENTICATED
from tests.functional.web.page import parse
from tests.security.bodies import PROBE, form_body, json_body
from tests.security.conftest import db_state, sign_in, state_difference
from tests.security.routes import WRITE_METHODS, routes
from tests.security.world import build_world


def _forged_tokens(app: Flask, make) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    """No token, a made-up one, and a real one from someone else's session."""
    other = sign_in(app.test_client(), make.user("bystander").username)
    page = parse(other.get("/account").data)
    theirs = page.find("form", action="/account/password").find("input", name="csrf_token")
    return {"none": None, "made up": "forged", "another session's": theirs.attrs["value"]}


def _is_csrf_refusal(response: TestResponse) -> bool:
    if response.status_code != 400:
        return False
    return "did not come from this site" in response.get_data(as_text=True)


def test_every_form_route_refuses_a_post_without_its_csrf_token(app: Flask, make, csrf_on) -> None:
    world = build_world(make)
    forged = _forged_tokens(app, make)
    signed_in = sign_in(app.test_client(), world.teach.username)
    form_routes = routes(app, WRITE_METHODS, api=False)
    assert len(form_routes) >= 10
    problems = []
    before = db_state()
    for who, client in (("anonymous", app.test_client()), ("instructor", signed_in)):
        for route in form_routes:
            url = route.url(app, world.values())
            for kind, token in forged.items():
                data = form_body(next="/") | ({"csrf_token": token} if token else {})
                response = client.open(url, method=route.method, data=data)
                if route.endpoint in LINK_AUTHENTICATED:
                    # No CSRF token by design; the world's forged link must be refused.
                    if response.status_code != 400:
                        problems.append(f"{route} took a forged link: {response.status_code}")
                    continue
                if not _is_csrf_refusal(response):
                    problems.append(f"{route} as {who} with {kind} token: {response.status_code}")
    changed = state_difference(before, db_state())
    assert not problems, "\n".join(problems)
    assert not changed, changed


def _cookie_client(app: Flask, username: str) -> FlaskClient:
    return sign_in(app.test_client(), username)


def test_cookie_writes_to_the_api_need_the_csrf_header(app: Flask, make, csrf_on) -> None:
    world = build_world(make)
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    names = {"anchor": "p2", "article": world.article.slug, "body": PROBE}
    client = _cookie_client(app, world.teach.username)
    writes = routes(app, WRITE_METHODS, api=True)
    assert len(writes) >= 10
    problems = []
    before = db_state()
    for route in writes:
        url = route.url(app, world.values())
        response = client.open(url, method=route.method, json=json_body(doc, route, names))
        error = (response.get_json(silent=True) or {}).get("error", {})
        if route.endpoint in CSRF_FREE_ENDPOINTS:
            # HTTP Basic credentials prove the caller; the cookie alone buys no token.
            refused = response.status_code == 401
        else:
            refused = response.status_code == 400 and "X-CSRFToken" in error.get("message", "")
        if not refused:
            problems.append(f"{route}: {response.status_code} {error}")
    changed = state_difference(before, db_state())
    assert not problems, "\n".join(problems)
    assert not changed, changed
