"""A real gunicorn server on a fresh database, and concurrent API writers that keep a ledger."""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from app import create_app
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "reliable horse battery staple"
KINDS = ("comment", "counterargument", "question", "support")
READY_TIMEOUT = 60.0
HTTP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sqlalchemy_url(url: str) -> str:
    """The URL as the app itself would use it (PostgreSQL through psycopg 3)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@contextmanager
def engine_for(url: str, **kw: Any) -> Iterator[Engine]:
    engine = create_engine(sqlalchemy_url(url), **kw)
    try:
        yield engine
    finally:
        engine.dispose()  # no pooled socket may outlive the test (ResourceWarning)


USERNAMES = [f"writer{n:02d}" for n in range(32)]


def seed(database_url: str, workdir: Path) -> None:
    """Bring an empty database to the current schema with the demo article and the writers."""
    Server(database_url, workdir).prepare(USERNAMES)


# --- the server ---------------------------------------------------------------------------


@dataclass
class Server:
    """gunicorn `wsgi:app` on 127.0.0.1 in a session of its own, so one signal stops it all."""

    database_url: str
    workdir: Path
    workers: int = 4
    threads: int = 4
    port: int = field(default_factory=free_port)
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PYTEST_"))}
        env.pop("REDIS_URL", None)  # limits are off; nothing else should need Redis here
        env.update(
            COUNTERPOINT_ENV="production",
            SECRET_KEY=self.secret_key,
            DATABASE_URL=self.database_url,
            RATE_LIMITS="off",
            PYTHONUNBUFFERED="1",
        )
        return env

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def flask(self, *args: str) -> str:
        """Run `flask --app wsgi ARGS` as an operator would, against this server's database."""
        result = subprocess.run(  # noqa: S603 - a fixed argument list
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"flask {' '.join(args)} failed:\n{result.stderr[-2000:]}")
        return result.stdout

    def prepare(self, users: list[str]) -> None:
        """Migrate, load the demo article and create the accounts, all through the CLI."""
        self.flask("db", "upgrade")
        self.flask("demo", "load")
        self.create_users(users)

    def create_users(self, names: list[str]) -> None:
        # One real `flask users create` process per account would cost ~2 s of start-up each;
        # the first goes through a process, the rest through the same command in-process.
        self.flask("users", "create", names[0], "--password", PASSWORD)
        app = create_app(
            {
                "COUNTERPOINT_ENV": "production",
                "SECRET_KEY": self.secret_key,
                "DATABASE_URL": self.database_url,
                "RATE_LIMITS": "off",
            }
        )
        runner = app.test_cli_runner()
        with app.app_context():
            try:
                for name in names[1:]:
                    result = runner.invoke(args=["users", "create", name, "--password", PASSWORD])
                    assert result.exit_code == 0, result.output
            finally:
                db.session.remove()
                db.engine.dispose()

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "wsgi:app",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=gthread",
            f"--threads={self.threads}",
            "--timeout=60",
            "--graceful-timeout=5",
            "--no-control-socket",  # else it opens ~/.gunicorn/gunicorn.ctl, shared by all
            "--error-logfile=-",
            f"--access-logfile={self.workdir / 'access.log'}",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - a fixed argument list
                command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg reaches every worker
            )
        try:
            self.wait_ready()
        except BaseException:
            self.kill()  # a server that never answered must not outlive the test
            raise

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited at start-up:\n{self.log_tail()}")
            with suppress(OSError, http.client.HTTPException):
                if get(self.port, "/healthz").status == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer /healthz in time:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no graceful anything."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        # The master alone: it stops its workers itself (signalling the group would race it).
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


@contextmanager
def running(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- HTTP ---------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    payload: Any = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    sent = dict(headers or {})
    body = None
    if payload is not None:
        body = json.dumps(payload).encode()
        sent["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    data = response.read()
    return Reply(response.status, data, {k.lower(): v for k, v in response.getheaders()})


def call_once(
    port: int,
    method: str,
    path: str,
    payload: Any = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request on a connection of its own."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        return call(conn, method, path, payload, headers)
    finally:
        conn.close()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> Reply:
    return call_once(port, "GET", path, headers=headers)


def basic(username: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def token_for(port: int, username: str) -> str:
    reply = call_once(port, "POST", "/api/v1/tokens", headers=basic(username, PASSWORD))
    assert reply.status == 201, reply.body[:300]
    return str(reply.json()["token"])


def demo_article(port: int) -> tuple[str, list[str]]:
    """The demo article's slug and its block anchors."""
    articles = get(port, "/api/v1/articles").json()["items"]
    assert articles, "the demo article was not loaded"
    slug = articles[0]["slug"]
    blocks = get(port, f"/api/v1/articles/{slug}").json()["blocks"]
    return slug, [b["anchor"] for b in blocks]


# --- the writers and their ledger ---------------------------------------------------------


@dataclass
class Ledger:
    """What one writer was told: the acknowledged writes, and those whose fate is unknown."""

    bodies: dict[int, str] = field(default_factory=dict)  # id → last acknowledged body
    # Edits sent after the last acknowledgement whose answer never came (the server may or
    # may not have committed them): a body among these is not a lost write.
    unconfirmed: dict[int, list[str]] = field(default_factory=dict)
    acknowledged: int = 0
    unanswered: int = 0  # requests with no response at all (connection reset, timeout)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


@dataclass
class Load:
    port: int
    slug: str
    anchors: list[str]
    usernames: list[str]
    posts: int = 25
    edits: int = 10
    deadline: float = 120.0  # seconds; every writer stops by then whatever happens
    stop: threading.Event = field(default_factory=threading.Event)
    ledgers: list[Ledger] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    duration: float = 0.0
    _started: float = 0.0
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return len(self.usernames) * (self.posts + self.edits)

    def acknowledged(self) -> int:
        return sum(ledger.acknowledged for ledger in self.ledgers)

    def statuses(self) -> Counter[int]:
        total: Counter[int] = Counter()
        for ledger in self.ledgers:
            total.update(ledger.statuses)
        return total

    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses().items() if status >= 500)

    def unanswered(self) -> int:
        return sum(ledger.unanswered for ledger in self.ledgers)

    def start(self) -> None:
        """Each writer gets its token, then they are all let loose at once."""
        self.tokens = [""] * len(self.usernames)
        self.ledgers = [Ledger() for _ in self.usernames]
        # The clock starts as the gate opens, before any writer can look at it.
        gate = threading.Barrier(len(self.usernames) + 1, action=self._start_clock)
        self._threads = [
            threading.Thread(target=self._write, args=(n, gate), name=f"writer-{n}", daemon=True)
            for n in range(len(self.usernames))
        ]
        for thread in self._threads:
            thread.start()
        with suppress(threading.BrokenBarrierError):  # a writer's error says why
            gate.wait(timeout=60)
        self._started = self._started or time.monotonic()

    def _start_clock(self) -> None:
        self._started = time.monotonic()

    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def posts_acknowledged(self) -> int:
        return sum(len(ledger.bodies) for ledger in self.ledgers)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=max(1.0, self._started + self.deadline + 30 - time.monotonic()))
        self.duration = time.monotonic() - self._started
        assert not any(t.is_alive() for t in self._threads), "a writer did not finish in time"

    def run(self) -> None:
        self.start()
        self.join()

    def _write(self, n: int, gate: threading.Barrier) -> None:
        ledger = self.ledgers[n]
        rng = random.Random(n)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
        # Edits fall evenly among the posts: after post i when i % every is the last slot.
        every = max(1, self.posts // max(1, self.edits))
        edits_left = self.edits
        try:
            self.tokens[n] = token_for(self.port, self.usernames[n])
            auth = {"Authorization": f"Bearer {self.tokens[n]}"}
            gate.wait(timeout=60)
            for i in range(self.posts):
                if self._over():
                    return
                body = f"writer {n} post {i}: {secrets.token_hex(6)}"
                payload = {"anchor": rng.choice(self.anchors), "kind": rng.choice(KINDS)}
                reply = self._send(
                    conn, ledger, "POST", f"/api/v1/articles/{self.slug}/annotations",
                    {**payload, "body": body}, auth,
                )  # fmt: skip
                if reply is not None and reply.status == 201:
                    ledger.bodies[int(reply.json()["id"])] = body
                    ledger.acknowledged += 1
                if edits_left and ledger.bodies and i % every == every - 1:
                    edits_left -= 1
                    self._edit(conn, ledger, rng, auth, f"writer {n} edit {i}")
            while edits_left and ledger.bodies and not self._over():
                edits_left -= 1
                self._edit(conn, ledger, rng, auth, f"writer {n} late edit {edits_left}")
        except threading.BrokenBarrierError:
            ledger.errors.append("another writer could not get a token")
        except Exception as exc:  # a writer must never die silently (pytest: thread exception)
            ledger.errors.append(repr(exc))
            gate.abort()  # the others stop waiting for this one
        finally:
            conn.close()

    def _over(self) -> bool:
        return self.stop.is_set() or time.monotonic() - self._started > self.deadline

    def _edit(
        self,
        conn: http.client.HTTPConnection,
        ledger: Ledger,
        rng: random.Random,
        auth: dict[str, str],
        label: str,
    ) -> None:
        target = rng.choice(sorted(ledger.bodies))
        body = f"{label}: {secrets.token_hex(6)}"
        ledger.unconfirmed.setdefault(target, []).append(body)
        reply = self._send(
            conn, ledger, "PATCH", f"/api/v1/annotations/{target}", {"body": body}, auth
        )
        if reply is not None and reply.status == 200:
            ledger.bodies[target] = body
            ledger.unconfirmed.pop(target, None)  # later answers supersede earlier doubts
            ledger.acknowledged += 1
        elif reply is not None:
            ledger.unconfirmed[target].remove(body)  # refused: certainly not applied

    def _send(
        self,
        conn: http.client.HTTPConnection,
        ledger: Ledger,
        method: str,
        path: str,
        payload: Any,
        auth: dict[str, str],
    ) -> Reply | None:
        try:
            reply = call(conn, method, path, payload, auth)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()  # the next request opens a fresh connection
            ledger.unanswered += 1
            if not self.stop.is_set():
                ledger.errors.append(f"{method} {path}: {exc!r}")
            return None
        ledger.statuses[reply.status] += 1
        if reply.status not in (200, 201):
            ledger.errors.append(f"{method} {path}: {reply.status} {reply.body[:200]!r}")
        return reply


# --- checking what was kept ---------------------------------------------------------------


def stored_bodies(database_url: str) -> dict[int, str]:
    """Every annotation's body, read straight from the database."""
    with engine_for(database_url) as engine, engine.connect() as conn:
        return {int(i): str(b) for i, b in conn.execute(text("SELECT id, body FROM annotations"))}


def listed_bodies(port: int, slug: str) -> dict[int, str]:
    """Every annotation's body as the API lists it, following the cursor to the end."""
    found: dict[int, str] = {}
    path: str | None = f"/api/v1/articles/{slug}/annotations?limit=200"
    while path is not None:
        reply = get(port, path)
        assert reply.status == 200, reply.body[:300]
        page = reply.json()
        found.update({int(item["id"]): item["body"] for item in page["items"]})
        cursor = page["next"]
        path = f"/api/v1/articles/{slug}/annotations?limit=200&cursor={cursor}" if cursor else None
    return found


def lost_writes(load: Load, stored: dict[int, str]) -> list[str]:
    """Acknowledged writes the database does not hold as acknowledged (or newer, unanswered)."""
    lost = []
    for ledger in load.ledgers:
        for annotation_id, body in ledger.bodies.items():
            if annotation_id not in stored:
                lost.append(f"annotation {annotation_id} is missing")
            elif stored[annotation_id] not in (body, *ledger.unconfirmed.get(annotation_id, [])):
                lost.append(
                    f"annotation {annotation_id} has {stored[annotation_id]!r}, "
                    f"not the acknowledged {body!r}"
                )
    return lost


def summary(name: str, load: Load, lost: int, log: str, extra: str = "") -> str:
    writers = len(load.usernames)
    locked = log.count("database is locked")
    return (
        f"[reliability] {name}: {writers} writers × ({load.posts} posts + {load.edits} edits) "
        f"= {load.planned} writes; acknowledged {load.acknowledged()}; lost {lost}; "
        f"5xx {load.server_errors()}; unanswered {load.unanswered()}; "
        f"'database is locked' {locked}; {load.duration:.1f} s "
        f"({load.acknowledged() / max(load.duration, 1e-9):.0f} acknowledged writes/s)"
        + (f"; {extra}" if extra else "")
    )
