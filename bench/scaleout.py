"""`make scaleout` (`python -m bench.scaleout`): PostgreSQL, Redis, two app instances and nginx
in front of them, measured, with a write on one instance read back at once from the other.

Uses the PostgreSQL and Redis that answer at SCALEOUT_POSTGRES_URL / SCALEOUT_REDIS_URL
(defaults: the local ones); when none does it starts its own under bench/out/scaleout/ (an
initdb'd cluster, `redis-server --daemonize`), installing the Debian packages first if a
command is missing and it may (root with apt-get). nginx is always its own, on a prefix under
bench/out/scaleout/nginx/ (never the system's service). Everything it started is stopped when it
ends, however it ends (an error, Ctrl-C, SIGTERM). Writes its section of bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "scaleout"
RESULTS = ROOT / "bench" / "results.md"
LUA = Path(__file__).resolve().parent / "scaleout.lua"
MARKERS = ("<!-- bench:scaleout:start -->", "<!-- bench:scaleout:end -->")
HOST = "127.0.0.1"
DATABASE = "counterpoint_scaleout"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
POST_TARGET = "putin-nagorno-karabakh-calculus-post"
S_MAXAGE = 2  # the app's contract for anonymous pages (Cache-Control: public, s-maxage=2)
# Debian packages for the commands a fresh machine may lack.
PACKAGES = {"nginx": "nginx", "wrk": "wrk", "redis-server": "redis-server"}


def say(message: str) -> None:
    print(f"[scaleout {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes -----------------------------------------------------------------------------


class Started:
    """What this run started, stopped in reverse order whatever happens."""

    def __init__(self) -> None:
        self._stops: list[tuple[str, Callable[[], None]]] = []

    def add(self, name: str, stop: Callable[[], None]) -> None:
        self._stops.append((name, stop))

    def stop_all(self) -> None:
        while self._stops:
            name, stop = self._stops.pop()
            try:
                stop()
                say(f"stopped {name}")
            except Exception as exc:  # one failure must not leave the rest running
                say(f"could not stop {name}: {exc}")


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[Any] | None = None) -> None:
    """Until something accepts connections on the port; fails early if `process` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"exited with {process.returncode} before listening: {err}")
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout:.0f} s")


def find_command(name: str) -> str | None:
    """On PATH, or in /usr/sbin (nginx, for users whose PATH lacks it)."""
    found = shutil.which(name)
    if found is None and Path("/usr/sbin", name).exists():
        found = f"/usr/sbin/{name}"
    return found


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL's bin directory (initdb, pg_ctl), or the one on PATH."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts)
    if versions:
        return versions[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def apt_install(packages: list[str]) -> None:
    """Debian packages, when this user may install them; else a clear way out."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(
            f"scaleout: missing {', '.join(packages)}; install them "
            f"(Debian: sudo apt-get install {' '.join(packages)}) and run again"
        )
    say(f"installing {', '.join(packages)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        check=True,
        env=env,
    )


def ensure_commands(need_postgres: bool, need_redis: bool) -> None:
    wanted = ["nginx", "wrk"] + (["redis-server"] if need_redis else [])
    missing = [PACKAGES[c] for c in wanted if find_command(c) is None]
    if need_postgres and postgres_bin() is None:
        missing.append("postgresql")
    if missing:
        apt_install(missing)


# --- PostgreSQL and Redis --------------------------------------------------------------------


def postgres_answers(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
        return True
    except psycopg.Error:
        return False


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def start_postgres(started: Started) -> str:
    """An initdb'd cluster under OUT/pg on a free port, trust auth on loopback only; its URL.

    As root the server runs as the `postgres` user (it refuses root), which Debian's package
    creates."""
    bindir = postgres_bin()
    assert bindir is not None
    data = OUT / "pg"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    port = free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
         "-E", "UTF8", "--no-instructions"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    options = f"-c listen_addresses={HOST} -p {port} -k {data} -c fsync=off"
    subprocess.run(
        [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"),
         "-o", options, "-w", "start"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    started.add(
        f"PostgreSQL on port {port}",
        lambda: subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            check=True,
            stdout=subprocess.DEVNULL,
        ),
    )
    return f"postgresql://postgres@{HOST}:{port}/postgres"


def start_redis(started: Started) -> str:
    import redis

    port = free_port()
    workdir = OUT / "redis"
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [find_command("redis-server") or "redis-server", "--port", str(port), "--bind", HOST,
         "--daemonize", "yes", "--dir", str(workdir), "--pidfile", str(workdir / "redis.pid"),
         "--logfile", str(workdir / "redis.log"), "--save", "", "--appendonly", "no"],
        check=True,
    )  # fmt: skip
    wait_for_port(port, 10)
    url = f"redis://{HOST}:{port}/0"

    def stop() -> None:
        # Shutting down closes the connection under us: that is the success.
        with suppress(redis.ConnectionError):
            redis.Redis.from_url(url).shutdown(nosave=True)

    started.add(f"redis-server on port {port}", stop)
    return url


@contextmanager
def database(admin_url: str, keep: bool) -> Iterator[str]:
    """A fresh DATABASE (dropped first if a past run left it), dropped afterwards unless kept."""
    from sqlalchemy import create_engine, text

    sa_url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(sa_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{DATABASE}"
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()


# --- the app -------------------------------------------------------------------------------


def app_env(database_url: str, redis_url: str, public_url: str) -> dict[str, str]:
    """Production settings, the same for both instances: one SECRET_KEY, so a session signed
    by one is good on the other; PROXY_HOPS=1 for nginx's X-Forwarded-*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "COUNTERPOINT_"))}
    env.update(
        COUNTERPOINT_ENV="production",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=secrets.token_hex(32),
        RATE_LIMITS="off",  # the load run posts hundreds a second from one address
        PROXY_HOPS="1",
        PUBLIC_URL=public_url,
        TRUSTED_HOSTS="127.0.0.1,localhost",
        WEB_CONCURRENCY="2",
    )
    return env


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


@dataclass
class Seeded:
    demo: str
    quiet_anchor: str  # a paragraph nobody has written about: a new note shows in its preview
    annotations: int
    users: int


def seed_data(env: dict[str, str]) -> Seeded:
    """bench/seed.py's demo discussion: 50 readers, 200 annotations on the demo article, a copy
    of it with 40 for the posting run."""
    import random

    from sqlalchemy import create_engine, func, select

    from app.models import Annotation, Block
    from bench import seed

    engine = create_engine(env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
    rng = random.Random(20201119)
    try:
        with engine.begin() as conn:
            authors = seed.seed_users(conn)
            demo = seed.load_article(conn, seed.DEMO_SLUG)
            (target,) = seed.clone_articles(conn, seed.DEMO_SLUG, [POST_TARGET])
            pool = seed.BodyPool(rng)
            seed.seed_annotations(conn, [(demo, 200), (target, 40)], authors, rng, pool)
            bodies = seed.post_bodies(rng, target, pool, 5_000)
            (OUT / "post-bodies.jsonl").write_text("".join(json.dumps(b) + "\n" for b in bodies))
            blocks, notes = Block.__table__, Annotation.__table__
            counts = (
                select(blocks.c.anchor, func.count(notes.c.id).label("n"))
                .select_from(blocks.outerjoin(notes, notes.c.block_id == blocks.c.id))
                .where(blocks.c.article_id == demo.id, blocks.c.kind == "paragraph")
                .group_by(blocks.c.anchor, blocks.c.position)
                .order_by("n", blocks.c.position)
            )
            quiet = conn.execute(counts).first()
        seed.analyze(engine)
    finally:
        engine.dispose()
    assert quiet is not None
    return Seeded(demo.slug, quiet.anchor, demo.annotations, len(authors))


@dataclass
class Instance:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"


def start_instance(name: str, env: dict[str, str], started: Started) -> Instance:
    """gunicorn with the repository's gunicorn.conf.py (gthread, 8 threads) and 2 workers."""
    port = free_port()
    log = (OUT / "logs" / f"app-{name}.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env={**env, "BIND": f"{HOST}:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches this script, which stops it in order
    )
    log.close()
    started.add(f"app instance {name} (gunicorn on port {port})", lambda: stop_process(process))
    return Instance(name, port, process)


def wait_healthy(instance: Instance, timeout: float = 60) -> None:
    from bench.load import request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise RuntimeError(f"instance {instance.name} exited; see bench/out/scaleout/logs/")
        try:
            if request("GET", f"{instance.base}/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"instance {instance.name} did not answer /healthz in {timeout:.0f} s")


def start_nginx(port: int, upstreams: list[Instance], started: Started) -> tuple[str, Any]:
    from bench.nginx_conf import NginxSite

    site = NginxSite(
        prefix=OUT / "nginx",
        listen=f"{HOST}:{port}",
        upstreams=[f"{HOST}:{u.port}" for u in upstreams],
    )
    # Every run starts cold, and its access log counts only its own requests.
    shutil.rmtree(site.prefix / "cache", ignore_errors=True)
    site.access_log_path.unlink(missing_ok=True)
    site.write()
    nginx = find_command("nginx") or "nginx"
    test = subprocess.run([nginx, *site.command("-t")[1:]], capture_output=True, text=True)
    if test.returncode != 0:
        raise RuntimeError(f"nginx -t refused {site.conf_path}:\n{test.stderr}")
    process = subprocess.Popen(
        [nginx, *site.command()[1:]], stderr=subprocess.PIPE, start_new_session=True
    )
    started.add(f"nginx on port {port}", lambda: stop_process(process, signal.SIGQUIT))
    wait_for_port(port, 10, process)
    return f"http://{HOST}:{port}", site


# --- load ----------------------------------------------------------------------------------


@dataclass
class Run:
    key: str
    label: str
    url: str
    connections: int
    headers: dict[str, str] = field(default_factory=dict)
    bodies: Path | None = None
    expect: int = 200  # the status every answer should have (the report shows them all)
    result: dict[str, Any] = field(default_factory=dict)


def tally(encoded: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in filter(None, encoded.split(",")):
        key, _, n = part.rpartition(":")
        found[key] = found.get(key, 0) + int(n)
    return found


def wrk(run: Run, seconds: int) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{run.connections}", f"-d{seconds}s", "--timeout", "30s",
               "--latency"]  # fmt: skip
    from bench.load import USER_AGENT

    for name, value in {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", **run.headers}.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(LUA), run.url, "--", str(run.bodies or "")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    elapsed = data["duration_us"] / 1e6
    statuses = tally(data["statuses"])
    cache = {k: v for k, v in tally(data["cache"]).items() if k != "-"}
    return {
        "requests": data["requests"],
        "rps": data["requests"] / elapsed if elapsed else 0.0,
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "statuses": statuses,
        "cache": cache,
        "socket_errors": data["connect"] + data["read"] + data["write"] + data["timeout"],
    }


def hit_ratio(cache: dict[str, int]) -> float | None:
    total = sum(cache.values())
    return cache.get("HIT", 0) / total if total else None


# --- freshness -----------------------------------------------------------------------------


@dataclass
class Seen:
    what: str
    via: str
    sent_ms: float = 0.0  # the last read's start, after the post's answer arrived
    ms: float = 0.0  # its answer
    reads: int = 0
    fresh: bool = False
    note: str = ""


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, str]:
    from bench.load import request

    status, head, body = request("GET", url, headers=headers)
    return status, head, body.decode(errors="replace")


def freshness(
    a: Instance, b: Instance, proxy: str, seeded: Seeded, cookie: str, token: str
) -> dict[str, Any]:
    """Post a note through instance A; at once read it back through B and through nginx.

    Every read starts the moment the post is answered, each in its own thread, so none waits
    for another; a read that does not show the note yet (only nginx's anonymous copy may:
    for up to s-maxage) is repeated every 100 ms."""
    from bench.load import request

    slug, anchor = seeded.demo, seeded.quiet_anchor
    article, paragraph = f"/articles/{slug}", f"/articles/{slug}/p/{anchor}"
    # nginx holds the anonymous pages before the write (two reads: MISS, then HIT if cacheable).
    before_cache = [get(proxy + p)[1].get("X-Cache-Status", "-") for p in (article, article)]
    get(proxy + paragraph)
    version_before = json.loads(get(b.base + f"{article}/version")[2])["version"]
    marker = f"Scale-out freshness check {secrets.token_hex(4)}"
    reads: list[tuple[Seen, Callable[[], tuple[bool, str]]]] = []

    def page(base: str, path: str, headers: dict[str, str]) -> Callable[[], tuple[bool, str]]:
        def read() -> tuple[bool, str]:
            _, head, text = get(base + path, headers)
            return marker in text, head.get("X-Cache-Status", "")

        return read

    def version(base: str) -> Callable[[], tuple[bool, str]]:
        def read() -> tuple[bool, str]:
            now = json.loads(get(base + f"{article}/version")[2])["version"]
            return now > version_before, f"version {version_before} → {now}"

        return read

    for via, base in (("instance B", b.base), ("nginx", proxy)):
        reads.append((Seen("`/version`", via), version(base)))
        for what, path in (("article page", article), ("paragraph page", paragraph)):
            reads.append((Seen(f"{what}, signed in", via), page(base, path, {"Cookie": cookie})))
            reads.append((Seen(f"{what}, anonymous", via), page(base, path, {})))
    body = json.dumps({"anchor": anchor, "kind": "comment", "body": marker}).encode()
    status, _, answer = request(
        "POST",
        f"{a.base}/api/v1/articles/{slug}/annotations",
        body,
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    posted = time.monotonic()
    if status != 201:
        raise RuntimeError(f"posting through instance A answered {status}: {answer[:200]!r}")

    def until_fresh(seen: Seen, read: Callable[[], tuple[bool, str]]) -> None:
        notes = []
        while True:
            seen.sent_ms = (time.monotonic() - posted) * 1000
            seen.fresh, note = read()
            seen.ms, seen.reads = (time.monotonic() - posted) * 1000, seen.reads + 1
            notes.append(note)
            if seen.fresh or seen.sent_ms > (S_MAXAGE + 3) * 1000:
                break
            time.sleep(0.1)
        seen.note = _runs([n for n in notes if n])

    threads = [threading.Thread(target=until_fresh, args=pair) for pair in reads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "before_cache": before_cache,
        "anchor": anchor,
        "seen": [s.__dict__ for s, _ in reads],
    }


def _runs(items: list[str]) -> str:
    """HIT, HIT, HIT, EXPIRED → "HIT ×3, EXPIRED"."""
    out: list[str] = []
    for item in items:
        if out and out[-1].split(" ×")[0] == item:
            head, _, n = out[-1].partition(" ×")
            out[-1] = f"{head} ×{int(n or 1) + 1}"
        else:
            out.append(item)
    return ", ".join(out)


# --- the run -------------------------------------------------------------------------------


def runs(
    a: Instance, proxy: str, seeded: Seeded, cookie: str, token: str, args: argparse.Namespace
) -> list[Run]:
    page = f"/articles/{seeded.demo}"
    c, pc = args.connections, args.post_connections
    return [
        Run("anon_nginx", "Article page, anonymous, through nginx", proxy + page, c),
        Run("anon_direct", "Article page, anonymous, straight to instance A", a.base + page, c),
        Run("signed_nginx", "Article page, signed in, through nginx (A and B)", proxy + page, c,
            {"Cookie": cookie}),
        Run("signed_direct", "Article page, signed in, straight to instance A", a.base + page, c,
            {"Cookie": cookie}),
        Run("post_nginx", "POST /api/v1/articles/<slug>/annotations through nginx",
            f"{proxy}/api/v1/articles/{POST_TARGET}/annotations", pc,
            {"Authorization": f"Bearer {token}"}, OUT / "post-bodies.jsonl", expect=201),
    ]  # fmt: skip


def revalidation_runs(a: Instance, proxy: str, seeded: Seeded, c: int, seconds: int) -> list[Run]:
    """A reader (or nginx) that has the page asks again with its ETag: 304 is the answer.

    The anonymous page's ETag also names the minute (relative times in it age:
    app/web/caching.py's FRESH_SECONDS), so both runs are fitted inside one minute."""
    page = f"/articles/{seeded.demo}"
    into_minute = time.time() % 60
    if into_minute > 60 - (3 * seconds + 10):
        time.sleep(60.5 - into_minute)
    found: list[Run] = []
    poll = get(a.base + f"{page}/version")[1].get("ETag")
    if poll:
        found.append(Run("poll_nginx", "Live reader's poll: `/version` with its ETag, "
                         "through nginx", f"{proxy}{page}/version", c, {"If-None-Match": poll},
                         expect=304))  # fmt: skip
    etag = get(a.base + page)[1].get("ETag")
    if etag:
        header = {"If-None-Match": etag}
        found += [
            Run("revalidate_direct", "Article page revalidated (If-None-Match), straight to "
                "instance A", a.base + page, c, header, expect=304),
            Run("revalidate_nginx", "Article page revalidated (If-None-Match), through nginx",
                proxy + page, c, header, expect=304),
        ]  # fmt: skip
    return found


def measure(all_runs: list[Run], seconds: int) -> None:
    from bench.load import request

    for run in all_runs:
        for _ in range(0 if run.bodies else 12):  # warm: every worker has drawn the page
            request("GET", run.url, headers=run.headers)
        run.result = wrk(run, seconds)
        r = run.result
        ratio = hit_ratio(r["cache"])
        say(
            f"{run.key:<18} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  "
            f"p99 {r['p99_ms']:6.1f} ms  statuses {r['statuses']}"
            + (f"  cache {r['cache']} (hits {ratio:.0%})" if ratio is not None else "")
        )


def backing_services(started: Started, facts: dict[str, Any]) -> tuple[str, str]:
    """PostgreSQL's admin URL and Redis's URL: the ones that answer, else started here."""
    pg_url = os.environ.get("SCALEOUT_POSTGRES_URL", PG_ADMIN_URL)
    redis_url = os.environ.get("SCALEOUT_REDIS_URL", REDIS_URL)
    own_pg, own_redis = not postgres_answers(pg_url), not redis_answers(redis_url)
    ensure_commands(own_pg, own_redis)
    if own_pg:
        say(f"no PostgreSQL answers at {pg_url}: starting one under {OUT / 'pg'}")
        pg_url = start_postgres(started)
    if own_redis:
        say(f"no Redis answers at {redis_url}: starting redis-server")
        redis_url = start_redis(started)
    facts["postgres"] = _pg_version(pg_url) + (" (own cluster)" if own_pg else "")
    facts["redis"] = _redis_version(redis_url) + (" (own redis-server)" if own_redis else "")
    return pg_url, redis_url


def exercise(
    a: Instance, b: Instance, proxy: str, seeded: Seeded, args: argparse.Namespace
) -> dict[str, Any]:
    """The freshness check, then the load runs; what they found."""
    from bench.load import api_token, sign_in
    from bench.seed import PASSWORD, username

    cookie = sign_in(a.base, username(1), PASSWORD)  # signed in on A ...
    token = api_token(a.base, username(1), PASSWORD)
    fresh = freshness(a, b, proxy, seeded, cookie, token)  # ... and read back on B
    for s in fresh["seen"]:
        say(f"fresh: {s['what']} via {s['via']}: {s['fresh']} after {s['reads']} read(s), "
            f"answered at {s['ms']:.0f} ms {s['note']}")  # fmt: skip
    measured = runs(a, proxy, seeded, cookie, token, args)
    measure(measured, args.seconds)
    again = revalidation_runs(a, proxy, seeded, args.connections, args.seconds)
    measure(again, args.seconds)
    return {
        "fresh": fresh,
        "runs": [
            {
                "key": r.key,
                "label": r.label,
                "connections": r.connections,
                "expect": r.expect,
                **r.result,
            }
            for r in measured + again
        ],
    }


def scaleout(args: argparse.Namespace) -> dict[str, Any]:
    started = Started()
    load_before = os.getloadavg()[0]
    began = time.monotonic()
    (OUT / "logs").mkdir(parents=True, exist_ok=True)
    facts: dict[str, Any] = {}
    try:
        pg_url, redis_url = backing_services(started, facts)
        with database(pg_url, args.keep_db) as db_url:
            proxy_port = free_port()  # PUBLIC_URL's: nginx listens there
            env = app_env(db_url, redis_url, f"http://{HOST}:{proxy_port}")
            flask(env, "db", "upgrade")
            flask(env, "demo", "load")
            seeded = seed_data(env)
            say(f"database {DATABASE}: migrated, demo + {seeded.annotations} annotations")
            a, b = start_instance("A", env, started), start_instance("B", env, started)
            wait_healthy(a)
            wait_healthy(b)
            proxy, site = start_nginx(proxy_port, [a, b], started)
            say(f"instances A :{a.port} and B :{b.port}, nginx {proxy}")
            facts.update(exercise(a, b, proxy, seeded, args), seeded=seeded.__dict__)
            names = {f"{HOST}:{i.port}": f"instance {i.name}" for i in (a, b)}
            facts["round_robin"] = {
                names.get(addr, addr): n for addr, n in _round_robin(site.access_log_path).items()
            }
    finally:
        started.stop_all()
    facts.update(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        loadavg=[round(load_before, 2), round(os.getloadavg()[0], 2)],
        seconds=args.seconds,
        total_s=round(time.monotonic() - began),
    )
    return facts


def _pg_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {str(row[0]).split()[0] if row else '?'}"


def _redis_version(url: str) -> str:
    import redis

    return f"Redis {redis.Redis.from_url(url).info('server').get('redis_version', '?')}"


def _round_robin(access_log: Path) -> dict[str, int]:
    """Requests nginx sent to each instance over the whole run (its access log)."""
    time.sleep(1.2)  # the log is written in 64 KiB batches, at least once a second
    counts: dict[str, int] = {}
    if access_log.exists():
        for line in access_log.read_text(errors="replace").splitlines():
            match = re.search(r'"([^"]*)"', line)
            if match and match.group(1) not in ("", "-"):
                addr = match.group(1).split(",")[-1].strip()
                counts[addr] = counts.get(addr, 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaleout", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections for pages")
    parser.add_argument("--post-connections", type=int, default=16, help="... for posting")
    parser.add_argument("--keep-db", action="store_true", help=f"keep the {DATABASE} database")
    parser.add_argument("--output", default=str(RESULTS), help="the Markdown file to update")
    args = parser.parse_args(argv)
    # SIGTERM and SIGHUP end the run like Ctrl-C: through the finally that stops everything.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    from bench import scaleout_report

    facts = scaleout(args)
    (OUT / "results.json").write_text(json.dumps(facts, indent=2))
    scaleout_report.write(Path(args.output), facts)
    say(f"wrote {args.output} ({facts['total_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
