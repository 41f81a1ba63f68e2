"""Schemathesis, fully configured, against /api/v1/openapi.json: 0 failures.

Every check schemathesis has, and all of its phases (examples, coverage, fuzzing, stateful),
for every operation of the document (read at run time, so new operations are included the day
they are added), as each caller of tests.security.api_world.CALLERS in a fresh world whose
real ids, slugs and codes the generated requests draw from most of the time. It talks HTTP to
the app served in a thread, as the schemathesis CLI would. It also fails when an operation
never succeeds, or never answers the 403 it documents: data or a caller is missing.

In the suite the run is derandomized with a fixed seed, so CI sends the same requests every
time; `make check-api` repeats it with a random seed and more examples (API_CHECK_SEED,
API_CHECK_EXAMPLES), and prints the seed so a failure can be replayed.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from base64 import b64encode
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events
from werkzeug.serving import WSGIRequestHandler, make_server

from app.extensions import db
from app.models import User
from app.services.tokens import issue_token
from tests.conftest import _wipe
from tests.factories import PASSWORD, Factories
from tests.security.api_world import (
    CALLERS,
    THROWAWAY,
    ApiWorld,
    build_api_world,
    parameter_config,
)

SEED = 20261130
EXAMPLES = 8  # per operation and phase in the suite; make check-api raises it
ALL_CHECKS = {"enabled": True}
# A request body can be well-formed and still mean nothing here: an anchor this article does
# not have, a quote that is not in the block, a join code nobody was given. No schema can say
# that, and the contract answers 422 for it. So for operations with a body (and only those:
# a path or query value the schema allows must be accepted), 422 is an acceptable answer.
BODY_ACCEPTANCE = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


def _settings() -> tuple[int, int, bool]:
    """(seed, examples, deterministic): fixed in the suite, chosen by make check-api."""
    seed = os.environ.get("API_CHECK_SEED")
    examples = int(os.environ.get("API_CHECK_EXAMPLES", EXAMPLES))
    if seed is None:
        return SEED, examples, True
    return (int(seed) if seed else random.randrange(2**31)), examples, False


def _config(
    document: dict[str, Any],
    world: ApiWorld,
    seed: int,
    examples: int,
    deterministic: bool,
    coverage: bool,
) -> SchemathesisConfig:
    world_config = parameter_config(world, examples)
    generation = {
        "mode": "all",  # valid and invalid data
        "max-examples": examples,
        "deterministic": deterministic,
        "database": "none",
        "unique-inputs": True,
    }
    return SchemathesisConfig.from_dict(
        {
            "seed": seed,
            "cache": {"enabled": False},
            "generation": generation,
            "checks": ALL_CHECKS,
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": coverage},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True, "max-steps": examples * 4},
            },
            **world_config,
            "operations": [
                *world_config["operations"],
                {
                    "include-operation-id": _operations_with_a_body(document),
                    "checks": {"positive_data_acceptance": {"expected-statuses": BODY_ACCEPTANCE}},
                },
            ],
        }
    )


def _operations_with_a_body(document: dict[str, Any]) -> list[str]:
    return [
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
        if "requestBody" in operation
    ]


# What DELETE leaves in place by design, so that reading it afterwards is not a use-after-free:
# nothing in Counterpoint is destroyed (SECURITY.md), and each of these has its undo.
SOFT_DELETES = {
    "/annotations/{annotation_id}": "a placeholder keeps its place in the thread (CONTRACT §3); "
    "the `restore` moderation action undoes a moderator's delete",
    "/groups/{slug}/members/{username}": "a removed member is re-admitted by POST …/restore",
}
_SOFT = [re.compile(re.sub(r"\\{\w+\\}", "[^/]+", re.escape(p)) + "`") for p in SOFT_DELETES]


def _is_soft_delete(check: Any, info: Any) -> bool:
    """A use_after_free report about a resource that DELETE keeps (see SOFT_DELETES)."""
    if check.name != "use_after_free":
        return False
    deleted = re.search(r"deleted with `DELETE (\S+`)", info.failure.message)
    return deleted is not None and any(soft.fullmatch(deleted[1]) for soft in _SOFT)


@contextmanager
def _app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()


def _authenticate(schema: Any, app: Flask, username: str, document: dict[str, Any]) -> None:
    """Each request's credentials: Basic where the document asks for it (POST /tokens), else
    the caller's Bearer token; for THROWAWAY operations (which end the access they are sent
    with) a fresh token, or a fresh account, so the rest of the run keeps its caller."""
    basic_auth = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if {"basic": []} in operation.get("security", [])
    }
    fresh = count(1)

    def token_for(name: str, new_account: bool = False) -> str:
        with _app_context(app):
            user = db.session.query(User).filter_by(username=name).one()
            if new_account:
                user = Factories.user(f"{name}-spare{next(fresh)}", role=user.role)
            raw, _ = issue_token(user)
            db.session.commit()
        return raw

    caller_token = token_for(username)

    @schema.auth(refresh_interval=None)
    class Caller:
        def get(self, case: Any, context: Any) -> str:
            key = (case.method.upper(), case.operation.path)
            if key in basic_auth:
                return "Basic " + b64encode(f"{username}:{PASSWORD}".encode()).decode()
            if key in THROWAWAY:
                return f"Bearer {token_for(username, new_account=THROWAWAY[key] == 'account')}"
            return f"Bearer {caller_token}"

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": data}


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Thousands of requests: the run's own summary says what matters."""


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The app on a free port, in a thread: schemathesis talks HTTP to it as its CLI would."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="api-under-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@dataclass
class Outcome:
    """What a run saw: failures, requests by phase, and the statuses each operation answered."""

    failures: set[str] = field(default_factory=set)
    phases: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def merge(self, other: Outcome) -> None:
        self.failures |= other.failures
        self.phases.update(other.phases)
        for label, seen in other.statuses.items():
            self.statuses[label] |= seen

    @property
    def requests(self) -> int:
        return sum(self.phases.values())


def _run(
    app: Flask, base: str, username: str, world: ApiWorld, outcome: Outcome, seed: int
) -> None:
    _, examples, deterministic = _settings()
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    # The coverage phase sends the schema's boundary values, drawn from no world: the same
    # requests for every caller, so the first caller's run has it and the others skip it.
    coverage = username == next(iter(CALLERS))
    config = _config(document, world, seed, examples, deterministic, coverage)
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json", config=config)
    _authenticate(schema, app, username, document)
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(event, username, seed, outcome)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            outcome.failures.add(f"[{username}] {event}")


def _record(event: Any, username: str, seed: int, outcome: Outcome) -> None:
    recorder = event.recorder
    outcome.phases[event.phase.value] += len(recorder.interactions)
    for case_id, interaction in recorder.interactions.items():
        if interaction.response is not None and case_id in recorder.cases:
            operation = recorder.cases[case_id].value.operation
            # Only the operation's own method counts: the coverage phase also sends other
            # methods (OPTIONS answers 200) to its path, which say nothing about its data.
            if interaction.request.method.upper() == operation.method.upper():
                outcome.statuses[operation.label].add(interaction.response.status_code)
    for checks in recorder.checks.values():
        for check in checks:
            info = check.failure_info
            if check.status == Status.FAILURE and info and not _is_soft_delete(check, info):
                outcome.failures.add(
                    f"[{username}, seed {seed}] {recorder.label}: {check.name}: "
                    f"{info.failure.title}\n{info.failure.message}\n    {info.code_sample}"
                )


# Not traced for `make test`'s coverage report: tracing doubled this one test (79 -> 170 s of
# the SQLite pass), and the API paths it reaches are the functional API tests' as well.
@pytest.mark.no_cover
def test_the_api_keeps_its_document_under_a_full_schemathesis_run(
    app: Flask, served: str, make: type[Factories]
) -> None:
    outcome = Outcome()
    seed = _settings()[0]  # once: a random one is the same for every caller
    for username in CALLERS:
        per_caller = Outcome()
        started = time.perf_counter()
        before = outcome.requests
        world = build_api_world(make)
        _run(app, served, username, world, per_caller, seed)
        outcome.merge(per_caller)
        if os.environ.get("API_CHECK_VERBOSE"):
            for label, seen in sorted(per_caller.statuses.items()):
                print(f"    {label}: {sorted(seen)}")
        elapsed = time.perf_counter() - started
        print(
            f"schemathesis as {username} (seed {seed}): "
            f"{outcome.requests - before} requests, {elapsed:.1f} s"
        )
        _wipe()  # the next caller starts from a fresh world (ids start again where they left)
    print(f"schemathesis: {outcome.requests} requests, {dict(outcome.phases)}")
    failures = sorted(outcome.failures)
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:30])
    # No operation is left untested for want of data: each one succeeded for some caller, and
    # each that documents a 403 answered one to someone.
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    never_succeeded, never_forbidden = [], []
    for path, operations in document["paths"].items():
        if path == "/openapi.json":
            continue  # the document itself: what the run reads (tests/functional/api/test_openapi)
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            seen = outcome.statuses.get(label, set())
            if not any(200 <= status < 300 for status in seen):
                never_succeeded.append(f"{label}: {sorted(seen)}")
            if "403" in operation["responses"] and 403 not in seen:
                never_forbidden.append(f"{label}: {sorted(seen)}")
    assert not never_succeeded, "never a 2xx (give it data in api_world):\n" + "\n".join(
        never_succeeded
    )
    assert not never_forbidden, "never a 403 (add a caller in api_world):\n" + "\n".join(
        never_forbidden
    )
