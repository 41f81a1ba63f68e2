"""Turning a request's JSON body and query string into validated pydantic models."""

from __future__ import annotations

from typing import TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from app.services.errors import DomainError, ValidationFailed

M = TypeVar("M", bound=BaseModel)


class BadRequest(DomainError):
    code = "bad_request"
    status = 400


class UnsupportedMediaType(DomainError):
    code = "bad_request"
    status = 415


def field_errors(exc: ValidationError) -> dict[str, str]:
    """pydantic's errors as {dotted.field: message}, the first message per field."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"]) or "request"
        fields.setdefault(name, error["msg"])
    return fields


def json_body(model: type[M]) -> M:
    """The request's JSON body as `model`: 415 if not JSON, 400 if malformed, 422 if invalid."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON, with Content-Type: application/json.")
    return _validate(model, request.get_data(cache=False) or b"")


def optional_json_body(model: type[M]) -> M:
    """json_body for calls whose fields are all optional: no body at all stands for `{}`."""
    raw = request.get_data(cache=True)
    if not raw:
        return _validate(model, b"{}")
    return json_body(model)


def _validate(model: type[M], raw: bytes) -> M:
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise BadRequest("The request body is not well-formed JSON.") from None
        if any(not e["loc"] for e in errors):
            raise ValidationFailed("The request body must be a JSON object.") from None
        raise ValidationFailed("Some fields are not valid.", field_errors(exc)) from None


def query_args(model: type[M]) -> M:
    """The query string as `model`; 422 if invalid.

    The first value of each parameter counts. An empty one is a value like any other, judged by
    the parameter's schema as the document states it (`?cursor=` is not a cursor: a 422).
    """
    args = dict(request.args.items())
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        raise ValidationFailed("Some query parameters are not valid.", field_errors(exc)) from None
