"""The `web` blueprint that the HTML page modules (articles, groups, ...) add routes to."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_login import current_user

from app import idempotency
from app.routing import static_url, url_with_id
from app.web.forms import FLAG_REASONS, HIDE_REASONS, LIMITS
from app.web.present import KINDS, TEMPLATE_FILTERS, field_attrs

bp = Blueprint("web", __name__)

for _name, _filter in TEMPLATE_FILTERS.items():
    bp.add_app_template_filter(_filter, _name)
bp.add_app_template_global(KINDS, "KINDS")
bp.add_app_template_global(field_attrs, "field_attrs")
# A link per note without a url_for per note (app/routing.py).
bp.add_app_template_global(url_with_id, "url_with_id")
bp.add_app_template_global(static_url, "static_url")
bp.add_app_template_global(FLAG_REASONS, "FLAG_REASONS")
bp.add_app_template_global(HIDE_REASONS, "HIDE_REASONS")
bp.add_app_template_global(dict(FLAG_REASONS), "FLAG_LABELS")
bp.add_app_template_global(idempotency.form_nonce, "form_nonce")
# The services' limits, for the forms' maxlength/min/max: one number, where it is enforced.
bp.add_app_template_global(LIMITS, "LIMITS")
# A posting form sent twice (a double click) is stored once: see app/idempotency.py.
bp.before_request(idempotency.claim_form_nonce)
bp.after_request(idempotency.record_answer)


@bp.record_once
def _compact_templates(state: Any) -> None:
    # Block tags leave no blank lines behind: a long discussion page stays much smaller.
    state.app.jinja_env.trim_blocks = True
    state.app.jinja_env.lstrip_blocks = True


def wants_fragment() -> bool:
    """The page's own script posted the form and wants JSON with an HTML fragment back."""
    return request.headers.get("X-Requested-With") == "fetch"


def viewer() -> Any:
    """The signed-in User itself (not Flask-Login's proxy), or the anonymous user."""
    return current_user._get_current_object()  # type: ignore[attr-defined]
