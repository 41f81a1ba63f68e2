"""Errors answered as JSON under /api/ and as friendly pages elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.services.errors import DomainError

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "bad_request",
    409: "conflict",
    413: "bad_request",
    415: "bad_request",
    422: "validation",
    429: "rate_limited",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(
    status: int, message: str, code: str | None = None, fields: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {
        "code": code or CODES.get(status, "server_error" if status >= 500 else "bad_request"),
        "message": message,
    }
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _http(exc: HTTPException) -> Any:
    status = exc.code or 500
    message = exc.description or exc.name
    response = json_error(status, message) if wants_json() else _page(status, exc.name, message)
    response = make_response(response)
    # Keep what the exception says about itself: Allow on 405, WWW-Authenticate on 401, ...
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    if isinstance(exc, RateLimitExceeded):
        return _rate_limited(exc, response)
    return response


def _rate_limited(exc: RateLimitExceeded, response: Any) -> Any:
    response = make_response(response)
    retry = getattr(exc, "retry_after", None)
    response.headers.setdefault("Retry-After", str(int(retry or 60)))
    return response


def _domain(exc: DomainError) -> Any:
    if wants_json():
        return json_error(exc.status, exc.message, exc.code, exc.fields)
    return _page(exc.status, exc.code.replace("_", " ").capitalize(), exc.message)


def _csrf(exc: CSRFError) -> Any:
    message = "The form expired or did not come from this site. Reload the page and try again."
    if wants_json():
        return json_error(400, message, "bad_request")
    return _page(400, "Form expired", message)


def _database_down(exc: OperationalError) -> Any:
    db.session.rollback()
    message = "The database is not answering. Your work is safe; try again in a minute."
    if wants_json():
        response = json_error(503, message, "server_error")
    else:
        response = _page(503, "Temporarily unavailable", message)
    return response


def _integrity(exc: IntegrityError) -> Any:
    """A write that lost a race the view did not expect (database.commit_racing handles the
    ones we know of): the state changed under it, which is a conflict, not a server error."""
    db.session.rollback()
    message = "Someone else changed this at the same moment. Reload and try again."
    if wants_json():
        return json_error(409, message, "conflict")
    return _page(409, "Changed meanwhile", message)


def _server_error(exc: Exception) -> Any:
    db.session.rollback()
    message = "Something went wrong on our side. It has been logged."
    if wants_json():
        return json_error(500, message, "server_error")
    return _page(500, "Server error", message)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(DomainError, _domain)
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(IntegrityError, _integrity)
    app.register_error_handler(InternalServerError, _server_error)
