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
from engine.services.cases.clocks import (
    SOLUTION_TOPICS,
    ClockStep,
    StepSignals,
    advance_clocks,
    project_onto_inbox,
    waits_on_requester,
)
from engine.services.context import DeployedProcess, ServiceContext
from engine.services.errors import ConflictError, NotFoundError, ProcessError, StoredStateError
from engine.services.inbox.projection import InboxChange, sync_inbox
from engine.services.views import Actor, CaseView
from engine.workflow.facade import (
    SERIALIZER_VERSION,
    CaseWorkflow,
    StepLog,
    StoredFormatError,
    WorkflowFailure,
    spiff_failures,
    visible_state,
)
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


def deployed_of(ctx: ServiceContext, session: Session, case: Case) -> DeployedProcess:
    """The parsed version a case is pinned to; a stored spec that cannot be read names the case."""
    try:
        return ctx.specs.get(session, case.deployment_id)
    except StoredStateError as exc:
        raise StoredStateError(f"el caso {case.id} no se puede cargar: {exc}") from exc


def load_workflow(case: Case, deployed: DeployedProcess, engine: SafeScriptEngine) -> CaseWorkflow:
    """The case's workflow rebuilt from its saved state; state that cannot be read names the case."""
    try:
        return CaseWorkflow.load(case.workflow_json, deployed.process, engine, f"el caso {case.id}")
    except StoredFormatError as exc:
        raise StoredStateError(str(exc)) from exc


class Step:
    """Runs SpiffWorkflow for one case and writes every consequence in the caller's transaction."""

    def __init__(self, ctx: ServiceContext, session: Session, case: Case, actor: Actor, now: datetime) -> None:
        self.ctx, self.session, self.case, self.actor, self.now = ctx, session, case, actor, now
        self.deployed: DeployedProcess = deployed_of(ctx, session, case)
        self.effects = EffectEnv(session, case, now, ctx.settings, ctx.protocol_of(session, case.protocol_version_id))
        # Every plazo() this step computes (name → ISO-8601): written into its leading event for replay.
        self.deadlines: dict[str, str] = {}
        self.service_events: list[NewEvent] = []
        self.log = StepLog()
        self.before: dict[str, Any] = json.loads(case.data_json) if case.data_json else {}
        self.engine = SafeScriptEngine(functions=expression_functions(self.effects.deadlines(), now, self.deadlines),
                                       services=self._run_service)
        self._workflow: CaseWorkflow | None = None
        self.open_rows: list[InboxTask] = []
        self.is_new = False

    @property
    def workflow(self) -> CaseWorkflow:
        """The workflow of this step (after load() or new())."""
        if self._workflow is None:
            raise RuntimeError("the step has no workflow yet: call load() or new() first")
        return self._workflow

    def load(self) -> CaseWorkflow:
        """The case's workflow, rebuilt from its saved state against its pinned spec."""
        self._workflow = load_workflow(self.case, self.deployed, self.engine)
        return self._workflow

    def new(self) -> CaseWorkflow:
        """A fresh workflow for a case being started."""
        self.is_new = True
        self._workflow = CaseWorkflow.new(self.deployed.process, self.engine)
        return self._workflow

    def run(self, action: Callable[[], None]) -> None:
        """Run a SpiffWorkflow action, turning its failures into ProcessError (the transaction rolls back)."""
        try:
            with spiff_failures():
                action()
        except WorkflowFailure as exc:
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
        ready = wf.ready_tasks()
        after = wf.variables(ready)
        previous_state = case.state
        case.state = visible_state(case.state, self.log.completed, ready)
        case.data_json = json.dumps(after, sort_keys=True, ensure_ascii=False, default=str)
        case.workflow_json = wf.dumps()
        case.serializer_version = SERIALIZER_VERSION
        case.next_timer_at = wf.next_timer_at()
        case.updated_at = self.now
        had_ticket = case.ticket is not None
        case.ticket = case.ticket or _text(after.get("ticket"))
        if wf.is_completed() and case.is_open:
            case.is_open, case.closed_at = False, self.now
        change = InboxChange(self.session, case.id, self.deployed, self.now, self.actor.username,
                             self.engine.functions, self.is_new)
        self.open_rows = sync_inbox(change, ready, completed_task_id)
        clocks = self._advance_clocks(main, after, registered=case.ticket is not None and not had_ticket)
        events = [*([main] if main else []), *self._timer_events(), *self.service_events]
        if events:  # the step's leading event carries what changed overall
            events[0] = _with_summary(events[0], self.before, after, previous_state, case.state, self.deadlines,
                                      clocks.changes)
        append_events(self.session, case, events)
        return events

    def _advance_clocks(self, main: NewEvent | None, after: dict[str, Any], *, registered: bool) -> ClockStep:
        case = self.case
        agent_acted = (main is not None and main.kind == "task.completed" and not self.is_new
                       and main.actor not in (case.requester, "sistema"))
        signals = StepSignals(
            new=self.is_new, waiting=waits_on_requester(case, self.open_rows), registered=registered,
            answered=agent_acted, closed=not case.is_open,
            solution=any(e.payload.get("topic") in SOLUTION_TOPICS for e in self.service_events),
            tipo=_text(after.get("tipo")), priority=_text(after.get("prioridad")))
        step = advance_clocks(self.session, case, self.effects.protocol, signals, self.now)
        if step.clocks:
            project_onto_inbox(self.session, case.id, step.clocks, rows=self.open_rows)
        return step

    def view(self) -> CaseView:
        """The case as it is after this step (no further queries)."""
        return case_view(self.session, self.case, rows=self.open_rows, version=self.deployed.version)

    def _timer_events(self) -> Iterable[NewEvent]:
        for timer in self.log.fired_timers:
            yield NewEvent("timer.fired", "sistema", self.now, timer.element_id, {"name": timer.name})

    def _flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise ConflictError("otra persona o el planificador modificó el caso al mismo tiempo; recárguelo") from exc


def _with_summary(event: NewEvent, before: dict[str, Any], after: dict[str, Any], old: str, new: str,
                  deadlines: dict[str, str], clocks: dict[str, dict[str, Any]] | None = None) -> NewEvent:
    payload = dict(event.payload)
    payload["changes"] = diff_values(before, after)
    if old != new:
        payload["state"] = {"before": old, "after": new}
    if deadlines:  # replay reads these back instead of recounting with today's settings (decision 12)
        payload["deadlines"] = dict(sorted(deadlines.items()))
    if clocks:  # the ANS clocks the step started, paused, resumed, stopped or retargeted (not replayed)
        payload["ans"] = clocks
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
