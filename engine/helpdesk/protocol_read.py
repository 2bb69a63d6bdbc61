"""Strict reading of plain protocol data (JSON/YAML shapes) that collects every problem instead of stopping.

A coordinator fixing an import file wants the whole list at once, so readers never raise: each check records a
(path, Spanish message) problem and returns None, and the caller builds the document only when none was found.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a protocol, at a dotted path such as 'ans.peticion.media.resolucion'."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ProtocolError(ValueError):
    """A protocol was refused; `problems` lists everything wrong with it, in reading order."""

    def __init__(self, problems: Collection[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("protocolo inválido: " + "; ".join(str(p) for p in self.problems))


def join(path: str, key: object) -> str:
    """The path of a child: 'ans' + 'peticion' → 'ans.peticion'."""
    return f"{path}.{key}" if path else str(key)


class Reader:
    """Checks values against the expected shape, recording problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        """Record a problem; one per path (a missing key is not also reported as a wrong value)."""
        if all(problem.path != path for problem in self.problems):
            self.problems.append(Problem(path, message))

    def grid(self, value: Any, path: str, rows: Sequence[str], columns: Sequence[str],
             cell: Callable[[Any, str], T | None]) -> dict[tuple[str, str], T] | None:
        """A complete two-level table {row: {column: cell}}: every row and column present, every cell valid."""
        before = len(self.problems)
        table = self.mapping(value, path, rows) or {}
        found: dict[tuple[str, str], T] = {}
        for row in (r for r in rows if r in table):
            line = self.mapping(table[row], join(path, row), columns) or {}
            for column in (c for c in columns if c in line):
                item = cell(line[column], join(join(path, row), column))
                if item is not None:
                    found[row, column] = item
        return found if len(self.problems) == before else None

    def mapping(self, value: Any, path: str, required: Collection[str],
                optional: Collection[str] = ()) -> Mapping[str, Any] | None:
        """An object with exactly the required keys (and maybe some optional ones), else None."""
        if not isinstance(value, Mapping):
            self.fail(path, f"debe ser un objeto (clave: valor), no {_kind(value)}")
            return None
        for key in value:
            if key not in required and key not in optional:
                self.fail(join(path, key), f"clave desconocida; se esperaba una de: {', '.join(required)}"
                          + (f" (opcionales: {', '.join(optional)})" if optional else ""))
        for key in required:
            if key not in value:
                self.fail(join(path, key), "falta esta clave")
        return value

    def listing(self, value: Any, path: str) -> list[Any] | None:
        """A list, else None."""
        if not isinstance(value, list):
            self.fail(path, f"debe ser una lista, no {_kind(value)}")
            return None
        return value

    def text(self, value: Any, path: str, *, empty: bool = False, limit: int = 300) -> str | None:
        """A string (non-blank unless `empty`), trimmed, at most `limit` characters."""
        if not isinstance(value, str):
            self.fail(path, f"debe ser un texto, no {_kind(value)}")
            return None
        if not empty and not value.strip():
            self.fail(path, "no puede estar vacío")
            return None
        if len(value) > limit:
            self.fail(path, f"admite hasta {limit} caracteres")
            return None
        return value.strip()

    def flag(self, value: Any, path: str) -> bool | None:
        """A boolean (true/false), else None."""
        if not isinstance(value, bool):
            self.fail(path, f"debe ser true o false, no {_kind(value)}")
            return None
        return value

    def positive(self, value: Any, path: str) -> int | None:
        """A whole number greater than zero, else None."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"debe ser un número entero, no {_kind(value)}")
            return None
        if value <= 0:
            self.fail(path, f"debe ser mayor que cero (es {value})")
            return None
        return value

    def choice(self, value: Any, path: str, options: Collection[str]) -> str | None:
        """One of the given words, else None."""
        if not isinstance(value, str) or value not in options:
            self.fail(path, f"valor {value!r} no permitido; use uno de: {', '.join(options)}")
            return None
        return value

    def day(self, value: Any, path: str) -> date | None:
        """A calendar date written AAAA-MM-DD (YAML may already have made it a date), else None."""
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(path, f"{value!r} no es una fecha AAAA-MM-DD")
        return None


def _kind(value: Any) -> str:
    """How a wrong value is named in messages, in Spanish."""
    names = {bool: "un booleano", int: "un número", float: "un número", str: "un texto", list: "una lista",
             dict: "un objeto", type(None): "nulo"}
    return names.get(type(value), type(value).__name__)
