"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # a clear one-line reason instead of a traceback
    raise SystemExit(f"counterpoint: configuration error: {exc}") from None
