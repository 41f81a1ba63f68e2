"""The HTML pages: each area is a blueprint, registered by create_app from BLUEPRINTS."""

from __future__ import annotations

from app.web import (
    account,
    articles,
    auth,
    discussion,
    groups,
    header,
    health,
    moderation,
    notifications,
    readings,
)
from app.web.blueprint import bp as web_bp

# The page modules add their routes to the one `web` blueprint (endpoints web.<name>).
PAGE_MODULES = (
    account, articles, auth, discussion, groups, header, moderation, notifications, readings,
)  # fmt: skip
BLUEPRINTS = (health.bp, web_bp)
