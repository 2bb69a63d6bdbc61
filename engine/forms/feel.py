"""The FEEL subset accepted in `conditional.hide`, parsed and evaluated in Python (never `eval`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

FeelLiteral = str | int | float | bool | None

SUPPORTED = "=campo, =not(campo), =campo = literal, =campo != literal, unidos con and/or"
_KEYWORDS = frozenset({"and", "or", "not", "true", "false", "null"})
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op>!=|=|\(|\))
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


class FeelError(ValueError):
    """The expression is outside the supported FEEL subset."""


@dataclass(frozen=True)
class Const:
    """A fixed outcome (`hide: true` / `hide: false` in the JSON)."""

    value: bool

    def evaluate(self, ctx: Mapping[str, Any]) -> bool | None:
        """Return the constant."""
        return self.value


@dataclass(frozen=True)
class Var:
    """`=name`: the variable itself; anything but a boolean counts as FEEL null."""

    name: str

    def evaluate(self, ctx: Mapping[str, Any]) -> bool | None:
        """Return the variable if it is a boolean, else None."""
        value = ctx.get(self.name)
        return value if isinstance(value, bool) else None


@dataclass(frozen=True)
class Compare:
    """`=name = literal` or `=name != literal`."""

    name: str
    op: Literal["=", "!="]
    literal: FeelLiteral

    def evaluate(self, ctx: Mapping[str, Any]) -> bool | None:
        """Compare with FEEL semantics: values of different types are not comparable (None)."""
        equal = feel_equals(ctx.get(self.name), self.literal)
        if equal is None or self.op == "=":
            return equal
        return not equal


@dataclass(frozen=True)
class Not:
    """`=not(expr)`; not(null) stays null as in FEEL."""

    operand: Condition

    def evaluate(self, ctx: Mapping[str, Any]) -> bool | None:
        """Negate the operand, keeping None."""
        value = self.operand.evaluate(ctx)
        return None if value is None else not value


@dataclass(frozen=True)
class And:
    """FEEL three-valued conjunction."""

    operands: tuple[Condition, ...]

    def evaluate(self, ctx: Mapping[str, Any]) -> bool | None:
        """False wins, then None, else True."""
        values = [operand.evaluate(ctx) for operand in self.operands]
        if any(value is False for value in values):
            return False
        return None if any(value is None for value in values) else True


@dataclass(frozen=True)
class Or:
    """FEEL three-valued disjunction."""

    operands: tuple[Condition, ...]

    def evaluate(self, ctx: Mapping[str, Any]) -> bool | None:
        """True wins, then None, else False."""
        values = [operand.evaluate(ctx) for operand in self.operands]
        if any(value is True for value in values):
            return True
        return None if any(value is None for value in values) else False


Condition = Const | Var | Compare | Not | And | Or


def holds(condition: Condition, ctx: Mapping[str, Any]) -> bool:
    """True only when the condition evaluates to exactly true (form-js hides on `result === true`)."""
    return condition.evaluate(ctx) is True


def either(first: Condition | None, second: Condition | None) -> Condition | None:
    """Combine two optional hide conditions: hidden when either one holds."""
    if first is None or second is None:
        return first if second is None else second
    return Or((first, second))


def feel_equals(value: Any, literal: FeelLiteral) -> bool | None:
    """FEEL `=`: null only equals null; different types give null instead of false."""
    if literal is None or value is None:
        return value is None and literal is None
    if isinstance(value, bool) or isinstance(literal, bool):
        both_bool = isinstance(value, bool) and isinstance(literal, bool)
        return value == literal if both_bool else None
    numbers = (int, float, Decimal)
    if isinstance(value, numbers) and isinstance(literal, numbers):
        return bool(value == literal)
    if isinstance(value, str) and isinstance(literal, str):
        return value == literal
    return None


def parse_condition(text: str) -> Condition:
    """Parse a `conditional.hide` expression; raise FeelError outside the supported subset."""
    try:
        if not text.startswith("="):
            raise FeelError("debe empezar con '='")
        return _Parser(_tokenize(text[1:])).parse()
    except FeelError as exc:
        raise FeelError(f"condición FEEL no soportada {text!r}: {exc}. Solo se admite {SUPPORTED}.") from exc


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while text[pos:].strip():
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            rest = text[pos:].lstrip()
            column = len(text) - len(rest) + 2  # 1-based, counting the leading '='
            raise FeelError(f"símbolo no admitido {rest[:1]!r} en la posición {column}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    return tokens


def _string_literal(token: str) -> str:
    def unescape(match: re.Match[str]) -> str:
        if match.group(1) not in _ESCAPES:
            raise FeelError(f"secuencia de escape no admitida '\\{match.group(1)}'")
        return _ESCAPES[match.group(1)]

    return re.sub(r"\\(.)", unescape, token[1:-1])


class _Parser:
    """Recursive descent: or_ := and_ ('or' and_)* ; and_ := unary ('and' unary)*."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self._tokens = tokens
        self._pos = 0

    def parse(self) -> Condition:
        if not self._tokens:
            raise FeelError("la expresión está vacía")
        result = self._or()
        if self._peek() is not None:
            raise FeelError(f"sobra {self._peek()!r}")
        return result

    def _peek(self) -> str | None:
        return self._tokens[self._pos][1] if self._pos < len(self._tokens) else None

    def _take(self) -> tuple[str, str]:
        if self._pos >= len(self._tokens):
            raise FeelError("la expresión termina antes de tiempo")
        self._pos += 1
        return self._tokens[self._pos - 1]

    def _expect(self, text: str) -> None:
        if self._take()[1] != text:
            raise FeelError(f"se esperaba {text!r}")

    def _or(self) -> Condition:
        operands = [self._and()]
        while self._peek() == "or":
            self._take()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _and(self) -> Condition:
        operands = [self._unary()]
        while self._peek() == "and":
            self._take()
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _unary(self) -> Condition:
        kind, text = self._take()
        if text == "not":
            self._expect("(")
            inner = self._or()
            self._expect(")")
            return Not(inner)
        if kind != "name" or text in _KEYWORDS:
            raise FeelError(f"se esperaba el nombre de un campo y aparece {text!r}")
        if self._peek() in ("=", "!="):
            op: Literal["=", "!="] = "=" if self._take()[1] == "=" else "!="
            return Compare(text, op, self._literal())
        return Var(text)

    def _literal(self) -> FeelLiteral:
        kind, text = self._take()
        if kind == "str":
            return _string_literal(text)
        if kind == "num":
            return float(text) if "." in text else int(text)
        words: dict[str, FeelLiteral] = {"true": True, "false": False, "null": None}
        if text not in words:
            raise FeelError(
                f'se esperaba un literal ("texto", número, true, false o null) y aparece {text!r}'
            )
        return words[text]
