"""The JSON API under /api/v1: one parent blueprint, one child per resource."""

from __future__ import annotations

from flask import Blueprint

from app import idempotency
from app.api import auth
from app.api.annotations import bp as annotations_bp
from app.api.articles import bp as articles_bp
from app.api.feedback import bp as feedback_bp
from app.api.groups import bp as groups_bp
from app.api.insight import bp as insight_bp
from app.api.me import bp as me_bp
from app.api.moderation import bp as moderation_bp
from app.api.notifications import bp as notifications_bp
from app.api.openapi import bp as openapi_bp
from app.api.people import bp as people_bp
from app.api.readings import bp as readings_bp
from app.api.search import bp as search_bp
from app.api.tokens import bp as tokens_bp
from app.extensions import csrf, login_manager

RESOURCES = (
    tokens_bp,
    me_bp,
    articles_bp,
    annotations_bp,
    groups_bp,
    moderation_bp,
    feedback_bp,
    notifications_bp,
    search_bp,
    insight_bp,
    people_bp,
    openapi_bp,
    readings_bp,
)

bp = Blueprint("api", __name__)
# Identity first (a bad token is a 401 before anything else), then CSRF for cookie writes.
bp.before_request(auth.authenticate)
bp.before_request(auth.check_csrf)
# Then a POST's Idempotency-Key: a repeat is answered as the first was, before any work.
bp.before_request(idempotency.claim_api_key)
bp.after_request(idempotency.record_answer)

for resource in RESOURCES:
    bp.register_blueprint(resource)
    # CSRF is checked by auth.check_csrf, which knows a token-authenticated request needs none.
    csrf.exempt(resource)
    # @login_required on an API view answers 401 (JSON, by app.errors), never a login redirect.
    login_manager.blueprint_login_views[f"{bp.name}.{resource.name}"] = None
csrf.exempt(bp)
