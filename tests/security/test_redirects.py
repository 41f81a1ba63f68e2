"""No redirect leaves the site, whatever `next` (or any other parameter) says.

Sign-in and registration take `next`; so do the action forms. Every page route of app.url_map
is called with each hostile target in `next`, in the query string and in the form, and every
redirect it answers is resolved as a browser would (backslashes as slashes, tabs and newlines
dropped, leading spaces trimmed) and must stay on this host.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import PASSWORD
from tests.functional.web.page import parse
from tests.security.bodies import form_body
from tests.security.conftest import sign_in
from tests.security.routes import WRITE_METHODS, Route, routes
from tests.security.world import build_world

HOST = "localhost"
EVIL = [
    "//evil.example/",
    "///evil.example/",
    "////evil.example/",
    "https://evil.example/",
    "http:evil.example",
    "https:/evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "\x01//evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "%09//evil.example",
    "//evil%E3%80%82example",
    "//evil。example",
    "https://localhost@evil.example/",
    "//localhost@evil.example",
    "/login?next=//evil.example",
    "evil.example",
    "@evil.example",
]
# For the sweep of every route: one of each trick (all of them are tried on sign-in above).
SWEEP = ["//evil.example/", "https://evil.example/", "/\\evil.example", "\\/evil.example",
         "/\t/evil.example", " //evil.example", "javascript:alert(1)", "https:/evil.example",
         "//localhost@evil.example", "http:evil.example"]  # fmt: skip


def _lands_on(location: str, current: str) -> str:
    """The host a browser goes to for this Location, read as the URL standard reads it."""
    cleaned = re.sub(r"[\t\n\r]", "", location).lstrip("".join(map(chr, range(33))))
    resolved = urljoin(f"http://{HOST}{current}", cleaned.replace("\\", "/"))
    parts = urlsplit(resolved)
    if parts.scheme not in ("http", "https"):
        return f"{parts.scheme}: URL"
    return parts.hostname or ""


def test_signing_in_or_registering_never_sends_the_browser_off_site(app: Flask, make) -> None:
    user = make.user()
    problems = []
    for n, target in enumerate(EVIL):
        client = app.test_client()
        page = parse(client.get("/login", query_string={"next": target}).data)
        kept = page.find("input", name="next").attrs.get("value", "")
        signed_in = client.post(
            "/login", data={"username": user.username, "password": PASSWORD, "next": target}
        )
        registered = app.test_client().post(
            "/register",
            data={"username": f"newcomer{n}", "password": PASSWORD, "confirm": PASSWORD,
                  "email": f"newcomer{n}@example.edu", "next": target},
        )  # fmt: skip
        for what, location, at in (
            ("the form's next", kept, "/login"),
            ("signing in", signed_in.location, "/login"),
            ("registering", registered.location, "/register"),
        ):
            if location and _lands_on(location, at) != HOST:
                problems.append(f"{what} with next={target!r} goes to {location!r}")
        assert signed_in.status_code == registered.status_code == 302, target
    assert not problems, "\n".join(problems)


def _go(client: FlaskClient, route: Route, url: str, target: str) -> str | None:
    """Where the route sends the browser with `target` as `next` (query and form), if anywhere."""
    data = form_body(next=target) if route.method != "GET" else None
    query = f"next={quote(target, safe='')}"
    return client.open(f"{url}?{query}", method=route.method, data=data).location


def test_no_route_redirects_off_site_for_any_next(app: Flask, make) -> None:
    world = build_world(make)
    problems, redirects, honouring = [], 0, []
    instructor = sign_in(app.test_client(), world.teach.username)
    for route in routes(app, {"GET", *WRITE_METHODS}, api=False):
        url = route.url(app, world.values())
        for who, client in (("anonymous", app.test_client()), ("instructor", instructor)):
            # Routes that send the browser to `next` get every target; the others two.
            probe = _go(client, route, url, "/probe-next")
            follows = probe is not None and "/probe-next" in probe
            honouring += [f"{route} as {who}"] if follows else []
            for target in SWEEP if follows else SWEEP[:2]:
                if (location := _go(client, route, url, target)) is None:
                    continue
                redirects += 1
                if (host := _lands_on(location, url)) != HOST:
                    problems.append(f"{route} as {who}, next={target!r}: to {host}")
        if route.method != "GET":  # it may have signed the instructor out, or left the group
            instructor = sign_in(app.test_client(), world.teach.username)
    assert honouring, "no route follows `next`: the probe is broken"
    assert redirects > 50
    assert not problems, "\n".join(problems)


def _links_off_site(body: bytes, at: str) -> list[str]:
    """Every link and `next` field of a page that would take the browser to another site."""
    page = parse(body)
    targets = [a.attrs.get("href") or "" for a in page.find_all("a")]
    targets += [i.attrs.get("value") or "" for i in page.find_all("input", name="next")]
    return [t for t in targets if t and _lands_on(t, at) != HOST]


def test_a_refused_form_shown_again_links_nowhere_off_site(app: Flask, make) -> None:
    """The failure path too: a flag with an unknown reason, empty feedback, a wrong password."""
    world = build_world(make)
    teacher = sign_in(app.test_client(), world.teach.username)
    member = sign_in(app.test_client(), world.pupil2.username)
    note = world.group_note.id
    problems = []
    for target in EVIL:
        for who, client, path, form in (
            ("member", member, f"/annotations/{note}/flag", {"reason": "nonsense"}),
            ("instructor", teacher, f"/annotations/{note}/feedback", {"body": " "}),
            ("anyone", app.test_client(), "/login", {"username": "nobody", "password": "x" * 9}),
        ):
            shown = client.get(path, query_string={"next": target})
            refused = client.post(path, data={**form, "next": target})
            assert shown.status_code == 200, (who, path)
            assert refused.status_code == 422, (who, path, refused.status_code)
            for what, answer in (("shown", shown), ("refused", refused)):
                bad = _links_off_site(answer.data, path)
                problems += [f"{path} {what} with next={target!r}: {b!r}" for b in bad]
    assert not problems, "\n".join(problems)
