"""The benchmarks still run: each one, at a tiny size, exits 0 and prints its JSON report with every section.

Only the shape of the reports and the benchmarks' own correctness checks are asserted, never a time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 300


def _bench(module: str, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", f"tests.bench.{module}", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert isinstance(report, dict)
    return report


@pytest.mark.slow
def test_bench_audit_reports_verify_replay_and_both_exports() -> None:
    report = _bench("bench_audit", "--cases", "6")
    assert report["cases"] == 6
    for section in ("verify", "replay", "xes", "csv"):
        assert report[section]["cases"] == 6, section
        assert report[section]["seconds"] > 0 and report[section]["cases_per_second"] > 0, section
    assert report["xes"]["bytes"] > 0 and report["csv"]["bytes"] > 0


@pytest.mark.slow
def test_bench_lifecycle_reports_every_path_persisted_and_raw() -> None:
    report = _bench("bench_lifecycle", "--runs", "1", "--warmup", "0")
    assert report["runs"] == 1 and report["scenarios"]
    for name, scenario in report["scenarios"].items():
        assert scenario["steps"] == scenario["user_steps"] + scenario["timer_firings"], name
        for side in ("persisted", "raw"):
            assert scenario[side]["runs"] == 1 and scenario[side]["mean_ms"] > 0, (name, side)


@pytest.mark.slow
def test_bench_http_verifies_its_answers_against_a_real_server() -> None:
    report = _bench("bench_http", "--cases", "12", "--requests", "6", "--warmup", "1", "--concurrency", "2",
                    "--workers", "1")
    assert report["verified"] is True, report["checks"]
    assert report["checks"] and all(report["checks"].values())
    assert report["operations"]


def test_bench_calendar_reports_the_deadlines_of_a_case() -> None:
    report = _bench("bench_calendar", "--cases", "20", "--rounds", "1")
    assert (report["cases"], report["deadlines_per_case"]) == (20, 8)
    assert report["case_deadlines"]["mean_us"] > 0 and report["ans_clock"]["mean_us"] > 0
    assert report["ans_step_two_clocks"]["mean_us"] > 0
