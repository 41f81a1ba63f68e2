"""Counterpoint: read an article together and argue with it, paragraph by paragraph."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
ENV_KEYS = ("COUNTERPOINT_ENV", "DATABASE_URL", "SECRET_KEY", "REDIS_URL", "RATE_LIMITS",
            "PROXY_HOPS", "PREFERRED_URL_SCHEME", "SESSION_IDLE_MINUTES", "REMEMBER_DAYS",
            "TRUSTED_HOSTS", "PUBLIC_URL", "BODY_TIMEOUT", "MAIL_URL", "MAIL_FROM")  # fmt: skip


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` may override environment settings (ENV_KEYS) and Flask keys."""
    from app import (
        cli,
        database,
        errors,
        limits,
        permissions,
        routing,
        security,
        sessions,
        throttle,
        uploads,
    )
    from app.api import bp as api_bp
    from app.config import load_settings
    from app.extensions import compress, csrf, db, limiter, login_manager, migrate
    from app.services import versions
    from app.web import BLUEPRINTS

    overrides = dict(config or {})
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    environ = {**os.environ, **{k: str(overrides.pop(k)) for k in ENV_KEYS if k in overrides}}
    settings = load_settings(environ, Path(app.instance_path))
    app.config.update(settings.flask_config())
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    database.init_app(app)
    versions.watch(db.session)  # every flushed page-visible change raises discussion_version
    permissions.watch(db.session)  # a flushed membership change empties the request's cache
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    uploads.init_app(app)  # before CSRF, which reads the (larger) form
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    sessions.init_app(app)
    throttle.init_app(app)
    limits.init_app(app)  # form field counts, slow bodies (inside ProxyFix)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    routing.init_app(app)  # the <id:...> and <group:...> converters the routes below use
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    return app
