"""A real gunicorn (the repository's gunicorn.conf.py) on the test suite's own database.

For what only a real server shows: requests racing each other across workers and threads, and
clients that send less than they announce. The server reads and writes the database the test
fixtures fill (`make`), so a test builds its world in-process and attacks it over HTTP.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

from tests.reliability.harness import free_port, get

ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 60.0


@dataclass
class Live:
    port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def gunicorn(database_url: str, workdir: Path, **settings: str) -> Iterator[Live]:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on 127.0.0.1, as production runs it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PYTEST_"))}
    env.pop("REDIS_URL", None)
    env.update(
        COUNTERPOINT_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        RATE_LIMITS="off",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        PYTHONUNBUFFERED="1",
        **settings,
    )
    live = Live(port, workdir / f"gunicorn-{port}.log")
    with live.log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(process, live)
        yield live
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def _wait_ready(process: subprocess.Popen[bytes], live: Live) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited at start-up:\n{live.log()[-3000:]}")
        with suppress(OSError):
            if get(live.port, "/healthz").status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer in time:\n{live.log()[-3000:]}")


# --- clients -------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]


class _Stay(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer to look at, not to follow


class Visitor:
    """One browser: its own cookies; redirects are returned, not followed."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _Stay)

    def open(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        json_body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        data, sent = None, dict(headers or {})
        if form is not None:
            data = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json_body
            sent["Content-Type"] = "application/json"
        request = Request(self.base + path, data=data, headers=sent, method=method)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, response.read().decode(), dict(response.headers))
        except HTTPError as exc:
            return Answer(exc.code, exc.read().decode(errors="replace"), dict(exc.headers))

    def form_fields(self, path: str, action: str | None = None) -> dict[str, str]:
        """The hidden fields (CSRF token, nonce, ...) of the first form on `path` (posting to
        `action`, if given)."""
        page = self.open("GET", path).body
        if action is not None:
            page = page[page.index(f'action="{action}"') :]
        form = page[: page.index("</form>")]
        fields = {}
        for tag in re.findall(r"<input\b[^>]*>", form):
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', tag))
            if attrs.get("type") == "hidden" and "name" in attrs:
                fields[attrs["name"]] = html.unescape(attrs.get("value", ""))
        return fields

    def sign_in(self, username: str, password: str) -> None:
        fields = self.form_fields("/login")
        answer = self.open("POST", "/login", {**fields, "username": username, "password": password})
        assert answer.status == 302, answer.body[:300]


def at_once(calls: list[Callable[[], Answer]]) -> list[Answer]:
    """Run the calls in threads released together; their answers in the same order."""
    answers: list[Answer | BaseException | None] = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def run(n: int) -> None:
        try:
            gate.wait(timeout=30)
            answers[n] = calls[n]()
        except BaseException as exc:  # reported below, in the test's own thread
            answers[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for answer in answers:
        if not isinstance(answer, Answer):
            raise AssertionError(f"a concurrent call failed: {answer!r}")
    return answers  # type: ignore[return-value]
