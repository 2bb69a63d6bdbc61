"""The engine's plain views as JSON-ready dicts: ISO-8601 instants with offset, lists instead of tuples.

A case is always serialised as its reader's role may read it (the engine's role-filtered view, as the pages show it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.clock import as_utc
from engine.helpdesk.service_levels import ClockReading
from engine.services.cases.queries import TaskDetail
from engine.services.people.readable import readable_case
from engine.services.processes.deploy import DeploymentView
from engine.services.views import Actor, CaseView, EventView, TaskView

JsonObject = dict[str, Any]


def instant(value: datetime | None) -> str | None:
    """ISO-8601 in UTC with its offset (+00:00), or None."""
    return as_utc(value).isoformat() if value is not None else None


def plain(value: Any) -> Any:
    """Process data made JSON-safe: instants and dates as ISO text, decimals as numbers, tuples as lists."""
    if isinstance(value, datetime):
        return instant(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, str | bytes):
        return [plain(item) for item in value]
    return value


def task_json(task: TaskView) -> JsonObject:
    """A task as the inbox lists it."""
    return {
        "id": task.id, "case_id": task.case_id, "ticket": task.ticket, "element_id": task.element_id,
        "name": task.name, "lane": task.lane, "assignee": task.assignee,
        "candidate_groups": list(task.candidate_groups), "candidate_users": list(task.candidate_users),
        "due": instant(task.due_at), "follow_up": instant(task.follow_up_at), "priority": task.priority,
        "form_id": task.form_id, "created_at": instant(task.created_at), "subject": task.case_subject,
        "case_state": task.case_state, "help_desk": task.help_desk_code, "application": task.application,
        "completed_at": instant(task.completed_at), "completed_by": task.completed_by,
        "ans": {"clock": task.ans_clock, "state": task.ans_state, "warn_at": instant(task.ans_warn_at),
                "due_at": instant(task.ans_due_at)} if task.ans_state else None,
    }


def clock_json(clock: ClockReading) -> JsonObject:
    """One ANS clock: target, business seconds counted and paused, when it is due and how it stands."""
    return {"clock": clock.kind, "state": clock.state, "standing": clock.standing,
            "target": {"value": clock.target.value, "unit": clock.target.unit, "seconds": clock.target_seconds},
            "elapsed_seconds": clock.elapsed_seconds, "paused_seconds": clock.paused_seconds,
            "percent": clock.percent, "due_at": instant(clock.due_at)}


def case_json(case: CaseView, reader: Actor) -> JsonObject:
    """A case with its data and ready tasks, as `reader` may read it (history is served by /cases/{id}/events)."""
    case = readable_case(reader, case)
    return {
        "id": case.id, "ticket": case.ticket, "process_id": case.process_id, "process_version": case.process_version,
        "state": case.state, "open": case.is_open, "requester": case.requester, "help_desk": case.help_desk_code,
        "subject": case.subject, "application": case.application, "data": plain(case.data),
        "ready_tasks": [task_json(task) for task in case.ready_tasks], "created_at": instant(case.created_at),
        "updated_at": instant(case.updated_at), "closed_at": instant(case.closed_at),
        "next_timer_at": instant(case.next_timer_at),
    }


def events_json(case: CaseView, reader: Actor) -> list[JsonObject]:
    """The case's audit events that `reader` may read, oldest first."""
    return [event_json(event) for event in readable_case(reader, case).history]


def event_json(event: EventView) -> JsonObject:
    """One audit event."""
    return {"seq": event.seq, "kind": event.kind, "actor": event.actor, "occurred_at": instant(event.occurred_at),
            "element_id": event.element_id, "payload": plain(event.payload)}


def task_detail_json(detail: TaskDetail) -> JsonObject:
    """A task with its Camunda Form (schema as designed, values to show) and whether the caller may complete it."""
    form = {"id": detail.form.form_id, "schema": plain(detail.form.schema), "data": plain(detail.form.data)}
    return {**task_json(detail.task), "form": form, "may_complete": detail.may_complete}


def processes_json(deployments: Sequence[DeploymentView]) -> list[JsonObject]:
    """Deployed processes, each with its versions newest first (the engine lists them so)."""
    processes: dict[str, JsonObject] = {}
    for row in deployments:
        entry = processes.setdefault(row.process_id, {"id": row.process_id, "name": row.name,
                                                      "version": row.version, "versions": []})
        entry["versions"].append({
            "version": row.version, "deployment_id": row.id, "name": row.name, "content_hash": row.content_hash,
            "deployed_by": row.deployed_by, "deployed_at": instant(row.deployed_at), "forms": list(row.forms),
        })
    return list(processes.values())
