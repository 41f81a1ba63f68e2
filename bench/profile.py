"""`python -m bench.profile`: time (and optionally cProfile) one endpoint in-process on seeded data.

Cheaper to iterate with than the full benchmark: no gunicorn, no wrk, the same seeding. The
database is kept between runs (`--reseed` rebuilds it) so a code change is measured in seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import secrets
import statistics
import sys
import time
from base64 import b64encode
from pathlib import Path
from typing import Any

from bench import probe, run, seed

OUT = run.OUT
SQLITE_FILE = OUT / "profile.sqlite3"
PG_NAME = "cp_profile"
STAMP = OUT / "profile-seeded.json"


def database_url(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{SQLITE_FILE.resolve()}"
    admin = os.environ.get("BENCH_POSTGRES_URL", seed.PG_ADMIN_URL)
    return admin.rsplit("/", 1)[0] + f"/{PG_NAME}"


def fresh_database(kind: str) -> str:
    """An empty database at the profile's fixed place (dropped and made again)."""
    if kind == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return database_url(kind)
    from sqlalchemy import create_engine, text

    admin = create_engine(
        os.environ.get("BENCH_POSTGRES_URL", seed.PG_ADMIN_URL), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
    finally:
        admin.dispose()
    return database_url(kind)


def prepare(kind: str, reseed: bool, large: bool = False) -> tuple[Any, dict[str, Any]]:
    """The app on a seeded profile database, seeding it first if asked or never done."""
    stamps = json.loads(STAMP.read_text()) if STAMP.exists() else {}
    seeded = stamps.get(kind)
    if reseed or seeded is None:
        url = fresh_database(kind)
        env = run.server_env(url)
        app = run.build_app(env)
        run.migrate_and_load_demo(app)
        plan = run.make_plan(argparse.Namespace(quick=not large, repeats=None, seconds=None))
        rng = random.Random(20201119)
        done = run.seed_small(app, plan, rng)
        if large:
            run.seed_large(app, plan, rng, done)
        seeded = {"busiest": done["demo"].busiest_anchor, "large": large}
        stamps[kind] = seeded
        STAMP.write_text(json.dumps(stamps))
        return app, seeded
    env = run.server_env(database_url(kind))
    return run.build_app(env), seeded


def client_for(app: Any, auth: str) -> tuple[Any, dict[str, str]]:
    client = app.test_client()
    if auth == "cookie":
        return probe.signed_in_client(app, seed.username(1), seed.PASSWORD), {}
    if auth == "token":
        basic = b64encode(f"{seed.username(1)}:{seed.PASSWORD}".encode()).decode()
        issued = client.post("/api/v1/tokens", headers={"Authorization": f"Basic {basic}"})
        return client, {"Authorization": f"Bearer {issued.get_json()['token']}"}
    return client, {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("path", help="e.g. /articles/putin-nagorno-karabakh-calculus")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--auth", choices=("anon", "cookie", "token"), default="anon")
    parser.add_argument("--post", action="store_true", help="POST bench/out/post-bodies.jsonl")
    parser.add_argument("-n", type=int, default=50, help="requests timed")
    parser.add_argument("--profile", action="store_true", help="cProfile them; top 40 by tottime")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--large", action="store_true", help="reseed with the 100k corpus too")
    args = parser.parse_args(argv)
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    app, _ = prepare(args.database, args.reseed or args.large, args.large)
    client, headers = client_for(app, args.auth)
    bodies = (OUT / "post-bodies.jsonl").read_text().splitlines() if args.post else []
    headers = {**headers, "Accept-Encoding": "gzip"}

    def once(i: int) -> int:
        if bodies:
            response = client.post(
                args.path,
                data=bodies[i % len(bodies)],
                headers={**headers, "Content-Type": "application/json"},
            )
        else:
            response = client.get(args.path, headers=headers)
        return response.status_code

    status = once(0)
    with probe.counting_queries(app) as statements:
        once(1)
    times: list[float] = []
    cpu: list[float] = []  # this process's CPU time: less swayed by others' load than wall time
    profiler = cProfile.Profile() if args.profile else None
    for i in range(2, args.n + 2):
        began, began_cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        once(i)
        if profiler is not None:
            profiler.disable()
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    print(
        f"{args.database} {args.auth} {args.path}: status {status}, {len(statements)} SQL, "
        f"median {statistics.median(times):.2f} ms (CPU {statistics.median(cpu):.2f} ms), "
        f"min {min(times):.2f} ms over {args.n}"
    )
    if profiler is not None:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(
            int(os.environ.get("PROFILE_LINES", "40"))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
