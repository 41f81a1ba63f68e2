"""Double submits stored once: an API POST's Idempotency-Key, a page form's one-time nonce.

A keyed POST first takes a row in `request_keys` inside its own transaction, so the key and the
work it guards are committed together or not at all. A repeat of it (a double click, a client
retrying after a lost answer) cannot take that row while the first holds it: the database makes
it wait, then it finds the first request's answer and gets the same answer back, marked
`Idempotent-Replayed: true`, and nothing is done twice. A first request that fails stores
nothing, so trying again really tries again.

- API: `Idempotency-Key: <1–255 printable ASCII characters>` on any POST by a signed-in caller.
  A key belongs to one method and path: the same key with a different body there is a 422
  (elsewhere it is another key); answers are kept 24 h.
- Pages: the posting forms carry a hidden `form_nonce` (a new one each time the form is drawn);
  the same form posted twice with the same content is one post. A reused nonce with different
  content (the page's script reuses its composer) is a new post.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta

from flask import Response, current_app, g, redirect, render_template, request
from flask_login import current_user
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import json_error
from app.extensions import db
from app.models import RequestKey, User
from app.models.base import utcnow

KEY_HEADER = "Idempotency-Key"
NONCE_FIELD = "form_nonce"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY = 255
KEEP = timedelta(hours=24)
# A key whose request never answered (its worker was killed) is free again after this long.
STALE = timedelta(seconds=60)
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
# Answers that must never be stored: a new API token is shown once, and kept only as a digest.
SECRET_ANSWERS = frozenset({"api.tokens.issue_token"})
# Form fields that differ between two drawings of the same form without changing what it says.
UNSIGNED_FIELDS = frozenset({"csrf_token", NONCE_FIELD})


def form_nonce() -> str:
    """A new nonce for one drawing of a form (a Jinja global)."""
    return secrets.token_urlsafe(16)


def _digest(*parts: str | bytes) -> str:
    """An HMAC under SECRET_KEY: what is stored says nothing about the request to someone
    holding a copy of the database (a registration's password is among the fields signed)."""
    mac = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        mac.update(len(data).to_bytes(8, "big") + data)
    return mac.hexdigest()


def _scope(user: object) -> str:
    return RequestKey.user_scope(user.id) if isinstance(user, User) else "anon"


def claim_api_key() -> Response | None:
    """before_request of the API (after authentication): take or replay an Idempotency-Key."""
    raw = request.headers.get(KEY_HEADER)
    if request.method != "POST" or raw is None or request.endpoint in SECRET_ANSWERS:
        return None
    if not 0 < len(raw) <= MAX_KEY or not (raw.isascii() and raw.isprintable()):
        return json_error(400, f"{KEY_HEADER} must be 1–{MAX_KEY} printable ASCII characters.")
    from app.api.auth import caller  # the API's own notion of who calls (token or cookie)

    user = caller()
    if user is None:
        return None  # the view answers 401; there is no one to keep the key for
    # A key names one request to one address: the same key sent to another method or path (or
    # query) is another key, so only a different body under it is a reused key (422).
    key = _digest("api", raw, request.method, request.full_path)
    return _claim(_scope(user), key, _digest(request.get_data(cache=True)), api=True)


def claim_form_nonce() -> Response | None:
    """before_request of the pages: a form posted again with its nonce is answered as before."""
    if request.method != "POST":
        return None
    nonce = request.form.get(NONCE_FIELD, "")
    if not nonce or len(nonce) > MAX_KEY:
        return None
    fields = sorted(
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in UNSIGNED_FIELDS
    )
    fingerprint = _digest(request.path, json.dumps(fields))
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return _claim(_scope(user), _digest("form", nonce, fingerprint), fingerprint, api=False)


def _claim(scope: str, key: str, fingerprint: str, api: bool) -> Response | None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = db.session.scalar(
            select(RequestKey).where(RequestKey.scope == scope, RequestKey.key == key)
        )
        if found is None:
            if _take(scope, key, fingerprint):
                return None
        elif found.fingerprint != fingerprint:
            db.session.rollback()
            return _refuse(422, f"This {KEY_HEADER} was already used for a different request.")
        elif found.status is not None:
            answer = _replay(found)
            db.session.rollback()
            return answer
        elif found.created_at < utcnow() - STALE:
            db.session.delete(found)  # its request died unanswered; this one takes over
            db.session.commit()
            continue
        else:
            db.session.rollback()  # the first request is still at work: wait for its answer
        if time.monotonic() > deadline:
            return _refuse(409, "The same request is still being answered; try again shortly.")
        time.sleep(POLL_SECONDS)


def _take(scope: str, key: str, fingerprint: str) -> bool:
    """Insert the key in this request's transaction; False if a twin request holds it."""
    claim = secrets.token_hex(16)
    db.session.add(RequestKey(scope=scope, key=key, fingerprint=fingerprint, claim=claim))
    try:
        db.session.flush()  # waits here while a twin's uncommitted insert holds the key
    except IntegrityError:
        db.session.rollback()
        return False
    g.request_key_claim = claim
    return True


def _replay(found: RequestKey) -> Response:
    status = int(found.status or 200)
    if found.body is not None:
        answer = current_app.response_class(found.body, status=status, mimetype="application/json")
        if found.location:
            answer.headers["Location"] = found.location
    elif found.location:
        answer = redirect(found.location, status if 300 <= status < 400 else 303)
    else:
        return _refuse(409, "This form was already sent; nothing was done twice.")
    answer.headers[REPLAYED_HEADER] = "true"
    return answer


def _refuse(status: int, message: str) -> Response:
    if request.path.startswith("/api/"):
        return json_error(status, message)
    page = render_template(
        "errors/error.html", status=status, title="Already sent", message=message
    )
    return current_app.response_class(page, status=status, mimetype="text/html")


def record_answer(response: Response) -> Response:
    """after_request: keep the answer a claimed key's request got, for its repeats."""
    claim = g.pop("request_key_claim", None)
    if claim is None:
        return response
    db.session.rollback()  # what the view did not commit is not kept, the key included
    mine = RequestKey.claim == claim
    if response.status_code >= 500:
        db.session.execute(delete(RequestKey).where(mine))  # a retry must really retry
    else:
        is_json = response.mimetype == "application/json" and not response.direct_passthrough
        db.session.execute(
            update(RequestKey)
            .where(mine)
            .values(
                status=response.status_code,
                location=(response.headers.get("Location") or "")[:2000] or None,
                body=response.get_data(as_text=True) if is_json else None,
            )
        )
    db.session.execute(delete(RequestKey).where(RequestKey.created_at < utcnow() - KEEP))
    db.session.commit()
    return response
