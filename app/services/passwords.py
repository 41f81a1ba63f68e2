"""Password hashes: Argon2id at OWASP strength, older hashes verified and upgraded on sign-in.

Argon2id with 19 MiB, 2 passes, 1 lane is OWASP's Password Storage Cheat Sheet's first
recommendation. Hashes made before (Werkzeug's scrypt, N=2^15) still verify; `needs_rehash`
tells sign-in to store a new hash while it holds the plain password. The test suite sets
PASSWORD_HASH_METHOD to a cheap Werkzeug method, which this module honours.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

ARGON2ID = "argon2id"
# OWASP: m=19 MiB, t=2, p=1 (the equivalent alternatives trade memory for passes).
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1


@lru_cache(maxsize=4)
def _hasher(memory_kib: int, time_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


def _config_hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher(
        int(config.get("ARGON2_MEMORY_KIB", ARGON2_MEMORY_KIB)),
        int(config.get("ARGON2_TIME_COST", ARGON2_TIME_COST)),
        int(config.get("ARGON2_PARALLELISM", ARGON2_PARALLELISM)),
    )


def method() -> str:
    """The configured method: argon2id (production) or a Werkzeug method (the test suite)."""
    return current_app.config.get("PASSWORD_HASH_METHOD") or ARGON2ID


def hash_password(password: str) -> str:
    if method() == ARGON2ID:
        return _config_hasher().hash(password)
    return generate_password_hash(password, method=method())


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches the stored hash, whichever method made it."""
    if stored.startswith("$argon2"):
        try:
            return _config_hasher().verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    try:
        return check_password_hash(stored, password)
    except ValueError:  # an unknown or damaged method string
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a (verified) stored hash is weaker than, or other than, what we make now."""
    wanted = method()
    if wanted == ARGON2ID:
        if not stored.startswith("$argon2id$"):
            return True
        try:
            return _config_hasher().check_needs_rehash(stored)
        except InvalidHashError:
            return True
    return not stored.startswith(wanted + "$") and not stored.startswith(wanted + ":")
