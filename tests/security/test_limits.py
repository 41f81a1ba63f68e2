"""Abuse limits hold with the production rates on: sign-in, tokens, posting, sizes, passwords.

These run against `limited_app` (RATE_LIMITS=on), a second app whose limiter state is put back
afterwards (see tests/security/conftest.py); the rest of the suite runs with limits off.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app import create_app, throttle
from app.errors import CODES
from app.extensions import db
from tests.factories import PASSWORD
from tests.functional.web.page import parse
from tests.security.conftest import MakeApp, limiter_restored

CONTRACT_CODES = {"bad_request", "validation", "unauthorized", "forbidden", "not_found",
                  "conflict", "rate_limited", "server_error"}  # fmt: skip
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
ONE_MIB = 1024 * 1024


def _from(app: Flask, address: str) -> FlaskClient:
    """A client whose requests come from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(client: FlaskClient, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"username": username, "password": password})


def _retry_after(response) -> int:  # type: ignore[no-untyped-def]
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 15 * 60
    return seconds


# --- per-route rates ----------------------------------------------------------------------


def test_the_sign_in_rate_answers_a_429_page_with_retry_after(limited_app: Flask) -> None:
    client = _from(limited_app, "192.0.2.10")
    rate = int(throttle.LOGIN_RATE.split()[0])
    for _ in range(rate):  # empty forms: refused by the form, never counted as failed sign-ins
        assert client.post("/login", data={}).status_code == 422
    response = client.post("/login", data={})
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert parse(response.data).find("p", cls="error-code").text == "429"
    assert _retry_after(response) <= 60
    assert _from(limited_app, "192.0.2.11").post("/login", data={}).status_code == 422


def test_the_token_rate_answers_a_429_json_error_with_retry_after(limited_app: Flask) -> None:
    client = _from(limited_app, "192.0.2.20")
    for n in range(10):  # a different unknown user each time: no account's backoff kicks in
        assert client.post("/api/v1/tokens", auth=(f"nobody{n}", "x")).status_code == 401
    response = client.post("/api/v1/tokens", auth=("nobody", "x"))
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert _retry_after(response) <= 60


def test_posting_too_fast_answers_429_rate_limited(limited_app: Flask, make, bearer) -> None:
    make.article(slug="essay")
    headers = bearer(make.user())
    note = {"anchor": "p2", "kind": "comment", "body": "Again."}
    client = limited_app.test_client()
    per_minute = int(throttle.WRITE_RATE.split()[0])
    for _ in range(per_minute):
        response = client.post("/api/v1/articles/essay/annotations", json=note, headers=headers)
        assert response.status_code == 201
    response = client.post("/api/v1/articles/essay/annotations", json=note, headers=headers)
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert _retry_after(response) <= 60
    # The limit is the writer's, not the address's: another user posts on.
    other = bearer(make.user())
    assert (
        client.post("/api/v1/articles/essay/annotations", json=note, headers=other).status_code
        == 201
    )


def test_a_token_write_looks_its_token_up_once_with_limits_on(
    limited_app: Flask, make, bearer
) -> None:
    """The rate limit's key (the writer) comes from the token the API already checked: asking
    Flask-Login who is signed in must not look the token up a second time."""
    make.article(slug="essay")
    headers = bearer(make.user())
    note = {"anchor": "p2", "kind": "comment", "body": "Once."}
    client = limited_app.test_client()
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    with limited_app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.post("/api/v1/articles/essay/annotations", json=note, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 201
    assert response.headers["X-RateLimit-Remaining"] == str(int(throttle.WRITE_RATE.split()[0]) - 1)
    assert sum("api_tokens" in statement for statement in seen) == 1


# --- failed sign-in backoff ----------------------------------------------------------------


def test_five_failures_lock_the_account_from_that_address_even_for_the_right_password(
    limited_app: Flask, make
) -> None:
    victim, bystander = make.user(), make.user()
    attacker = _from(limited_app, "192.0.2.30")
    for _ in range(throttle.FAILED_PER_PAIR):
        assert _login(attacker, victim.username, "guess guess guess").status_code == 422
    refused = _login(attacker, victim.username, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed attempts" in parse(refused.data).find(id="password-error").text
    _retry_after(refused)
    # The API from the same address is no way around it ...
    api = attacker.post("/api/v1/tokens", auth=(victim.username, PASSWORD))
    assert api.status_code == 429
    assert api.get_json()["error"]["code"] == "rate_limited"
    _retry_after(api)
    # ... but the stranger has not locked the owner out, who signs in from elsewhere, and other
    # accounts from the attacker's address are untouched.
    assert _login(_from(limited_app, "198.51.100.5"), victim.username, PASSWORD).status_code == 302
    assert _login(attacker, bystander.username, PASSWORD).status_code == 302


def test_failures_through_the_api_count_against_the_same_pair(limited_app: Flask, make) -> None:
    victim = make.user()
    client = _from(limited_app, "192.0.2.40")
    for _ in range(throttle.FAILED_PER_PAIR):
        assert client.post("/api/v1/tokens", auth=(victim.username, "nope")).status_code == 401
    assert client.post("/api/v1/tokens", auth=(victim.username, PASSWORD)).status_code == 429
    assert _login(client, victim.username, PASSWORD).status_code == 429
    assert _login(_from(limited_app, "198.51.100.6"), victim.username, PASSWORD).status_code == 302


def test_a_success_forgives_the_accounts_earlier_failures(limited_app: Flask, make) -> None:
    user = make.user()
    client = _from(limited_app, "192.0.2.50")
    for _ in range(4):
        _login(client, user.username, "wrong wrong")
    assert _login(client, user.username, PASSWORD).status_code == 302
    for _ in range(4):
        assert _login(client, user.username, "wrong again").status_code == 422


def _record(app: Flask, address: str, usernames: list[str]) -> None:
    """Failures recorded directly: through the form, the sign-in rate (20 a minute) or the
    pair's own limit would answer first."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        for username in usernames:
            throttle.record_failed_login(username)


def test_ten_failures_from_one_address_lock_that_address(limited_app: Flask, make) -> None:
    user = make.user()
    address = "192.0.2.60"
    _record(limited_app, address, [f"sprayed{n}" for n in range(throttle.FAILED_PER_ADDRESS)])
    refused = _login(_from(limited_app, address), user.username, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed attempts" in refused.get_data(as_text=True)
    assert _login(_from(limited_app, "192.0.2.61"), user.username, PASSWORD).status_code == 302


def test_guessing_spread_over_many_addresses_waits_but_the_owners_known_device_signs_in(
    limited_app: Flask, make
) -> None:
    owner = make.user()
    laptop = _from(limited_app, "203.0.113.7")
    assert _login(laptop, owner.username, PASSWORD).status_code == 302  # a known device now
    assert laptop.get_cookie("cp_device") is not None
    laptop.post("/logout")
    per_address = throttle.FAILED_PER_PAIR - 1
    for n in range(throttle.FAILED_PER_ACCOUNT // per_address):
        _record(limited_app, f"198.18.0.{n + 1}", [owner.username] * per_address)
    # Any new address now waits for this account (a botnet gets 20 guesses in 15 minutes) ...
    assert _login(_from(limited_app, "198.18.1.1"), owner.username, PASSWORD).status_code == 429
    # ... while the owner's own browser, known from an earlier sign-in, is not locked out.
    assert _login(laptop, owner.username, PASSWORD).status_code == 302


def test_a_stranger_on_the_owners_network_does_not_lock_out_the_owners_known_device(
    limited_app: Flask, make
) -> None:
    owner = make.user()
    shared = "192.0.2.90"  # a classroom behind one address
    laptop = _from(limited_app, shared)
    assert _login(laptop, owner.username, PASSWORD).status_code == 302
    laptop.post("/logout")
    stranger = _from(limited_app, shared)
    for _ in range(throttle.FAILED_PER_PAIR):
        assert _login(stranger, owner.username, "let me in").status_code == 422
    _record(limited_app, shared, [f"other{n}" for n in range(throttle.FAILED_PER_ADDRESS)])
    assert _login(stranger, owner.username, PASSWORD).status_code == 429
    assert _login(laptop, owner.username, PASSWORD).status_code == 302
    # A known device has a budget of its own, not unlimited guesses.
    laptop.post("/logout")
    for _ in range(throttle.FAILED_PER_PAIR):
        assert _login(laptop, owner.username, "typo typo").status_code == 422
    assert _login(laptop, owner.username, PASSWORD).status_code == 429


def test_a_forged_or_foreign_device_cookie_counts_as_an_unknown_device(
    limited_app: Flask, make
) -> None:
    owner, other = make.user(), make.user()
    thief = _from(limited_app, "192.0.2.95")
    assert _login(thief, other.username, PASSWORD).status_code == 302  # known for *other*
    thief.post("/logout")
    for _ in range(throttle.FAILED_PER_PAIR):
        assert _login(thief, owner.username, "guess").status_code == 422
    assert _login(thief, owner.username, PASSWORD).status_code == 429
    thief.set_cookie("cp_device", "forged.value")
    assert _login(thief, owner.username, PASSWORD).status_code == 429


def test_the_backoff_is_shared_by_workers_without_redis(make_app: MakeApp, make) -> None:
    victim = make.user()
    worker_one, worker_two = make_app(RATE_LIMITS="on"), make_app(RATE_LIMITS="on")
    for _ in range(throttle.FAILED_PER_PAIR):
        assert _login(_from(worker_one, "192.0.2.85"), victim.username, "no").status_code == 422
    # Two apps, two in-memory limiters: only the database tells the second about the failures.
    assert _login(_from(worker_two, "192.0.2.85"), victim.username, PASSWORD).status_code == 429


def test_a_wrong_current_password_on_the_account_page_counts_as_a_failure(
    limited_app: Flask, make
) -> None:
    user = make.user()
    thief = _from(limited_app, "192.0.2.70")  # holds a stolen session, not the password
    assert _login(thief, user.username, PASSWORD).status_code == 302
    data = {"new_password": "another fine passphrase", "confirm": "another fine passphrase"}
    for _ in range(5):
        guess = thief.post("/account/password", data={**data, "current_password": "guess it"})
        assert guess.status_code == 422
    right = thief.post("/account/password", data={**data, "current_password": PASSWORD})
    assert right.status_code == 429
    _retry_after(right)


def test_a_wrong_password_when_deleting_the_account_counts_as_a_failure(
    limited_app: Flask, make, bearer
) -> None:
    """Deleting asks for the password (issue 13): no way around the sign-in backoff (14)."""
    user = make.user()
    thief = _from(limited_app, "192.0.2.71")  # a stolen session and a stolen token
    assert _login(thief, user.username, PASSWORD).status_code == 302
    token = bearer(user)
    for _ in range(3):
        assert thief.post("/account/delete", data={"password": "guess it"}).status_code == 422
    for _ in range(2):
        guess = thief.delete("/api/v1/me", json={"password": "guess"}, headers=token)
        assert guess.status_code == 422
    right = thief.post("/account/delete", data={"password": PASSWORD})
    assert right.status_code == 429
    _retry_after(right)
    right = thief.delete("/api/v1/me", json={"password": PASSWORD}, headers=token)
    assert right.status_code == 429
    assert right.get_json()["error"]["code"] == "rate_limited"
    _retry_after(right)
    db.session.expire_all()
    assert db.session.get(type(user), user.id).deleted_at is None


# --- shared counters in Redis --------------------------------------------------------------


@pytest.fixture
def redis_db() -> Iterator[None]:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        client.close()
        pytest.skip(f"Redis is not reachable at {REDIS_TEST_URL}: {exc}")
    client.flushdb()
    try:
        yield
    finally:
        client.flushdb()
        client.close()


def test_with_redis_every_worker_sees_the_same_counts(
    redis_db: None, make_app: MakeApp, make
) -> None:
    victim = make.user()
    worker_one = make_app(RATE_LIMITS="on", REDIS_URL=REDIS_TEST_URL)
    assert worker_one.config["RATELIMIT_STORAGE_URI"] == REDIS_TEST_URL
    for _ in range(throttle.FAILED_PER_PAIR):
        assert _login(_from(worker_one, "192.0.2.80"), victim.username, "no").status_code == 422
    # A second app builds its own storage object: Redis shares the route rates, the database
    # the sign-in backoff (the same rule as without Redis).
    worker_two = make_app(RATE_LIMITS="on", REDIS_URL=REDIS_TEST_URL)
    response = _login(_from(worker_two, "192.0.2.80"), victim.username, PASSWORD)
    assert response.status_code == 429
    assert _login(_from(worker_two, "192.0.2.81"), victim.username, PASSWORD).status_code == 302
    client = _from(worker_two, "192.0.2.82")
    rate = int(throttle.LOGIN_RATE.split()[0])
    statuses = [client.post("/login", data={}).status_code for _ in range(rate + 1)]
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {422}


# --- passwords and sizes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 8 characters."),
        ("password123", "commonly used passwords"),
        ("qwertyuiop", "commonly used passwords"),
        ("x" * 201, "Use at most 200 characters."),
        ("newcomer-rules-ok", "must not contain the username"),
    ],
)
def test_weak_passwords_are_refused_at_registration_with_a_reason(
    client: FlaskClient, password: str, message: str
) -> None:
    data = {
        "username": "newcomer",
        "password": password,
        "confirm": password,
        "email": "n@example.edu",
    }
    response = client.post("/register", data=data)
    assert response.status_code == 422
    assert message in parse(response.data).find(id="password-error").text
    assert "account-name" not in response.get_data(as_text=True)


def test_413_is_a_contract_error_code() -> None:
    assert CODES[413] in CONTRACT_CODES


def test_a_body_over_one_mib_is_413_json_under_the_api(client: FlaskClient, make, bearer) -> None:
    make.article(slug="essay")
    body = b'{"anchor": "p2", "kind": "comment", "body": "' + b"x" * ONE_MIB + b'"}'
    response = client.post(
        "/api/v1/articles/essay/annotations",
        data=body,
        content_type="application/json",
        headers=bearer(make.user()),
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] in CONTRACT_CODES


@pytest.mark.parametrize("path", ["/login", "/register", "/articles/essay/p/p2/annotations"])
def test_a_body_over_one_mib_is_a_413_page_elsewhere(client: FlaskClient, make, path: str) -> None:
    make.article(slug="essay")
    response = client.post(path, data={"body": "x" * ONE_MIB, "username": "u"})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert parse(response.data).find("p", cls="error-code").text == "413"


def test_a_body_just_under_the_limit_is_read(client: FlaskClient, make, bearer) -> None:
    make.article(slug="essay")
    body = b'{"anchor": "p2", "kind": "comment", "body": "' + b"x" * (ONE_MIB - 200) + b'"}'
    response = client.post(
        "/api/v1/articles/essay/annotations",
        data=body,
        content_type="application/json",
        headers=bearer(make.user()),
    )
    assert response.status_code == 422  # read and judged: too long a body (10,000 at most)
    assert "body" in response.get_json()["error"]["fields"]


def test_an_app_with_limits_on_leaves_the_suites_app_unlimited(app: Flask) -> None:
    with limiter_restored():
        limited = create_app(
            {
                "COUNTERPOINT_ENV": "testing",
                "RATE_LIMITS": "on",
                "SECRET_KEY": "k" * 40,
                "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                "WTF_CSRF_ENABLED": False,
            }
        )
        statuses = {limited.test_client().post("/login", data={}).status_code for _ in range(25)}
        assert 429 in statuses
        with limited.app_context():
            db.engine.dispose()
    client = app.test_client()
    assert {client.post("/login", data={}).status_code for _ in range(25)} == {422}
