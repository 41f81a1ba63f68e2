"""Abuse limits: per-route rates (Flask-Limiter) and failed-login backoff per account and address.

Both keep their counters in the limiter's storage: memory by default, Redis when REDIS_URL is
set, so that every gunicorn worker sees the same counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app, request
from flask_login import current_user
from limits import RateLimitItem, parse
from limits.strategies import MovingWindowRateLimiter

from app.extensions import limiter

LOGIN_RATE = "20 per minute"  # per address, every attempt
REGISTER_RATE = "60 per hour"  # per address: a class registers together from one network
API_SIGNIN_RATE = "10 per minute; 100 per hour"  # per address, for POST /api/v1/tokens
WRITE_RATE = "60 per minute; 600 per hour"  # per signed-in user (or address)
# After this many failures in the window, further attempts wait until the window frees up.
FAILED_PER_ACCOUNT: RateLimitItem = parse("5 per 15 minutes")
FAILED_PER_ADDRESS: RateLimitItem = parse("20 per 15 minutes")


def user_or_address() -> str:
    """Rate-limit key: the signed-in user, else the client address."""
    if current_user.is_authenticated:
        return f"user:{current_user.get_id().partition(':')[0]}"
    return f"addr:{request.remote_addr or 'unknown'}"


@dataclass(frozen=True)
class Backoff:
    retry_after: int  # seconds


def _strategy() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(limiter.storage)


def _keys(username: str) -> list[tuple[RateLimitItem, str]]:
    return [
        (FAILED_PER_ACCOUNT, f"login-fail:account:{username.strip().lower()}"),
        (FAILED_PER_ADDRESS, f"login-fail:addr:{request.remote_addr or 'unknown'}"),
    ]


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def login_backoff(username: str) -> Backoff | None:
    """Whether sign-in attempts for this account or from this address must wait, and how long."""
    if not _enabled():
        return None
    strategy = _strategy()
    for item, key in _keys(username):
        if not strategy.test(item, key):
            reset_at, _ = strategy.get_window_stats(item, key)
            return Backoff(max(1, int(reset_at - time.time()) + 1))
    return None


def record_failed_login(username: str) -> None:
    if not _enabled():
        return
    strategy = _strategy()
    for item, key in _keys(username):
        strategy.hit(item, key)


def clear_failed_logins(username: str) -> None:
    """A successful sign-in forgives the account's earlier failures (not the address's)."""
    if not _enabled():
        return
    item, key = _keys(username)[0]
    _strategy().clear(item, key)
