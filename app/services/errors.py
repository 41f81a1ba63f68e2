"""Domain errors that views, the API and the CLI translate into responses."""

from __future__ import annotations


class DomainError(Exception):
    """Base: `code` is the API error word, `status` the HTTP status it maps to."""

    code = "bad_request"
    status = 400

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(DomainError):
    code = "validation"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class ConfirmationNeeded(Conflict):
    """The change is allowed but drastic (most annotations would be orphaned): ask first."""
