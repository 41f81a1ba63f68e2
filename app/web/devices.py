"""The account page's list of signed-in devices, and signing one of them out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import session, url_for
from flask_login import logout_user
from werkzeug.wrappers import Response

from app import sessions, throttle
from app.extensions import limiter
from app.models import User
from app.services import user_sessions
from app.web.actions import require_user, run_action
from app.web.blueprint import bp
from app.web.forms import ActionForm


def sessions_context(user: User) -> dict[str, Any]:
    """What the account page shows of the user's sessions (this device's marked)."""
    return {
        "device_sessions": user_sessions.active_sessions(user, sessions.idle_timeout()),
        "this_session": sessions.current_session_id(),
        "idle_text": _duration(sessions.idle_timeout()),
    }


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"


@bp.post("/account/sessions/<id:session_id>/end")
@limiter.limit(throttle.WRITE_RATE, key_func=throttle.user_or_address)
def end_device_session(session_id: int) -> Response:
    user = require_user()
    here = session_id == sessions.current_session_id()

    def end() -> str:
        user_sessions.end_session(user, session_id)
        if here:
            session.clear()
            logout_user()  # after clearing: it asks for the remember-me cookie to be deleted
            return "You are signed out on this device."
        return "That device is signed out."

    back = url_for("web.index") if here else url_for("web.account") + "#sessions"
    return run_action(ActionForm(), end, back)
