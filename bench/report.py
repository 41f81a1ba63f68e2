"""Writes bench/results.md: the machine, every figure, its ratio, and the issue's targets."""

from __future__ import annotations

import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

TITLE = "# Counterpoint benchmark results"
INTRO = """\
Written by `make bench` (`python -m bench.run`); each database has its own section, replaced
when that database is benchmarked again. `--quick` runs go to `bench/out/results-quick.md`.
"""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _wrk_version() -> str:
    if shutil.which("wrk") is None:
        return "absent (Python load generator used)"
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).strip().splitlines()
    return first[0].split("[")[0].strip() if first else "wrk"


def _postgres_version(env: dict[str, str]) -> str:
    from sqlalchemy import create_engine, text

    from bench.seed import PG_ADMIN_URL

    engine = create_engine(env.get("BENCH_POSTGRES_URL", PG_ADMIN_URL))
    try:
        with engine.connect() as conn:
            full = str(conn.execute(text("SHOW server_version")).scalar_one())
        return f"PostgreSQL {full.split()[0]}"
    except Exception as exc:  # a version string is not worth failing the run
        return f"PostgreSQL (version unknown: {type(exc).__name__})"
    finally:
        engine.dispose()


def describe_machine(database: str, _url: str | None, env: dict[str, str]) -> dict[str, str]:
    if database == "sqlite":
        db = f"SQLite {sqlite3.sqlite_version} (WAL, file under bench/out/)"
    else:
        db = _postgres_version(env) + " on 127.0.0.1 (fresh database, dropped afterwards)"
    return {
        "cores": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "flask": _version("flask"),
        "sqlalchemy": _version("sqlalchemy"),
        "gunicorn": _version("gunicorn"),
        "database": db,
        "load": _wrk_version(),
    }


# --- formatting ----------------------------------------------------------------------------


def _n(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _kb(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{n:,} B" if n < 10_000 else f"{n / 1024:,.1f} KiB"


def paired(values: list[float], against: list[float]) -> float | None:
    """The median of per-repeat ratios: repeats run interleaved, so each pair saw the same
    machine; without pairs, the ratio of the medians."""
    if not values or not against:
        return None
    if len(values) == len(against) and all(against):
        return statistics.median(v / a for v, a in zip(values, against, strict=True))
    return statistics.median(values) / statistics.median(against) or None


def ratio(rows: dict[str, Any], key: str) -> tuple[float | None, str]:
    """(ratio, what it is relative to) for one row.

    req/s over the named reference's; a page whose own reference was not run (--quick) is
    set against the article page's. The 100k row: its one-client p50 over the small corpus's.
    """
    row = rows[key]
    if row["corpus"] == "large" and row["single_p50_list"] and not key.startswith("ref_"):
        small = rows.get("article_anon") or {}
        return paired(row["single_p50_list"], small.get("single_p50_list") or []), "small p50"
    ref_key = row["reference"] or ""
    if not (rows.get(ref_key) or {}).get("rps") and row["method"] == "GET" and ref_key:
        ref_key = "ref_article"
    ref = rows.get(ref_key)
    if ref is None or not row["rps"]:
        return None, ""
    return paired(row["rps_list"], _reference_runs(row, ref, ref_key)), ref_key


def _reference_runs(row: dict[str, Any], ref: dict[str, Any], ref_key: str) -> list[float]:
    """The reference's req/s to set this row against: its runs just before this row's, when
    the run made them (a report from before that has only the reference's own runs)."""
    beside = row.get("beside_rps_list") or []
    return beside if beside and ref_key == row["reference"] else ref["rps_list"]


def drift(rows: dict[str, Any]) -> float | None:
    """How much faster reference (a) ran beside the 100k corpus than beside the small one.

    By its one-client p50 when both were measured (what the 100k row compares), else by its
    loaded req/s.
    """
    before, after = rows.get("ref_article"), rows.get("ref_article_100k")
    if not (before and after):
        return None
    if before.get("single_p50_ms") and after.get("single_p50_ms"):
        return float(before["single_p50_ms"] / after["single_p50_ms"])
    if before["rps"] and after["rps"]:
        return float(after["rps"] / before["rps"])
    return None


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**not met**")


# The signed-in pages: statements must not grow with the data (200 vs 2,000 annotations).
SIGNED_PAGES = ("article_signed", "group_member", "article_2k_signed")
ANONYMOUS_PAGES = ("article_anon", "article_2k", "article_anon_100k")
MAX_SIGNED_STATEMENTS = 5


def targets(results: dict[str, Any]) -> list[str]:
    """The issue's targets (issue 11, and the anonymous ones kept from before), each with its
    figure and whether it is met."""
    rows = results["rows"]

    def get(key: str, name: str) -> Any:
        row = rows.get(key)
        return None if row is None or row["unavailable"] else row.get(name)

    def against(key: str, floor: float, name: str) -> tuple[str, str, bool | None]:
        """req/s over the scenario's own reference's, never a stand-in for a missing one."""
        row, reference = rows.get(key) or {}, rows.get((rows.get(key) or {}).get("reference") or "")
        r = None
        if get(key, "rps") and reference and reference["rps"]:
            runs = _reference_runs(row, reference, row["reference"])
            r, ref_rps = paired(row["rps_list"], runs), statistics.median(runs)
        if r is None:
            return name, "—", None
        return name, f"{r:.2f}× ({row['rps']:,.1f} vs {ref_rps:,.1f} req/s)", r >= floor

    found: list[tuple[str, str, bool | None]] = [
        against("article_signed", 0.6,
                "Article page, 200 annotations, signed in: ≥ 0.6× the lean reference (/mem/200)"),
        against("group_member", 0.6,
                "Group member's view (?group=, ~200 group notes): ≥ 0.6× the lean reference "
                "(/mem/200)"),
    ]  # fmt: skip
    p50 = get("article_2k_signed", "single_p50_ms")
    loaded = get("article_2k_signed", "p50_ms")
    found.append(
        (
            "Article page, 2,000 annotations, signed in: p50 ≤ 30 ms (one client)",
            "—" if p50 is None else f"{p50:.1f} ms ({_n(loaded)} ms with 8 clients)",
            None if p50 is None else p50 <= 30,
        )
    )
    counts = {k: get(k, "probe")["queries"] for k in SIGNED_PAGES if get(k, "probe")}
    worst = max(counts.values(), default=None)
    # The same page at 200 and 2,000 annotations (a group's view differs in what it reads).
    constant = counts.get("article_signed") == counts.get("article_2k_signed")
    detail = ", ".join(f"{k} {n}" for k, n in counts.items())
    found.append(
        (
            f"Statements per signed-in page: the same at 200 and 2,000 annotations, and "
            f"≤ {MAX_SIGNED_STATEMENTS}",
            "—" if worst is None else f"at most {worst} ({detail})",
            None if worst is None else (worst <= MAX_SIGNED_STATEMENTS and constant),
        )
    )
    r, errors = (ratio(rows, "post")[0] if get("post", "rps") else None), get("post", "errors")
    found.append(
        (
            "Posting, 16 clients: ≥ 0.7× reference (b), the bare insert, with 0 errors",
            "—" if r is None else f"{r:.2f}×, {errors} errors",
            None if r is None else (r >= 0.7 and errors == 0),
        )
    )
    found += _anonymous_targets(results, get)
    lines = ["| Target | Figure | Verdict |", "| --- | --- | --- |"]
    return lines + [f"| {name} | {figure} | {_verdict(ok)} |" for name, figure, ok in found]


def _anonymous_targets(results: dict[str, Any], get: Any) -> list[tuple[str, str, bool | None]]:
    """The anonymous reader's targets from before issue 11, which still apply."""
    rows = results["rows"]
    r = ratio(rows, "article_anon")[0] if get("article_anon", "rps") else None
    found = [
        (
            "Article page, 200 annotations, anonymous: ≥ 0.8× reference (a) req/s",
            "—" if r is None else f"{r:.2f}×",
            None if r is None else r >= 0.8,
        )
    ]
    counts = {k: get(k, "probe")["queries"] for k in ANONYMOUS_PAGES if get(k, "probe")}
    worst = max(counts.values(), default=None)
    detail = ", ".join(f"{k} {n}" for k, n in counts.items())
    found.append(
        (
            "SQL queries per anonymous article page ≤ 8",
            "—" if worst is None else f"at most {worst} ({detail})",
            None if worst is None else worst <= 8,
        )
    )
    p50, loaded = get("article_2k", "single_p50_ms"), get("article_2k", "p50_ms")
    found.append(
        (
            "Article page, 2,000 annotations, anonymous: p50 ≤ 60 ms (one client)",
            "—" if p50 is None else f"{p50:.1f} ms ({_n(loaded)} ms with 8 clients)",
            None if p50 is None else p50 <= 60,
        )
    )
    r = ratio(rows, "article_anon_100k")[0] if get("article_anon_100k", "single_p50_ms") else None
    d = drift(rows)
    # A p50 scales inversely with the machine's speed: undo the drift the reference saw.
    corrected = "" if r is None or d is None else f"; {r * d:.2f}× corrected for drift ({d:.2f})"
    found.append(
        (
            "Article page with the 100k corpus: p50 within 1.2× of the small corpus (one client)",
            "—" if r is None else f"{r:.2f}×{corrected}",
            None if r is None else r <= 1.2,
        )
    )
    return found


BUSY = (
    " — **other work was running on the machine: absolute figures are depressed and noisy; "
    "the ratios, measured alongside, hold up better**"
)
HEADER = (
    "| Endpoint | req/s | p50 | p99 | 1 client p50 | 1 client p99 | Ratio | SQL | Body "
    "| gzip served | gzip -6 | Errors |"
)
ALIGN = "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} ms"


def table(results: dict[str, Any]) -> list[str]:
    rows = results["rows"]
    lines = [HEADER, ALIGN]
    for key, row in rows.items():
        if row["unavailable"]:
            lines.append(f"| {row['label']} | not available: {row['unavailable']} |" + " |" * 10)
            continue
        probe = row["probe"] or {}
        r, against = ratio(rows, key)
        if r is None:
            shown = "reference" if key.startswith("ref_") else "—"
        else:
            shown = f"{r:.2f}× {against}"
        codes = f" ({row['codes']})" if row["codes"] else ""
        cells = [
            row["label"],
            _n(row["rps"]),
            _ms(row["p50_ms"]),
            _ms(row["p99_ms"]),
            _ms(row["single_p50_ms"]),
            _ms(row["single_p99_ms"]),
            shown,
            str(probe.get("queries", "—")),
            _kb(probe.get("raw_bytes")),
            _kb(probe.get("gzip_bytes")),
            _kb(probe.get("gzip6_bytes")),
            f"{row['errors']}{codes}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def section(results: dict[str, Any]) -> str:
    m, plan = results["machine"], results["plan"]
    seeded, timings = results["seeded"], results["timings"]
    tools = {r["tool"] for r in results["rows"].values() if r["tool"]}
    weak = "python-loadgen" in tools
    corpus = (
        f"{seeded['corpus']:,} annotations on 500 more articles"
        if seeded["corpus"]
        else "not seeded (--quick)"
    )
    large = timings.get("seed_large_s")
    per_repeat = "; ".join(
        f"{k} {row['rps_all']}"
        + (f" (its reference beside: {[round(r, 1) for r in beside]})" if beside else "")
        for k, row in results["rows"].items()
        if row["rps_all"]
        for beside in [row.get("beside_rps_list") or []]
    )
    lines = [
        f"## {m['database'].split()[0]} — {results['date']} "
        f"({'quick run' if results['quick'] else 'full run'})",
        "",
        f"- Machine: {m['cores']} cores, {m['cpu']}, {m['os']}; load average "
        f"{results['loadavg'][0]} before the run, {results['loadavg'][1]} after"
        + (BUSY if max(results["loadavg"]) > int(m["cores"]) / 2 else ""),
        f"- Python {m['python']}, Flask {m['flask']}, SQLAlchemy {m['sqlalchemy']}, "
        f"gunicorn {m['gunicorn']}",
        f"- Database: {m['database']}",
        f"- Load: {m['load']}"
        + (
            " — **Python load generator, not wrk: its figures understate the server**"
            if weak
            else ""
        )
        + "; one load thread on the same two cores as the server, over loopback",
        "- Servers: `gunicorn -c bench/gunicorn_conf.py -w 2 -k sync -b 127.0.0.1:<port> "
        "'bench.reference:create_bench_app(freeze=True)'` (wsgi.py's app plus references (a) "
        "and (b)), COUNTERPOINT_ENV=production, RATE_LIMITS=off; beside it, on its own port, "
        "`gunicorn -c bench/gunicorn_conf.py -w 2 -k sync bench.lean_reference:app` (the lean "
        "reference, its own SQLite file under bench/out/); one request per worker at a time, "
        "never recycled",
        f"- Runs: {plan['repeats']} repeat(s), medians shown; loaded runs {plan['seconds']} s with "
        f"{plan['connections']} connections ({plan['post_connections']} for posting), "
        f"single-client runs {plan['latency_seconds']} s; every request asks for gzip",
        f"- Data: {seeded['authors']} authors; the demo article with {seeded['demo']} annotations, "
        f"a copy with {seeded['big']:,}, a posting target with {seeded['post_target']} "
        f"(plus what the run posts); a reading group of 20 (reader01, signed in, a member) "
        f"with {seeded.get('group', 0)} group notes on the demo article; large corpus: {corpus}. "
        f"Paragraph page: "
        f"`{seeded['busiest_anchor']}`, the busiest paragraph "
        f"({seeded['busiest_count']} annotations)",
        f"- Time: seeding {timings.get('seed_small_s', 0):.1f} s"
        + (f" + {large:.1f} s for the large corpus" if large else "")
        + f"; whole run {timings['total_s']:.0f} s",
        "",
        *table(results),
        "",
        "Ratio: req/s over the named reference's req/s in the same run. The lean reference "
        "(`bench/lean_reference.py`, vendored from the shared benchmark kit) is a minimal Flask "
        "app drawing 40 paragraphs and n comments from memory with one small template: the "
        "issue 11 yardstick for signed-in pages. Reference (a) draws the "
        "same page template through `/_bench/render/<path>` from an in-memory snapshot of the "
        "real view's context (no SQL): the framework's limit. Reference (b), `/_bench/insert`, "
        "parses the same JSON and INSERTs one row with SQLAlchemy Core. The 100k row compares "
        "its one-client p50 with the small corpus's. Each ratio is the median of per-repeat "
        "ratios, each against its reference run just before it (the machine's speed drifts "
        "within a minute; a ratio's two runs are seconds apart), and the reference's req/s in "
        "a target's figure is the median of those runs. SQL statements and sizes come from the "
        "Flask test client in-process (the second request; `before_cursor_execute`): for an "
        "anonymous article page that is a hit on the kept blocks (app/web/caching.py); a miss "
        "reads 4 statements. "
        "req/s per repeat: " + per_repeat + ".",
        "",
        "### Targets",
        "",
        *targets(results),
        "",
    ]
    return "\n".join(lines)


def _markers(database: str) -> tuple[str, str]:
    return f"<!-- bench:{database}:start -->", f"<!-- bench:{database}:end -->"


def write(path: Path, results: dict[str, Any]) -> None:
    """Replace this database's section of `path`, keeping the other database's."""
    start, end = _markers(results["database"])
    block = f"{start}\n{section(results)}{end}\n"
    existing = path.read_text() if path.exists() else ""
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(existing):
        text = pattern.sub(lambda _: block, existing)
    else:
        text = (existing.rstrip() + "\n\n" if existing.strip() else f"{TITLE}\n\n{INTRO}\n") + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
