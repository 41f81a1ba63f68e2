"""The Flask extensions, created once here and bound to an app in create_app."""

from __future__ import annotations

from flask import request
from flask_compress import Compress
from flask_limiter import Limit, Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints make Alembic migrations reversible on SQLite's batch mode.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
# Every write (POST, PATCH, PUT, DELETE) gets this per-route rate unless its route declares its
# own (app/throttle.py): a new form or API call is limited the day it is added.
WRITE_RATE = "60 per minute; 600 per hour"


def user_or_address() -> str:
    """Rate-limit key: the signed-in user, else the client address."""
    if current_user.is_authenticated:
        return f"user:{current_user.get_id().partition(':')[0]}"
    return f"addr:{request.remote_addr or 'unknown'}"


def _is_read() -> bool:
    return request.method in ("GET", "HEAD", "OPTIONS")


limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[Limit(WRITE_RATE, key_function=user_or_address, exempt_when=_is_read)],
)
compress = Compress()
