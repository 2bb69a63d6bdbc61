"""A case and a spec stored by SpiffWorkflow 3.2.0 before stored state carried a format keep working; state in a
format this installation does not know is refused by name, through services, API and CLI, and nothing changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.db.models import Case, Deployment, InboxTask
from engine.replay.service import replay_case
from engine.services.audit.chains import verify_chains
from engine.services.cases.queries import case_diagram, task_detail
from engine.services.cases.start import complete_task, get_case
from engine.services.context import ServiceContext
from engine.services.errors import StoredStateError
from engine.services.people.users import get_actor, issue_token
from engine.services.processes import migration
from engine.workflow.stored import CURRENT_FORMAT, instance_stamp
from tests.changes import deploy_main
from tests.golden import install
from tests.helpers import ACCEPT, LEVEL2, SOLVE_AT_LEVEL2, VALIDATE, Walker
from web import create_app
from web.cli import main

UNKNOWN_FORMAT = '{"mesa_format": 99, "spiff_version": "9.0.0", '


def _golden(ctx: ServiceContext) -> int:
    with ctx.db.write() as session:
        return install(session)


def _tamper(ctx: ServiceContext, case_id: int, *, instance: bool = False, spec: bool = False) -> None:
    """Make the stored case (or its deployment's spec) look written by a future installation."""
    with ctx.db.write() as session:
        case = session.get(Case, case_id)
        assert case is not None
        if instance:
            case.workflow_json = UNKNOWN_FORMAT + case.workflow_json[1:]
        if spec:
            deployment = session.get(Deployment, case.deployment_id)
            assert deployment is not None
            deployment.spec_json = UNKNOWN_FORMAT + deployment.spec_json[1:]


def _snapshot(ctx: ServiceContext, case_id: int) -> tuple[object, ...]:
    with ctx.db.read() as session:
        case = session.get(Case, case_id)
        assert case is not None
        open_rows = session.scalars(select(InboxTask.id).where(InboxTask.case_id == case_id,
                                                               InboxTask.completed_at.is_(None))).all()
        return case.version, case.workflow_json, case.data_json, case.state, case.audit_seq, tuple(open_rows)


def _open_task(ctx: ServiceContext, case_id: int) -> str:
    return get_case(ctx, get_actor(ctx, "auditor"), case_id).ready_tasks[0].id


def test_a_golden_3_2_0_case_continues_to_its_end(ctx: ServiceContext) -> None:
    case_id = _golden(ctx)
    walk = Walker(ctx)
    walk.case = get_case(ctx, get_actor(ctx, "auditor"), case_id)
    assert (walk.case.state, walk.waiting_on()) == ("asignado a nivel 2", [LEVEL2])
    assert task_detail(ctx, get_actor(ctx, "nivel2"), walk.task().id).form.form_id == "analizar_solucionar"
    case = walk.complete("nivel2", SOLVE_AT_LEVEL2, LEVEL2)  # checks a reload after the step changes nothing
    assert (case.state, walk.waiting_on()) == ("solucionado", [VALIDATE])
    with ctx.db.read() as session:
        stored = session.get(Case, case_id)
        assert stored is not None and instance_stamp(stored.workflow_json).format == CURRENT_FORMAT
    case = walk.complete("solicitante", ACCEPT, VALIDATE)
    assert (case.state, case.is_open, case.ticket) == ("cerrado", False, "TI-2026-000001")
    assert verify_chains(ctx, case_id) == (1, [])
    report = replay_case(ctx, get_actor(ctx, "auditor"), case_id)
    assert (report.chain_ok, report.replay_ok, report.problems) == (True, True, []), report.problems


def test_an_instance_in_an_unknown_format_is_refused_naming_the_case(ctx: ServiceContext) -> None:
    case_id = _golden(ctx)
    task_id = _open_task(ctx, case_id)
    _tamper(ctx, case_id, instance=True)
    before = _snapshot(ctx, case_id)
    with pytest.raises(StoredStateError, match=rf"^el caso {case_id} se guardó en un formato .*formato 99"):
        complete_task(ctx, get_actor(ctx, "nivel2"), task_id, SOLVE_AT_LEVEL2)
    with pytest.raises(StoredStateError, match=rf"^el caso {case_id} "):
        task_detail(ctx, get_actor(ctx, "nivel2"), task_id)
    with pytest.raises(StoredStateError, match=rf"^el caso {case_id} "):
        case_diagram(ctx, get_actor(ctx, "auditor"), case_id)
    assert _snapshot(ctx, case_id) == before


def test_a_spec_in_an_unknown_format_is_refused_naming_the_case_and_the_deployment(ctx: ServiceContext) -> None:
    case_id = _golden(ctx)
    _tamper(ctx, case_id, spec=True)  # before anything parses (and caches) the deployment
    with ctx.db.read() as session:
        deployment_id = session.scalars(select(Case.deployment_id)).one()
    task_id = _open_task(ctx, case_id)
    before = _snapshot(ctx, case_id)
    expected = rf"^el caso {case_id} no se puede cargar: el despliegue {deployment_id} \(mesa_de_ayuda versión 1\) "
    with pytest.raises(StoredStateError, match=expected + ".*formato 99"):
        complete_task(ctx, get_actor(ctx, "nivel2"), task_id, SOLVE_AT_LEVEL2)
    assert _snapshot(ctx, case_id) == before


def test_a_migration_dry_run_lists_an_unreadable_case_as_blocked(ctx: ServiceContext) -> None:
    case_id = _golden(ctx)
    assert deploy_main(ctx, lambda text: text) == 2
    _tamper(ctx, case_id, instance=True)
    [item] = migration.dry_run(ctx, get_actor(ctx, "dueno"), "mesa_de_ayuda", 1, 2)
    assert (item.case_id, item.status) == (case_id, "blocked")
    assert item.reasons[0].startswith(f"el caso {case_id} se guardó en un formato")


def test_the_api_answers_the_refusal_as_a_clear_error(ctx: ServiceContext) -> None:
    case_id = _golden(ctx)
    task_id = _open_task(ctx, case_id)
    _tamper(ctx, case_id, instance=True)
    client = create_app({"TESTING": True, "SECRET_KEY": "x", "MESA_CONTEXT": ctx}).test_client()
    headers = {"Authorization": f"Bearer {issue_token(ctx, 'nivel2')}"}
    for response in (client.get(f"/api/v1/tasks/{task_id}", headers=headers),
                     client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": SOLVE_AT_LEVEL2},
                                 headers=headers)):
        body = response.get_json()
        assert response.status_code == 422, body
        assert body["error"].startswith(f"El caso {case_id} se guardó en un formato"), body
        assert "Traceback" not in body["error"] and "administrador" in body["error"]


def test_the_cli_exits_non_zero_naming_the_case(sqlite_ctx: ServiceContext, tmp_path: Path) -> None:
    case_id = _golden(sqlite_ctx)
    task_id = _open_task(sqlite_ctx, case_id)
    _tamper(sqlite_ctx, case_id, instance=True)
    runner = CliRunner(env={"MESA_INSTANCE_PATH": str(tmp_path / "instance"), "MESA_DATABASE_URL": sqlite_ctx.db.url})
    result = runner.invoke(main, ["tareas", "completar", task_id, "--como", "nivel2",
                                  "--datos", json.dumps(SOLVE_AT_LEVEL2)])
    assert result.exit_code == 1, result.output
    assert f"el caso {case_id} se guardó en un formato" in result.stderr
