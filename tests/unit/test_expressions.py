"""Tests of the safe JUEL-style evaluator used for conditions, timers and assignments (decision 8)."""

from __future__ import annotations

import builtins
import datetime as dt
import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from engine.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    ExpressionError,
    check_syntax,
    compile_text,
    evaluate_condition,
    evaluate_text,
    evaluate_timer,
    is_expression,
    referenced_functions,
    referenced_names,
)

VARIABLES: dict[str, Any] = {
    "n": 7,
    "x": 2.5,
    "cero": 0,
    "s": "alta",
    "vacio": "",
    "t": True,
    "f": False,
    "nada": None,
    "lista": [10, 20, 30],
    "sin_items": [],
    "obj": {"nombre": "Ana", "grupo": {"nivel": 2}, "items": ["a", "b"], "0": "clave texto"},
    "sin_claves": {},
    "mesa": "ti",
}


def ev(text: str, variables: dict[str, Any] | None = None, **functions: Callable[..., Any]) -> Any:
    """Evaluate with VARIABLES unless others are given; keyword arguments are the allowed functions."""
    return evaluate_text(text, VARIABLES if variables is None else variables, functions)


def error_of(
    text: str, variables: dict[str, Any] | None = None, **functions: Callable[..., Any]
) -> ExpressionError:
    """The ExpressionError that evaluating `text` raises (see `ev`)."""
    with pytest.raises(ExpressionError) as caught:
        ev(text, variables, **functions)
    return caught.value


# ----------------------------------------------------------------------------------- literals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${true}", True),
        ("${false}", False),
        ("${null}", None),
        ("${0}", 0),
        ("${42}", 42),
        ("${3.25}", 3.25),
        ("${1e3}", 1000.0),
        ("${2.5E-1}", 0.25),
        ("${'hola'}", "hola"),
        ('${"hola"}', "hola"),
        ("${''}", ""),
        (r"${'it\'s'}", "it's"),
        (r'${"dijo \"sí\""}', 'dijo "sí"'),
        (r"${'a\\b'}", "a\\b"),
        (r"${'a\nb'}", "a\\nb"),  # JUEL escapes only quotes and backslash; others stay as typed
        ("${'} y ${ dentro de un texto'}", "} y ${ dentro de un texto"),
        ("${ 'con espacios' }", "con espacios"),
    ],
)
def test_literals(text: str, expected: Any) -> None:
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


# ---------------------------------------------------------------------------------- operators


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # arithmetic (numbers only; "/" and "div" always divide as decimals, as in JUEL)
        ("${n + 1}", 8),
        ("${n - 10}", -3),
        ("${n * x}", 17.5),
        ("${n / 2}", 3.5),
        ("${n div 7}", 1.0),
        ("${n % 4}", 3),
        ("${n mod 4}", 3),
        ("${-7 % 3}", -1),  # Java's remainder keeps the dividend's sign
        ("${7 % -3}", 1),
        ("${7.5 % 2}", 1.5),
        ("${-n}", -7),
        ("${- -n}", 7),
        # comparison, symbols and words
        ("${n < 8}", True),
        ("${n lt 7}", False),
        ("${n > 6.9}", True),
        ("${n gt 7}", False),
        ("${n <= 7}", True),
        ("${n le 6}", False),
        ("${n >= 7}", True),
        ("${n ge 8}", False),
        ("${'abc' < 'abd'}", True),
        ("${s >= 'alta'}", True),
        # equality
        ("${n == 7}", True),
        ("${n eq 7.0}", True),
        ("${s != 'baja'}", True),
        ("${s ne 'alta'}", False),
        ("${nada == null}", True),
        ("${n == null}", False),
        ("${1 == true}", False),  # unlike Python, a number never equals a boolean
        ("${0 != false}", True),
        ("${'7' == 7}", False),
        ("${obj.items == obj.items}", True),
        # logic, symbols and words
        ("${t && f}", False),
        ("${t and t}", True),
        ("${f || t}", True),
        ("${f or f}", False),
        ("${!t}", False),
        ("${not f}", True),
        ("${!nada}", True),  # null reads as false, as in JUEL
        ("${nada || t}", True),
        # empty
        ("${empty nada}", True),
        ("${empty vacio}", True),
        ("${empty sin_items}", True),
        ("${empty sin_claves}", True),
        ("${empty s}", False),
        ("${empty lista}", False),
        ("${empty n}", False),
        ("${empty cero}", False),
        ("${empty f}", False),
        ("${empty no_existe}", True),  # the way a diagram asks whether a variable was ever set
        ("${empty no_existe.campo}", True),
        ("${empty obj.falta}", True),
        ("${not empty s}", True),
        # ternary
        ("${t ? 'si' : 'no'}", "si"),
        ("${f ? 'si' : 'no'}", "no"),
        ("${nada ? 1 : 2}", 2),
        ("${f ? 1 : t ? 2 : 3}", 2),  # right-associative
        ("${t ? f ? 1 : 2 : 3}", 2),
    ],
)
def test_operators(text: str, expected: Any) -> None:
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${1 + 2 * 3}", 7),
        ("${(1 + 2) * 3}", 9),
        ("${10 - 4 - 3}", 3),  # left-associative
        ("${2 * 3 % 4}", 2),
        ("${-2 * 3}", -6),
        ("${-lista[1]}", -20),
        ("${!f && f}", False),  # unary binds tighter than &&
        ("${!(f && f)}", True),
        ("${t || f && f}", True),  # && binds tighter than ||
        ("${(t || f) && f}", False),
        ("${1 + 1 == 2}", True),
        ("${1 < 2 == true}", True),  # relational binds tighter than equality
        ("${n > 5 && s == 'alta'}", True),
        ("${n > 5 ? 'grande' : 'chico'}", "grande"),
        ("${f || t ? 'a' : 'b'}", "a"),  # the ternary binds loosest
        ("${empty vacio && t}", True),
        ("${empty obj.nombre}", False),  # "." binds tighter than empty
        ("${not empty obj.items}", True),
    ],
)
def test_precedence(text: str, expected: Any) -> None:
    assert ev(text) == expected


# ------------------------------------------------------------------------------- short-circuit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${f && boom()}", False),
        ("${f and boom()}", False),
        ("${t || boom()}", True),
        ("${t or boom()}", True),
        ("${t ? 1 : boom()}", 1),
        ("${f ? boom() : 2}", 2),
        ("${f && no_existe}", False),  # the unknown name is never read
    ],
)
def test_unevaluated_branches_run_nothing(text: str, expected: Any) -> None:
    calls: list[str] = []
    assert ev(text, boom=lambda: calls.append("boom")) == expected
    assert calls == []


def test_evaluated_branch_runs_the_function() -> None:
    assert ev("${t && boom()}", boom=lambda: False) is False


# ------------------------------------------------------------------------- properties, indexes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${obj.nombre}", "Ana"),
        ("${obj['nombre']}", "Ana"),
        ('${obj["nombre"]}', "Ana"),
        ("${obj.grupo.nivel}", 2),
        ("${obj['grupo']['nivel'] + 1}", 3),
        ("${obj.items[1]}", "b"),
        ("${lista[0]}", 10),
        ("${lista[n - 5]}", 30),
        ("${obj['0']}", "clave texto"),
        ("${obj}", VARIABLES["obj"]),
        # As in JUEL: a missing key, an index out of range and a property of null read as null.
        ("${obj.falta}", None),
        ("${lista[3]}", None),
        ("${lista[-1]}", None),  # no Python negative indexes
        ("${nada.campo}", None),
        ("${obj.falta.mas}", None),
        ("${sin_claves.items}", None),  # a dict key, never the dict's method
    ],
)
def test_member_access(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${s.upper}", '"." y "[]" solo se usan en objetos y listas, no en un texto'),
        ("${n.real}", "no en un número"),
        ("${s[0]}", "no en un texto"),
        ("${lista['0']}", "no se puede usar un texto como clave de una lista"),
        ("${lista[t]}", "no se puede usar un booleano como clave de una lista"),
        ("${obj[lista]}", "no se puede usar una lista como clave de un objeto"),
    ],
)
def test_member_access_errors(text: str, fragment: str) -> None:
    assert fragment in str(error_of(text))


# ------------------------------------------------------------------------------ composite text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("grupo-${mesa}-n2", "grupo-ti-n2"),
        ("${mesa}${n}", "ti7"),
        ("nivel ${obj.grupo.nivel}", "nivel 2"),
        ("[${nada}]", "[]"),
        ("${t}/${f}", "true/false"),
        ("${x} h", "2.5 h"),
        ("P${n}D", "P7D"),
        (" ${n}", " 7"),  # any surrounding text makes it a string
        ("sin expresión", "sin expresión"),
        ("cuesta $5 {total}", "cuesta $5 {total}"),
        ("", ""),
    ],
)
def test_composite_text_is_a_string(text: str, expected: str) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize("literal", ["mesa-ti", "PT2H", "a == 1", "  espacios  ", "#{x}"])
def test_text_without_expression_is_returned_unchanged(literal: str) -> None:
    assert not is_expression(literal)
    assert ev(literal, {}) == literal


def test_composite_refuses_structures() -> None:
    assert "no se puede escribir un objeto dentro de un texto" in str(error_of("a-${obj}"))


def test_composite_writes_dates_in_iso_format() -> None:
    assert ev("vence ${d}", {"d": dt.date(2026, 3, 1)}) == "vence 2026-03-01"


# ---------------------------------------------------------------------------------- functions


def test_whitelisted_functions_are_called_with_evaluated_arguments() -> None:
    seen: list[tuple[Any, ...]] = []

    def plazo(*args: Any) -> str:
        seen.append(args)
        return "P3D"

    assert ev("${plazo('validacion', n + 1, s)}", plazo=plazo) == "P3D"
    assert ev("${plazo()}", plazo=plazo) == "P3D"
    assert seen == [("validacion", 8, "alta"), ()]


def test_namespaced_function_uses_its_full_name() -> None:
    assert evaluate_text("${fn:mayus(s)}", VARIABLES, {"fn:mayus": str.upper}) == "ALTA"
    assert evaluate_text("${t?s:n}", VARIABLES) == "alta"  # a ternary is not a namespace


def test_unlisted_function_is_refused_before_its_arguments_run() -> None:
    calls: list[str] = []
    error = error_of("${borrar(registrar())}", registrar=lambda: calls.append("x"))
    assert 'función no permitida "borrar"; las permitidas son: registrar' in str(error)
    assert error.position == 3
    assert calls == []


def test_no_functions_at_all() -> None:
    assert "las permitidas son: ninguna" in str(error_of("${plazo('x')}"))


def test_failing_function_becomes_expression_error() -> None:
    def falla(_: Any) -> None:
        raise KeyError("sin plazo")

    error = error_of("${falla('x')}", falla=falla)
    assert "la función \"falla\" falló: 'sin plazo'" in str(error)
    assert isinstance(error.__cause__, KeyError)


def test_expression_error_from_a_function_passes_through() -> None:
    def falla() -> None:
        raise ExpressionError("propio", "otra")

    assert error_of("${falla()}", falla=falla).problem == "propio"


# -------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("${a ==}", 7, 'se esperaba un valor, no "}"'),
        ("${}", 3, "la expresión está vacía"),
        ("${a", 1, 'falta la "}" que cierra este "${"'),
        ("x ${a} ${b", 8, 'falta la "}"'),
        ("${'abc}", 3, "falta la comilla ' que cierra el texto"),
        ("${(a}", 5, 'se esperaba ")", no "}"'),
        ("${a[1}", 6, 'se esperaba "]"'),
        ("${a b}", 5, 'se esperaba un operador o "}", no "b"'),
        ("${a = 1}", 5, 'carácter no permitido "=": para comparar use "=="'),
        ("${a & b}", 5, 'use "&&"'),
        ("${a | b}", 5, 'use "||"'),
        ("${información}", 12, "letras sin tilde ni ñ"),
        ("${a.}", 5, 'se esperaba un nombre de propiedad después de ".", no "}"'),
        ("${a.1}", 5, "un nombre de propiedad"),
        ("${a.true}", 5, "un nombre de propiedad"),
        ("${a.empty}", 5, "un nombre de propiedad"),
        ("${a ? b}", 8, 'se esperaba ":"'),
        ("${f(a,)}", 7, "se esperaba un valor"),
        ("${a.b(1)}", 6, "solo se llaman funciones por su nombre"),
        ("${True}", 3, 'escriba "true"'),
        ("${x == None}", 8, 'escriba "null"'),
        ("${a instanceof b}", 5, "no se admite"),
        ("${#{a}}", 3, "las expresiones diferidas #{...} no se admiten"),
        ("${{'a': 1}}", 3, "no hay llaves"),
    ],
)
def test_syntax_errors_say_where_and_how(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        check_syntax(text)
    error = caught.value
    assert error.position == column
    assert error.expression == text
    assert fragment in str(error)
    assert str(error).startswith(f'Expresión inválida en la columna {column} de "{text}": ')


def test_error_message_format() -> None:
    expected = 'Expresión inválida en la columna 7 de "${a ==}": se esperaba un valor, no "}"'
    assert str(error_of("${a ==}")) == expected


def test_expression_error_is_a_value_error() -> None:
    assert issubclass(ExpressionError, ValueError)


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("${falta > 1}", 3, 'la variable "falta" no existe; revise el nombre o, si puede faltar, use "empty'),
        ("a-${obj.x}-${falta}", 14, 'la variable "falta" no existe'),
        ("${s + 'x'}", 3, "se esperaba un número, pero el valor es un texto"),
        ("${n + t}", 7, "se esperaba un número, pero el valor es un booleano"),
        ("${nada + 1}", 3, "se esperaba un número, pero el valor es null"),
        ("${-s}", 4, "se esperaba un número"),
        ("${n / 0}", 5, "división por cero"),
        ("${n % cero}", 5, "división por cero"),
        ("${n < s}", 5, '"<" compara dos números o dos textos, no un número con un texto'),
        ("${t > f}", 5, "no un booleano con un booleano"),
        ("${n && t}", 3, "se esperaba true o false, pero el valor es un número"),
        ("${!s}", 4, "se esperaba true o false, pero el valor es un texto"),
        ("${lista ? 1 : 2}", 3, "se esperaba true o false, pero el valor es una lista"),
        ("${obj[k]}", 7, 'la variable "k" no existe'),
    ],
)
def test_evaluation_errors_say_where_and_how(text: str, column: int, fragment: str) -> None:
    check_syntax(text)  # valid syntax: the problem only shows with the values
    error = error_of(text)
    assert error.position == column
    assert fragment in str(error)
    assert str(error).startswith(f'Error al evaluar en la columna {column} de "{text}": ')


def test_huge_numbers_give_expression_error() -> None:
    assert "demasiado grande" in str(error_of("${grande * 1.5}", {"grande": 10**400}))


# --------------------------------------------------------------------------------- conditions


ACEPTADA = "${solucion_aceptada == true && calificacion >= 3}"


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("${informacion_completa}", {"informacion_completa": True}, True),
        ("${informacion_completa}", {"informacion_completa": False}, False),
        ("${!escalar_nivel3}", {"escalar_nivel3": False}, True),
        ("${!escalar_nivel3}", {"escalar_nivel3": None}, True),
        (ACEPTADA, {"solucion_aceptada": True, "calificacion": 4}, True),
        (ACEPTADA, {"solucion_aceptada": True, "calificacion": 2}, False),
        (ACEPTADA, {"solucion_aceptada": False}, False),  # short-circuit: calificacion is never read
        ("${prioridad == 'alta' || empty grupo}", {"prioridad": "alta", "grupo": "n2"}, True),
        ("${prioridad == 'alta' || empty grupo}", {"prioridad": "baja"}, True),
        ("${prioridad == 'alta' || empty grupo}", {"prioridad": "baja", "grupo": "n2"}, False),
        ('${prioridad eq "alta" and not empty grupo}', {"prioridad": "alta", "grupo": "n2"}, True),
        ("\n    ${aprobado}\n  ", {"aprobado": True}, True),  # indented XML text, trimmed as Camunda does
    ],
)
def test_camunda_style_conditions(text: str, variables: dict[str, Any], expected: bool) -> None:
    assert evaluate_condition(text, variables) is expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${s}", "debe dar true o false, pero dio un texto"),
        ("${nada}", "pero dio null"),
        ("${n}", "pero dio un número"),
        ("a == 1", "no está entre ${ y }; escríbala así: ${a == 1}"),
        ("true", "escríbala así: ${true}"),
        ("${t}x", "pero dio un texto"),
    ],
)
def test_condition_must_give_a_boolean(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError, match=r"^Condición inválida") as caught:
        evaluate_condition(text, VARIABLES)
    assert fragment in str(caught.value)


# -------------------------------------------------------------------------------------- timers


@pytest.mark.parametrize(
    "text",
    [
        "P5D",
        "PT2H",
        "PT30M",
        "PT45S",
        "PT0.5S",
        "P1DT12H",
        "P1Y2M3DT4H5M6S",
        "P2W",
        "P0D",
        "2026-12-01T10:00:00-05:00",
        "2026-12-01T10:00-05:00",
        "2026-12-01T15:00:00Z",
        "2026-12-01T15:00:00.250+00:00",
        "R3/PT1H",
        "R/P1D",
        "R5/2026-12-01T08:00:00-05:00/P1W",
        "  P5D\n",
    ],
)
def test_valid_timer_literals(text: str) -> None:
    assert evaluate_timer(text, {}) == text.strip()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("P", "no es una duración ISO-8601"),
        ("PT", "no es una duración"),
        ("P1DT", "no es una duración"),
        ("5D", "no es una duración"),
        ("p5d", "no es una duración"),
        ("PT1.5H", "no es una duración"),
        ("P1W2D", "no es una duración"),
        ("P-1D", "no es una duración"),
        ("5 días", "no es una duración"),
        ("", "no es una duración"),
        ("2026-12-01T10:00:00", "no tiene zona horaria; agregue el desfase"),
        ("R3/2026-12-01T10:00:00/PT1H", "no tiene zona horaria"),
        ("2026-12-01", "no es"),
        ("2026-02-30T10:00:00Z", "no es"),
        ("2026-12-01T25:00:00Z", "no es"),
        ("R3/", "no es"),
        ("R3/PT", "no es"),
        ("'P5D'", "no es"),
        ('"PT2S"', "no es"),  # the Python string literal SpiffWorkflow would want
    ],
)
def test_invalid_timer_literals(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError, match=r"^Temporizador inválido") as caught:
        evaluate_timer(text, {})
    assert fragment in str(caught.value)


def test_timer_from_expressions() -> None:
    functions = {"plazo": lambda etapa: {"validacion": "P2D"}[etapa]}
    assert evaluate_timer("${plazo('validacion')}", {}, functions) == "P2D"
    assert evaluate_timer("P${dias}D", {"dias": 3}) == "P3D"
    assert evaluate_timer("${vence}", {"vence": "2026-12-01T10:00:00-05:00"}) == "2026-12-01T10:00:00-05:00"


@pytest.mark.parametrize(
    ("text", "variables", "fragment"),
    [
        ("${dias}", {"dias": 3}, "debe dar un texto ISO-8601, pero dio un número"),
        ("P${dias}D", {"dias": "x"}, 'dio "PxD", que no es una duración'),
        (
            "${vence}",
            {"vence": "2026-12-01T10:00:00"},
            'dio "2026-12-01T10:00:00", que no tiene zona horaria',
        ),
    ],
)
def test_invalid_timer_from_expressions(text: str, variables: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate_timer(text, variables)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("text", "kind", "valid"),
    [
        ("P5D", "duration", True),
        ("P5D", "date", False),
        ("2026-12-01T10:00:00Z", "date", True),
        ("2026-12-01T10:00:00Z", "cycle", False),
        ("R2/PT1H", "cycle", True),
        ("R2/PT1H", "duration", False),
    ],
)
def test_timer_kind_restricts_the_format(text: str, kind: Any, valid: bool) -> None:
    if valid:
        assert evaluate_timer(text, {}, kind=kind) == text
    else:
        with pytest.raises(ExpressionError, match="no es"):
            evaluate_timer(text, {}, kind=kind)


# ---------------------------------------------------------------------------- deploy helpers


@pytest.mark.parametrize(
    ("text", "names", "functions"),
    [
        ("sin expresión", set(), set()),
        ("${a}", {"a"}, set()),
        ("grupo-${mesa}-${nivel}", {"mesa", "nivel"}, set()),
        ("${a.b.c && empty d || lista[i] == 'x'}", {"a", "d", "lista", "i"}, set()),
        ("${plazo(etapa) ? x : y}", {"etapa", "x", "y"}, {"plazo"}),
        ("${fn:hoy() == 'lunes'}", set(), {"fn:hoy"}),
        ("${'texto con ${a}'}", set(), set()),
    ],
)
def test_referenced_names_and_functions(text: str, names: set[str], functions: set[str]) -> None:
    assert referenced_names(text) == names
    assert referenced_functions(text) == functions


@pytest.mark.parametrize(
    ("text", "expected"), [("${a}", True), ("a-${b}", True), ("${a", True), ("$ {a}", False)]
)
def test_is_expression(text: str, expected: bool) -> None:
    assert is_expression(text) is expected


def test_compile_text_is_cached_and_reusable() -> None:
    compiled = compile_text("${n + 1}")
    assert compile_text("${n + 1}") is compiled
    assert compiled.evaluate({"n": 1}) == 2
    assert compiled.evaluate({"n": 41}) == 42


def test_check_syntax_evaluates_nothing() -> None:
    check_syntax("${variable_inexistente.campo > funcion_desconocida(1)}")


# -------------------------------------------------------------------------------------- limits


def test_length_limit() -> None:
    body = "x" * (MAX_LENGTH - len("${''}"))
    longest = f"${{'{body}'}}"
    assert len(longest) == MAX_LENGTH
    assert ev(longest) == body
    with pytest.raises(
        ExpressionError, match=f"tiene {MAX_LENGTH + 1} caracteres y el máximo es {MAX_LENGTH}"
    ):
        check_syntax(f"${{'{body}x'}}")


def _nested(levels: int, shape: str) -> str:
    return {
        "parentheses": "(" * levels + "n" + ")" * levels,
        "negations": "!" * levels + "t",
        "minus": "- " * levels + "n",
        "sum": " + ".join(["n"] * (levels + 1)),
        "property chain": "obj" + ".a" * levels,
        "index": "lista[" * levels + "0" + "]" * levels,
        "calls": "f(" * levels + "n" + ")" * levels,
        "ternaries": "t ? n : " * levels + "n",
    }[shape]


SHAPES = ["parentheses", "negations", "minus", "sum", "property chain", "index", "calls", "ternaries"]


@pytest.mark.parametrize("shape", SHAPES)
def test_nesting_up_to_the_limit_is_accepted(shape: str) -> None:
    check_syntax("${" + _nested(MAX_DEPTH - 1, shape) + "}")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("levels", [MAX_DEPTH, 200])
def test_deeper_nesting_is_refused_without_recursion_error(shape: str, levels: int) -> None:
    with pytest.raises(ExpressionError, match=f"anida más de {MAX_DEPTH} niveles"):
        check_syntax("${" + _nested(levels, shape) + "}")


def test_deepest_accepted_expression_evaluates() -> None:
    assert ev("${" + _nested(MAX_DEPTH - 1, "sum") + "}") == 7 * MAX_DEPTH
    assert ev("${" + _nested(MAX_DEPTH - 1, "negations") + "}") is False


# ------------------------------------------------------------------------------------ security


class Tripwire:
    """A variable value that records any attempt to use it as a Python object."""

    def __init__(self) -> None:
        self.touched: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.touched.append(name)
        raise AttributeError(name)

    def __getitem__(self, key: Any) -> Any:
        self.touched.append(f"[{key!r}]")
        return self

    def __call__(self, *args: Any) -> Any:
        self.touched.append("()")
        return self


_SPIED = ["__import__", "eval", "exec", "compile", "open", "getattr", "setattr", "globals", "vars"]


@contextmanager
def spying_on_python(calls: list[str]) -> Iterator[None]:
    """Record any call of the builtins and os functions an escape would need, only for the block."""
    originals: dict[tuple[Any, str], Any] = {(builtins, name): getattr(builtins, name) for name in _SPIED}
    originals[(os, "system")] = os.system
    originals[(os, "popen")] = os.popen

    def spy(name: str, original: Any) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return original(*args, **kwargs)

        return wrapper

    # Through __dict__: once patched, calling setattr would record the spy's own work.
    for (module, name), original in originals.items():
        module.__dict__[name] = spy(name, original)
    try:
        yield
    finally:
        for (module, name), original in originals.items():
            module.__dict__[name] = original


ATTACKS = [
    "${__import__('os').system('id')}",
    "${open('/etc/passwd')}",
    "${open('/etc/passwd').read()}",
    "${eval('1')}",
    "${exec('x=1')}",
    "${compile('1', 'x', 'eval')}",
    "${getattr(a, 'b')}",
    "${globals()}",
    "${().__class__.__base__.__subclasses__()}",
    "${''.__class__}",
    "${''.__class__.__mro__[1].__subclasses__()}",
    "${a.__dict__}",
    "${a.__class__}",
    "${a._secret}",
    "${a['__class__']}",
    '${a["__globals__"]}',
    "${a['_secret']}",
    "${a[clave]}",  # a computed "_" key is refused too
    "${d[clave]}",
    "${a.b}",  # a Python object: never getattr
    "${a[0]}",
    "${a()}",
    "${d.get('k')}",  # no method calls, even on a dict
    "${plazo.__globals__}",
    "${lambda: 1}",
    "${[x for x in y]}",
    "${(x for x in y)}",
    "${{}}",
    "${a if b else c}",
    "${import os}",
    "${x := 1}",
    "${a; b}",
    "${a ** 2}",
    "${'%s' % a}",
    "${f'{a}'}",
    "${b'x'}",
    "${a.__class__.__init__.__globals__['os'].system('id')}",
    "${_}",
    "${__builtins__}",
    "${fn:__import__('os')}",
    "prefix ${eval('1')} suffix",
    "${'" + "x" * MAX_LENGTH + "'}",
    "${" + "(" * 200 + "1" + ")" * 200 + "}",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_are_refused_and_run_nothing(attack: str) -> None:
    tripwire = Tripwire()
    called: list[str] = []
    variables = {"a": tripwire, "b": True, "c": 1, "d": {"k": 1}, "x": 1, "y": [1], "clave": "__class__"}
    functions = {"plazo": lambda *args: called.append("plazo")}
    python_calls: list[str] = []
    with spying_on_python(python_calls), pytest.raises(ExpressionError):
        evaluate_text(attack, variables, functions)
    assert python_calls == []
    assert tripwire.touched == []
    assert called == []


def test_spy_really_sees_python_calls() -> None:
    calls: list[str] = []
    with spying_on_python(calls):
        eval("1")
    assert calls == ["eval"]


@pytest.mark.parametrize(
    ("attack", "name"),
    [("${open('/etc/passwd')}", "open"), ("${eval('1')}", "eval"), ("${getattr(a, 'b')}", "getattr")],
)
def test_calls_of_python_builtins_are_visible_at_deploy_time(attack: str, name: str) -> None:
    check_syntax(attack)  # valid syntax, refused only when evaluated: deploy checks the names instead
    assert referenced_functions(attack) == {name}


def test_python_objects_in_variables_are_opaque() -> None:
    class Caso:
        secreto = "no"

    assert "no en un valor de tipo Caso" in str(error_of("${c.secreto}", {"c": Caso()}))
    assert ev("${c == c}", {"c": Caso()}) is True  # it can still be passed around and compared


# ---------------------------------------------------------------------------------- robustness


def test_expression_error_survives_pickling() -> None:
    error = error_of("${falta}")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.expression, copy.position, copy.problem) == (
        str(error),
        error.expression,
        error.position,
        error.problem,
    )


@pytest.mark.parametrize("text", ["${\u0663}", "${n + \u0663}"])
def test_only_ascii_digits_are_numbers(text: str) -> None:
    with pytest.raises(ExpressionError, match="carácter no permitido"):
        check_syntax(text)


def test_unicode_spaces_separate_tokens() -> None:
    assert ev("${n\u00a0+\u00a01}") == 8  # a no-break space pasted from a document


@pytest.mark.parametrize("text", ["P\u0663D", "PT\u0661H", "2026-12-01T10:00:00-0\u0665:00"])
def test_timers_take_only_ascii_digits(text: str) -> None:
    with pytest.raises(ExpressionError, match="no es"):
        evaluate_timer(text, {})
