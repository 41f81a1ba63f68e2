"""Password hashes: Argon2id at OWASP strength, and older hashes upgraded at the next sign-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import extract_parameters
from flask import Flask
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import User
from app.services import passwords, users
from tests.factories import PASSWORD


@pytest.fixture
def argon2(app: Flask) -> Iterator[None]:
    """Production's method for one test (the suite otherwise uses a cheap one)."""
    cheap = app.config["PASSWORD_HASH_METHOD"]
    app.config["PASSWORD_HASH_METHOD"] = "argon2id"
    try:
        yield
    finally:
        app.config["PASSWORD_HASH_METHOD"] = cheap


def test_production_hashes_are_argon2id_at_owasp_strength(app: Flask) -> None:
    production = Flask("production")
    with production.app_context():
        stored = passwords.hash_password(PASSWORD)
    params = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert params.memory_cost >= 19 * 1024
    assert params.time_cost >= 2
    assert params.parallelism == 1
    with production.app_context():
        assert passwords.verify_password(stored, PASSWORD)
        assert not passwords.verify_password(stored, PASSWORD + "!")
        assert not passwords.needs_rehash(stored)


def test_an_old_scrypt_hash_is_upgraded_at_the_next_successful_sign_in(make, argon2: None) -> None:
    user = make.user()
    old = generate_password_hash(PASSWORD, method="scrypt:32768:8:1")  # 0.1.0's hashes
    user.password_hash = old
    db.session.commit()
    assert users.authenticate(user.username, "not the password") is None
    assert db.session.get(User, user.id).password_hash == old  # a failure changes nothing
    assert users.authenticate(user.username, PASSWORD) is not None
    db.session.commit()
    db.session.expire_all()
    upgraded = db.session.get(User, user.id).password_hash
    assert upgraded.startswith("$argon2id$")
    assert users.authenticate(user.username, PASSWORD) is not None


def test_a_weaker_argon2_hash_is_upgraded_too(make, argon2: None, app: Flask) -> None:
    user = make.user()
    app.config["ARGON2_MEMORY_KIB"] = 8 * 1024
    try:
        user.password_hash = passwords.hash_password(PASSWORD)
        db.session.commit()
    finally:
        app.config.pop("ARGON2_MEMORY_KIB")
    assert passwords.needs_rehash(user.password_hash)
    users.authenticate(user.username, PASSWORD)
    assert extract_parameters(user.password_hash).memory_cost == passwords.ARGON2_MEMORY_KIB


def test_signing_in_through_the_form_upgrades_the_hash(client, make, argon2: None) -> None:
    user = make.user()
    user.password_hash = generate_password_hash(PASSWORD, method="scrypt:32768:8:1")
    db.session.commit()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash.startswith("$argon2id$")


def test_a_damaged_hash_is_a_wrong_password_not_an_error(app_ctx: Flask) -> None:
    assert not passwords.verify_password("$argon2id$v=19$garbage", PASSWORD)
    assert not passwords.verify_password("md5$nonsense", PASSWORD)
