"""Writes `make scaleout`'s section of bench/results.md from what bench/scaleout.py gathered."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from bench import report

START, END = "<!-- bench:scaleout:start -->", "<!-- bench:scaleout:end -->"


def nginx_version() -> str:
    from bench.scaleout import find_command

    nginx = find_command("nginx")
    if nginx is None:
        return "nginx (absent)"
    done = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)
    return (done.stderr or done.stdout).strip().removeprefix("nginx version: nginx/")


def _answers(run: dict[str, Any]) -> str:
    """Every status seen; any but the expected one in bold, and socket errors too."""
    expected = str(run.get("expect", 200))
    parts = [
        f"{s} ×{n:,}" if s == expected else f"**{s} ×{n:,}**"
        for s, n in sorted(run["statuses"].items())
    ]
    if run.get("socket_errors"):
        parts.append(f"**socket errors ×{run['socket_errors']:,}**")
    return ", ".join(parts)


def _cache(cache: dict[str, int]) -> str:
    total = sum(cache.values())
    if not total:
        return "—"
    hits = cache.get("HIT", 0)
    return (
        f"{hits / total:.0%} hits ("
        + ", ".join(f"{k} ×{n:,}" for k, n in sorted(cache.items(), key=lambda kv: -kv[1]))
        + ")"
    )


def run_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| Run | Connections | req/s | p50 | p99 | Answers | nginx cache (X-Cache-Status) |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in runs:
        lines.append(
            f"| {r['label']} | {r['connections']} | {r['rps']:,.1f} | {r['p50_ms']:.1f} ms "
            f"| {r['p99_ms']:.1f} ms | {_answers(r)} | {_cache(r['cache'])} |"
        )
    return lines


def fresh_table(fresh: dict[str, Any]) -> list[str]:
    lines = [
        "| Read | Through | Reads | Last read sent | Answered | Shows the note | What it said |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for s in fresh["seen"]:
        lines.append(
            f"| {s['what']} | {s['via']} | {s['reads']} | {s['sent_ms']:.0f} ms "
            f"| {s['ms']:.0f} ms | {'yes' if s['fresh'] else '**no**'} | {s['note']} |"
        )
    return lines


def verdict(facts: dict[str, Any]) -> str:
    """What the run showed about nginx's cache, in a sentence: cached or not, and why."""
    runs = {r["key"]: r for r in facts["runs"]}
    anon = runs.get("anon_nginx", {}).get("cache", {})
    total = sum(anon.values())
    hits = anon.get("HIT", 0)
    if total and hits / total >= 0.5:
        direct = runs.get("anon_direct", {}).get("rps") or 0
        served = runs["anon_nginx"]["rps"]
        ratio = f" ({served / direct:.1f}× the rate straight from one instance)" if direct else ""
        return (
            f"nginx served {hits / total:.1%} of the anonymous article page's requests from its "
            f"cache{ratio}; signed-in requests all passed through (BYPASS)."
        )
    through = runs.get("anon_nginx", {}).get("rps") or 0
    direct = runs.get("anon_direct", {}).get("rps") or 0
    return (
        f"nginx cached **none** of the anonymous article page ({hits} hits in {total:,} "
        "requests): the app this ran did not yet mark the page `Cache-Control: public, "
        "s-maxage=…` (or still set a cookie on it), and nginx only keeps what the app's "
        f"headers allow. Through nginx the page was slower than straight to A ({through:,.0f} "
        f"against {direct:,.0f} req/s): `proxy_cache_lock` makes concurrent misses of one page "
        "wait their turn (a waiting request looks again every 500 ms), which is right for a "
        "page about to be cached and serialises one that never is. And a reader's "
        "`If-None-Match` on the page reaches the app as nginx's own (none, with nothing cached): "
        "a 200 drawn in full where the app alone answers 304. Both end when the app's headers "
        "let nginx keep the page.\n"
    )


def section(facts: dict[str, Any]) -> str:
    m = report.describe_machine("sqlite", None, {})
    busy = max(facts["loadavg"]) > int(m["cores"]) / 2
    seeded = facts["seeded"]
    rr = facts.get("round_robin") or {}
    fresh = facts["fresh"]
    lines = [
        f"## Scale-out — {facts['date']} (`make scaleout`)",
        "",
        f"- Machine: {m['cores']} cores, {m['cpu']}, {m['os']}; load average "
        f"{facts['loadavg'][0]} before the run, {facts['loadavg'][1]} after"
        + (report.BUSY if busy else ""),
        f"- Python {m['python']}, Flask {m['flask']}, SQLAlchemy {m['sqlalchemy']}, gunicorn "
        f"{m['gunicorn']}; nginx {nginx_version()}; {facts['postgres']}; {facts['redis']}; "
        f"load: {m['load']}, one thread, on the same cores",
        "- Layout: two app instances, each `gunicorn -c gunicorn.conf.py wsgi:app` "
        "(gthread, `WEB_CONCURRENCY=2` × 8 threads) on its own port, with one `SECRET_KEY`, "
        "`COUNTERPOINT_ENV=production`, `PROXY_HOPS=1`, `RATE_LIMITS=off`; nginx (1 worker) "
        "round-robin over both with `bench/nginx_conf.py`'s cache; PostgreSQL and Redis on "
        "the same host",
        f"- Data: {seeded['users']} readers; the demo article with {seeded['annotations']} "
        "annotations (fresh database `counterpoint_scaleout`, dropped afterwards)",
        f"- Runs: {facts['seconds']} s each, one after another, every request asking for gzip; "
        f"whole run {facts['total_s']} s",
        "",
        *run_table(facts["runs"]),
        "",
        verdict(facts),
        "Round robin: nginx sent "
        + " and ".join(f"{n:,} requests to {addr}" for addr, n in sorted(rr.items()))
        + " over the whole run."
        if rr
        else "",
        "",
        "### A write on one instance, read at once on the other",
        "",
        "A note posted straight to instance A's port (`POST /api/v1/articles/<slug>/annotations`, "
        f"on the paragraph `{fresh['anchor']}`, which had none); the moment its `201` arrived, "
        "each read below started at once in its own thread: through instance B's port and "
        "through nginx, signed in (the session was signed in on A) and anonymous. A read that "
        "did not show the note yet was repeated every 100 ms; only nginx's anonymous copies may "
        "lag, by up to `s-maxage` (2 s). The last column lists what each read said "
        "(`X-Cache-Status` through nginx). Before the write, two anonymous reads of the article "
        "page through nginx answered " + ", ".join(fresh["before_cache"]) + ".",
        "",
        *fresh_table(fresh),
        "",
        "Nothing per process decides freshness: every instance reads the article's "
        "`discussion_version` from PostgreSQL on each request (one indexed query), and the write "
        "raised it in its own transaction.",
        "",
    ]
    return "\n".join(line for line in lines if line is not None)


def write(path: Path, facts: dict[str, Any]) -> None:
    """Replace the scale-out section of `path` (or append it), keeping everything else."""
    block = f"{START}\n{section(facts)}{END}\n"
    existing = path.read_text() if path.exists() else f"{report.TITLE}\n\n{report.INTRO}\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END) + r"\n?", re.DOTALL)
    if pattern.search(existing):
        text = pattern.sub(lambda _: block, existing)
    else:
        text = existing.rstrip() + "\n\n" + block
    path.write_text(text)
