"""GET /me: who the caller is."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from app.api.auth import require_user
from app.api.openapi import operation
from app.api.presenters import present_me
from app.api.schemas import MeOut

bp = Blueprint("me", __name__)


@bp.get("/me")
@operation("Who the caller is, by token or session cookie.", "auth", {200: MeOut}, auth="required")
def me() -> ResponseReturnValue:
    return present_me(require_user())
