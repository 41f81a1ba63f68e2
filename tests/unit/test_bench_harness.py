"""The benchmark harness: the servers it measures and the verdicts it reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from gunicorn.app.wsgiapp import WSGIApplication

from bench import load, report

ROOT = Path(__file__).resolve().parents[2]


def _settings(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """What gunicorn would run with, started from the repository root as the bench starts it."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", argv)
    return WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg


@pytest.mark.parametrize("served", [load.SERVER_APP, load.LEAN_APP])
def test_bench_servers_are_two_plain_sync_workers(
    served: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Not the repository's gunicorn.conf.py, whose threads turn `-k sync` into gthread and
    whose max_requests restarts workers in the middle of a run."""
    cfg = _settings(load.server_command(8000, tmp_path / "log", 2, served), monkeypatch)
    assert (cfg.worker_class_str, cfg.workers, cfg.threads) == ("sync", 2, 1)
    assert cfg.max_requests == 0
    assert cfg.accesslog is None


def _row(rps: list[float], reference: str | None = None, **extra: Any) -> dict[str, Any]:
    row = {
        "label": "x",
        "method": "GET",
        "reference": reference,
        "corpus": "small",
        "unavailable": None,
        "probe": None,
        "rps": sorted(rps)[len(rps) // 2],
        "rps_list": rps,
        "single_p50_list": [],
        "p50_ms": 10.0,
        "single_p50_ms": None,
        "errors": 0,
    }
    return row | extra


def _verdicts(rows: dict[str, Any]) -> dict[str, str]:
    lines = report.targets({"rows": rows})[2:]
    return {line.split(" | ")[0].strip("| "): line.split(" | ")[2].strip(" |") for line in lines}


def test_issue_11_targets_are_judged_against_their_own_references() -> None:
    rows = {
        "ref_lean": _row([100.0, 200.0]),
        "ref_lean_2k": _row([20.0]),
        "ref_article": _row([50.0]),
        "ref_insert": _row([300.0], method="POST"),
        # 0.6 and 0.65 of each repeat's lean figure: the median of paired ratios is 0.625.
        "article_signed": _row([60.0, 130.0], "ref_lean", probe={"queries": 5}),
        "group_member": _row([50.0, 100.0], "ref_lean", probe={"queries": 5}),
        "article_2k_signed": _row([10.0], "ref_lean_2k", probe={"queries": 5}, single_p50_ms=29.0),
        "post": _row([200.0], "ref_insert", method="POST", errors=0),
    }
    verdicts = _verdicts(rows)
    signed, group, p50, statements, posting = list(verdicts.values())[:5]
    assert (signed, group, p50, statements) == ("**met**", "**not met**", "**met**", "**met**")
    assert posting == "**not met**"  # 0.67× of the bare insert


def test_a_ratio_is_judged_against_the_reference_run_just_before_it() -> None:
    """The reference's own runs came earlier, on a faster moment of the machine: the runs
    beside the page, seconds before each of its own, are what it is set against."""
    rows = {
        "ref_lean": _row([400.0, 400.0]),
        "article_signed": _row(
            [150.0, 160.0], "ref_lean", probe={"queries": 3}, beside_rps_list=[240.0, 250.0]
        ),
    }
    assert report.ratio(rows, "article_signed")[0] == pytest.approx((150 / 240 + 160 / 250) / 2)
    signed = _verdicts(rows)[
        "Article page, 200 annotations, signed in: ≥ 0.6× the lean reference (/mem/200)"
    ]
    assert signed == "**met**"
    del rows["article_signed"]["beside_rps_list"]  # a report from before: its own runs
    assert report.ratio(rows, "article_signed")[0] == pytest.approx((150 / 400 + 160 / 400) / 2)


def test_statements_must_not_grow_with_the_data() -> None:
    rows = {
        "ref_lean": _row([100.0]),
        "ref_lean_2k": _row([20.0]),
        "article_signed": _row([70.0], "ref_lean", probe={"queries": 4}),
        "article_2k_signed": _row([15.0], "ref_lean_2k", probe={"queries": 5}),
    }
    verdicts = list(_verdicts(rows).values())
    assert verdicts[3] == "**not met**"  # 4 statements at 200 annotations, 5 at 2,000
    assert verdicts[1] == "not measured"  # no group member's view in these rows
