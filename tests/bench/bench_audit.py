"""Audit benchmark: hash-chain verification, replay and event-log export over N closed cases.

Run from the project root:

    .venv/bin/python -m tests.bench.bench_audit [--cases 10000] [--database-url URL] [--batch 500]

Seeds N cases through the engine services along the happy path (report, review, escalate, solve, accept:
every case closed), then measures, one after the other: verify_chains over all cases, the replay of all
cases (engine.replay.service.iter_replays: chain plus re-execution compared step by step), the XES
export and the CSV export (time, bytes, and the peak Python memory of a second, traced XES export, which
shows the writer streams). Prints ONE JSON document on stdout; progress goes to stderr. Nothing is asserted
about time; the run fails if a case does not close or an export does not hold every case.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import lxml.etree
import sqlalchemy

from engine.clock import FixedClock
from engine.db.session import Database
from engine.replay.service import iter_replays
from engine.services.audit.chains import verify_chains
from engine.services.audit.export import Format, write_log
from engine.services.audit.log import DEFAULT_BATCH, LogFilter
from engine.services.cases import start as cases
from engine.services.context import ServiceContext
from engine.services.people.users import get_actor
from engine.services.views import SYSTEM, Actor, CaseView
from engine.setup.bootstrap import DEMO_LEVEL2, initialise, seed_demo
from tests.conftest import T0, make_settings
from tests.helpers import ACCEPT, COMPLETE_REVIEW, REPORT, SOLVE_AT_LEVEL2

T = TypeVar("T")
HAPPY_PATH = (("nivel1", "Activity_RevisarRegistrar", COMPLETE_REVIEW),
              ("nivel1", "Activity_EscalarNivel2", {"grupo_nivel2": DEMO_LEVEL2[REPORT["aplicacion"]]}),
              ("nivel2", "Activity_AnalizarSolucionar", SOLVE_AT_LEVEL2),
              ("solicitante", "Activity_ValidarSolucion", ACCEPT))


class BenchmarkError(RuntimeError):
    """The seeded data or an export is not what the benchmark assumes: its numbers would mean nothing."""


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    gc.collect()
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


class Seeder:
    """Closes cases along the happy path through the services, each step one second after the previous."""

    def __init__(self, ctx: ServiceContext, clock: FixedClock) -> None:
        self.ctx, self.clock = ctx, clock
        self.actors: dict[str, Actor] = {name: get_actor(ctx, name) for name in ("solicitante", "nivel1", "nivel2")}

    def close_one(self, index: int) -> None:
        """Report case number `index` and walk it to its close."""
        self.clock.set(T0 + timedelta(minutes=index))
        case = cases.start_case(self.ctx, self.actors["solicitante"], dict(REPORT))
        for user, element_id, data in HAPPY_PATH:
            self.clock.advance(timedelta(seconds=1))
            case = cases.complete_task(self.ctx, self.actors[user], _task(case, element_id), dict(data))
        if case.is_open:
            raise BenchmarkError(f"el caso {case.id} no se cerró: {case.state}")


def _task(case: CaseView, element_id: str) -> str:
    found = [task.id for task in case.ready_tasks if task.element_id == element_id]
    if len(found) != 1:
        raise BenchmarkError(f"caso {case.id}: se esperaba {element_id}, listas: {case.ready_tasks}")
    return found[0]


def seed(ctx: ServiceContext, clock: FixedClock, count: int) -> dict[str, Any]:
    """Seed `count` closed cases; report how long it took."""
    seeder = Seeder(ctx, clock)
    start = time.perf_counter()
    for index in range(count):
        seeder.close_one(index)
        if (index + 1) % 500 == 0:
            _progress(f"  {index + 1}/{count} casos cerrados ({time.perf_counter() - start:.0f} s)")
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "cases_per_second": _rate(count, seconds),
            "transactions_per_case": 1 + len(HAPPY_PATH)}


def measure_verify(ctx: ServiceContext) -> dict[str, Any]:
    """verify_chains over every case: cases per second."""
    (checked, problems), seconds = _timed(lambda: verify_chains(ctx))
    if problems:
        raise BenchmarkError(f"{len(problems)} cadena(s) no verifican: {problems[:3]}")
    return {"cases": checked, "seconds": round(seconds, 3), "cases_per_second": _rate(checked, seconds)}


def measure_replay(ctx: ServiceContext) -> dict[str, Any]:
    """Replay of every case (hash chain and re-execution), one short read per case."""
    reports, seconds = _timed(lambda: [(r.case_id, r.ok) for r in iter_replays(ctx)])
    failed = [case_id for case_id, ok in reports if not ok]
    if failed:
        raise BenchmarkError(f"{len(failed)} caso(s) no se reproducen: {failed[:3]}")
    return {"cases": len(reports), "seconds": round(seconds, 3), "cases_per_second": _rate(len(reports), seconds)}


def measure_export(ctx: ServiceContext, fmt: Format, path: Path, count: int, batch: int) -> dict[str, Any]:
    """One export to a file: time, bytes, events."""
    stats, seconds = _timed(lambda: write_log(ctx, SYSTEM, LogFilter(), fmt, path, batch_size=batch))
    if stats.cases != count or path.stat().st_size != stats.bytes:
        raise BenchmarkError(f"{fmt}: {stats.cases} casos y {stats.bytes} bytes; se esperaban {count} casos")
    return {"seconds": round(seconds, 3), "bytes": stats.bytes, "cases": stats.cases, "events": stats.events,
            "cases_per_second": _rate(stats.cases, seconds), "mib_per_second": round(stats.bytes / 2**20 / seconds, 1)}


def peak_export_memory(ctx: ServiceContext, path: Path, batch: int) -> int:
    """Peak Python memory (tracemalloc) of a XES export: flat when the writer streams."""
    tracemalloc.start()
    try:
        write_log(ctx, SYSTEM, LogFilter(), "xes", path, batch_size=batch)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def count_traces(path: Path) -> int:
    """Traces in a XES file, read incrementally."""
    total = 0
    for _, element in lxml.etree.iterparse(str(path), tag="trace"):
        total += 1
        element.clear()
    return total


def environment(ctx: ServiceContext) -> dict[str, Any]:
    """Where the numbers come from."""
    return {"python": platform.python_version(), "sqlalchemy": sqlalchemy.__version__,
            "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)), "sqlite": sqlite3.sqlite_version,
            "database": ctx.db.dialect, "cpu_count": os.cpu_count(), "platform": platform.platform(),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def run(ctx: ServiceContext, clock: FixedClock, count: int, batch: int, folder: Path) -> dict[str, Any]:
    """Seed, then measure verify, replay, XES and CSV; the JSON document."""
    _progress(f"sembrando {count} casos cerrados por el camino feliz…")
    seeding = seed(ctx, clock, count)
    _progress("verificando cadenas…")
    verify = measure_verify(ctx)
    _progress("reproduciendo casos…")
    replay = measure_replay(ctx)
    _progress("exportando XES y CSV…")
    xes = measure_export(ctx, "xes", folder / "log.xes", count, batch)
    if count_traces(folder / "log.xes") != count:
        raise BenchmarkError("el XES no tiene un trace por caso")
    csv_result = measure_export(ctx, "csv", folder / "log.csv", count, batch)
    xes["peak_python_memory_bytes"] = peak_export_memory(ctx, folder / "traced.xes", batch)
    return {"benchmark": "audit: verify, replay and event-log export over closed cases", "cases": count,
            "batch": batch, "seeding": seeding, "verify": verify, "replay": replay, "xes": xes, "csv": csv_result,
            "environment": environment(ctx)}


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000, help="closed cases to seed (default 10000)")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="cases per read while exporting")
    parser.add_argument("--database-url", help="an EMPTY database (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.batch < 1:
        parser.error("--cases y --batch deben ser >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Seed, measure and print the report."""
    args = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="mesa-bench-audit-") as tmp:
        folder = Path(tmp)
        db = Database(args.database_url or f"sqlite:///{folder / 'mesa.db'}")
        clock = FixedClock(T0)
        ctx = ServiceContext(db, make_settings(folder, db.url), clock)
        try:
            initialise(ctx, "dueno")
            seed_demo(ctx)
            result = run(ctx, clock, args.cases, args.batch, folder)
        finally:
            db.dispose()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
