"""HTTP benchmark: the inbox listing and task completion under gunicorn on 127.0.0.1, with many open cases.

Run from the project root:

    .venv/bin/python -m tests.bench.bench_http [--cases N] [--requests N] [--concurrency N] [--workers N]

What it does, in order (progress goes to stderr, ONE JSON document to stdout):

1. Seeds a fresh SQLite file in a temporary directory through the real services (tests/bench/http_seed.py:
   10,000 open cases by default, about a minute and a half on 2 cores; no cache, every run builds its own).
2. Probes in-process, untimed by the load: SQL statements issued by one inbox listing (list_tasks, and a
   whole GET /api/v1/tasks through the Flask test client), counted with an SQLAlchemy event listener, at a
   small size and at the full size (O(1) in the number of cases when both agree); workflow restores
   (runtime.loads) during the listing, which must be 0; EXPLAIN QUERY PLAN of the listing's SELECT.
3. Starts `mesa-ayuda serve --host 127.0.0.1 --port <free> --workers W --no-scheduler` on that file and waits
   (bounded) until it answers; it is always stopped in `finally`.
4. Sends a bounded number of requests per operation from a small thread pool (http.client, one connection
   per request, 127.0.0.1 only): inbox listing as nivel1 (scope=groups) and as auditor (scope=all), each
   by step due date and by ANS (sort=ans: the case's running clock due first, each task with its ANS state),
   then completion of distinct ready 'Revisar y registrar caso' tasks as nivel1 with COMPLETE_REVIEW.
5. Verifies outside the timing: every answer 2xx, every listing page full, every completed case advanced to
   'Escalar a nivel 2' (in the answer and in the database). It measures and reports; it asserts nothing
   about time. The exit code is 1 when a verification failed (the JSON is printed anyway).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import gunicorn  # type: ignore[import-untyped]
import sqlalchemy
from sqlalchemy import Engine, event, func, select

from engine.db.models import Case, InboxTask
from engine.services.cases import tasks
from engine.services.cases.tasks import Scope, TaskFilter
from engine.services.context import ServiceContext
from engine.services.people.users import get_actor, issue_token
from engine.workflow import runtime
from tests.bench.http_seed import (
    ESCALATE,
    REVIEW,
    REVIEW_NAME,
    SeedFigures,
    combined,
    database_url,
    open_context,
    seed_cases,
    stage_of,
)
from tests.helpers import COMPLETE_REVIEW
from tests.processes import stop_server
from web import create_app
from web.serve import ServeOptions

HOST = "127.0.0.1"
MESA = Path(sys.executable).parent / "mesa-ayuda"
PAGE = 50
START_TIMEOUT, STOP_TIMEOUT, REQUEST_TIMEOUT = 90.0, 20.0, 60.0
SMALL_SIZE = 100
PROBE_CALLS = 20
FETCH_PAGE = 1000  # the API's largest page, used to collect task ids before timing


class BenchmarkError(RuntimeError):
    """The setup failed (server did not start, not enough tasks): nothing could be measured."""


@dataclass(frozen=True)
class Listing:
    """One inbox listing the benchmark sends: a user and a scope, first page of PAGE tasks."""

    name: str
    user: str
    scope: Scope
    sort: str = "due"

    @property
    def path(self) -> str:
        """The API path with its query string."""
        return f"/api/v1/tasks?{urlencode({'scope': self.scope, 'sort': self.sort, 'limit': PAGE})}"


# The same two listings by step due date and by ANS (the case's running clock due first, with its state).
LISTINGS = (Listing("inbox_groups_nivel1", "nivel1", "groups"), Listing("inbox_all_auditor", "auditor", "all"),
            Listing("inbox_ans_groups_nivel1", "nivel1", "groups", "ans"),
            Listing("inbox_ans_all_auditor", "auditor", "all", "ans"))
COMPLETION = "complete_review_nivel1"


# ---------------------------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class Request:
    """One HTTP request to send."""

    method: str
    path: str
    token: str
    body: bytes | None = None


@dataclass(frozen=True)
class Sample:
    """What came back and how long it took (connect to last byte); status 0 when no answer came."""

    request: Request
    status: int
    seconds: float
    body: bytes
    error: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status < 300


def send(port: int, request: Request) -> Sample:
    """Send one request on a fresh connection to 127.0.0.1 and read the whole answer."""
    headers = {"Authorization": f"Bearer {request.token}", "Accept": "application/json", "Connection": "close"}
    if request.body is not None:
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(request.method, request.path, body=request.body, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return Sample(request, response.status, time.perf_counter() - started, body)
    except (OSError, http.client.HTTPException) as exc:
        return Sample(request, 0, time.perf_counter() - started, b"", f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


@dataclass(frozen=True)
class Phase:
    """The samples of one operation and the wall time from the first request sent to the last answer read."""

    samples: list[Sample]
    seconds: float


def load(port: int, requests: Sequence[Request], concurrency: int) -> Phase:
    """Send every request from a pool of `concurrency` threads (each waits for its answer before the next)."""
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench-http") as pool:
        started = time.perf_counter()
        samples = list(pool.map(lambda request: send(port, request), requests))
        elapsed = time.perf_counter() - started
    return Phase(samples, elapsed)


def nearest_rank(ordered: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def summarise(phase: Phase) -> dict[str, Any]:
    """Requests, errors, throughput and latency percentiles (ms) of one operation."""
    ordered = sorted(s.seconds for s in phase.samples)
    errors = [s for s in phase.samples if not s.ok]
    ms = {f"p{p}_ms": round(nearest_rank(ordered, p) * 1000, 2) for p in (50, 95, 99)}
    return {"requests": len(ordered), "errors": len(errors),
            "error_examples": sorted({f"{s.status} {s.error or s.body[:200].decode(errors='replace')}"
                                      for s in errors})[:3],
            "seconds": round(phase.seconds, 3), "requests_per_second": round(len(ordered) / phase.seconds, 1),
            **ms, "mean_ms": round(statistics.fmean(ordered) * 1000, 2), "max_ms": round(ordered[-1] * 1000, 2)}


# ---------------------------------------------------------------------------------------------- server


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def server_environment(workdir: Path) -> dict[str, str]:
    """This environment without any MESA_* of its own, pointed at the benchmark's database."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MESA_")}
    env.update(MESA_DATABASE_URL=database_url(workdir), MESA_INSTANCE_PATH=str(workdir / "instance"),
               MESA_SECURE_COOKIES="0", MESA_SECRET_KEY=os.urandom(24).hex())
    return env


def wait_until_up(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll the public OpenAPI document until it answers 200 (bounded)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"serve terminó con código {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/api/v1/openapi.json", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise BenchmarkError(f"serve no respondió en {START_TIMEOUT:g} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server, waiting at most STOP_TIMEOUT before killing it."""
    stop_server(process, STOP_TIMEOUT)


@contextmanager
def serving(workdir: Path, workers: int) -> Iterator[int]:
    """Run `mesa-ayuda serve` on a free port of 127.0.0.1 until it answers; yields the port; always stopped."""
    port, log = free_port(), workdir / "serve.log"
    command = [str(MESA), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers), "--no-scheduler"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=server_environment(workdir), stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_up(port, process, log)
        yield port
    finally:
        stop(process)


# ---------------------------------------------------------------------------------------------- SQL probe


@dataclass
class StatementLog:
    """SQL statements executed on some engines while active (SQLAlchemy before_cursor_execute)."""

    statements: list[tuple[str, Any]] = field(default_factory=list)

    def record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        """The event listener."""
        self.statements.append((statement, parameters))

    def selects(self) -> list[tuple[str, Any]]:
        """Only the SELECT statements."""
        return [s for s in self.statements if s[0].lstrip().upper().startswith("SELECT")]


@contextmanager
def statements_on(engines: Sequence[Engine]) -> Iterator[StatementLog]:
    """Log every statement the engines execute inside the block."""
    log = StatementLog()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", log.record)
    try:
        yield log
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", log.record)


def engines_of(ctx: ServiceContext) -> list[Engine]:
    """The read and write engines of the services' database (once each)."""
    return list({id(e): e for e in (ctx.db.read_engine, ctx.db.write_engine)}.values())


def query_plan(ctx: ServiceContext, statement: str, parameters: Any) -> list[str]:
    """EXPLAIN QUERY PLAN of a captured SQLite statement (its detail column)."""
    with ctx.db.read_engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return [str(row[3]) for row in rows]


def probe_listing(ctx: ServiceContext, listing: Listing, token: str) -> dict[str, Any]:
    """Statements and workflow restores of one listing (service call and whole API request), its SQL plan
    and its in-process time (median of PROBE_CALLS service calls)."""
    actor, filters = get_actor(ctx, listing.user), TaskFilter(limit=PAGE, sort=listing.sort)
    client = create_app({"TESTING": True, "SECRET_KEY": "bench", "MESA_CONTEXT": ctx}).test_client()
    with mock.patch.object(runtime, "loads", wraps=runtime.loads) as loads:
        with statements_on(engines_of(ctx)) as service_log:
            listed = tasks.list_tasks(ctx, actor, listing.scope, filters)
        with statements_on(engines_of(ctx)) as api_log:
            response = client.get(listing.path, headers={"Authorization": f"Bearer {token}"})
    if response.status_code != 200:
        raise BenchmarkError(f"{listing.name}: la API respondió {response.status_code} en proceso")
    durations = []
    for _ in range(PROBE_CALLS):
        started = time.perf_counter()
        tasks.list_tasks(ctx, actor, listing.scope, filters)
        durations.append(time.perf_counter() - started)
    statement, parameters = service_log.selects()[-1]
    return {"rows": len(listed), "service_statements": len(service_log.statements),
            "service_selects": len(service_log.selects()), "api_request_statements": len(api_log.statements),
            "workflow_loads": loads.call_count, "in_process_p50_ms": round(statistics.median(durations) * 1000, 2),
            "selects_workflow_json": "cases.workflow_json" in statement,
            "query_plan": query_plan(ctx, statement, parameters)}


def database_bytes(ctx: ServiceContext) -> int:
    """Size of the SQLite file and its WAL."""
    path = Path(str(ctx.db.write_engine.url.database))
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def probe(ctx: ServiceContext, tokens: dict[str, str]) -> dict[str, Any]:
    """Every listing probed at the database's current size."""
    with ctx.db.read() as session:
        open_cases = int(session.scalar(select(func.count()).select_from(Case).where(Case.is_open.is_(True))) or 0)
        workflow_bytes = float(session.scalar(select(func.avg(func.length(Case.workflow_json)))) or 0)
    return {"open_cases": open_cases, "avg_workflow_json_bytes": round(workflow_bytes),
            "database_bytes": database_bytes(ctx),
            **{listing.name: probe_listing(ctx, listing, tokens[listing.user]) for listing in LISTINGS}}


# ---------------------------------------------------------------------------------------------- the run


@dataclass
class Run:
    """One benchmark run: its options, its services over the seeded file, and what it found."""

    args: argparse.Namespace
    workdir: Path
    ctx: ServiceContext
    tokens: dict[str, str]
    seeding: list[SeedFigures] = field(default_factory=list)
    probes: dict[str, Any] = field(default_factory=dict)
    operations: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)

    def seed(self, first: int, count: int) -> None:
        """Seed more cases, reporting progress."""
        if count > 0:
            progress(f"sembrando casos {first + 1}..{first + count}")
            self.seeding.append(seed_cases(self.ctx, first, count, lambda done: progress(f"  {first + done} casos")))

    def open_tasks(self, element_id: str | None = None) -> int:
        """Open inbox rows (of one element)."""
        query = select(func.count()).select_from(InboxTask).where(InboxTask.completed_at.is_(None))
        if element_id is not None:
            query = query.where(InboxTask.element_id == element_id)
        with self.ctx.db.read() as session:
            return int(session.scalar(query) or 0)


def progress(message: str) -> None:
    """A line on stderr."""
    print(f"[bench-http] {message}", file=sys.stderr, flush=True)


def listing_requests(run: Run, listing: Listing, count: int) -> list[Request]:
    """The same listing request, count times."""
    return [Request("GET", listing.path, run.tokens[listing.user])] * count


def review_task_ids(run: Run, port: int, needed: int) -> list[str]:
    """Ids of ready review tasks, fetched through the API before timing (oldest first)."""
    ids: list[str] = []
    while len(ids) < needed:
        query = urlencode({"scope": "groups", "text": REVIEW_NAME, "sort": "created", "limit": FETCH_PAGE,
                           "offset": len(ids)})
        sample = send(port, Request("GET", f"/api/v1/tasks?{query}", run.tokens["nivel1"]))
        page = json.loads(sample.body) if sample.ok else None
        if not page:
            raise BenchmarkError(f"solo hay {len(ids)} tareas de revisión; se necesitan {needed} ({sample.status})")
        ids += [task["id"] for task in page if task["element_id"] == REVIEW]
    return ids[:needed]


def completion_requests(run: Run, task_ids: Sequence[str]) -> list[Request]:
    """Complete each review task as nivel1 with the demo review data."""
    body = json.dumps({"data": COMPLETE_REVIEW}).encode()
    return [Request("POST", f"/api/v1/tasks/{task_id}/complete", run.tokens["nivel1"], body) for task_id in task_ids]


def measured(run: Run, port: int, name: str, requests: list[Request],
             check: Callable[[Sequence[Sample]], bool]) -> None:
    """Warm up (untimed), then time the rest of the requests; verify every answer afterwards."""
    warmup = run.args.warmup
    progress(f"{name}: {warmup} de calentamiento + {len(requests) - warmup} medidas, "
             f"concurrencia {run.args.concurrency}")
    warm = load(port, requests[:warmup], run.args.concurrency)
    timed = load(port, requests[warmup:], run.args.concurrency)
    run.operations[name] = summarise(timed)
    run.checks[f"{name}: all 2xx (warm-up included)"] = all(s.ok for s in warm.samples + timed.samples)
    run.checks[f"{name}: answers as expected"] = check(warm.samples + timed.samples)


def full_pages(expected: int, *, with_ans: bool = False) -> Callable[[Sequence[Sample]], bool]:
    """Every listing answer is a JSON array of the expected length (and, by ANS, each task has its clock)."""
    def full(sample: Sample) -> bool:
        page = json.loads(sample.body) if sample.ok else []
        return len(page) == expected and (not with_ans or all(task["ans"] is not None for task in page))

    def check(samples: Sequence[Sample]) -> bool:
        return all(full(s) for s in samples)
    return check


def advanced_to_escalation(samples: Sequence[Sample]) -> bool:
    """Every completion answered the case waiting in 'Escalar a nivel 2' (and no longer in the review)."""
    def advanced(sample: Sample) -> bool:
        if not sample.ok:
            return False
        case = json.loads(sample.body)
        return case["open"] and [t["element_id"] for t in case["ready_tasks"]] == [ESCALATE]
    return all(advanced(s) for s in samples)


def completed_in_database(run: Run, task_ids: Sequence[str]) -> bool:
    """The completed review rows are closed by nivel1, and each of their cases has an open escalation row."""
    with run.ctx.db.read() as session:
        rows = list(session.scalars(select(InboxTask).where(InboxTask.id.in_(task_ids))))
        case_ids = {row.case_id for row in rows}
        escalations = session.scalar(select(func.count()).select_from(InboxTask).where(
            InboxTask.case_id.in_(case_ids), InboxTask.element_id == ESCALATE, InboxTask.completed_at.is_(None)))
    closed = all(r.outcome == "completed" and r.completed_by == "nivel1" and r.completed_at for r in rows)
    return len(rows) == len(task_ids) and closed and escalations == len(case_ids) == len(task_ids)


def bench_listings(run: Run, port: int) -> None:
    """Both inbox listings."""
    groups_open = run.open_tasks(REVIEW) + run.open_tasks(ESCALATE)
    expected = {"groups": min(PAGE, groups_open), "all": min(PAGE, run.open_tasks())}
    for listing in LISTINGS:
        requests = listing_requests(run, listing, run.args.warmup + run.args.requests)
        measured(run, port, listing.name, requests, full_pages(expected[listing.scope], with_ans=listing.sort == "ans"))


def bench_completion(run: Run, port: int) -> None:
    """Complete distinct review tasks, then check the database saw each of them advance."""
    before = run.open_tasks(REVIEW)
    task_ids = review_task_ids(run, port, run.args.warmup + run.args.requests)
    measured(run, port, COMPLETION, completion_requests(run, task_ids), advanced_to_escalation)
    run.checks[f"{COMPLETION}: tasks closed and cases advanced in the database"] = completed_in_database(
        run, task_ids)
    run.checks[f"{COMPLETION}: open review tasks fell by the completions"] = (
        run.open_tasks(REVIEW) == before - len(task_ids))


def prepare(run: Run) -> None:
    """Seed the small size, probe, seed the rest, probe again."""
    small = min(SMALL_SIZE, run.args.cases)
    run.seed(0, small)
    run.probes[f"{small}_cases"] = probe(run.ctx, run.tokens)
    run.seed(small, run.args.cases - small)
    if run.args.cases > small:
        run.probes[f"{run.args.cases}_cases"] = probe(run.ctx, run.tokens)
    sizes = list(run.probes.values())
    run.checks["listing loads no workflow (in process)"] = all(
        p[listing.name]["workflow_loads"] == 0 for p in sizes for listing in LISTINGS)


def execute(run: Run) -> None:
    """Seed and probe, then serve and load."""
    prepare(run)
    progress(f"iniciando gunicorn ({run.args.workers} procesos) en {HOST}")
    with serving(run.workdir, run.args.workers) as port:
        bench_listings(run, port)
        bench_completion(run, port)


# ---------------------------------------------------------------------------------------------- report


def environment(args: argparse.Namespace, load_before: Sequence[float]) -> dict[str, Any]:
    """Where the numbers come from (load averages: other work on the machine skews every figure)."""
    return {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "sqlalchemy": sqlalchemy.__version__, "gunicorn": gunicorn.__version__,
            "cpu_count": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)), "platform": platform.platform(),
            "server": {"workers": args.workers, "worker_class": "gthread", "threads_per_worker": ServeOptions().threads,
                       "scheduler": False, "database": "SQLite file (WAL, synchronous=NORMAL)"},
            "client": {"threads": args.concurrency, "connection": "one per request (Connection: close)",
                       "same_machine": True},
            "loadavg_1_5_15_at_start": [round(x, 2) for x in load_before],
            "loadavg_1_5_15_at_end": [round(x, 2) for x in os.getloadavg()],
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


METHOD = {
    "seeding": "engine.services.cases.start.start_case as 'solicitante' per case (varied subject/application/type/"
               "channel), then complete_task as 'nivel1' for 2 in 10 (complete review) and 1 in 10 (incomplete)",
    "listing": f"GET /api/v1/tasks?scope=...&limit={PAGE}; the same request repeated",
    "completion": "POST /api/v1/tasks/{id}/complete {data: COMPLETE_REVIEW} on distinct ready review tasks, "
                  "ids fetched through the API before timing",
    "latency": "per request, from connect to last byte read, client side; percentiles by nearest rank",
    "requests_per_second": "timed requests / wall time of the phase (warm-up excluded)",
    "verification": "untimed, after each phase: status, page length, case advanced (answer and database)",
    "sql_probe": "in process, before the server starts: statements counted with before_cursor_execute on the "
                 "read and write engines (BEGIN included); workflow restores counted by wrapping runtime.loads",
}


def report(run: Run, wall: float, load_before: Sequence[float]) -> dict[str, Any]:
    """The JSON document."""
    return {"benchmark": "HTTP under gunicorn: inbox listing and task completion", "cases": run.args.cases,
            "requests_per_operation": run.args.requests, "warmup_per_operation": run.args.warmup,
            "verified": all(run.checks.values()), "checks": run.checks,
            "operations": run.operations, "seeding": combined(run.seeding).as_json() if run.seeding else None,
            "sql_probe": run.probes, "method": METHOD, "environment": environment(run.args, load_before),
            "wall_seconds": round(wall, 1)}


def review_capacity(cases: int) -> int:
    """How many review tasks a seed of this size leaves ready."""
    return sum(stage_of(index) == "review" for index in range(cases))


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000, help="open cases seeded before serving")
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per operation")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per operation before timing")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args(argv)
    if min(args.cases, args.requests, args.concurrency, args.workers) < 1 or args.warmup < 0:
        parser.error("--cases, --requests, --concurrency y --workers deben ser >= 1; --warmup >= 0")
    if args.requests + args.warmup > review_capacity(args.cases):
        parser.error(f"{args.cases} casos dejan {review_capacity(args.cases)} tareas de revisión: no alcanzan "
                     f"para {args.requests} + {args.warmup} finalizaciones")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Seed, probe, serve, load, verify; print the report."""
    args = _arguments(argv)
    started, load_before = time.perf_counter(), os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="mesa-bench-http-") as tmp:
        workdir = Path(tmp)
        ctx = open_context(workdir)
        run = Run(args, workdir, ctx, {user: issue_token(ctx, user) for user in ("nivel1", "auditor")})
        try:
            execute(run)
        finally:
            ctx.db.dispose()
    document = report(run, time.perf_counter() - started, load_before)
    print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0 if document["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
