"""Domain errors raised by services and mapped to exit codes / HTTP statuses at the edges."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a service raises on purpose."""


class NotFoundError(ServiceError):
    """The case, task, process or user does not exist (or the actor may not know it does)."""


class ForbiddenError(ServiceError):
    """The actor is known but may not do this."""


class ConflictError(ServiceError):
    """Someone else changed the case first (task already completed, claimed, or a timer fired)."""


class ProcessError(ServiceError):
    """The process could not advance (e.g. an expression failed); nothing was saved."""

    def __init__(self, message: str, element_id: str | None = None) -> None:
        super().__init__(message)
        self.element_id = element_id


class StoredStateError(ProcessError):
    """A case's saved state or its deployed spec is in a format this installation cannot read; nothing was
    loaded or changed (the message names the case and the deployment)."""


class FormValidationError(ServiceError):
    """Submitted data does not satisfy the task's form; errors per field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors
