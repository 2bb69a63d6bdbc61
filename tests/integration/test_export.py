"""The event-log export (XES and CSV) over every path of the process, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import event, select

from engine.clock import FixedClock
from engine.db.models import CaseEvent
from engine.services.audit.export import export_log, write_log
from engine.services.audit.log import ACTIVITY_KINDS, LogFilter, LogReader
from engine.services.context import ServiceContext
from engine.services.errors import ForbiddenError
from engine.services.people.users import get_actor
from tests.conftest import FIXTURES, T0
from tests.helpers import Walker
from tests.integration.export_paths import (
    HAPPY_ACTIVITIES,
    LANES,
    NO_ANSWER_ACTIVITIES,
    REVIEW_V2,
    Seeded,
    seed_every_path,
)
from web.cli import main

SCHEMA = etree.XMLSchema(etree.parse(str(FIXTURES / "xes" / "xes.xsd")))
BOGOTA_OFFSET = timedelta(hours=-5)
Event = dict[str, str]


@pytest.fixture
def seeded(ctx: ServiceContext, clock: FixedClock) -> Seeded:
    """One case per path of the process (on each database kind)."""
    return seed_every_path(ctx, clock)


def xes(ctx: ServiceContext, log_filter: LogFilter | None = None, user: str = "auditor") -> etree._Element:
    """The exported XES, checked against the IEEE 1849-2016 schema."""
    document = etree.fromstring(b"".join(export_log(ctx, get_actor(ctx, user), log_filter or LogFilter(), "xes")))
    SCHEMA.assertValid(document)
    return document


def attributes(element: etree._Element) -> dict[str, str]:
    """The XES attributes directly under an element, by key."""
    return {child.get("key"): child.get("value") for child in element if child.get("key")}


def traces(document: etree._Element) -> dict[str, list[Event]]:
    """Events of each trace by the trace's concept:name."""
    return {attributes(trace)["concept:name"]: [attributes(e) for e in trace.iter("event")]
            for trace in document.iter("trace")}


def case_ids(document: etree._Element) -> list[int]:
    """The case id of every trace, in order."""
    return [int(attributes(trace)["case_id"]) for trace in document.iter("trace")]


def trace_of(document: etree._Element, case_id: int) -> tuple[dict[str, str], list[Event]]:
    """One case's trace attributes and events."""
    [trace] = [t for t in document.iter("trace") if attributes(t)["case_id"] == str(case_id)]
    return attributes(trace), [attributes(e) for e in trace.iter("event")]


def test_every_path_exports_a_valid_trace_per_case_in_audit_order(ctx: ServiceContext, seeded: Seeded) -> None:
    document = xes(ctx)
    assert document.tag == "log" and document.get("xes.version") == "1849.2016"
    assert case_ids(document) == sorted(seeded.ids.values())
    with ctx.db.read() as session:
        audit = {(row.case_id, row.seq) for row in session.execute(
            select(CaseEvent.case_id, CaseEvent.seq).where(CaseEvent.kind.in_(ACTIVITY_KINDS)))}
    exported = set()
    for trace in document.iter("trace"):
        info, events = attributes(trace), [attributes(e) for e in trace.iter("event")]
        assert info["concept:name"] == info.get("ticket", f"caso-{info['case_id']}")
        seqs = [int(e["event_seq"]) for e in events]
        assert seqs == sorted(seqs) and events[0]["concept:name"] == "Incidencia o solicitud reportada"
        for e in events:
            assert datetime.fromisoformat(e["time:timestamp"]).utcoffset() == BOGOTA_OFFSET
            assert e["lifecycle:transition"] == "complete" and e["org:resource"] and e["org:group"] in LANES
            exported.add((int(info["case_id"]), int(e["event_seq"])))
    assert exported == audit  # every activity of the audit chain, nothing else


def test_traces_carry_the_case_and_its_activities(ctx: ServiceContext, seeded: Seeded) -> None:
    document = xes(ctx)
    info, events = trace_of(document, seeded.ids["feliz"])
    assert (info["help_desk"], info["process_id"], info["process_version"], info["state"]) == (
        "ti", "mesa_de_ayuda", "1", "cerrado")
    assert info["requester"] == "solicitante" and info["created_at"] == "2026-12-01T09:00:00.000-05:00"
    assert [e["concept:name"] for e in events] == HAPPY_ACTIVITIES
    assert [(e["org:resource"], e["org:group"]) for e in events][:3] == [
        ("solicitante", "Usuario"), ("nivel1", "Nivel 1"), ("sistema", "Nivel 1")]
    assert events[1]["concept:instance"] and "concept:instance" not in events[2]  # user tasks only
    info, events = trace_of(document, seeded.ids["sin_respuesta"])
    assert info["concept:name"] == f"caso-{seeded.ids['sin_respuesta']}" and "ticket" not in info
    assert info["state"] == "cerrado por falta de información"
    assert [e["concept:name"] for e in events] == NO_ANSWER_ACTIVITIES
    reminder = events[3]
    assert (reminder["org:resource"], reminder["time:timestamp"]) == ("sistema", "2026-12-04T09:00:00.000-05:00")
    _, events = trace_of(document, seeded.ids["version2"])
    assert events[1]["concept:name"] == REVIEW_V2  # names come from the case's own version


def test_the_log_declares_the_standard_extensions_globals_and_classifiers(ctx: ServiceContext) -> None:
    document = xes(ctx)
    extensions = {e.get("prefix"): e.get("uri") for e in document.iter("extension")}
    assert extensions == {p: f"http://www.xes-standard.org/{p}.xesext" for p in ("concept", "lifecycle", "org", "time")}
    scopes = {g.get("scope"): set(attributes(g)) for g in document.iter("global")}
    assert scopes == {"trace": {"concept:name"},
                      "event": {"concept:name", "lifecycle:transition", "time:timestamp", "org:resource"}}
    keys = {c.get("name"): c.get("keys") for c in document.iter("classifier")}
    assert keys["Actividad"] == "concept:name" and all(set(k.split()) <= scopes["event"] for k in keys.values())
    assert attributes(document)["lifecycle:model"] == "standard"
    assert list(document.iter("trace")) == []  # an empty database gives a valid, empty log


def test_all_transitions_add_assignments_of_the_same_task_instance(ctx: ServiceContext, seeded: Seeded) -> None:
    _, events = trace_of(xes(ctx, LogFilter(transitions="all")), seeded.ids["feliz"])
    level2 = [e for e in events if e["concept:name"] == "Analizar y solucionar"]
    assert [(e["lifecycle:transition"], e["org:resource"]) for e in level2] == [
        ("assign", "nivel2"), ("reassign", "admin"), ("reassign", "nivel2"), ("complete", "nivel2")]
    assert len({e["concept:instance"] for e in level2}) == 1
    escalate = [e["lifecycle:transition"] for e in events if e["concept:name"] == "Escalar a nivel 2"]
    assert escalate == ["assign", "complete"]


def test_the_csv_has_the_same_events_as_the_xes(ctx: ServiceContext, seeded: Seeded) -> None:
    auditor = get_actor(ctx, "auditor")
    rows = list(csv.DictReader(io.StringIO(b"".join(export_log(ctx, auditor, LogFilter(), "csv")).decode())))
    assert list(rows[0]) == ["case_id", "ticket", "activity", "lifecycle", "timestamp", "resource", "group",
                             "help_desk", "process_id", "process_version", "event_seq"]
    from_csv = [(r["case_id"], r["activity"], r["lifecycle"], r["timestamp"], r["resource"], r["group"],
                 r["event_seq"]) for r in rows]
    from_xes = [(attributes(t)["case_id"], e["concept:name"], e["lifecycle:transition"], e["time:timestamp"],
                 e["org:resource"], e["org:group"], e["event_seq"])
                for t in xes(ctx).iter("trace") for e in map(attributes, t.iter("event"))]
    assert from_csv == from_xes
    assert {r["help_desk"] for r in rows} == {"ti", "rrhh"}
    assert {r["process_version"] for r in rows} == {"1", "2"}


FILTERED = [
    (LogFilter(help_desk="rrhh"), ["otra_mesa"]),
    (LogFilter(help_desk="ti", process_id="mesa_de_ayuda", version=2), ["version2"]),
    (LogFilter(version=1, created_from=T0 + timedelta(days=12)), ["abierto", "otra_mesa"]),
    (LogFilter(created_to=T0 + timedelta(days=1)), ["feliz", "nivel3", "rechazo"]),
    (LogFilter(created_from=T0 + timedelta(days=1), created_to=T0 + timedelta(days=2)),
     ["informacion", "sin_respuesta", "sin_validacion"]),
    (LogFilter(help_desk="ninguna"), []),
    (LogFilter(process_id="otro_proceso"), []),
]


def test_filters_select_cases_by_help_desk_creation_period_and_version(ctx: ServiceContext, seeded: Seeded) -> None:
    for log_filter, expected in FILTERED:  # one seeding for every filter: each path takes a dozen steps
        assert case_ids(xes(ctx, log_filter)) == sorted(seeded.ids[name] for name in expected), log_filter


def test_a_filtered_trace_is_exported_whole(ctx: ServiceContext, seeded: Seeded) -> None:
    # Created on day 1, closed by its deadline on day 8: the period selects the case, not its events.
    document = xes(ctx, LogFilter(created_to=T0 + timedelta(days=2), help_desk="ti"))
    _, events = trace_of(document, seeded.ids["sin_validacion"])
    assert events[-1]["concept:name"] == "Cerrar caso automáticamente"


@pytest.mark.parametrize("user", ["nivel1", "solicitante"])
def test_only_auditors_owners_and_administrators_export(sqlite_ctx: ServiceContext, user: str) -> None:
    with pytest.raises(ForbiddenError):
        export_log(sqlite_ctx, get_actor(sqlite_ctx, user), LogFilter(), "xes")
    for allowed in ("auditor", "dueno", "admin"):
        xes(sqlite_ctx, user=allowed)


def _count_case_queries(ctx: ServiceContext) -> list[str]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM cases" in statement:
            statements.append(statement)

    event.listen(ctx.db.read_engine, "before_cursor_execute", record)
    return statements


def test_the_writer_reads_cases_a_batch_at_a_time(sqlite_ctx: ServiceContext) -> None:
    for _ in range(5):
        Walker(sqlite_ctx).start()
    queries = _count_case_queries(sqlite_ctx)
    chunks: Iterator[bytes] = export_log(sqlite_ctx, get_actor(sqlite_ctx, "auditor"), LogFilter(), "xes",
                                         batch_size=2)
    assert queries == []  # nothing is read until the first chunk is asked for
    first = next(chunks)
    assert len(queries) == 1 and first.count(b"<trace>") == 1  # one batch of 2 cases read, one trace written
    rest = b"".join(chunks)
    assert len(queries) == 3 and (first + rest).count(b"<trace>") == 5  # batches of 2, 2 and 1
    SCHEMA.assertValid(etree.fromstring(first + rest))


def test_write_log_keeps_no_half_written_file(sqlite_ctx: ServiceContext, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    Walker(sqlite_ctx).start()

    def broken(self: object) -> Iterator[object]:
        raise RuntimeError("la base de datos se fue")
        yield

    monkeypatch.setattr(LogReader, "traces", broken)
    with pytest.raises(RuntimeError):
        write_log(sqlite_ctx, get_actor(sqlite_ctx, "auditor"), LogFilter(), "xes", tmp_path / "log.xes")
    assert list(tmp_path.glob("*log.xes*")) == []


def test_the_cli_writes_xes_and_csv_with_filters(sqlite_ctx: ServiceContext, clock: FixedClock,
                                                 tmp_path: Path) -> None:
    for day in (0, 1):
        clock.set(T0 + timedelta(days=day))
        Walker(sqlite_ctx).start()
    runner = CliRunner(env={"MESA_DATABASE_URL": sqlite_ctx.db.url,
                            "MESA_INSTANCE_PATH": str(sqlite_ctx.settings.instance_path)})
    out = tmp_path / "log.xes"
    result = runner.invoke(main, ["audit", "export", "--format", "xes", "--out", str(out), "--help-desk", "ti",
                                  "--from", "2026-12-01", "--to", "2026-12-01"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 caso(s), 1 evento(s), ")
    document = etree.parse(str(out)).getroot()
    SCHEMA.assertValid(document)
    assert case_ids(document) == [1]
    result = runner.invoke(main, ["audit", "export", "--format", "csv", "--out", str(tmp_path / "log.csv"),
                                  "--to", "2026-12-02T09:00:00-05:00", "--transitions", "all"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "log.csv").read_text("utf-8").count("\n") == 1 + 1
    bad = runner.invoke(main, ["audit", "export", "--format", "xes", "--out", str(out), "--from", "ayer"])
    assert bad.exit_code == 2 and "--from" in bad.output


def test_instants_are_utc_underneath(ctx: ServiceContext, seeded: Seeded) -> None:
    _, events = trace_of(xes(ctx), seeded.ids["feliz"])
    assert datetime.fromisoformat(events[0]["time:timestamp"]).astimezone(UTC) == T0
