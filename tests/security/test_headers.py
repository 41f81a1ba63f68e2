"""Every response fences the browser in (CSP, nosniff, referrer, framing); HTTPS adds HSTS.

Routes come from app.url_map, so a page or API call added later is checked without a change
here. Cookies are HttpOnly and SameSite=Lax, and Secure once the site is served over HTTPS.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import TestResponse

from tests.factories import PASSWORD
from tests.security.conftest import MakeApp
from tests.security.routes import WRITE_METHODS, Route, routes
from tests.security.world import build_world

REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
HSTS_MIN = 180 * 24 * 3600  # browsers' preload lists ask for a year; half of that at the least


def csp_directives(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = (part.split() for part in policy.split(";") if part.strip())
    return {words[0].lower(): words[1:] for words in directives}


def header_problems(response: TestResponse) -> list[str]:
    """What the response lacks of the headers every response must carry."""
    problems = []
    csp = csp_directives(response)
    script = csp.get("script-src", csp.get("default-src"))
    if script is None:
        problems.append("no CSP script-src (or default-src)")
    elif {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(script):
        problems.append(f"CSP script-src too wide: {script}")
    if csp.get("frame-ancestors") != ["'none'"]:
        problems.append(f"CSP frame-ancestors is {csp.get('frame-ancestors')}")
    if csp.get("object-src") != ["'none'"]:
        problems.append(f"CSP object-src is {csp.get('object-src')}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {response.headers.get('Referrer-Policy')!r}")
    return problems


def _request(client: FlaskClient, route: Route, url: str, **kw: Any) -> TestResponse:
    if route.method in WRITE_METHODS and route.is_api:
        kw.setdefault("json", {})
    return client.open(url, method=route.method, **kw)


def test_every_route_answers_with_the_security_headers(app: Flask, make, signed_in) -> None:
    world = build_world(make)
    teacher = signed_in(world.teach)
    anonymous = app.test_client()
    checked, problems = 0, []
    # Reads first, then writes (which may sign the teacher out or change what reads find).
    every = routes(app, ["GET"]) + routes(app, WRITE_METHODS)
    for route in every:
        url = route.url(app, world.values())
        for who, client in (("anonymous", anonymous), ("teacher", teacher)):
            response = _request(client, route, url)
            checked += 1
            problems += [f"{route} as {who} ({response.status_code}): {p}"
                         for p in header_problems(response)]  # fmt: skip
    assert checked >= 2 * len(every) > 40
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/no/such/page", 404),
        ("GET", "/api/v1/no/such/call", 404),
        ("PUT", "/login", 405),
        ("POST", "/api/v1/articles/essay/annotations", 401),
        ("GET", "/static/css/site.css", 200),
        ("GET", "/static/js/main.js", 200),
        ("GET", "/healthz", 200),
    ],
)
def test_errors_and_static_files_carry_the_headers_too(
    client: FlaskClient, method: str, url: str, status: int
) -> None:
    with client.open(url, method=method) as response:  # closes a static file's handle
        assert response.status_code == status
        assert header_problems(response) == []


def test_no_hsts_over_plain_http(client: FlaskClient) -> None:
    # Browsers ignore HSTS sent over HTTP; sending it would only hide a misconfiguration.
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient, make) -> None:
    user = make.user()
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "remember": "y"}
    )
    cookies = _set_cookies(response)
    for name in ("session", "remember_token"):
        assert {"httponly", "samesite=lax"} <= cookies[name], name
        assert "secure" not in cookies[name]  # plain http here: a Secure cookie would be lost


def _set_cookies(response: TestResponse) -> dict[str, set[str]]:
    """{cookie name: its lower-cased attributes} from the Set-Cookie headers."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        attributes = {part.strip().lower() for part in rest.split(";")[1:]}
        found[name] = {a.partition("=")[0] if a.startswith("expires") else a for a in attributes}
    return found


def test_over_https_cookies_are_secure_and_hsts_is_sent(make_app: MakeApp, make) -> None:
    user = make.user()
    https = make_app(PREFERRED_URL_SCHEME="https")
    client = https.test_client()
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "remember": "y"},
        base_url="https://localhost",
    )
    cookies = _set_cookies(response)
    for name in ("session", "remember_token"):
        assert {"secure", "httponly", "samesite=lax"} <= cookies[name], name
    hsts = client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= HSTS_MIN


def _probe_app(make_app: MakeApp, **settings: Any) -> Flask:
    """An app with one extra route that reports how it sees the request."""
    application = make_app(**settings)

    @application.get("/_probe")
    def probe() -> dict[str, Any]:
        return {"secure": request.is_secure, "remote": request.remote_addr}

    return application


def test_behind_one_proxy_forwarded_https_drives_hsts(make_app: MakeApp) -> None:
    proxied = _probe_app(make_app, PROXY_HOPS="1")
    assert isinstance(proxied.wsgi_app, ProxyFix)
    assert (proxied.wsgi_app.x_proto, proxied.wsgi_app.x_for) == (1, 1)
    client = proxied.test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    response = client.get("/_probe", headers=forwarded)
    assert response.get_json() == {"secure": True, "remote": "203.0.113.9"}
    assert int(response.headers["Strict-Transport-Security"].split("=")[1]) >= HSTS_MIN
    plain = client.get("/_probe", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers


def test_behind_one_proxy_only_the_last_hop_is_believed(make_app: MakeApp) -> None:
    # A client can send any X-Forwarded-For; the proxy appends the address it saw.
    client = _probe_app(make_app, PROXY_HOPS="1").test_client()
    spoofed = {"X-Forwarded-For": "10.0.0.1, 198.51.100.7"}
    assert client.get("/_probe", headers=spoofed).get_json()["remote"] == "198.51.100.7"


def test_without_a_proxy_forwarded_headers_are_ignored(make_app: MakeApp) -> None:
    # Otherwise anyone could claim HTTPS, or a fresh address for every rate-limited request.
    direct = _probe_app(make_app)
    assert not isinstance(direct.wsgi_app, ProxyFix)
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    response = direct.test_client().get("/_probe", headers=forged)
    assert response.get_json() == {"secure": False, "remote": "127.0.0.1"}
    assert "Strict-Transport-Security" not in response.headers
