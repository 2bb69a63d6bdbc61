"""Safe evaluation of the expressions process owners type in Camunda Modeler (ARCHITECTURE decision 8).

Sequence-flow conditions (`${aprobado && calificacion >= 3}`), timers (`P5D`, `${plazo('validacion')}`)
and assignment attributes (`grupo-${mesa}-n2`) follow Camunda 7's JUEL. `engine.expressions.parser`
turns them into a tree of our own nodes and this module interprets it: Python's eval/exec/compile never
see user text, `.`/`[]` reach only dict keys and list items (never Python attributes), and the only
callable functions are the ones the caller passes.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal, TypeAlias, TypeGuard

from engine.expressions.parser import (
    MAX_DEPTH,
    MAX_LENGTH,
    Binary,
    Call,
    Conditional,
    Constant,
    ExpressionError,
    Member,
    Node,
    Part,
    Unary,
    Variable,
    parse_text,
    walk,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "CompiledText",
    "ExpressionError",
    "Functions",
    "TimerKind",
    "check_syntax",
    "compile_text",
    "evaluate_condition",
    "evaluate_text",
    "evaluate_timer",
    "is_expression",
    "referenced_functions",
    "referenced_names",
]

Functions: TypeAlias = Mapping[str, Callable[..., Any]]
TimerKind: TypeAlias = Literal["duration", "date", "cycle"]
_EVALUATION: Final = "Error al evaluar"


@dataclass(frozen=True, slots=True)
class CompiledText:
    """A text parsed once: literal pieces and expression trees, ready to be evaluated many times."""

    text: str
    parts: tuple[Part, ...]

    def evaluate(self, variables: Mapping[str, Any], functions: Functions | None = None) -> Any:
        """The native value of a lone `${...}`; otherwise the pieces joined as a string."""
        context = _Context(self.text, variables, functions or {})
        if len(self.parts) == 1 and isinstance(self.parts[0], Node):
            return _evaluate(self.parts[0], context)
        return "".join(part if isinstance(part, str) else _as_text(part, context) for part in self.parts)

    @property
    def names(self) -> frozenset[str]:
        """Variables the text reads."""
        return frozenset(node.name for node in self._nodes() if isinstance(node, Variable))

    @property
    def function_names(self) -> frozenset[str]:
        """Functions the text calls."""
        return frozenset(node.name for node in self._nodes() if isinstance(node, Call))

    def _nodes(self) -> Iterator[Node]:
        for part in self.parts:
            if isinstance(part, Node):
                yield from walk(part)


# ------------------------------------------------------------------------------------- public API


@functools.lru_cache(maxsize=1024)
def compile_text(text: str) -> CompiledText:
    """Parse `text` (cached per text); raises ExpressionError."""
    return CompiledText(text, parse_text(text))


def check_syntax(text: str) -> None:
    """Raise ExpressionError if `text` does not parse (deploy-time validation; evaluates nothing)."""
    compile_text(text)


def is_expression(text: str) -> bool:
    """Whether `text` contains a `${` (otherwise it is literal text; an unclosed one fails to compile)."""
    return "${" in text


def referenced_names(text: str) -> frozenset[str]:
    """Variable names `text` reads, for deploy-time checks against the forms."""
    return compile_text(text).names


def referenced_functions(text: str) -> frozenset[str]:
    """Function names `text` calls, for deploy-time checks against the allowed functions."""
    return compile_text(text).function_names


def evaluate_text(text: str, variables: Mapping[str, Any], functions: Functions | None = None) -> Any:
    """Evaluate `text`: a lone `${...}` gives its native value, a mix gives a string, plain text itself."""
    return compile_text(text).evaluate(variables, functions)


def evaluate_condition(text: str, variables: Mapping[str, Any], functions: Functions | None = None) -> bool:
    """Evaluate a sequence-flow condition, which must give true or false."""
    text = text.strip()  # as Camunda does: saved XML often indents the condition text
    value = evaluate_text(text, variables, functions)
    if isinstance(value, bool):
        return value
    if not is_expression(text):
        problem = f"no está entre ${{ y }}; escríbala así: ${{{text}}}"
    else:
        problem = f"debe dar true o false, pero dio {_describe(value)}; compare con ==, como ${{x == 'si'}}"
    raise ExpressionError(problem, text, stage="Condición inválida")


# ------------------------------------------------------------------------------------ interpreter


@dataclass(frozen=True, slots=True)
class _Context:
    """What one evaluation needs: the text (for messages), the variables and the allowed functions."""

    text: str
    variables: Mapping[str, Any]
    functions: Functions

    def error(self, node: Node, problem: str) -> ExpressionError:
        return ExpressionError(problem, self.text, node.pos + 1, stage=_EVALUATION)


def _evaluate(node: Node, context: _Context) -> Any:
    # The tree height is bounded by the parser (MAX_DEPTH), so this recursion is too.
    match node:
        case Constant():
            return node.value
        case Variable():
            return _lookup(node, context)
        case Member():
            return _member(node, _evaluate(node.base, context), _evaluate(node.key, context), context)
        case Unary():
            return _unary(node, context)
        case Binary():
            return _binary(node, context)
        case Conditional():
            chosen = node.then if _boolean(node.test, context) else node.otherwise
            return _evaluate(chosen, context)
        case Call():
            return _call(node, context)
    raise AssertionError(f"nodo desconocido {type(node).__name__}")


def _lookup(node: Variable, context: _Context) -> Any:
    if node.name not in context.variables:  # Camunda 7 raises PropertyNotFound rather than read null
        hint = f'revise el nombre o, si puede faltar, use "empty {node.name}"'
        raise context.error(node, f'la variable "{node.name}" no existe; {hint}')
    return context.variables[node.name]


def _member(node: Member, base: Any, key: Any, context: _Context) -> Any:
    if isinstance(key, str) and key.startswith("_"):  # a computed key: the parser only sees literals
        raise context.error(node, 'las claves que empiezan con "_" no se admiten')
    # As in JUEL, a property of null, a missing key and an index out of range all read as null.
    if base is None:
        return None
    if isinstance(base, Mapping) and isinstance(key, (str, int)) and not isinstance(key, bool):
        return base.get(key)
    if isinstance(base, (list, tuple)) and isinstance(key, int) and not isinstance(key, bool):
        return base[key] if 0 <= key < len(base) else None  # no Python negative indexes
    if isinstance(base, (Mapping, list, tuple)):
        raise context.error(node, f"no se puede usar {_describe(key)} como clave de {_describe(base)}")
    raise context.error(node, f'"." y "[]" solo se usan en objetos y listas, no en {_describe(base)}')


def _unary(node: Unary, context: _Context) -> Any:
    if node.op == "empty":
        return _is_empty(node.operand, context)
    if node.op == "!":
        return not _boolean(node.operand, context)
    return -_number(node.operand, _evaluate(node.operand, context), context)


def _is_empty(node: Node, context: _Context) -> bool:
    root = node
    while isinstance(root, Member):
        root = root.base
    if isinstance(root, Variable) and root.name not in context.variables:
        return True  # "empty x" is how a diagram asks whether x was ever set
    value = _evaluate(node, context)
    return value is None or (isinstance(value, (str, Mapping, list, tuple)) and len(value) == 0)


def _binary(node: Binary, context: _Context) -> Any:
    if node.op in ("&&", "||"):
        left = _boolean(node.left, context)
        if left == (node.op == "||"):  # short-circuit: the right side is not evaluated at all
            return left
        return _boolean(node.right, context)
    left, right = _evaluate(node.left, context), _evaluate(node.right, context)
    if node.op in ("==", "!="):
        return _equal(left, right) == (node.op == "==")
    if node.op in _COMPARISONS:
        return _compare(node, left, right, context)
    return _arithmetic(node, left, right, context)


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) != isinstance(right, bool):
        return False  # Python says True == 1; JUEL does not
    return bool(left == right)


_COMPARISONS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge,
}  # fmt: skip


def _compare(node: Binary, left: Any, right: Any, context: _Context) -> bool:
    if not ((_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str))):
        problem = f'"{node.op}" compara dos números o dos textos, no {_describe(left)} con {_describe(right)}'
        raise context.error(node, problem)
    return _COMPARISONS[node.op](left, right)


def _remainder(left: int | float, right: int | float) -> int | float:
    """Remainder with the sign of the dividend, as Java's `%` (Python's follows the divisor)."""
    if isinstance(left, int) and isinstance(right, int):
        magnitude = abs(left) % abs(right)
        return -magnitude if left < 0 else magnitude
    return math.fmod(left, right)


_ARITHMETIC: Final[dict[str, Callable[[Any, Any], int | float]]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
    "/": operator.truediv,  # JUEL's "/" and "div" always divide as decimals: 7 / 2 == 3.5
    "%": _remainder,
}  # fmt: skip


def _arithmetic(node: Binary, left: Any, right: Any, context: _Context) -> int | float:
    left, right = _number(node.left, left, context), _number(node.right, right, context)
    if node.op in ("/", "%") and right == 0:
        raise context.error(node, "división por cero")
    try:
        return _ARITHMETIC[node.op](left, right)
    except OverflowError as exc:  # e.g. a huge integer mixed with a decimal
        raise context.error(node, "el resultado es demasiado grande") from exc


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)  # Python's bool is an int


def _number(node: Node, value: Any, context: _Context) -> int | float:
    if _is_number(value):
        return value
    # No "+" on texts: they are joined by composite text, as in grupo-${mesa}.
    raise context.error(node, f"se esperaba un número, pero el valor es {_describe(value)}")


def _boolean(node: Node, context: _Context) -> bool:
    value = _evaluate(node, context)
    if value is None:
        return False  # JUEL reads null as false, and an unset optional checkbox arrives as null
    if not isinstance(value, bool):
        raise context.error(node, f"se esperaba true o false, pero el valor es {_describe(value)}")
    return value


def _call(node: Call, context: _Context) -> Any:
    function = context.functions.get(node.name)
    if function is None:  # checked before the arguments are evaluated: nothing runs for a refused call
        allowed = ", ".join(sorted(context.functions)) or "ninguna"
        raise context.error(node, f'función no permitida "{node.name}"; las permitidas son: {allowed}')
    args = [_evaluate(arg, context) for arg in node.args]
    try:
        return function(*args)
    except ExpressionError:
        raise
    except Exception as exc:  # callers handle one error type, whatever the function raised
        raise context.error(node, f'la función "{node.name}" falló: {exc}') from exc


def _as_text(node: Node, context: _Context) -> str:
    value = _evaluate(node, context)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise context.error(node, f"no se puede escribir {_describe(value)} dentro de un texto")


def _describe(value: Any) -> str:
    """Spanish name of a value's type, for messages (never its repr: values may be long or private)."""
    if value is None:
        return "null"
    for kind, name in _KIND_NAMES:
        if isinstance(value, kind):
            return name
    return f"un valor de tipo {type(value).__name__}"


_KIND_NAMES: Final[tuple[tuple[type | tuple[type, ...], str], ...]] = (
    (bool, "un booleano"), ((int, float), "un número"), (str, "un texto"),
    (Mapping, "un objeto"), ((list, tuple), "una lista"),
)  # fmt: skip


# ----------------------------------------------------------------------------------------- timers

_DURATION: Final = (
    r"P(?:\d+W"  # weeks stand alone
    r"|(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+D)?"  # the lookaheads refuse "P", "PT" and "P1DT"
    r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?)"
)
_DATE_TIME: Final = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})"
# Every pattern is matched with re.ASCII: Python's \d also takes digits like "٣", which ISO-8601 does not.
_TIMER_FORMATS: Final[dict[TimerKind, tuple[str, str]]] = {
    "duration": (_DURATION, "una duración ISO-8601 (P5D, PT2H, P1DT12H, P2W)"),
    "date": (f"(?P<date>{_DATE_TIME})", "una fecha y hora con zona (2026-12-01T10:00:00-05:00)"),
    "cycle": (f"R\\d*/(?:(?P<date>{_DATE_TIME})/)?{_DURATION}", "un ciclo ISO-8601 (R3/PT1H)"),
}
_TIMER: Final = "Temporizador inválido"
_NAIVE_DATE_TIME: Final = re.compile(r"\d{4}-\d{2}-\d{2}T[\d:.]+(?=/|$)", re.ASCII)


def evaluate_timer(
    text: str,
    variables: Mapping[str, Any],
    functions: Functions | None = None,
    *,
    kind: TimerKind | None = None,
) -> str:
    """Evaluate a timer definition to a checked ISO-8601 duration, zoned date-time or cycle (of `kind`)."""
    text = text.strip()
    value = evaluate_text(text, variables, functions)
    if not isinstance(value, str):
        raise ExpressionError(f"debe dar un texto ISO-8601, pero dio {_describe(value)}", text, stage=_TIMER)
    value = value.strip()
    kinds = [kind] if kind else list(_TIMER_FORMATS)
    if any(_is_timer(value, each) for each in kinds):
        return value
    gave = "" if value == text else f'dio "{value}", que '  # name the value only if it was computed
    if _NAIVE_DATE_TIME.search(value):  # SpiffWorkflow would read it in the server's zone
        problem = f"{gave}no tiene zona horaria; agregue el desfase, como 2026-12-01T10:00:00-05:00, o Z"
    else:
        problem = f"{gave}no es " + " ni ".join(_TIMER_FORMATS[each][1] for each in kinds)
    raise ExpressionError(problem, text, stage=_TIMER)


def _is_timer(value: str, kind: TimerKind) -> bool:
    match = re.fullmatch(_TIMER_FORMATS[kind][0], value, re.ASCII)
    if match is None:
        return False
    stamp = match.groupdict().get("date")
    return stamp is None or _exists(stamp)


def _exists(stamp: str) -> bool:
    # The pattern checks the shape; only the calendar knows that 2026-02-30 does not exist.
    try:
        datetime.fromisoformat(stamp)
    except ValueError:
        return False
    return True
