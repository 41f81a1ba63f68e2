"""Abuse limits: per-route rates (Flask-Limiter) and failed-sign-in backoff.

Route rates keep their counters in the limiter's storage (memory, or Redis when REDIS_URL is
set). The sign-in backoff is counted in the database (app/services/signin_backoff.py), so it
holds the same with any number of workers, with or without Redis.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, request

from app import known_devices
from app.extensions import WRITE_RATE, user_or_address
from app.services import signin_backoff
from app.services.signin_backoff import Attempt

LOGIN_RATE = "20 per minute"  # per address, every attempt
REGISTER_RATE = "60 per hour"  # per address: a class registers together from one network
API_SIGNIN_RATE = "10 per minute; 100 per hour"  # per address, for POST /api/v1/tokens
# Failed sign-ins in the backoff window (15 minutes), see signin_backoff.
FAILED_PER_PAIR = signin_backoff.PER_PAIR
FAILED_PER_ADDRESS = signin_backoff.PER_ADDRESS
FAILED_PER_ACCOUNT = signin_backoff.PER_ACCOUNT
__all__ = ["WRITE_RATE", "user_or_address"]  # per signed-in user (else address), every write


@dataclass(frozen=True)
class Backoff:
    retry_after: int  # seconds


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _attempt(username: str) -> Attempt:
    account = signin_backoff.account_key(username, current_app.config["SECRET_KEY"])
    return Attempt(account, request.remote_addr or "unknown", known_devices.device_for(account))


def login_backoff(username: str) -> Backoff | None:
    """Whether this sign-in attempt must wait (and how long); if not, it is reserved as a
    failure until record_failed_login or clear_failed_logins settles it."""
    if not _enabled():
        return None
    attempt = _attempt(username)
    reservation = signin_backoff.reserve(attempt)
    wait = signin_backoff.retry_after(attempt, before_id=reservation)
    if wait is not None:
        signin_backoff.release(reservation)  # a refused attempt checked no password
        return Backoff(wait)
    g._cp_signin_reservation = reservation
    return None


def record_failed_login(username: str) -> None:
    """The password was wrong: the reserved attempt stays counted (or is recorded now)."""
    if not _enabled():
        return
    if g.pop("_cp_signin_reservation", None) is None:
        signin_backoff.record_failure(_attempt(username))


def clear_failed_logins(username: str) -> None:
    """A right password forgives this account's failures from here (not the address's others)."""
    if not _enabled():
        return
    g.pop("_cp_signin_reservation", None)
    signin_backoff.forgive(_attempt(username))


def remember_device(username: str) -> None:
    """After a sign-in in a browser: it becomes a known device of the account."""
    known_devices.remember_device(
        signin_backoff.account_key(username, current_app.config["SECRET_KEY"])
    )


def _settle(_: BaseException | None) -> None:
    # An attempt checked but never judged wrong (e.g. the account page refused a weak new
    # password after the current one was right) is not a failure.
    reservation = g.pop("_cp_signin_reservation", None)
    if reservation is not None:
        signin_backoff.release(reservation)


def init_app(app: Flask) -> None:
    app.teardown_request(_settle)
