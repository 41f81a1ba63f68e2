"""`python -m bench.live_idle`: what N idle readers of one article cost the server.

Each reader polls the article's version resource every few seconds with the ETag it holds
(static/js/live.js), as a browser tab left open does. The app is served as in production by
gunicorn (2 sync workers, SQLite or DATABASE_URL); the run measures the requests answered,
the share answered 304, their latency, and the CPU time gunicorn's workers spent, from /proc.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import load, run

OUT = run.OUT / "live"
RESULTS = run.ROOT / "bench" / "live_results.md"
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(master: int) -> float:
    """User + system CPU time of the master's children (the workers) so far."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def _reader_loop(
    url: str, etag: str, due: list[float], lock: threading.Lock, stop: float, out: dict
) -> None:
    """Takes the next due poll from the shared schedule, sends it, records the answer."""
    while True:
        with lock:
            if not due or due[0] >= stop:
                return
            at = due.pop(0)
        wait = at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        started = time.perf_counter()
        status, _, _ = load.request("GET", url, headers={"If-None-Match": etag}, timeout=10)
        elapsed = time.perf_counter() - started
        with lock:
            out["latency"].append(elapsed)
            out["status"][status] = out["status"].get(status, 0) + 1


def measure(base: str, slug: str, readers: int, every: float, seconds: float, master: int) -> dict:
    url = f"{base}/articles/{slug}/version"
    status, headers, _ = load.request("GET", url)
    if status != 200:
        raise RuntimeError(f"GET {url} answered {status}")
    etag = headers["ETag"]
    start = time.monotonic() + 1.0
    # Each reader's polls, spread evenly: reader i polls at start + i*every/readers + k*every.
    due = sorted(
        start + (i * every / readers) + k * every
        for i in range(readers)
        for k in range(int(seconds / every) + 1)
    )
    stop = start + seconds
    out: dict = {"latency": [], "status": {}}
    lock = threading.Lock()
    cpu_before = _cpu_seconds(master)
    threads = [
        threading.Thread(target=_reader_loop, args=(url, etag, due, lock, stop, out))
        for _ in range(32)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    cpu = _cpu_seconds(master) - cpu_before
    latencies = sorted(out["latency"])
    answered = len(latencies)
    return {
        "readers": readers,
        "every": every,
        "seconds": round(wall, 1),
        "requests": answered,
        "rate": round(answered / wall, 1),
        "status": out["status"],
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(0.99 * (answered - 1))] * 1000, 2),
        "cpu_seconds": round(cpu, 2),
        "cores": round(cpu / wall, 3),
        "cpu_ms_per_poll": round(cpu * 1000 / answered, 3),
    }


def write(result: dict, database: str) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.write_text(
        "# Live discussion: the idle cost of readers\n\n"
        f"Measured {when} by `python -m bench.live_idle` on {database}, gunicorn with 2 sync "
        "workers on this machine (2 cores shared with the load generator).\n\n"
        f"{result['readers']:,} readers of one article, each polling its version every "
        f"{result['every']:g} s with the ETag it holds (nothing changes meanwhile):\n\n"
        "| what | measured |\n| --- | --- |\n"
        f"| polls answered | {result['requests']:,} in {result['seconds']} s "
        f"({result['rate']} a second) |\n"
        f"| answers | {result['status']} |\n"
        f"| latency p50 / p99 | {result['p50_ms']} ms / {result['p99_ms']} ms |\n"
        f"| worker CPU | {result['cpu_seconds']} s: {result['cores']} of a core, "
        f"{result['cpu_ms_per_poll']} ms a poll |\n\n"
        "Each poll is one indexed query (`articles.slug`) answered 304 without a session, a "
        "user or a template; any worker or instance answers it alike, since the version lives "
        "in the database. The loopback load generator shares the cores, so these are upper "
        "bounds.\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=1000)
    parser.add_argument("--every", type=float, default=4.0, help="seconds between a reader's polls")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{OUT / 'live.sqlite'}"
    if database.startswith("sqlite:///") and Path(database[10:]).exists():
        Path(database[10:]).unlink()
    env = run.server_env(database)
    app = run.build_app(env)
    run.migrate_and_load_demo(app)
    server = load.start_server(env, OUT / "gunicorn.log")
    try:
        server.wait_healthy()
        result = measure(
            server.base, run.DEMO, args.readers, args.every, args.seconds, server.process.pid
        )
    finally:
        server.stop()
    print(result)
    write(result, "PostgreSQL" if database.startswith("postgresql") else "SQLite")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
