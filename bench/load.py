"""Serves the app under gunicorn and drives load at it: wrk, or a labelled Python fallback."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from base64 import b64encode
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
CONFIG = Path(__file__).resolve().parent / "gunicorn_conf.py"  # not the repository's own
USER_AGENT = "counterpoint-bench/1"  # the same on sign-in and load: the session stays fresh
HOST = "127.0.0.1"


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            try:
                status, _, _ = request("GET", f"{self.base}/healthz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /healthz in {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the master we started (it stops its workers), SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _no_control_socket() -> list[str]:
    """Recent gunicorns open a control socket at one path per user: another server (someone's
    own, another bench) would fight over it, so the bench's server opens none."""
    from gunicorn.config import KNOWN_SETTINGS

    flag = "--no-control-socket"
    return [flag] if any(flag in (s.cli or []) for s in KNOWN_SETTINGS) else []


# gunicorn's APP_MODULE (its factory-call syntax): the app as wsgi.py builds it, plus the
# reference routes (bench/reference.py).
SERVER_APP = "bench.reference:create_bench_app(freeze=True)"


# The lean reference (bench/lean_reference.py): a minimal Flask app, served alike.
LEAN_APP = "bench.lean_reference:app"


def server_command(port: int, log: Path, workers: int = 2, app: str = SERVER_APP) -> list[str]:
    """gunicorn with the benchmark's settings (bench/gunicorn_conf.py, never the repository's
    gunicorn.conf.py): `workers` sync workers on a loopback port, serving `app`."""
    return [
        str(Path(sys.executable).with_name("gunicorn")),
        "-c",
        str(CONFIG),
        "-w",
        str(workers),
        "-k",
        "sync",
        "-b",
        f"{HOST}:{port}",
        "--error-logfile",
        str(log),
        *_no_control_socket(),
        app,
    ]


def start_server(env: dict[str, str], log: Path, workers: int = 2, app: str = SERVER_APP) -> Server:
    """`app` (the app with its references, or the lean reference) under gunicorn on a free
    loopback port."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    process = subprocess.Popen(
        server_command(port, log, workers, app),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return Server(process, port, log)


# --- HTTP helpers --------------------------------------------------------------------------


def request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request on a fresh connection, no redirects followed: (status, headers, body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or HOST, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    found = {}
    for header in headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def sign_in(base: str, username: str, password: str) -> str:
    """A signed-in session's Cookie header, got the way a browser gets it: through /login."""
    status, headers, page = request("GET", f"{base}/login")
    if status != 200:
        raise RuntimeError(f"GET /login answered {status}")
    match = CSRF_RE.search(page.decode())
    if match is None:
        raise RuntimeError("no csrf_token field in the /login form")
    jar = _cookies(headers)
    form = urllib.parse.urlencode(
        {
            "csrf_token": match.group(1) or match.group(2),
            "username": username,
            "password": password,
            "next": "",
        },
    ).encode()
    status, headers, _ = request(
        "POST",
        f"{base}/login",
        form,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        },
    )
    jar.update(_cookies(headers))
    if status not in (302, 303):
        raise RuntimeError(f"POST /login answered {status}, not a redirect: sign-in failed")
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, _, me = request("GET", f"{base}/api/v1/me", headers={"Cookie": cookie})
    if status != 200 or json.loads(me).get("username") != username:
        raise RuntimeError(f"the session cookie does not sign in (GET /api/v1/me: {status})")
    return cookie


def api_token(base: str, username: str, password: str) -> str:
    basic = b64encode(f"{username}:{password}".encode()).decode()
    status, _, body = request(
        "POST", f"{base}/api/v1/tokens", b"", {"Authorization": f"Basic {basic}"}
    )
    if status != 201:
        raise RuntimeError(f"POST /api/v1/tokens answered {status}: {body[:200]!r}")
    return str(json.loads(body)["token"])


# --- load ----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    tool: str  # "wrk" or "python-loadgen" (the fallback, far weaker: figures not comparable)
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    non2xx: int
    socket_errors: int
    codes: str

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def drive(
    url: str,
    *,
    connections: int,
    seconds: int,
    headers: dict[str, str],
    bodies_file: Path | None = None,
) -> LoadResult:
    """Load `url` for `seconds` from `connections` clients; POST bodies_file's lines if given."""
    if have_wrk():
        return run_wrk(url, connections, seconds, headers, bodies_file)
    return run_python(url, connections, seconds, headers, bodies_file)


def run_wrk(
    url: str, connections: int, seconds: int, headers: dict[str, str], bodies_file: Path | None
) -> LoadResult:
    # One wrk thread: it shares two cores with the server, and one thread outpaces it anyway.
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    for name, value in {"User-Agent": USER_AGENT, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(WRK_SCRIPT), url, "--", str(bodies_file or "")]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    elapsed = data["duration_us"] / 1e6
    return LoadResult(
        tool="wrk",
        connections=connections,
        seconds=elapsed,
        requests=data["requests"],
        rps=data["requests"] / elapsed if elapsed else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
        non2xx=data["non2xx"],
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        codes=data["codes"],
    )


def run_python(
    url: str, connections: int, seconds: int, headers: dict[str, str], bodies_file: Path | None
) -> LoadResult:
    """The fallback when wrk is missing: threads with http.client. The GIL caps what it can
    offer, so its figures understate the server; the report labels them."""
    bodies = [] if bodies_file is None else bodies_file.read_text().splitlines()
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    send = {"User-Agent": USER_AGENT, **headers}
    if bodies:
        send["Content-Type"] = "application/json"
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [[0, 0] for _ in range(connections)]  # [non2xx, socket errors] per client
    codes: dict[int, int] = {}
    start = time.perf_counter()
    stop_at = start + seconds

    def client(n: int) -> None:
        conn: http.client.HTTPConnection | None = None
        i = n * 7919
        while time.perf_counter() < stop_at:
            body = None
            if bodies:
                i = (i + 1) % len(bodies)
                body = bodies[i].encode()
            began = time.perf_counter()
            try:
                conn = conn or http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                conn.request("POST" if body else "GET", path, body=body, headers=send)
                response = conn.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except OSError:
                failures[n][1] += 1
                conn = None
                continue
            latencies[n].append(time.perf_counter() - began)
            if not 200 <= response.status < 300:
                failures[n][0] += 1
                codes[response.status] = codes.get(response.status, 0) + 1

    workers = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    every = sorted(x for per in latencies for x in per)

    def pct(p: float) -> float:
        return every[min(len(every) - 1, int(p / 100 * len(every)))] * 1000 if every else 0.0

    return LoadResult(
        tool="python-loadgen",
        connections=connections,
        seconds=elapsed,
        requests=len(every),
        rps=len(every) / elapsed,
        p50_ms=pct(50),
        p90_ms=pct(90),
        p99_ms=pct(99),
        mean_ms=sum(every) / len(every) * 1000 if every else 0.0,
        non2xx=sum(f[0] for f in failures),
        socket_errors=sum(f[1] for f in failures),
        codes=",".join(f"{k}:{v}" for k, v in sorted(codes.items())),
    )


def warm_up(url: str, headers: dict[str, str], bodies_file: Path | None, rounds: int = 1) -> int:
    """A few concurrent requests so every worker has compiled templates and open connections
    (and the reference its snapshot) before anything is timed; the last status seen."""
    body = None
    if bodies_file is not None:
        body = bodies_file.read_text().splitlines()[0].encode()
        headers = {**headers, "Content-Type": "application/json"}
    statuses: list[int] = []

    def one() -> None:
        for _ in range(rounds):
            status, _, _ = request("POST" if body else "GET", url, body, headers)
            statuses.append(status)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses[-1]
