"""`python -m bench.run`: seed, serve under gunicorn, measure against references, report."""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import time
from base64 import b64encode
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import load, probe, report, seed

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results.md"
DEMO = seed.DEMO_SLUG
BIG = f"{DEMO}-2k"
POST_TARGET = f"{DEMO}-post"
GROUP = seed.GROUP_SLUG
GROUP_MEMBERS = 20  # the first 20 authors; reader02 teaches, reader01 (signed in) is a member
LEAN_SIZES = "200,2000"
# The single-client runs a target is judged on: all --quick keeps of them.
TARGET_LATENCIES = ("article_anon", "article_2k", "article_2k_signed", "article_anon_100k")


@dataclass(frozen=True)
class Plan:
    """How big and how long: the full run, or --quick (under a minute, no large corpus)."""

    quick: bool
    repeats: int
    seconds: int  # each loaded run
    latency_seconds: int  # each single-client run
    corpus_articles: int
    demo_annotations: int = 200
    group_annotations: int = 200  # the group's discussion of the demo article
    big_annotations: int = 2_000
    post_seeded: int = 40
    corpus_per_article: int = 200
    connections: int = 8  # four per sync worker: none idles between requests
    post_connections: int = 16


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    path: str
    method: str = "GET"
    auth: str = "anon"  # "anon", "cookie" (signed in through /login) or "token" (Bearer)
    post: bool = False  # POSTs the JSON bodies in bench/out/post-bodies.jsonl
    latency: bool = False  # also measured with one client: latency without queueing
    reference: str | None = None  # the scenario its req/s is divided by
    corpus: str = "small"  # measured on the small corpus or after the 100k one is added
    quick: bool = True  # also in --quick
    server: str = "app"  # "app" (the app and references (a), (b)) or "lean" (lean_reference)


def scenarios(block_anchor: str) -> list[Scenario]:
    block = f"/articles/{DEMO}/p/{block_anchor}"
    return [
        # The issue 11 yardstick: a minimal Flask app drawing 40 paragraphs and n comments from
        # memory (bench/lean_reference.py), on its own gunicorn with the same settings.
        Scenario("ref_lean", "Lean reference: /mem/200, 40 paragraphs + 200 comments from memory",
                 "/mem/200", server="lean"),
        Scenario("ref_lean_2k", "Lean reference: /mem/2000, 40 paragraphs + 2,000 comments",
                 "/mem/2000", server="lean"),
        # One-client runs of the reference too (full runs): the 100k comparison's drift check.
        Scenario("ref_article", "Reference (a): article page from memory, 200 annotations",
                 f"/_bench/render/articles/{DEMO}", latency=True),
        Scenario("article_anon", "Article page, 200 annotations, anonymous", f"/articles/{DEMO}",
                 latency=True, reference="ref_article"),
        Scenario("article_signed", "Article page, 200 annotations, signed in",
                 f"/articles/{DEMO}", auth="cookie", latency=True, reference="ref_lean"),
        Scenario("group_member", "Group member's view: ?group=, 200 group notes, signed in",
                 f"/articles/{DEMO}?group={GROUP}", auth="cookie", latency=True,
                 reference="ref_lean"),
        Scenario("ref_article_2k", "Reference (a): article page from memory, 2,000 annotations",
                 f"/_bench/render/articles/{BIG}", quick=False),
        Scenario("article_2k", "Article page, 2,000 annotations, anonymous", f"/articles/{BIG}",
                 latency=True, reference="ref_article_2k"),
        # Never from the anonymous page's kept blocks: what drawing the 2k page in full costs.
        Scenario("article_2k_signed", "Article page, 2,000 annotations, signed in",
                 f"/articles/{BIG}", auth="cookie", latency=True, reference="ref_lean_2k"),
        Scenario("ref_block", "Reference (a): paragraph page from memory",
                 f"/_bench/render{block}", quick=False),
        Scenario("block_page", "Paragraph page (busiest paragraph), anonymous", block,
                 latency=True, reference="ref_block"),
        Scenario("api_list", "GET /api/v1/articles/<slug>/annotations (first page of 50)",
                 f"/api/v1/articles/{DEMO}/annotations", latency=True, reference="ref_article"),
        Scenario("ref_insert", "Reference (b): bare one-row insert, 16 clients",
                 "/_bench/insert", method="POST", post=True),
        Scenario("post", "POST /api/v1/articles/<slug>/annotations, 16 clients",
                 f"/api/v1/articles/{POST_TARGET}/annotations", method="POST", auth="token",
                 post=True, reference="ref_insert"),
        # Run again beside the 100k page: if the machine got slower meanwhile, this shows it.
        Scenario("ref_article_100k", "Reference (a) again, with the 100k corpus (drift check)",
                 f"/_bench/render/articles/{DEMO}", latency=True, corpus="large", quick=False),
        Scenario("article_anon_100k", "Article page, 200 annotations, with the 100k corpus",
                 f"/articles/{DEMO}", latency=True, reference="ref_article_100k",
                 corpus="large", quick=False),
    ]  # fmt: skip


@dataclass
class Measured:
    scenario: Scenario
    probe: dict[str, Any] | None = None
    unavailable: str | None = None  # why it was not measured
    loaded: list[load.LoadResult] = field(default_factory=list)
    single: list[load.LoadResult] = field(default_factory=list)
    # Its reference, run just before each of its own loaded runs: the ratio's pair. A shared
    # machine's speed drifts within a minute; a reference measured 40 s earlier can be 30% off.
    beside: list[load.LoadResult] = field(default_factory=list)


class Clock:
    """Seconds since this process started (imports included), for progress lines."""

    def __init__(self) -> None:
        self.start = time.monotonic() - _process_age()

    def say(self, message: str) -> None:
        print(f"[{time.monotonic() - self.start:6.1f}s] {message}", flush=True)


def _process_age() -> float:
    """How long ago this process started (Linux); 0 where /proc cannot say."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def make_plan(args: argparse.Namespace) -> Plan:
    if args.quick:
        return Plan(
            quick=True,
            repeats=args.repeats or 1,
            seconds=args.seconds or 3,
            latency_seconds=1,
            corpus_articles=0,
        )
    # A median of three: one slow minute of a shared machine is outvoted.
    return Plan(
        quick=False,
        repeats=args.repeats or 3,
        seconds=args.seconds or 10,
        latency_seconds=5,
        corpus_articles=500,
    )


def server_env(url: str) -> dict[str, str]:
    """Production settings, as gunicorn would get them (the server adds the reference routes:
    bench.load.SERVER_APP)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(
        COUNTERPOINT_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        RATE_LIMITS="off",
        DATABASE_URL=url,
    )
    return env


def lean_env(out: Path) -> dict[str, str]:
    """The lean reference's settings: its own SQLite file under bench/out (its /mem pages read
    none; it seeds it on import, as it was written to), the sizes the targets compare with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "BENCH_"))}
    env.update(
        BENCH_DB_URL=f"sqlite:///{(out / 'lean-reference.sqlite3').resolve()}",
        BENCH_SIZES=LEAN_SIZES,
    )
    return env


def build_app(env: dict[str, str]) -> Any:
    """The app in this process, on the benchmark database, for seeding and probing."""
    from bench.reference import create_bench_app

    keys = ("COUNTERPOINT_ENV", "SECRET_KEY", "RATE_LIMITS", "DATABASE_URL")
    return create_bench_app({k: env[k] for k in keys})


def migrate_and_load_demo(app: Any) -> None:
    """What `flask --app wsgi db upgrade` and `flask --app wsgi demo load` do, run in this
    process: the same functions, without paying twice for a cold interpreter start."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    if result.exit_code != 0:
        raise RuntimeError(f"flask demo load failed: {result.output}")


def seed_small(app: Any, plan: Plan, rng: random.Random) -> dict[str, Any]:
    from app.extensions import db
    from bench.reference import bench_insert_table

    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            bench_insert_table.create(conn, checkfirst=True)
            authors = seed.seed_users(conn)
            demo = seed.load_article(conn, DEMO)
            big, target = seed.clone_articles(conn, DEMO, [BIG, POST_TARGET])
            pool = seed.BodyPool(rng)
            seed.seed_annotations(
                conn,
                [
                    (demo, plan.demo_annotations),
                    (big, plan.big_annotations),
                    (target, plan.post_seeded),
                ],
                authors,
                rng,
                pool,
                reader=authors[0],  # reader01, signed in for the signed-in pages
            )
            members = [authors[1], authors[0], *authors[2:GROUP_MEMBERS]]
            group = seed.seed_group(conn, demo, members)
            seed.seed_annotations(
                conn, [(demo, plan.group_annotations)], members, rng, pool, group.id, authors[0]
            )
        seed.analyze(engine)
    bodies = seed.post_bodies(rng, target, pool, 5_000)
    (OUT / "post-bodies.jsonl").write_text("".join(json.dumps(b) + "\n" for b in bodies))
    return {"authors": authors, "demo": demo, "big": big, "target": target, "pool": pool}


def seed_large(app: Any, plan: Plan, rng: random.Random, seeded: dict[str, Any]) -> int:
    from app.extensions import db

    slugs = [f"bench-corpus-{n:03d}" for n in range(1, plan.corpus_articles + 1)]
    with app.app_context():
        with db.engine.begin() as conn:
            copies = seed.clone_articles(conn, DEMO, slugs)
            seed.seed_annotations(
                conn,
                ((a, plan.corpus_per_article) for a in copies),
                seeded["authors"],
                rng,
                seeded["pool"],
            )
        seed.analyze(db.engine)
    return len(slugs) * plan.corpus_per_article


def probe_all(
    app: Any, measured: dict[str, Measured], corpus: str, first_body: dict[str, Any]
) -> None:
    """SQL statements and sizes per endpoint; an endpoint that fails here is not loaded."""
    anon = app.test_client()
    try:
        signed: Any = probe.signed_in_client(app, seed.username(1), seed.PASSWORD)
    except RuntimeError as exc:
        signed = exc
    token = app.test_client().post(
        "/api/v1/tokens",
        headers={"Authorization": "Basic " + b64encode(_credentials().encode()).decode()},
    )
    bearer = (
        {"Authorization": f"Bearer {token.get_json()['token']}"}
        if token.status_code == 201
        else None
    )
    for m in measured.values():
        sc = m.scenario
        if sc.corpus != corpus or m.unavailable or sc.server != "app":
            continue  # the lean reference runs no SQL of the app's (and is not this app)
        client, headers = anon, {}
        if sc.auth == "cookie":
            if isinstance(signed, Exception):
                m.unavailable = f"sign-in failed: {signed}"
                continue
            client = signed
        elif sc.auth == "token":
            if bearer is None:
                m.unavailable = f"POST /api/v1/tokens answered {token.status_code}"
                continue
            headers = bearer
        result = probe.probe(
            app, client, sc.method, sc.path, headers, first_body if sc.post else None
        )
        m.probe = result.as_dict()
        if not 200 <= result.status < 300:
            m.unavailable = f"{sc.method} {sc.path} answered {result.status}"


def _credentials() -> str:
    return f"{seed.username(1)}:{seed.PASSWORD}"


def load_headers(sc: Scenario, cookie: str | None, token: str | None) -> dict[str, str]:
    # Browsers and API clients ask for gzip; the server's compression is part of the cost.
    headers = {"Accept-Encoding": "gzip"}
    if sc.auth == "cookie" and cookie:
        headers["Cookie"] = cookie
    if sc.auth == "token" and token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def measure(
    servers: dict[str, load.Server],
    measured: dict[str, Measured],
    plan: Plan,
    corpus: str,
    credentials: tuple[str | None, str | None],
    clock: Clock,
) -> None:
    """Warm every endpoint, then repeat: loaded runs in turn, then single-client runs."""
    bodies = OUT / "post-bodies.jsonl"
    chosen = [m for m in measured.values() if m.scenario.corpus == corpus and not m.unavailable]
    for m in chosen:
        sc = m.scenario
        status = load.warm_up(
            servers[sc.server].base + sc.path,
            load_headers(sc, *credentials),
            bodies if sc.post else None,
        )
        if not 200 <= status < 300:
            m.unavailable = f"{sc.method} {sc.path} answered {status} under gunicorn"
    chosen = [m for m in chosen if not m.unavailable]
    clock.say(f"warmed up {len(chosen)} endpoints")
    by_key = {m.scenario.key: m for m in chosen}

    def loaded_run(sc: Scenario) -> load.LoadResult:
        return load.drive(
            servers[sc.server].base + sc.path,
            connections=plan.post_connections if sc.post else plan.connections,
            seconds=plan.seconds,
            headers=load_headers(sc, *credentials),
            bodies_file=bodies if sc.post else None,
        )

    for repeat in range(1, plan.repeats + 1):
        previous: load.LoadResult | None = None
        previous_key = ""
        for m in chosen:
            sc = m.scenario
            reference = by_key.get(sc.reference or "")
            if reference is not None:
                if previous_key != reference.scenario.key or previous is None:
                    previous = loaded_run(reference.scenario)
                    clock.say(f"{reference.scenario.key:<18} #{repeat} {_line(previous)} (beside)")
                m.beside.append(previous)
            result = loaded_run(sc)
            m.loaded.append(result)
            previous, previous_key = result, sc.key
            clock.say(f"{sc.key:<18} #{repeat} {_line(result)}")
        for m in chosen:
            sc = m.scenario
            if not sc.latency or (plan.quick and sc.key not in TARGET_LATENCIES):
                continue
            result = load.drive(
                servers[sc.server].base + sc.path,
                connections=1,
                seconds=plan.latency_seconds,
                headers=load_headers(sc, *credentials),
            )
            m.single.append(result)
            clock.say(f"{sc.key:<18} #{repeat} one client: {_line(result)}")


def _line(r: load.LoadResult) -> str:
    errors = f", {r.errors} errors ({r.codes or 'socket'})" if r.errors else ""
    return (
        f"{r.rps:8.1f} req/s  p50 {r.p50_ms:7.1f} ms  p99 {r.p99_ms:7.1f} ms  "
        f"c={r.connections}{errors}"
    )


def median(results: list[load.LoadResult], attr: str) -> float | None:
    values = [getattr(r, attr) for r in results]
    return statistics.median(values) if values else None


def summarise(measured: dict[str, Measured]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for key, m in measured.items():
        rows[key] = {
            "label": m.scenario.label,
            "method": m.scenario.method,
            "path": m.scenario.path,
            "reference": m.scenario.reference,
            "corpus": m.scenario.corpus,
            "unavailable": m.unavailable,
            "probe": {k: v for k, v in (m.probe or {}).items() if k != "statements"} or None,
            "statements": (m.probe or {}).get("statements", []),
            "rps": median(m.loaded, "rps"),
            "rps_all": [round(r.rps, 1) for r in m.loaded],
            "rps_list": [r.rps for r in m.loaded],
            "beside_rps_list": [r.rps for r in m.beside],
            "single_p50_list": [r.p50_ms for r in m.single],
            "p50_ms": median(m.loaded, "p50_ms"),
            "p99_ms": median(m.loaded, "p99_ms"),
            "connections": m.loaded[0].connections if m.loaded else None,
            "errors": sum(r.errors for r in m.loaded),
            "codes": ";".join(sorted({r.codes for r in m.loaded if r.codes})),
            "requests": sum(r.requests for r in m.loaded),
            "single_p50_ms": median(m.single, "p50_ms"),
            "single_p99_ms": median(m.single, "p99_ms"),
            "single_rps": median(m.single, "rps"),
            "tool": m.loaded[0].tool if m.loaded else None,
        }
    return rows


def run(args: argparse.Namespace) -> int:
    plan = make_plan(args)
    clock = Clock()
    load_before = os.getloadavg()[0]  # others' work on the machine skews every figure
    rng = random.Random(args.seed)
    OUT.mkdir(parents=True, exist_ok=True)
    if not load.have_wrk():
        clock.say("wrk not found: using the Python load generator (weaker; labelled as such)")
    url = seed.create_database(args.database, OUT)
    clock.say(f"fresh {args.database} database: {url}")
    env = server_env(url)
    timings: dict[str, float] = {}
    servers: dict[str, load.Server] = {}
    app = None
    try:
        began = time.monotonic()
        app = build_app(env)
        migrate_and_load_demo(app)
        clock.say("migrated; demo article loaded")
        # Their workers import the apps (seconds) while this process seeds.
        servers["app"] = server = load.start_server(env, OUT / "gunicorn.log")
        servers["lean"] = load.start_server(
            lean_env(OUT), OUT / "gunicorn-lean.log", app=load.LEAN_APP
        )
        seeded = seed_small(app, plan, rng)
        timings["seed_small_s"] = time.monotonic() - began
        demo = seeded["demo"]
        clock.say(
            f"seeded {seed.AUTHORS} authors, {demo.annotations} + {seeded['big'].annotations} "
            f"annotations in {timings['seed_small_s']:.1f} s; busiest paragraph "
            f"{demo.busiest_anchor} ({demo.busiest_count})"
        )
        measured = {
            sc.key: Measured(sc)
            for sc in scenarios(demo.busiest_anchor)
            if (plan.quick is False or sc.quick) and _chosen(sc, args.only)
        }
        first_body = json.loads((OUT / "post-bodies.jsonl").read_text().splitlines()[0])
        probe_all(app, measured, "small", first_body)  # while gunicorn boots
        for each in servers.values():
            each.wait_healthy()
        clock.say(
            f"gunicorn up on port {server.port}, the lean reference on port "
            f"{servers['lean'].port} (2 sync workers each)"
        )
        credentials = _http_credentials(server, measured)
        measure(servers, measured, plan, "small", credentials, clock)
        corpus_annotations = 0
        if plan.corpus_articles:
            began = time.monotonic()
            corpus_annotations = seed_large(app, plan, rng, seeded)
            timings["seed_large_s"] = time.monotonic() - began
            took = timings["seed_large_s"]
            clock.say(
                f"seeded the large corpus: {corpus_annotations:,} annotations in {took:.1f} s"
            )
            probe_all(app, measured, "large", first_body)
            measure(servers, measured, plan, "large", credentials, clock)
    finally:
        for each in servers.values():
            each.stop()
        if app is not None:
            from app.extensions import db

            with app.app_context():
                db.engine.dispose()
        if not args.keep_db:
            seed.drop_database(url)
    timings["total_s"] = clock_total = time.monotonic() - clock.start
    results = {
        "database": args.database,
        "quick": plan.quick,
        "plan": plan.__dict__,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": report.describe_machine(args.database, url if args.keep_db else None, env),
        "timings": timings,
        "loadavg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "seeded": {
            "authors": seed.AUTHORS,
            "demo": demo.annotations,
            "big": seeded["big"].annotations,
            "post_target": seeded["target"].annotations,
            "corpus": corpus_annotations,
            "busiest_anchor": demo.busiest_anchor,
            "busiest_count": demo.busiest_count,
            "group": plan.group_annotations,
        },
        "rows": summarise(measured),
    }
    suffix = "-quick" if plan.quick else ""
    (OUT / f"results-{args.database}{suffix}.json").write_text(json.dumps(results, indent=2))
    output = (
        Path(args.output) if args.output else (OUT / "results-quick.md" if plan.quick else RESULTS)
    )
    report.write(output, results)
    shown = output.resolve()
    clock.say(
        f"done in {clock_total:.0f} s; wrote "
        f"{shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown}"
    )
    return 0


def _http_credentials(
    server: load.Server, measured: dict[str, Measured]
) -> tuple[str | None, str | None]:
    """A session cookie (through /login) and a Bearer token, got from the running server."""
    cookie = token = None
    user, password = seed.username(1), seed.PASSWORD
    try:
        cookie = load.sign_in(server.base, user, password)
    except (RuntimeError, OSError, ValueError) as exc:
        for m in measured.values():
            if m.scenario.auth == "cookie" and not m.unavailable:
                m.unavailable = f"sign-in failed: {exc}"
    try:
        token = load.api_token(server.base, user, password)
    except (RuntimeError, OSError, ValueError, KeyError) as exc:
        for m in measured.values():
            if m.scenario.auth == "token" and not m.unavailable:
                m.unavailable = f"no API token: {exc}"
    return cookie, token


def _chosen(sc: Scenario, only: str | None) -> bool:
    """Whether --only keeps this scenario: named, or the reference of one named."""
    if not only:
        return True
    named = set(only.split(","))
    return sc.key in named or any(
        other.reference == sc.key for other in scenarios("") if other.key in named
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short runs, one repeat, no 100k corpus (under a minute)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="a fresh SQLite file under bench/out/, or a fresh PostgreSQL "
        "database cp_bench_<pid> (BENCH_POSTGRES_URL: the server's admin "
        "URL), dropped afterwards",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help="runs per endpoint; medians are reported (default 3, 1 with --quick)",
    )
    parser.add_argument(
        "--seconds", type=int, help="length of each loaded run (default 10, 3 with --quick)"
    )
    parser.add_argument(
        "--output",
        help="where to write the Markdown report "
        "(default bench/results.md, bench/out/results-quick.md with --quick)",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--seed", type=int, default=20201119, help="random seed for the data")
    parser.add_argument(
        "--only",
        help="comma-separated scenario keys (e.g. article_signed,group_member) and their "
        "references: for trying one change quickly; the report marks the rest not measured",
    )
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
