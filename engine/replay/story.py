"""A case's audit events read as its story: the workflow-advancing steps, each with what it recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.services.views import EventView
from engine.workflow.replay import MIGRATE, START, TASK, TIMER, RecordedService, RecordedStep

SERVICE = "service.completed"
# Events that never advance the workflow: they are part of the history, not of the path.
PASSIVE = frozenset({"task.claimed", "task.released", "task.assigned", "comment.added", "attachment.added",
                     "ans.alert"})


@dataclass
class StoryStep:
    """One workflow-advancing step as recorded: its leading event, the timers it fired, its service outputs."""

    k: int
    lead: EventView
    timers: list[EventView] = field(default_factory=list)
    services: list[EventView] = field(default_factory=list)

    @property
    def seq(self) -> int:
        """The sequence number of the step's leading event (problems name it)."""
        return self.lead.seq

    @property
    def changes(self) -> dict[str, Any]:
        """Variables changed over the whole step, as recorded ({name: {before, after}})."""
        return dict(self.lead.payload.get("changes") or {})

    @property
    def state(self) -> dict[str, Any] | None:
        """The visible state change as recorded ({before, after}), None when it did not change."""
        state = self.lead.payload.get("state")
        return dict(state) if isinstance(state, dict) else None

    @property
    def fired(self) -> list[str]:
        """Element ids of the timers the step fired, as recorded (a timer step's leading event is one)."""
        leading = [self.lead] if self.lead.kind == TIMER else []
        return [event.element_id or "" for event in [*leading, *self.timers]]

    def deployments(self) -> tuple[Any, Any]:
        """A migration step's (source, target) deployment ids as recorded."""
        payload = self.lead.payload
        return payload.get("from_deployment"), payload.get("to_deployment")

    def recorded(self) -> RecordedStep:
        """What the re-execution needs: the step's start, instant, data and the recorded service outputs."""
        kind = self.lead.kind
        return RecordedStep(
            kind=kind, at=self.lead.occurred_at, element_id=self.lead.element_id if kind == TASK else None,
            data=dict(self.lead.payload.get("data") or {}) if kind in (START, TASK) else {},
            services=tuple(RecordedService(e.element_id or "", str(e.payload.get("topic", "")),
                                           dict(e.payload.get("outputs") or {})) for e in self.services),
            deadlines=dict(deadlines) if isinstance(deadlines := self.lead.payload.get("deadlines"), dict) else None,
        )


def story_of(events: Sequence[EventView]) -> tuple[list[StoryStep], list[str]]:
    """Group events into steps (a step's leading event carries `changes`); problems for events that fit none."""
    steps: list[StoryStep] = []
    problems: list[str] = []
    for event in events:
        if _leads(event):
            steps.append(StoryStep(len(steps) + 1, event))
        elif event.kind in (TIMER, SERVICE) and steps:
            (steps[-1].timers if event.kind == TIMER else steps[-1].services).append(event)
        elif event.kind in (TIMER, SERVICE):
            problems.append(f"evento {event.seq}: {event.kind} antes del inicio del caso")
        elif event.kind not in PASSIVE and "changes" in event.payload:
            problems.append(f"evento {event.seq}: «{event.kind}» cambió el caso y la reproducción no sabe aplicarlo")
    return steps, problems


def _leads(event: EventView) -> bool:
    return event.kind in (START, TASK, MIGRATE) or (event.kind == TIMER and "changes" in event.payload)
