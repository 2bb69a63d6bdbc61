"""One step of a case inside one transaction: load, advance, project, audit, save (or nothing at all)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.db.audit import NewEvent, append_events
from engine.db.models import Case, InboxTask
from engine.expressions import ExpressionError
from engine.helpdesk.deadlines import UnknownDeadlineError, expression_functions
from engine.helpdesk.effects import EffectEnv
from engine.services.cases.caseview import case_view
from engine.services.context import DeployedProcess, ServiceContext
from engine.services.errors import ConflictError, NotFoundError, ProcessError
from engine.services.inbox.projection import sync_inbox
from engine.services.views import Actor, CaseView
from engine.workflow import runtime
from engine.workflow.script_engine import SafeScriptEngine, ServiceCall


def lock_case(session: Session, case_id: int) -> Case:
    """Load a case for change; PostgreSQL row lock (SQLite writers are already serialised)."""
    statement = select(Case).where(Case.id == case_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    case = session.scalar(statement)
    if case is None:
        raise NotFoundError(f"el caso {case_id} no existe")
    return case


class Step:
    """Runs SpiffWorkflow for one case and writes every consequence in the caller's transaction."""

    def __init__(self, ctx: ServiceContext, session: Session, case: Case, actor: Actor, now: datetime) -> None:
        self.ctx, self.session, self.case, self.actor, self.now = ctx, session, case, actor, now
        self.deployed: DeployedProcess = ctx.specs.get(session, case.deployment_id)
        self.effects = EffectEnv(session, case, now, ctx.settings)
        self.service_events: list[NewEvent] = []
        self.log = runtime.StepLog()
        self.before: dict[str, Any] = json.loads(case.data_json) if case.data_json else {}
        self.engine = SafeScriptEngine(functions=expression_functions(ctx.settings, now),
                                       services=self._run_service)
        self.workflow: Any = None
        self.open_rows: list[InboxTask] = []
        self.is_new = False

    def load(self) -> Any:
        """The case's workflow, rebuilt from its saved state against its pinned spec."""
        self.workflow = runtime.loads(self.case.workflow_json, self.deployed.process, self.engine)
        return self.workflow

    def new(self) -> Any:
        """A fresh workflow for a case being started."""
        self.is_new = True
        self.workflow = runtime.new_workflow(self.deployed.process, self.engine)
        return self.workflow

    def run(self, action: Callable[[], None]) -> None:
        """Run a SpiffWorkflow action, turning its failures into ProcessError (the transaction rolls back)."""
        try:
            with runtime.spiff_failures():
                action()
        except runtime.WorkflowFailure as exc:
            raise ProcessError(f"el proceso no pudo avanzar: {exc}", exc.element_id) from exc
        except (ExpressionError, UnknownDeadlineError) as exc:
            raise ProcessError(f"el proceso no pudo avanzar: {exc}") from exc

    def _run_service(self, call: ServiceCall) -> dict[str, Any]:
        emails_before = len(self.effects.emails)
        handler = self.ctx.handlers.get(call.topic)
        if handler is None:
            raise ProcessError(f"tema '{call.topic}' sin manejador registrado", call.element_id)
        outputs = handler(call, self.effects)
        self.service_events.append(NewEvent(
            kind="service.completed", actor="sistema", occurred_at=self.now, element_id=call.element_id,
            payload={"topic": call.topic, "name": call.element_name, "outputs": outputs,
                     "emails": self.effects.emails[emails_before:]},
        ))
        return outputs

    def finish(self, main: NewEvent | None, completed_task_id: str | None = None) -> list[NewEvent]:
        """Project and persist everything the step changed; return the events appended."""
        # One flush at the end: an autoflush mid-way would write the case row (and its state) twice.
        with self.session.no_autoflush:
            events = self._project(main, completed_task_id)
        self._flush()
        return events

    def _project(self, main: NewEvent | None, completed_task_id: str | None) -> list[NewEvent]:
        wf, case = self.workflow, self.case
        ready = runtime.ready_user_tasks(wf)
        after = runtime.case_variables(wf, ready)
        previous_state = case.state
        case.state = runtime.visible_state(case.state, self.log.completed, ready)
        case.data_json = json.dumps(after, sort_keys=True, ensure_ascii=False, default=str)
        case.workflow_json = runtime.dumps(wf)
        case.serializer_version = runtime.SERIALIZER_VERSION
        case.next_timer_at = runtime.next_timer_at(wf)
        case.updated_at = self.now
        case.ticket = case.ticket or _text(after.get("ticket"))
        if runtime.is_completed(wf) and case.is_open:
            case.is_open, case.closed_at = False, self.now
        self.open_rows = sync_inbox(self, ready, completed_task_id)
        events = [*([main] if main else []), *self._timer_events(), *self.service_events]
        if events:  # the step's leading event carries what changed overall
            events[0] = _with_summary(events[0], self.before, after, previous_state, case.state)
        append_events(self.session, case, events)
        return events

    def view(self) -> CaseView:
        """The case as it is after this step (no further queries)."""
        return case_view(self.session, self.case, rows=self.open_rows, version=self.deployed.version)

    def _timer_events(self) -> Iterable[NewEvent]:
        for task in self.log.completed:
            if runtime.is_timer_event(task):
                yield NewEvent("timer.fired", "sistema", self.now, task.task_spec.bpmn_id,
                               {"name": task.task_spec.bpmn_name or task.task_spec.bpmn_id})

    def _flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise ConflictError("otra persona o el planificador modificó el caso al mismo tiempo; recárguelo") from exc


def _with_summary(event: NewEvent, before: dict[str, Any], after: dict[str, Any], old: str, new: str) -> NewEvent:
    payload = dict(event.payload)
    payload["changes"] = diff_values(before, after)
    if old != new:
        payload["state"] = {"before": old, "after": new}
    return NewEvent(event.kind, event.actor, event.occurred_at, event.element_id, payload)


def diff_values(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Changed variables as {name: {before, after}} (JSON-comparable values)."""
    changes: dict[str, dict[str, Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = _jsonable(before.get(key)), _jsonable(after.get(key))
        if old != new:
            changes[key] = {"before": old, "after": new}
    return changes


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str)) if value is not None else None


def _text(value: Any) -> str | None:
    return str(value) if value else None
