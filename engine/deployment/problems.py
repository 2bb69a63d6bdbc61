"""Deployment problems: each names the file, the element and the line, and says how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeploymentProblem:
    """One reason a deployment is refused."""

    file: str
    message: str
    element_id: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        element = f" [{self.element_id}]" if self.element_id else ""
        return f"{where}{element}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly form (API 422 bodies, CLI --json)."""
        return {"file": self.file, "element_id": self.element_id, "line": self.line, "message": self.message}


class DeploymentError(ValueError):
    """The files cannot be deployed; nothing was stored."""

    def __init__(self, problems: list[DeploymentProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
