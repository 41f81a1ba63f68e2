"""The HTML pages: each area is a blueprint, registered by create_app from BLUEPRINTS."""

from __future__ import annotations

from app.web import health

BLUEPRINTS = (health.bp,)
