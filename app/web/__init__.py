"""The HTML pages: each area is a blueprint, registered by create_app from BLUEPRINTS."""

from __future__ import annotations

from app.web import (
    account,
    arguing,
    articles,
    auth,
    devices,
    discussion,
    groups,
    header,
    health,
    insight,
    moderation,
    notifications,
    own_data,
    password,
    people,
    readings,
)
from app.web.blueprint import bp as web_bp

# The page modules add their routes to the one `web` blueprint (endpoints web.<name>).
PAGE_MODULES = (
    account,
    arguing,
    articles,
    auth,
    devices,
    discussion,
    groups,
    header,
    insight,
    moderation,
    notifications,
    own_data,
    password,
    people,
    readings,
)
BLUEPRINTS = (health.bp, web_bp)
