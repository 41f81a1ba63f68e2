"""`/healthz`: whether the app and its database answer."""

from __future__ import annotations

from flask import Blueprint, jsonify

from app.database import database_ok
from app.extensions import csrf, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():  # type: ignore[no-untyped-def]
    if database_ok():
        return jsonify(status="ok")
    return jsonify(status="unavailable", detail="the database is not answering"), 503
