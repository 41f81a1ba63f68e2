"""Failed sign-in backoff kept in the database, so every worker and instance counts the same.

Failures are counted in a 15-minute window at three levels:

- one account from one address (or from one known device): 5 — a stranger guessing a username
  locks out only themselves;
- one address, every account: 10 — one machine spraying a password over many usernames;
- one account from every unknown device together: 20 — guessing spread over many addresses.

An attempt from a device where the account signed in before (a signed cookie, see
app/known_devices.py) counts only against that device's own budget of 5: neither a stranger's
failures on the username nor a busy shared address keep the owner out.

Each attempt is reserved (a row inserted and committed) before its password is checked and
counted with the rows before it, so parallel guesses through several workers cannot all slip
under the limit; a right password deletes the reservation, a refused attempt gives it back.
Rows are written on their own connection: they must be seen by other workers at once, whatever
the request's own transaction does later.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, delete, insert, or_, select

from app.extensions import db
from app.models import FailedSignin
from app.models.base import utcnow

WINDOW = timedelta(minutes=15)
PER_PAIR = 5
PER_ADDRESS = 10
PER_ACCOUNT = 20


def account_key(username: str, secret: str) -> str:
    """A keyed digest of the normalised username: what was typed is never stored."""
    name = username.strip().lower().encode()
    return hmac.new(secret.encode(), b"signin:" + name, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Attempt:
    account: str  # account_key(...)
    address: str
    device: str | None = None  # digest of a known-device cookie valid for this account


def _limits(attempt: Attempt, since: datetime) -> list[tuple[int, Select[tuple[datetime]]]]:
    fresh = FailedSignin.created_at > since
    base = select(FailedSignin.created_at).where(fresh)
    if attempt.device is not None:
        own = base.where(
            FailedSignin.account == attempt.account, FailedSignin.device == attempt.device
        )
        return [(PER_PAIR, own)]
    return [
        (
            PER_PAIR,
            base.where(
                FailedSignin.account == attempt.account,
                FailedSignin.address == attempt.address,
                FailedSignin.device.is_(None),
            ),
        ),
        (PER_ADDRESS, base.where(FailedSignin.address == attempt.address)),
        (
            PER_ACCOUNT,
            base.where(FailedSignin.account == attempt.account, FailedSignin.device.is_(None)),
        ),
    ]


def retry_after(
    attempt: Attempt, before_id: int | None = None, now: datetime | None = None
) -> int | None:
    """Seconds until this attempt may be tried, or None when it may be tried now.

    `before_id`: count only rows reserved before this one (the attempt's own reservation).
    """
    now = now or utcnow()
    waits = []
    for limit, stmt in _limits(attempt, now - WINDOW):
        if before_id is not None:
            stmt = stmt.where(FailedSignin.id < before_id)
        # The limit-th newest failure: when it leaves the window, one more try is allowed.
        nth = db.session.scalar(
            stmt.order_by(FailedSignin.created_at.desc()).offset(limit - 1).limit(1)
        )
        if nth is not None:
            waits.append(int((nth + WINDOW - now).total_seconds()) + 1)
    return max(waits) if waits else None


def reserve(attempt: Attempt) -> int:
    """Record the attempt as a failure until it proves otherwise; returns the row's id."""
    with db.engine.begin() as conn:
        now = utcnow()
        conn.execute(delete(FailedSignin).where(FailedSignin.created_at < now - WINDOW))
        row = conn.execute(
            insert(FailedSignin)
            .values(
                account=attempt.account,
                address=attempt.address,
                device=attempt.device,
                created_at=now,
            )
            .returning(FailedSignin.id)
        )
        return int(row.scalar_one())


def release(reservation_id: int) -> None:
    """Give a reservation back: the attempt was not a wrong password after all."""
    with db.engine.begin() as conn:
        conn.execute(delete(FailedSignin).where(FailedSignin.id == reservation_id))


def record_failure(attempt: Attempt) -> None:
    """A failure that had no reservation (checked elsewhere, or recorded by an operator's test)."""
    reserve(attempt)


def forgive(attempt: Attempt) -> None:
    """A right password clears this account's failures from this address or device, no others.

    Runs in the request's transaction (committed with the sign-in it belongs to).
    """
    same_place = FailedSignin.address == attempt.address
    if attempt.device is not None:
        same_place = or_(same_place, FailedSignin.device == attempt.device)
    db.session.execute(
        delete(FailedSignin)
        .where(and_(FailedSignin.account == attempt.account, same_place))
        .execution_options(synchronize_session=False)
    )


def forget_account(account: str) -> None:
    """Drop every failure counted against an account (it was deleted: its name is free again,
    and a newcomer who takes it must not inherit a stranger's guesses). Request's transaction."""
    db.session.execute(
        delete(FailedSignin)
        .where(FailedSignin.account == account)
        .execution_options(synchronize_session=False)
    )
