"""The error a refused protocol becomes at the service edge."""

from __future__ import annotations

from collections.abc import Collection

from engine.helpdesk.protocol import Problem
from engine.services.errors import FormValidationError


class ProtocolRejectedError(FormValidationError):
    """A protocol (document, file or review date) was refused; errors per path, every problem at once.

    A FormValidationError so the CLI, the pages and the API show it as they show any invalid form (422).
    """

    def __init__(self, problems: Collection[Problem]) -> None:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.path or "protocolo", []).append(problem.message)
        super().__init__(errors)
        self.problems = tuple(problems)
