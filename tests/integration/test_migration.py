"""Migrating running cases between deployed versions (issue 4): dry run, bulk apply, timers, blocked cases."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.clock import FixedClock
from engine.db.models import Case, CaseEvent, InboxTask
from engine.replay.service import case_at, replay_all, replay_case
from engine.services.audit.chains import verify_chains
from engine.services.cases.timers import fire_due_timers
from engine.services.context import ServiceContext
from engine.services.errors import ForbiddenError
from engine.services.people.users import get_actor
from engine.services.processes import migration
from engine.workflow import migration as wf_migration
from engine.workflow import runtime
from engine.workflow.script_engine import SafeScriptEngine
from tests.changes import REVIEW_V2, deploy_main, escalate_removed, rechain, renamed_review
from tests.conftest import T0
from tests.helpers import (
    ACCEPT,
    COMPLETE_INFO,
    COMPLETE_REVIEW,
    ESCALATE,
    ESCALATE_TO_LEVEL3,
    INCOMPLETE_REVIEW,
    LEVEL2,
    LEVEL3,
    REVIEW,
    SOLVE_AT_LEVEL2,
    SOLVE_AT_LEVEL3,
    VALIDATE,
    Walker,
    walk_to_level2,
    walk_to_ticket,
    walk_to_validation,
)
from web.cli import main

PROCESS = "mesa_de_ayuda"


def _at_review(ctx: ServiceContext) -> Walker:
    walk = Walker(ctx)
    walk.start()
    return walk


def _at_complete_info(ctx: ServiceContext) -> Walker:
    walk = _at_review(ctx)
    walk.complete("nivel1", INCOMPLETE_REVIEW, REVIEW)
    return walk


def _at_level3(ctx: ServiceContext) -> Walker:
    walk = walk_to_level2(ctx)
    walk.complete("nivel2", ESCALATE_TO_LEVEL3, LEVEL2)
    return walk


# Element a case waits at → how to get a case there.
WAITING_AT: dict[str, Callable[[ServiceContext], Walker]] = {
    REVIEW: _at_review, COMPLETE_INFO: _at_complete_info, ESCALATE: walk_to_ticket, LEVEL2: walk_to_level2,
    LEVEL3: _at_level3, VALIDATE: walk_to_validation,
}


def _finish(ctx: ServiceContext, walk: Walker) -> None:
    """Complete whatever the case waits for until it closes (the happy continuation from any user task)."""
    steps: dict[str, tuple[str, Callable[[Walker], dict[str, Any]]]] = {
        REVIEW: ("nivel1", lambda w: dict(COMPLETE_REVIEW)),
        COMPLETE_INFO: ("solicitante", lambda w: {"informacion_adicional": "Adjunto el pantallazo"}),
        ESCALATE: ("nivel1", lambda w: {"grupo_nivel2": w.case.data["grupo_nivel2"]} if w.case else {}),
        LEVEL2: ("nivel2", lambda w: dict(SOLVE_AT_LEVEL2)),
        LEVEL3: ("nivel3", lambda w: dict(SOLVE_AT_LEVEL3)),
        VALIDATE: ("solicitante", lambda w: dict(ACCEPT)),
    }
    for _ in range(10):
        case = walk.refresh()
        if not case.ready_tasks:
            break
        [element] = walk.waiting_on()
        user, data = steps[element]
        walk.complete(user, data(walk), element)
    with ctx.db.read() as session:
        row = session.get(Case, walk.case.id if walk.case else 0)
        assert row is not None and not row.is_open


def _rows(ctx: ServiceContext) -> dict[int, tuple[int, str, str, Any]]:
    with ctx.db.read() as session:
        return {c.id: (c.deployment_id, c.workflow_json, c.data_json, c.next_timer_at)
                for c in session.scalars(select(Case))}


def _replay_problems(ctx: ServiceContext) -> dict[int, list[str]]:
    return {report.case_id: report.problems for report in replay_all(ctx) if not report.ok}


def _events(ctx: ServiceContext, case_id: int, kind: str) -> list[CaseEvent]:
    with ctx.db.read() as session:
        return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)))


def _walks(ctx: ServiceContext) -> dict[str, Walker]:
    return {element: make(ctx) for element, make in WAITING_AT.items()}


def test_dry_run_lists_every_waiting_case_as_ok_and_changes_nothing(ctx: ServiceContext) -> None:
    walks = _walks(ctx)
    assert deploy_main(ctx, renamed_review) == 2
    before = _rows(ctx)
    report = migration.dry_run(ctx, get_actor(ctx, "dueno"), PROCESS, 1, 2)
    assert {item.case_id: item.status for item in report} == {w.case.id: "ok" for w in walks.values() if w.case}
    assert all(item.reasons == () for item in report)
    assert _rows(ctx) == before


def test_cases_at_every_user_task_migrate_and_finish_on_the_new_version(ctx: ServiceContext) -> None:
    walks = _walks(ctx)
    deploy_main(ctx, renamed_review)
    data_before = {element: walk.refresh().data for element, walk in walks.items()}
    report = migration.apply(ctx, get_actor(ctx, "admin"), PROCESS, 1, 2)
    assert {item.status for item in report} == {"migrated"}
    for element, walk in walks.items():
        case = walk.refresh()
        assert case.process_version == 2
        assert walk.waiting_on() == [element]
        assert case.data == data_before[element]
        assert case.ready_tasks[0].name == (REVIEW_V2 if element == REVIEW else case.ready_tasks[0].name)
        [event] = _events(ctx, case.id, migration.MIGRATED)
        assert event.actor == "admin"
        assert {"from_version": 1, "to_version": 2}.items() <= json.loads(event.payload_json).items()
        assert json.loads(event.payload_json)["changes"] == {}
    assert verify_chains(ctx) == (len(walks), [])
    assert _replay_problems(ctx) == {}
    for walk in walks.values():
        _finish(ctx, walk)
    assert verify_chains(ctx)[1] == []
    assert _replay_problems(ctx) == {}


def test_open_inbox_rows_follow_the_migrated_tasks(ctx: ServiceContext) -> None:
    walk = _at_review(ctx)
    deploy_main(ctx, renamed_review)
    migration.apply(ctx, get_actor(ctx, "dueno"), PROCESS, 1, 2)
    case = walk.refresh()
    with ctx.db.read() as session:
        open_rows = list(session.scalars(select(InboxTask).where(InboxTask.case_id == case.id,
                                                                 InboxTask.completed_at.is_(None))))
    assert [(row.id, row.name) for row in open_rows] == [(case.ready_tasks[0].id, REVIEW_V2)]


@pytest.mark.parametrize("element", [COMPLETE_INFO, VALIDATE])
def test_armed_timers_keep_their_due_times(ctx: ServiceContext, clock: FixedClock, element: str) -> None:
    walk = WAITING_AT[element](ctx)
    assert walk.case is not None
    due = walk.refresh().next_timer_at
    assert due is not None
    deploy_main(ctx, renamed_review)
    clock.set(clock.now() + timedelta(hours=5))  # a reset timer would be armed from here
    [item] = migration.apply(ctx, get_actor(ctx, "dueno"), PROCESS, 1, 2)
    assert item.status == "migrated"
    assert walk.refresh().next_timer_at == due
    [event] = _events(ctx, walk.case.id, migration.MIGRATED)
    assert json.loads(event.payload_json)["timers"] and all(t["due"] for t in json.loads(event.payload_json)["timers"])
    assert fire_due_timers(ctx, due - timedelta(seconds=1)) == []
    [fired] = fire_due_timers(ctx, due)
    assert fired.case_id == walk.case.id and fired.elements
    assert verify_chains(ctx, walk.case.id)[1] == []


def test_a_case_waiting_at_a_removed_task_is_blocked_and_left_untouched(ctx: ServiceContext) -> None:
    blocked, movable = walk_to_ticket(ctx), walk_to_level2(ctx)
    assert blocked.case is not None and movable.case is not None
    deploy_main(ctx, escalate_removed)
    before = _rows(ctx)[blocked.case.id]
    owner = get_actor(ctx, "dueno")
    dry = {item.case_id: item for item in migration.dry_run(ctx, owner, PROCESS, 1, 2)}
    assert dry[blocked.case.id].status == "blocked"
    assert any(ESCALATE in reason for reason in dry[blocked.case.id].reasons)
    assert dry[movable.case.id].status == "ok"
    applied = {item.case_id: item for item in migration.apply(ctx, owner, PROCESS, 1, 2)}
    assert applied[blocked.case.id].status == "blocked"
    assert applied[blocked.case.id].reasons == dry[blocked.case.id].reasons
    assert applied[movable.case.id].status == "migrated"
    assert _rows(ctx)[blocked.case.id] == before
    assert _events(ctx, blocked.case.id, migration.MIGRATED) == []
    assert blocked.refresh().process_version == 1
    _finish(ctx, blocked)
    _finish(ctx, movable)
    assert verify_chains(ctx)[1] == []


@pytest.mark.parametrize("user", ["nivel1", "auditor", "solicitante"])
def test_only_owners_and_admins_may_migrate(ctx: ServiceContext, user: str) -> None:
    deploy_main(ctx, renamed_review)
    with pytest.raises(ForbiddenError):
        migration.dry_run(ctx, get_actor(ctx, user), PROCESS, 1, 2)
    with pytest.raises(ForbiddenError):
        migration.apply(ctx, get_actor(ctx, user), PROCESS, 1, 2)


def test_closed_cases_are_not_listed(ctx: ServiceContext) -> None:
    walk = walk_to_validation(ctx)
    _finish(ctx, walk)
    deploy_main(ctx, renamed_review)
    assert migration.dry_run(ctx, get_actor(ctx, "dueno"), PROCESS, 1, 2) == []


def test_data_on_a_ready_task_is_kept(ctx: ServiceContext) -> None:
    """SpiffWorkflow resets a READY task's data to its parent's; the migration puts it back."""
    walk = _at_review(ctx)
    assert walk.case is not None
    deploy_main(ctx, renamed_review)
    with ctx.db.read() as session:
        row = session.get(Case, walk.case.id)
        assert row is not None
        source, target = ctx.specs.get(session, row.deployment_id), ctx.specs.get(session, row.deployment_id + 1)
        workflow = runtime.loads(row.workflow_json, source.process, SafeScriptEngine())
    [task] = runtime.ready_user_tasks(workflow)
    task.data["borrador"] = "solo en la tarea lista"
    result = wf_migration.migrate(workflow, target.process, T0)
    [task] = runtime.ready_user_tasks(workflow)
    assert task.data["borrador"] == "solo en la tarea lista"
    assert result.tasks == [REVIEW]


def test_cli_dry_run_then_apply(ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mesa-ayuda migrate`: a dry run changes nothing; --apply migrates and exits 1 when a case is blocked."""
    blocked, movable = walk_to_ticket(ctx), walk_to_level2(ctx)
    assert blocked.case is not None and movable.case is not None
    deploy_main(ctx, escalate_removed)
    monkeypatch.setenv("MESA_DATABASE_URL", ctx.db.url)
    monkeypatch.setenv("MESA_INSTANCE_PATH", str(ctx.settings.instance_path))
    runner = CliRunner()
    before = _rows(ctx)
    dry = runner.invoke(main, ["migrate", PROCESS, "--from", "1", "--to", "2"], catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert f"caso {blocked.case.id} " in dry.output and "blocked" in dry.output and ESCALATE in dry.output
    assert "simulación" in dry.output
    assert _rows(ctx) == before
    applied = runner.invoke(main, ["migrate", PROCESS, "--from", "1", "--to", "2", "--apply", "--como", "dueno"],
                            catch_exceptions=False)
    assert applied.exit_code == 1, applied.output
    assert f"caso {movable.case.id} " in applied.output
    assert "1 migrado(s), 1 bloqueado(s), 0 fallido(s)" in applied.output
    assert movable.refresh().process_version == 2
    assert blocked.refresh().process_version == 1


def _review_state_renamed(text: str) -> str:
    assert text.count('value="en revisión"') == 1
    return text.replace('value="en revisión"', 'value="en revisión (v2)"')


def test_replay_and_time_travel_follow_the_case_across_its_migration(ctx: ServiceContext) -> None:
    """Replay starts on the first version, moves at the `case.migrated` step, and finishes on the second."""
    walk = _at_review(ctx)
    assert walk.case is not None
    deploy_main(ctx, _review_state_renamed)
    [item] = migration.apply(ctx, get_actor(ctx, "dueno"), PROCESS, 1, 2)
    assert item.status == "migrated"
    [event] = _events(ctx, walk.case.id, migration.MIGRATED)
    assert json.loads(event.payload_json)["state"] == {"before": "en revisión", "after": "en revisión (v2)"}
    _finish(ctx, walk)
    auditor = get_actor(ctx, "auditor")
    report = replay_case(ctx, auditor, walk.case.id)
    assert report.ok, report.problems
    kinds = [step.kind for step in report.steps]
    k = kinds.index(migration.MIGRATED) + 1
    before, after = case_at(ctx, auditor, walk.case.id, k - 1), case_at(ctx, auditor, walk.case.id, k)
    assert (before.version, before.state) == (1, "en revisión")
    assert (after.version, after.state) == (2, "en revisión (v2)")
    assert after.data == before.data and [t.element_id for t in after.ready_tasks] == [REVIEW]
    assert case_at(ctx, auditor, walk.case.id, len(report.steps)).version == 2


@pytest.mark.parametrize("edit", ["timer-due", "source-version", "state", "deleted"])
def test_replay_catches_an_edited_migration(ctx: ServiceContext, clock: FixedClock, edit: str) -> None:
    """A re-chained migration event that lies about the timers it kept, its source or the state is reported."""
    walk = WAITING_AT[COMPLETE_INFO](ctx)
    assert walk.case is not None
    deploy_main(ctx, renamed_review)
    clock.set(clock.now() + timedelta(hours=1))
    migration.apply(ctx, get_actor(ctx, "dueno"), PROCESS, 1, 2)
    expected = {"timer-due": "temporizadores conservados al migrar", "source-version": "parte del despliegue 99",
                "state": "estado registrado «pendiente de información» → «cerrado»",
                "deleted": "la reproducción terminó en el despliegue"}[edit]
    with ctx.db.write() as session:
        row = session.scalar(select(CaseEvent).where(CaseEvent.case_id == walk.case.id,
                                                     CaseEvent.kind == migration.MIGRATED))
        assert row is not None
        payload = json.loads(row.payload_json)
        if edit == "timer-due":
            payload["timers"][0]["due"] = (T0 + timedelta(days=30)).isoformat()
        elif edit == "source-version":
            payload["from_deployment"] = 99
        elif edit == "state":
            payload["state"] = {"before": "pendiente de información", "after": "cerrado"}
        row.payload_json = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        where = f"evento {row.seq}:"
        if edit == "deleted":
            session.delete(row)
            where = "final:"
        rechain(session, walk.case.id)
    report = replay_case(ctx, get_actor(ctx, "auditor"), walk.case.id)
    assert report.chain_ok and not report.replay_ok
    assert report.problems[0].startswith(where) and expected in report.problems[0], report.problems
