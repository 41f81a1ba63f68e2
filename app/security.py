"""Response headers that fence the browser in, proxy awareness, and refusing NUL in page input."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, abort, g, request
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import get_host

from app.loaders import has_nul

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    _cache_policy(response)
    return response


def _cache_policy(response: Response) -> None:
    """Who may keep a response, unless its view said: a signed-in reader's is theirs alone
    (`private`), and a page holding a CSRF token (every signed-in page, sign-in forms) is
    kept by no one (`no-store`). Only views that draw the same page for everyone (the
    anonymous reading pages, app/web/caching.py) make theirs `public`."""
    if "Cache-Control" in response.headers or request.endpoint == "static":
        return
    holds_token = "csrf_token" in g  # Flask-WTF keeps the request's token there once drawn
    if holds_token and response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    elif holds_token or _signed_in():
        response.headers["Cache-Control"] = "private"
        response.vary.add("Cookie")


def _signed_in() -> bool:
    if "Authorization" in request.headers:  # an API token: the answer is the caller's
        return True
    user = g.get("_login_user")  # Flask-Login's, once loaded; not loading it here
    return user is not None and getattr(user, "is_authenticated", False)


def _refuse_nul() -> None:
    """No text a page takes holds NUL, and PostgreSQL can neither store nor compare one.

    Refused here once for every page and form (400) rather than failing as a database error
    (500) wherever it reaches a query. The API's validators refuse it field by field (422).
    """
    if request.path.startswith("/api/"):
        return
    texts = [request.path, *(text for pair in request.args.items(multi=True) for text in pair)]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        texts += [text for pair in request.form.items(multi=True) for text in pair]
    if has_nul(*texts):
        abort(400, "The request contains a NUL character, which no page accepts.")


BAD_HOST = "This server does not serve the site named in the request's Host header."


class TrustedHostsOnly:
    """WSGI: a request naming a host outside TRUSTED_HOSTS is a 400 before the app sees it.

    Flask refuses it too, but only once it has failed to route it, when no page (which builds
    links) can be drawn; and nothing the app then built could take that host for its own.
    """

    def __init__(self, app: Any, hosts: list[str]) -> None:
        self.app, self.hosts = app, hosts

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            get_host(environ, self.hosts)
        except SecurityError:
            return self._refuse(environ, start_response)
        return self.app(environ, start_response)  # type: ignore[no-any-return]

    @staticmethod
    def _refuse(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if str(environ.get("PATH_INFO", "")).startswith("/api/"):
            error = {"error": {"code": "bad_request", "message": BAD_HOST}}
            body, kind = json.dumps(error).encode(), "application/json"
        else:
            body, kind = f"400 Bad Request: {BAD_HOST}\n".encode(), "text/plain; charset=utf-8"
        headers = [("Content-Type", kind), ("Content-Length", str(len(body))),
                   *HEADERS.items()]  # fmt: skip
        start_response("400 BAD REQUEST", headers)
        return [body]


def init_app(app: Flask) -> None:
    # Inside ProxyFix: the host checked is the one the trusted proxy reports.
    app.wsgi_app = TrustedHostsOnly(app.wsgi_app, app.config["TRUSTED_HOSTS"])  # type: ignore[method-assign]
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        # Trust X-Forwarded-* from exactly as many proxies as configured, no more.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
        )
    app.before_request(_refuse_nul)
    app.after_request(_headers)
