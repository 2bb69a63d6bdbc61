"""Replay catches what the hash chain cannot: a story re-chained after editing, or an edited projection."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.clock import FixedClock
from engine.config import Settings
from engine.db.models import Case, CaseEvent, InboxTask
from engine.db.session import Database
from engine.replay.service import case_at, replay_all, replay_case
from engine.services.context import ServiceContext
from engine.services.errors import ForbiddenError, NotFoundError, ProcessError
from engine.services.people.users import add_user, get_actor
from engine.services.views import SYSTEM
from tests.changes import rechain
from tests.conftest import T0
from tests.helpers import ACCEPT, Walker, walk_to_level2, walk_to_validation
from web.cli import main

Tamper = Callable[[Session, int], tuple[int | None, str]]


def _closed_case(ctx: ServiceContext) -> int:
    return walk_to_validation(ctx).complete("solicitante", ACCEPT, "Activity_ValidarSolucion").id


def _event(session: Session, case_id: int, kind: str, element_id: str | None = None) -> CaseEvent:
    query = select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
    if element_id:
        query = query.where(CaseEvent.element_id == element_id)
    row = session.scalar(query.order_by(CaseEvent.seq).limit(1))
    assert row is not None
    return row


def _edit(row: CaseEvent, change: Callable[[dict[str, Any]], None]) -> None:
    payload = json.loads(row.payload_json)
    change(payload)
    row.payload_json = json.dumps(payload, sort_keys=True, ensure_ascii=False)


def _submission(session: Session, case_id: int) -> tuple[int | None, str]:
    row = _event(session, case_id, "task.completed")
    _edit(row, lambda p: p["data"].update(impacto="bajo"))  # the recorded impact lowered after the fact
    rechain(session, case_id)
    return row.seq, "«impacto» registrado null → \"alto\", reproducido null → \"bajo\""


def _service_output(session: Session, case_id: int) -> tuple[int | None, str]:
    row = _event(session, case_id, "service.completed", "Activity_AsignarTicket")
    _edit(row, lambda p: p["outputs"].update(ticket="TI-2026-999999"))
    rechain(session, case_id)
    return _event(session, case_id, "task.completed").seq, "\", reproducido null → \"TI-2026-999999\""


def _missing_output(session: Session, case_id: int) -> tuple[int | None, str]:
    row = _event(session, case_id, "service.completed", "Activity_NotificarTicket")
    session.execute(delete(CaseEvent).where(CaseEvent.id == row.id))
    rechain(session, case_id)
    return 2, "Activity_NotificarTicket (tema notificar_ticket) se ejecutó sin salida registrada"


def _recorded_state(session: Session, case_id: int) -> tuple[int | None, str]:
    row = _event(session, case_id, "task.completed", "Activity_EscalarNivel2")
    _edit(row, lambda p: p["state"].update(after="cerrado"))
    rechain(session, case_id)
    return row.seq, "estado registrado «registrado» → «cerrado», reproducido «registrado» → «asignado a nivel 2»"


def _dropped_step(session: Session, case_id: int) -> tuple[int | None, str]:
    row = _event(session, case_id, "task.completed", "Activity_EscalarNivel2")
    session.execute(delete(CaseEvent).where(CaseEvent.id == row.id))
    rechain(session, case_id)
    return row.seq, "la tarea Activity_AnalizarSolucionar no está lista en la reproducción"


def _stored_data(session: Session, case_id: int) -> tuple[int | None, str]:
    case = session.get(Case, case_id)
    assert case is not None
    case.data_json = json.dumps({**json.loads(case.data_json), "prioridad": "baja"})
    return None, "final: «prioridad» guardado \"baja\", reproducido \"alta\""


def _stored_state(session: Session, case_id: int) -> tuple[int | None, str]:
    case = session.get(Case, case_id)
    assert case is not None
    case.state, case.is_open = "en revisión", True
    return None, "final: estado guardado «en revisión», reproducido «cerrado»"


def _inbox_row(session: Session, case_id: int) -> tuple[int | None, str]:
    row = session.scalar(select(InboxTask).where(InboxTask.case_id == case_id,
                                                 InboxTask.element_id == "Activity_AnalizarSolucionar"))
    assert row is not None
    row.completed_by = "nivel3"
    return None, "completada por: en la bandeja \"nivel3\", reproducido \"nivel2\""


TAMPERS: dict[str, Tamper] = {
    "submission": _submission, "service-output": _service_output, "missing-output": _missing_output,
    "recorded-state": _recorded_state, "dropped-step": _dropped_step, "stored-data": _stored_data,
    "stored-state": _stored_state, "inbox-row": _inbox_row,
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_replay_catches_a_changed_story_that_still_chains(ctx: ServiceContext, tamper: str) -> None:
    untouched, target = _closed_case(ctx), _closed_case(ctx)
    with ctx.db.write() as session:
        seq, expected = TAMPERS[tamper](session, target)
    report = replay_case(ctx, get_actor(ctx, "auditor"), target)
    assert (report.chain_ok, report.replay_ok) == (True, False)
    assert any(expected in problem for problem in report.problems), report.problems
    if seq is not None:
        assert report.problems[0].startswith(f"evento {seq}: "), report.problems
    assert [r.ok for r in replay_all(ctx)] == [True, False]
    assert replay_case(ctx, SYSTEM, untouched).problems == []


def test_a_broken_chain_is_reported_with_the_replay(ctx: ServiceContext) -> None:
    case_id = _closed_case(ctx)
    with ctx.db.write() as session:
        _edit(_event(session, case_id, "task.completed"), lambda p: p["data"].update(impacto="bajo"))
    report = replay_case(ctx, SYSTEM, case_id)
    assert (report.chain_ok, report.replay_ok) == (False, False)
    assert report.problems[0] == "cadena: evento 2: el contenido del evento fue alterado (hash distinto)"


def test_time_travel_refuses_a_story_that_does_not_replay(ctx: ServiceContext) -> None:
    case_id = _closed_case(ctx)
    with ctx.db.write() as session:
        _dropped_step(session, case_id)
    assert case_at(ctx, SYSTEM, case_id, 2).state == "registrado"  # before the gap it still replays
    with pytest.raises(ProcessError, match="no se reproduce hasta el paso 4"):
        case_at(ctx, SYSTEM, case_id, 4)


def test_who_may_replay(ctx: ServiceContext) -> None:
    case_id = walk_to_level2(ctx).refresh().id
    for user in ("auditor", "dueno", "admin", "nivel1"):
        assert replay_case(ctx, get_actor(ctx, user), case_id).ok, user
        assert case_at(ctx, get_actor(ctx, user), case_id, 1).k == 1
    with pytest.raises(ForbiddenError):
        replay_case(ctx, get_actor(ctx, "solicitante"), case_id)  # sees the case, does not audit it
    with pytest.raises(ForbiddenError):
        case_at(ctx, get_actor(ctx, "solicitante"), case_id, 0)
    outsider = add_user(ctx, "externo", "e@example.org", "agente", groups=["otra-mesa"])
    with pytest.raises(NotFoundError):
        replay_case(ctx, outsider, case_id)  # may not see it: its existence is not revealed
    with pytest.raises(NotFoundError):
        replay_case(ctx, SYSTEM, 999)


# --------------------------------------------------------------------------------------------- the CLI


class Cli:
    """`mesa-ayuda` in-process on one SQLite file, and services on the same file."""

    def __init__(self, tmp_path: Path) -> None:
        self.env = {"MESA_INSTANCE_PATH": str(tmp_path / "instance"),
                    "MESA_DATABASE_URL": f"sqlite:///{tmp_path / 'mesa.db'}"}
        self.runner = CliRunner(env=self.env)

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[tuple[Cli, ServiceContext]]:
    runner = Cli(tmp_path)
    assert runner("init", "--demo").exit_code == 0
    db = Database(runner.env["MESA_DATABASE_URL"])
    yield runner, ServiceContext(db, Settings.from_env(runner.env), FixedClock(T0))
    db.dispose()


def test_cli_audit_replay(cli: tuple[Cli, ServiceContext]) -> None:
    run, ctx = cli
    closed, started = _closed_case(ctx), Walker(ctx).start().id
    ok = run("audit", "replay", "--all")
    assert ok.exit_code == 0, ok.stderr
    assert ok.stdout == (f"caso {closed}: OK (5 pasos reproducidos)\ncaso {started}: OK (1 pasos reproducidos)\n"
                         "2 caso(s) reproducidos, 0 con problemas\n")
    with ctx.db.write() as session:
        _submission(session, closed)
    single = run("audit", "replay", str(closed))
    assert single.exit_code == 1 and f"caso {closed}: evento 2: «impacto» registrado" in single.stderr
    every = run("audit", "replay", "--all")
    assert every.exit_code == 1 and "2 caso(s) reproducidos, 1 con problemas" in every.stdout
    assert run("audit", "replay", str(started)).exit_code == 0


def test_cli_audit_replay_needs_one_case_or_all(cli: tuple[Cli, ServiceContext]) -> None:
    run, _ = cli
    assert run("audit", "replay").exit_code == 2
    assert run("audit", "replay", "1", "--all").exit_code == 2
    unknown = run("audit", "replay", "999")
    assert unknown.exit_code == 1 and "el caso 999 no existe" in unknown.stderr
    assert run("audit", "verify").exit_code == 0  # the group's other command is still there
