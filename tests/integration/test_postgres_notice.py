"""When PostgreSQL cannot be reached the suite says so loudly; under CI=true that is a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests/workflow/test_mesa_paths.py::test_happy_path"


def _run(ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["MESA_TEST_PG_ADMIN"] = "postgresql://postgres@127.0.0.1:9/postgres"  # nothing listens on port 9
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TARGET], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300, check=False)


def test_unreachable_postgres_is_reported_loudly() -> None:
    result = _run(ci=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "POSTGRESQL NO DISPONIBLE" in result.stdout and "1 passed, 1 skipped" in result.stdout


def test_unreachable_postgres_fails_under_ci() -> None:
    result = _run(ci=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "en CI esto es un fallo" in result.stdout
