"""Camunda form loading (deploy time) and server-side submission validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.forms import (
    FeelError,
    FormDefinitionError,
    FormSchema,
    ValidationResult,
    default_values,
    load_form,
    parse_condition,
    validate_submission,
)
from engine.forms.feel import And, Compare, Const, Not, Or, Var, holds

SOURCE = "forms/prueba.form"


def doc(*components: dict[str, Any], form_id: str = "Form_prueba") -> dict[str, Any]:
    """A minimal form-js document around some components."""
    return {"type": "default", "id": form_id, "schemaVersion": 16, "components": list(components)}


def form(*components: dict[str, Any]) -> FormSchema:
    """Load components as a form, failing the test on any definition problem."""
    return load_form(json.dumps(doc(*components)), SOURCE)


def problems(source: str | bytes | dict[str, Any]) -> list[str]:
    """The problems load_form reports for a document (which must be refused)."""
    text = json.dumps(source) if isinstance(source, dict) else source
    with pytest.raises(FormDefinitionError) as info:
        load_form(text, SOURCE)
    return info.value.problems


def one_problem(*components: dict[str, Any]) -> str:
    """The single problem reported for a form made of these components."""
    found = problems(doc(*components))
    assert len(found) == 1, found
    return found[0]


def text(key: str, **extra: Any) -> dict[str, Any]:
    return {"type": "textfield", "id": f"Field_{key}", "key": key, "label": key.title(), **extra}


def validate(schema: FormSchema, submitted: dict[str, Any], **kwargs: Any) -> ValidationResult:
    return validate_submission(schema, submitted, **kwargs)


OPTIONS = [{"label": "Alta", "value": "alta"}, {"label": "Baja", "value": "baja"}]


# ------------------------------------------------------------------ loading: JSON level


def test_valid_form_loads_with_fields_keys_and_raw() -> None:
    definition = doc(
        text("asunto", validate={"required": True, "maxLength": 200}),
        {"type": "number", "id": "N", "key": "horas", "decimalDigits": 0, "validate": {"min": 1, "max": 5}},
        {"type": "text", "id": "T", "text": "# Título"},
    )
    schema = load_form(json.dumps(definition), SOURCE)
    assert schema.id == "Form_prueba"
    assert schema.source == SOURCE
    assert schema.keys == frozenset({"asunto", "horas"})
    assert schema.raw == definition
    asunto, horas = schema.fields
    assert (asunto.key, asunto.type, asunto.label, asunto.required, asunto.max_length) == (
        "asunto",
        "textfield",
        "Asunto",
        True,
        200,
    )
    assert (horas.minimum, horas.maximum, horas.decimal_digits, horas.component_id) == (1, 5, 0, "N")


def test_bytes_with_utf8_bom_are_accepted() -> None:
    schema = load_form(b"\xef\xbb\xbf" + json.dumps(doc(text("a"))).encode(), SOURCE)
    assert schema.keys == {"a"}


def test_invalid_json_reports_line_and_column() -> None:
    [problem] = problems('{\n  "type": "default",\n  "id": "x",,\n}')
    assert problem.startswith(f"{SOURCE}: JSON inválido en la línea 3, columna")


def test_non_utf8_bytes_are_refused() -> None:
    [problem] = problems(b'{"id": "\xff"}')
    assert "UTF-8" in problem and problem.startswith(SOURCE)


def test_nan_is_not_json() -> None:
    [problem] = problems('{"type": "default", "id": "x", "components": [], "n": NaN}')
    assert "NaN" in problem


def test_duplicate_key_at_top_level_is_refused() -> None:
    [problem] = problems('{"type": "default", "id": "a", "id": "b", "components": []}')
    assert "clave JSON duplicada 'id'" in problem and "raíz" in problem


def test_duplicate_key_inside_a_component_names_it() -> None:
    raw = (
        '{"type": "default", "id": "f", "components": ['
        '{"type": "textfield", "id": "Field_1", "key": "a",'
        ' "validate": {"required": true, "required": false}}]}'
    )
    [problem] = problems(raw)
    assert "'required'" in problem and "components[0].validate" in problem and "'Field_1'" in problem


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ([], "la raíz debe ser un objeto"),
        ({"id": "f", "components": []}, "'type' debe ser \"default\""),
        ({"type": "form", "id": "f", "components": []}, "'type' debe ser \"default\""),
        ({"type": "default", "components": []}, "falta 'id'"),
        ({"type": "default", "id": "  ", "components": []}, "falta 'id'"),
        ({"type": "default", "id": "f"}, "'components' debe ser una lista"),
        ({"type": "default", "id": "f", "components": {}}, "'components' debe ser una lista"),
    ],
)
def test_top_level_shape_is_checked(definition: Any, expected: str) -> None:
    [problem] = problems(json.dumps(definition))
    assert expected in problem and problem.startswith(SOURCE)


def test_error_is_a_value_error_listing_every_problem() -> None:
    with pytest.raises(ValueError, match="3 problema") as info:
        load_form(
            json.dumps(doc({"type": "foo", "id": "A"}, {"type": "bar", "id": "B"}, text("x.y"))), SOURCE
        )
    assert isinstance(info.value, FormDefinitionError)
    assert len(info.value.problems) == 3
    assert all(problem.startswith(f"{SOURCE}: componente") for problem in info.value.problems)


# ------------------------------------------------------------------ loading: components


def test_unknown_component_type_names_id_and_type() -> None:
    problem = one_problem({"type": "slider", "id": "Field_9", "key": "nivel"})
    assert "Field_9" in problem and "'slider'" in problem and "tipo de componente desconocido" in problem
    assert "textfield" in problem  # lists the valid types: how to fix


def test_component_without_type_is_refused() -> None:
    assert "falta 'type'" in one_problem({"id": "X", "key": "a"})


def test_component_must_be_an_object() -> None:
    assert "components[0] debe ser un objeto" in one_problem("textfield")  # type: ignore[arg-type]


@pytest.mark.parametrize("ctype", ["expression", "filepicker"])
def test_known_but_unchecked_types_are_refused_with_reason(ctype: str) -> None:
    problem = one_problem({"type": ctype, "id": "E", "key": "calculado"})
    assert f"el tipo '{ctype}' no está soportado" in problem and "'E'" in problem


@pytest.mark.parametrize(
    "component",
    [
        {"type": "text", "text": "hola"},
        {"type": "html", "content": "<b>x</b>"},
        {"type": "image", "source": "data:,"},
        {"type": "spacer", "height": 30},
        {"type": "separator"},
        {"type": "iframe", "url": "https://example.org"},
        {"type": "table", "dataSource": "=filas", "columns": []},
        {"type": "documentPreview"},
        {"type": "button", "action": "submit"},
    ],
)
def test_display_components_carry_no_data(component: dict[str, Any]) -> None:
    schema = form(component)
    assert schema.fields == () and schema.keys == frozenset()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, "falta 'key'"),
        ("", "falta 'key'"),
        ("cliente.nombre", "'key' con puntos 'cliente.nombre' no está soportado"),
        ("1campo", "no es válido"),
        ("fecha-limite", "no es válido"),
        ("año", "no es válido"),
        ("class", "palabra reservada"),
        ("null", "palabra reservada"),
    ],
)
def test_input_key_must_be_a_plain_identifier(key: str | None, expected: str) -> None:
    component: dict[str, Any] = {"type": "textfield", "id": "F"}
    if key is not None:
        component["key"] = key
    assert expected in one_problem(component)


def test_duplicate_input_keys_are_refused() -> None:
    problem = one_problem(text("asunto"), {"type": "textarea", "id": "Otro", "key": "asunto"})
    assert "la clave 'asunto' ya la usa" in problem and "'Otro'" in problem and "Field_asunto" in problem


def test_readonly_and_disabled_mark_the_field_display_only() -> None:
    schema = form(text("a", readonly=True), text("b", disabled=True), text("c", readonly=False))
    assert [f.readonly for f in schema.fields] == [True, True, False]


def test_readonly_expression_is_refused() -> None:
    assert "'readonly' debe ser true o false" in one_problem(text("a", readonly="=cerrado"))


# ------------------------------------------------------------------ loading: validate block


def test_valid_pattern_is_compiled() -> None:
    [field] = form(text("codigo", validate={"pattern": r"^[A-Z]{3}-\d+$"})).fields
    assert field.pattern is not None and field.pattern.search("ABC-12")


def test_invalid_pattern_is_refused() -> None:
    problem = one_problem(text("codigo", validate={"pattern": "[A-Z"}))
    assert "validate.pattern '[A-Z' no es una expresión regular válida" in problem and "codigo" in problem


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        ({"type": "number", "validate": {"min": "=limite"}}, "las expresiones no están soportadas"),
        ({"type": "number", "validate": {"max": True}}, "validate.max debe ser un número"),
        ({"type": "textfield", "validate": {"minLength": -1}}, "validate.minLength debe ser un entero >= 0"),
        ({"type": "textfield", "validate": {"maxLength": 2.5}}, "validate.maxLength debe ser un entero >= 0"),
        (
            {"type": "textarea", "validate": {"minLength": 5, "maxLength": 2}},
            "es mayor que validate.maxLength",
        ),
        ({"type": "number", "validate": {"min": 9, "max": 1}}, "es mayor que validate.max"),
        ({"type": "textfield", "validate": {"required": "yes"}}, "validate.required debe ser true o false"),
        (
            {"type": "number", "validate": {"pattern": "x"}},
            "validate.pattern no aplica a componentes 'number'",
        ),
        ({"type": "textfield", "validate": {"min": 1}}, "validate.min no aplica"),
        ({"type": "textfield", "validate": {"custom": 1}}, "validate.custom no está soportado"),
        ({"type": "textfield", "validate": {"validationType": "phone"}}, "'phone' no está soportado"),
        ({"type": "textfield", "validate": "required"}, "'validate' debe ser un objeto"),
    ],
)
def test_bad_validate_blocks_are_refused(component: dict[str, Any], expected: str) -> None:
    assert expected in one_problem({"id": "F", "key": "campo", **component})


def test_validate_nulls_are_ignored_and_email_is_recognised() -> None:
    [field] = form(text("correo", validate={"minLength": None, "validationType": "email"})).fields
    assert field.email and field.min_length is None


# ------------------------------------------------------------------ loading: options


def test_static_values_and_values_key_are_read() -> None:
    schema = form(
        {"type": "select", "id": "S", "key": "prioridad", "values": OPTIONS},
        {"type": "taglist", "id": "T", "key": "etiquetas", "valuesKey": "etiquetas_disponibles"},
    )
    prioridad, etiquetas = schema.fields
    assert prioridad.options == ("alta", "baja") and prioridad.values_key is None
    assert etiquetas.options == () and etiquetas.values_key == "etiquetas_disponibles"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "faltan las opciones"),
        ({"valuesExpression": "=opciones"}, "'valuesExpression' no está soportado"),
        ({"values": OPTIONS, "valuesKey": "x"}, "no ambos"),
        ({"values": []}, "lista no vacía"),
        ({"values": [{"label": "A"}]}, "values[0] debe ser"),
        ({"values": [{"label": "A", "value": 1}]}, "values[0] debe ser"),
        ({"values": [{"label": "A", "value": "a"}, {"label": "B", "value": "a"}]}, "values[1]: el valor 'a'"),
        ({"valuesKey": 3}, "'valuesKey' debe ser un texto"),
        ({"valuesKey": "datos.opciones"}, "'valuesKey' con puntos"),
    ],
)
def test_bad_options_are_refused(extra: dict[str, Any], expected: str) -> None:
    assert expected in one_problem({"type": "radio", "id": "R", "key": "prioridad", **extra})


# ------------------------------------------------------------------ loading: defaults, numbers, dates


def test_default_values_are_coerced_and_checked() -> None:
    schema = form(
        {"type": "number", "id": "N", "key": "n", "defaultValue": "3"},
        {"type": "checklist", "id": "C", "key": "c", "values": OPTIONS, "defaultValue": ["alta"]},
        {"type": "checkbox", "id": "B", "key": "b", "defaultValue": True},
    )
    assert [f.default for f in schema.fields] == [3, ("alta",), True]
    hash(schema.fields)  # list defaults are frozen so fields stay hashable


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        ({"type": "checkbox", "defaultValue": "true"}, "'defaultValue' 'true' no es válido"),
        ({"type": "select", "values": OPTIONS, "defaultValue": "media"}, "Valor no permitido: 'media'"),
        ({"type": "select", "valuesKey": "x", "defaultValue": "a"}, "no se admite junto con 'valuesKey'"),
        ({"type": "textfield", "defaultValue": 5}, "Debe ser un texto"),
        (
            {"type": "textfield", "validate": {"maxLength": 2}, "defaultValue": "abc"},
            "como máximo 2 caracteres",
        ),
        ({"type": "number", "decimalDigits": -1}, "'decimalDigits' debe ser un entero >= 0"),
        ({"type": "number", "increment": 0}, "'increment' debe ser un número mayor que 0"),
        ({"type": "number", "increment": "medio"}, "'increment' debe ser un número mayor que 0"),
        ({"type": "number", "serializeToString": "si"}, "'serializeToString' debe ser true o false"),
        ({"type": "datetime", "subtype": "week"}, "'subtype' debe ser uno de date, time, datetime"),
    ],
)
def test_bad_field_properties_are_refused(component: dict[str, Any], expected: str) -> None:
    assert expected in one_problem({"id": "F", "key": "campo", **component})


def test_number_and_datetime_properties_are_read() -> None:
    schema = form(
        {"type": "number", "id": "N", "key": "n", "increment": "0.5", "serializeToString": True},
        {"type": "datetime", "id": "D", "key": "d"},
        {"type": "datetime", "id": "T", "key": "t", "subtype": "time"},
    )
    n, d, t = schema.fields
    assert (n.increment, n.serialize_to_string, d.subtype, t.subtype) == (0.5, True, "date", "time")


# ------------------------------------------------------------------ loading: FEEL conditions


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("=urgente", Var("urgente")),
        ("=not(urgente)", Not(Var("urgente"))),
        ('=estado = "cerrado"', Compare("estado", "=", "cerrado")),
        ("=nivel != 3", Compare("nivel", "!=", 3)),
        ("=nivel = -2.5", Compare("nivel", "=", -2.5)),
        ("=aprobado = true", Compare("aprobado", "=", True)),
        ("=aprobado != false", Compare("aprobado", "!=", False)),
        ("=motivo = null", Compare("motivo", "=", None)),
        ('=a and b = "x"', And((Var("a"), Compare("b", "=", "x")))),
        ("=a or b and c", Or((Var("a"), And((Var("b"), Var("c")))))),
        ("=not(a or b)", Not(Or((Var("a"), Var("b"))))),
        ('=t = "dice \\"hola\\""', Compare("t", "=", 'dice "hola"')),
        ("=  a  =  1  ", Compare("a", "=", 1)),
    ],
)
def test_supported_feel_is_parsed(expression: str, expected: object) -> None:
    assert parse_condition(expression) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "urgente",
        "=",
        "=a > 1",
        "=(a)",
        "=cliente.vip",
        "=count(x) = 1",
        "=a = b",
        '=a = "sin cerrar',
        "=a = 1 b",
        "=not a",
        "=a and",
        "=true",
        '=a = "\\q"',
        "=a == 1",
    ],
)
def test_unsupported_feel_is_refused(expression: str) -> None:
    with pytest.raises(FeelError, match="condición FEEL no soportada"):
        parse_condition(expression)


def test_unsupported_feel_in_a_form_names_the_component() -> None:
    problem = one_problem(text("a", conditional={"hide": "=x > 1"}))
    assert "condición FEEL no soportada '=x > 1'" in problem and "Field_a" in problem
    assert "posición 4" in problem


def test_boolean_hide_is_a_constant() -> None:
    schema = form(text("a", conditional={"hide": True}), text("b", conditional={"hide": False}))
    assert [f.hide for f in schema.fields] == [Const(True), None]


@pytest.mark.parametrize(
    ("expression", "ctx", "hidden"),
    [
        ("=f", {"f": True}, True),
        ("=f", {"f": False}, False),
        ("=f", {"f": "true"}, False),  # only a real boolean counts
        ("=f", {}, False),
        ("=not(f)", {"f": False}, True),
        ("=not(f)", {}, False),  # not(null) is null in FEEL: not hidden
        ('=s = "a"', {"s": "a"}, True),
        ('=s = "a"', {"s": "b"}, False),
        ("=s = 1", {"s": "1"}, False),  # different types never compare equal
        ("=s != 1", {"s": "1"}, False),  # ... nor unequal (FEEL null)
        ("=n = 2", {"n": 2.0}, True),
        ("=n = 1", {"n": True}, False),  # a boolean is not a number
        ("=b = true", {"b": True}, True),
        ("=m = null", {}, True),
        ("=m = null", {"m": "x"}, False),
        ("=m != null", {"m": "x"}, True),
        ("=m = 1", {}, False),
        ("=a and b", {"a": True, "b": True}, True),
        ("=a and b", {"a": True}, False),
        ("=a or b", {"b": True}, True),
        ("=not(a and b)", {"a": False}, True),
        ("=not(a or b)", {"a": False}, False),  # false or null is null
    ],
)
def test_feel_evaluation(expression: str, ctx: dict[str, Any], hidden: bool) -> None:
    assert holds(parse_condition(expression), ctx) is hidden


# ------------------------------------------------------------------ loading: containers


def test_group_without_path_is_flattened_and_passes_its_hide_down() -> None:
    schema = form(
        {
            "type": "group",
            "id": "G",
            "conditional": {"hide": "=interno"},
            "components": [text("a"), text("b", conditional={"hide": "=b_oculto"})],
        }
    )
    assert schema.keys == {"a", "b"}
    a, b = schema.fields
    assert a.hide == Var("interno")
    assert b.hide == Or((Var("interno"), Var("b_oculto")))


def test_flattened_group_shares_the_key_scope() -> None:
    problem = one_problem(text("a"), {"type": "group", "id": "G", "components": [text("a")]})
    assert "la clave 'a' ya la usa" in problem


def test_group_with_path_and_dynamiclist_nest_their_children() -> None:
    schema = form(
        text("nombre"),
        {"type": "group", "id": "G", "path": "direccion", "components": [text("nombre"), text("ciudad")]},
        {"type": "dynamiclist", "id": "L", "path": "contactos", "components": [text("nombre")]},
    )
    assert schema.keys == {"nombre", "direccion", "contactos"}
    _, group, dynamic = schema.fields
    assert (group.type, [c.key for c in group.children]) == ("group", ["nombre", "ciudad"])
    assert (dynamic.type, [c.key for c in dynamic.children]) == ("dynamiclist", ["nombre"])


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        ({"type": "dynamiclist", "id": "L", "components": [text("a")]}, "falta 'path'"),
        ({"type": "group", "id": "G", "path": "a.b", "components": []}, "'path' con puntos"),
        ({"type": "group", "id": "G", "path": "g", "components": [text("a"), text("a")]}, "ya la usa"),
        ({"type": "group", "id": "G", "path": "g", "components": "x"}, "debe ser una lista de componentes"),
        ({"type": "group", "id": "G", "components": [{"type": "rating", "id": "R"}]}, "'rating'"),
    ],
)
def test_bad_containers_are_refused(component: dict[str, Any], expected: str) -> None:
    assert expected in one_problem(component)


def test_nested_problem_names_its_json_path() -> None:
    problem = one_problem({"type": "group", "id": "G", "path": "g", "components": [text("a"), {"type": "x"}]})
    assert "components[0].components[1]" in problem


# ------------------------------------------------------------------ validation: keys, readonly, hidden


def test_unknown_submitted_key_is_an_error() -> None:
    result = validate(form(text("a")), {"a": "x", "b": "y"})
    assert result.errors == {"b": ["Campo desconocido en el formulario 'Form_prueba'."]}
    assert not result.ok


def test_clean_submission_is_ok() -> None:
    result = validate(form(text("a"), text("b")), {"a": "x"})
    assert result.ok and result.data == {"a": "x"} and result.errors == {}


def test_readonly_values_are_dropped_silently() -> None:
    schema = form(text("estado", readonly=True), text("nota", disabled=True), text("comentario"))
    result = validate(schema, {"estado": "abierto", "nota": 42, "comentario": "ok"})
    assert result.ok and result.data == {"comentario": "ok"}


def test_readonly_required_field_is_not_demanded() -> None:
    result = validate(form(text("estado", readonly=True, validate={"required": True})), {})
    assert result.ok and result.data == {}


def test_hidden_field_is_dropped_and_not_required() -> None:
    schema = form(
        {"type": "checkbox", "id": "U", "key": "urgente"},
        {
            "type": "textarea",
            "id": "M",
            "key": "motivo",
            "conditional": {"hide": "=not(urgente)"},
            "validate": {"required": True},
        },
    )
    hidden = validate(schema, {"urgente": False, "motivo": 123})  # even an invalid value: dropped
    assert hidden.ok and hidden.data == {"urgente": False}
    shown = validate(schema, {"urgente": True})
    assert shown.errors == {"motivo": ["Este campo es obligatorio."]}


def test_hide_sees_current_values_overridden_by_the_submission() -> None:
    schema = form(text("estado"), text("cierre", conditional={"hide": '=estado != "cerrado"'}))
    from_case = validate(schema, {"cierre": "listo"}, current={"estado": "cerrado"})
    assert from_case.data == {"cierre": "listo"}
    overridden = validate(schema, {"estado": "abierto", "cierre": "listo"}, current={"estado": "cerrado"})
    assert overridden.data == {"estado": "abierto"}


def test_readonly_value_does_not_steer_conditions() -> None:
    schema = form(text("estado", readonly=True), text("cierre", conditional={"hide": '=estado = "abierto"'}))
    result = validate(schema, {"estado": "abierto", "cierre": "x"}, current={"estado": "cerrado"})
    assert result.data == {"cierre": "x"}  # the forged "abierto" was ignored


# ------------------------------------------------------------------ validation: required


@pytest.mark.parametrize("value", [None, "", "   "])
def test_required_text_rejects_blank(value: Any) -> None:
    result = validate(form(text("a", validate={"required": True})), {"a": value})
    assert result.errors == {"a": ["Este campo es obligatorio."]}


def test_required_missing_and_empty_list() -> None:
    schema = form(
        text("a", validate={"required": True}),
        {"type": "checklist", "id": "C", "key": "c", "values": OPTIONS, "validate": {"required": True}},
    )
    assert validate(schema, {"c": []}).errors == {
        "a": ["Este campo es obligatorio."],
        "c": ["Este campo es obligatorio."],
    }


def test_optional_fields_can_be_cleared_explicitly() -> None:
    schema = form(
        text("a"),
        {"type": "number", "id": "N", "key": "n"},
        {"type": "select", "id": "S", "key": "s", "values": OPTIONS},
        {"type": "datetime", "id": "D", "key": "d"},
    )
    result = validate(schema, {"a": "", "n": "", "s": "", "d": None})
    assert result.ok and result.data == {"a": "", "n": None, "s": None, "d": None}


# ------------------------------------------------------------------ validation: checkbox


@pytest.mark.parametrize(
    ("submitted", "expected"),
    [
        ({}, False),
        ({"b": None}, False),
        ({"b": True}, True),
        ({"b": "on"}, True),
        ({"b": "true"}, True),
        ({"b": "false"}, False),
        ({"b": False}, False),
    ],
)
def test_checkbox_coercion(submitted: dict[str, Any], expected: bool) -> None:
    result = validate(form({"type": "checkbox", "id": "B", "key": "b"}), submitted)
    assert result.ok and result.data == {"b": expected}


def test_missing_checkbox_takes_its_default() -> None:
    result = validate(form({"type": "checkbox", "id": "B", "key": "b", "defaultValue": True}), {})
    assert result.data == {"b": True}


@pytest.mark.parametrize("value", ["yes", 1, "1", []])
def test_checkbox_rejects_other_values(value: Any) -> None:
    result = validate(form({"type": "checkbox", "id": "B", "key": "b"}), {"b": value})
    assert result.errors == {"b": ["Debe ser verdadero o falso."]}


def test_required_checkbox_must_be_ticked() -> None:
    schema = form({"type": "checkbox", "id": "B", "key": "acepto", "validate": {"required": True}})
    assert validate(schema, {"acepto": False}).errors == {"acepto": ["Este campo es obligatorio."]}
    assert validate(schema, {}).errors == {"acepto": ["Este campo es obligatorio."]}
    assert validate(schema, {"acepto": True}).data == {"acepto": True}


# ------------------------------------------------------------------ validation: numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), ("3", 3), (" 7 ", 7), ("2.5", 2.5), (2.5, 2.5), (3.0, 3), ("-4", -4), (".5", 0.5), ("10.0", 10)],
)
def test_number_coercion(value: Any, expected: int | float) -> None:
    result = validate(form({"type": "number", "id": "N", "key": "n"}), {"n": value})
    assert result.ok and result.data == {"n": expected}
    assert type(result.data["n"]) is type(expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "Debe ser un número."),
        (False, "Debe ser un número."),
        ("abc", "Debe ser un número, por ejemplo 3 o 2.5 (con punto decimal)."),
        ("2,5", "Debe ser un número, por ejemplo 3 o 2.5 (con punto decimal)."),
        ("1e5", "Debe ser un número, por ejemplo 3 o 2.5 (con punto decimal)."),
        ("NaN", "Debe ser un número, por ejemplo 3 o 2.5 (con punto decimal)."),
        (float("inf"), "Debe ser un número finito."),
        ([1], "Debe ser un número."),
        ("9" * 101, "El número es demasiado largo."),
    ],
)
def test_number_rejects_non_numbers(value: Any, message: str) -> None:
    result = validate(form({"type": "number", "id": "N", "key": "n"}), {"n": value})
    assert result.errors == {"n": [message]}


@pytest.mark.parametrize(
    ("props", "value", "errors"),
    [
        ({"decimalDigits": 0}, "2.5", ["Debe ser un número entero."]),
        ({"decimalDigits": 0}, 4.0, []),
        ({"decimalDigits": 2}, "1.234", ["Debe tener como máximo 2 decimales."]),
        ({"decimalDigits": 1}, 0.25, ["Debe tener como máximo 1 decimal."]),
        ({"decimalDigits": 2}, "1.50", []),
        ({"validate": {"min": 1, "max": 5}}, 6, ["Debe ser un número entre 1 y 5."]),
        ({"validate": {"min": 1, "max": 5}}, 0, ["Debe ser un número entre 1 y 5."]),
        ({"validate": {"min": 1, "max": 5}}, 5, []),
        ({"validate": {"min": 0.5}}, 0.25, ["Debe ser mayor o igual que 0.5."]),
        ({"validate": {"max": 10}}, "11", ["Debe ser menor o igual que 10."]),
        ({"increment": 0.5}, "1.25", ["Debe ser múltiplo de 0.5."]),
        ({"increment": "0.1"}, 0.3, []),  # exact decimal arithmetic: 0.3 is a multiple of 0.1
        (
            {"decimalDigits": 0, "validate": {"max": 2}},
            2.5,
            ["Debe ser un número entero.", "Debe ser menor o igual que 2."],
        ),
    ],
)
def test_number_rules(props: dict[str, Any], value: Any, errors: list[str]) -> None:
    result = validate(form({"type": "number", "id": "N", "key": "n", **props}), {"n": value})
    assert result.errors.get("n", []) == errors


def test_number_serialized_to_string_keeps_precision() -> None:
    schema = form({"type": "number", "id": "N", "key": "monto", "serializeToString": True})
    assert validate(schema, {"monto": "1234567890.123456789"}).data == {"monto": "1234567890.123456789"}
    assert validate(schema, {"monto": 2.5}).data == {"monto": "2.5"}


# ------------------------------------------------------------------ validation: text


def test_text_must_be_a_string() -> None:
    result = validate(form(text("a"), {"type": "textarea", "id": "T", "key": "t"}), {"a": 5, "t": ["x"]})
    assert result.errors == {"a": ["Debe ser un texto."], "t": ["Debe ser un texto."]}


def test_text_is_kept_as_given() -> None:
    assert validate(form(text("a")), {"a": "  hola  "}).data == {"a": "  hola  "}


@pytest.mark.parametrize(
    ("rules", "value", "errors"),
    [
        ({"maxLength": 200}, "x" * 201, ["Debe tener como máximo 200 caracteres."]),
        ({"maxLength": 200}, "x" * 200, []),
        ({"maxLength": 3}, "  abc  ", []),  # form-js measures the trimmed value
        ({"minLength": 3}, "ab", ["Debe tener al menos 3 caracteres."]),
        ({"minLength": 1, "maxLength": 1}, "ab", ["Debe tener como máximo 1 carácter."]),
        ({"pattern": r"^\d{3}$"}, "123", []),
        ({"pattern": r"^\d{3}$"}, "1234", ["No tiene el formato requerido."]),
        ({"pattern": r"\d"}, "ab1", []),  # form-js uses RegExp.test: unanchored search
        ({"pattern": r"^\d+$"}, "١٢٣", ["No tiene el formato requerido."]),  # \d is ASCII, as in JS
        ({"validationType": "email"}, "ana@dnp.gov.co", []),
        ({"validationType": "email"}, "ana@", ["Debe ser un correo electrónico válido."]),
        (
            {"minLength": 5, "pattern": "^a"},
            "bc",
            ["Debe tener al menos 5 caracteres.", "No tiene el formato requerido."],
        ),
    ],
)
def test_text_rules(rules: dict[str, Any], value: str, errors: list[str]) -> None:
    result = validate(form(text("a", validate=rules)), {"a": value})
    assert result.errors.get("a", []) == errors


def test_textfield_refuses_line_breaks_textarea_accepts_them() -> None:
    schema = form(text("a", validate={"pattern": r"^\d+$"}), {"type": "textarea", "id": "T", "key": "t"})
    result = validate(schema, {"a": "123\n", "t": "línea 1\nlínea 2"})
    assert result.errors == {"a": ["No puede contener saltos de línea."]}
    assert result.data == {"t": "línea 1\nlínea 2"}


def test_text_refuses_nul() -> None:
    result = validate(form({"type": "textarea", "id": "T", "key": "t"}), {"t": "a\x00b"})
    assert result.errors == {"t": ["Contiene caracteres no permitidos."]}


# ------------------------------------------------------------------ validation: options


@pytest.mark.parametrize("ctype", ["select", "radio"])
def test_single_choice_against_static_values(ctype: str) -> None:
    schema = form({"type": ctype, "id": "S", "key": "p", "values": OPTIONS})
    assert validate(schema, {"p": "alta"}).data == {"p": "alta"}
    assert validate(schema, {"p": "x"}).errors == {"p": ["Valor no permitido: 'x'."]}
    assert validate(schema, {"p": ["alta"]}).errors == {"p": ["Debe ser una sola opción."]}


@pytest.mark.parametrize("ctype", ["checklist", "taglist"])
def test_multiple_choice_against_static_values(ctype: str) -> None:
    schema = form({"type": ctype, "id": "C", "key": "c", "values": OPTIONS})
    assert validate(schema, {"c": ["alta", "baja"]}).data == {"c": ["alta", "baja"]}
    assert validate(schema, {"c": []}).data == {"c": []}
    assert validate(schema, {"c": ["alta", "x", "alta"]}).errors == {
        "c": ["Valor no permitido: 'x'.", "Valor repetido: 'alta'."]
    }
    assert validate(schema, {"c": "alta"}).errors == {"c": ["Debe ser una lista de opciones."]}
    assert validate(schema, {"c": [{"value": "alta"}]}).errors == {"c": ["Debe ser una lista de opciones."]}


def test_values_key_options_accept_plain_values_or_label_value_dicts() -> None:
    schema = form(
        {"type": "select", "id": "S", "key": "area", "valuesKey": "areas"},
        {"type": "taglist", "id": "T", "key": "tags", "valuesKey": "etiquetas"},
    )
    options = {"areas": [{"label": "TI", "value": "ti"}], "etiquetas": ["red", "correo"]}
    ok = validate(schema, {"area": "ti", "tags": ["correo"]}, options=options)
    assert ok.ok and ok.data == {"area": "ti", "tags": ["correo"]}
    bad = validate(schema, {"area": "rrhh", "tags": ["vpn"]}, options=options)
    assert bad.errors == {"area": ["Valor no permitido: 'rrhh'."], "tags": ["Valor no permitido: 'vpn'."]}


def test_values_key_option_types_are_compared_strictly() -> None:
    schema = form({"type": "radio", "id": "R", "key": "n", "valuesKey": "niveles"})
    options = {"niveles": [1, 2]}
    assert validate(schema, {"n": 1}, options=options).data == {"n": 1}
    assert validate(schema, {"n": True}, options=options).errors == {"n": ["Valor no permitido: True."]}
    assert validate(schema, {"n": "1"}, options=options).errors == {"n": ["Valor no permitido: '1'."]}


def test_missing_values_key_options_are_a_caller_error() -> None:
    schema = form(
        {
            "type": "group",
            "id": "G",
            "path": "g",
            "components": [{"type": "select", "id": "S", "key": "area", "valuesKey": "areas"}],
        },
    )
    with pytest.raises(ValueError, match="areas"):
        validate(schema, {})
    with pytest.raises(ValueError, match="areas"):
        validate(schema, {}, options={"otras": []})


@pytest.mark.parametrize("bad", ["ti", {"value": "ti"}, [{"label": "sin valor"}], 5])
def test_malformed_options_are_a_caller_error(bad: Any) -> None:
    schema = form({"type": "select", "id": "S", "key": "area", "valuesKey": "areas"})
    with pytest.raises(ValueError, match="areas"):
        validate(schema, {}, options={"areas": bad})


# ------------------------------------------------------------------ validation: datetime


@pytest.mark.parametrize(
    ("subtype", "value", "errors"),
    [
        ("date", "2024-02-29", []),
        ("date", "2023-02-29", ["La fecha no existe en el calendario."]),
        ("date", "29/02/2024", ["Debe ser una fecha con formato AAAA-MM-DD."]),
        ("date", 20240101, ["Debe ser una fecha con formato AAAA-MM-DD."]),
        ("time", "08:30", []),
        ("time", "08:30Z", []),
        ("time", "08:30-05:00", []),
        ("time", "24:00", ["Debe ser una hora con formato HH:MM."]),
        ("time", "8:30", ["Debe ser una hora con formato HH:MM."]),
        ("datetime", "2024-05-01T14:00+02:00", []),
        ("datetime", "2024-05-01T14:00", []),
        ("datetime", "2024-05-01", ["Debe ser una fecha y hora con formato AAAA-MM-DDTHH:MM."]),
        ("datetime", "2024-13-01T14:00", ["La fecha no existe en el calendario."]),
    ],
)
def test_datetime_by_subtype(subtype: str, value: Any, errors: list[str]) -> None:
    schema = form({"type": "datetime", "id": "D", "key": "d", "subtype": subtype})
    result = validate(schema, {"d": value})
    assert result.errors.get("d", []) == errors
    if not errors:
        assert result.data == {"d": value}


# ------------------------------------------------------------------ validation: containers


def _nested_form() -> FormSchema:
    return form(
        text("titulo"),
        {
            "type": "group",
            "id": "G",
            "path": "direccion",
            "components": [
                text("ciudad", validate={"required": True}),
                text("barrio"),
                text("codigo", readonly=True),
            ],
        },
        {
            "type": "dynamiclist",
            "id": "L",
            "path": "contactos",
            "components": [
                {"type": "checkbox", "id": "P", "key": "principal"},
                text("correo", validate={"validationType": "email"}, conditional={"hide": "=not(principal)"}),
            ],
        },
    )


def test_nested_group_and_list_are_validated_recursively() -> None:
    result = validate(
        _nested_form(),
        {
            "direccion": {"ciudad": "Bogotá", "codigo": "forjado"},
            "contactos": [{"principal": True, "correo": "a@b.co"}, {"correo": "no-es-correo"}],
        },
        current={"direccion": {"codigo": "110111", "barrio": "Centro"}},
    )
    assert result.ok, result.errors
    assert result.data == {
        # merged with the stored object: readonly `codigo` keeps its value, untouched `barrio` too
        "direccion": {"codigo": "110111", "barrio": "Centro", "ciudad": "Bogotá"},
        # the second item's correo is hidden by its own principal=False and dropped
        "contactos": [{"principal": True, "correo": "a@b.co"}, {"principal": False}],
    }


def test_nested_errors_are_keyed_by_path() -> None:
    result = validate(
        _nested_form(),
        {"direccion": {"barrio": 3, "pais": "CO"}, "contactos": [{"principal": True, "correo": "x"}, "y"]},
    )
    assert result.errors == {
        "direccion.pais": ["Campo desconocido en el formulario 'Form_prueba'."],
        "direccion.ciudad": ["Este campo es obligatorio."],
        "direccion.barrio": ["Debe ser un texto."],
        "contactos[0].correo": ["Debe ser un correo electrónico válido."],
        "contactos[1]": ["Formato inválido: se esperaba un grupo de campos."],
    }


def test_missing_nested_group_still_enforces_required_children() -> None:
    assert validate(_nested_form(), {}).errors == {"direccion.ciudad": ["Este campo es obligatorio."]}


def test_nested_data_must_have_the_right_shape() -> None:
    result = validate(_nested_form(), {"direccion": "Calle 1", "contactos": {"correo": "a@b.co"}})
    assert result.errors == {
        "direccion": ["Formato inválido: se esperaba un grupo de campos."],
        "contactos": ["Formato inválido: se esperaba una lista."],
    }


def test_hidden_group_drops_all_its_children() -> None:
    schema = form(
        {"type": "checkbox", "id": "C", "key": "con_direccion"},
        {
            "type": "group",
            "id": "G",
            "path": "direccion",
            "conditional": {"hide": "=not(con_direccion)"},
            "components": [text("ciudad", validate={"required": True})],
        },
    )
    result = validate(schema, {"con_direccion": False, "direccion": {"ciudad": 5, "otra": 1}})
    assert result.ok and result.data == {"con_direccion": False}


def test_flattened_group_hide_applies_to_its_children() -> None:
    schema = form(
        {"type": "checkbox", "id": "C", "key": "externo"},
        {
            "type": "group",
            "id": "G",
            "conditional": {"hide": "=not(externo)"},
            "components": [text("empresa", validate={"required": True})],
        },
    )
    assert validate(schema, {"empresa": "ACME"}).data == {"externo": False}
    assert validate(schema, {"externo": True}).errors == {"empresa": ["Este campo es obligatorio."]}


# ------------------------------------------------------------------ validation: all at once


def test_all_errors_are_reported_at_once() -> None:
    schema = form(
        text("asunto", validate={"required": True, "maxLength": 5}),
        {"type": "number", "id": "N", "key": "prioridad", "validate": {"min": 1, "max": 5}},
        {"type": "select", "id": "S", "key": "canal", "values": OPTIONS},
        {"type": "checkbox", "id": "B", "key": "urgente"},
        {"type": "datetime", "id": "D", "key": "limite"},
    )
    result = validate(
        schema,
        {
            "asunto": "demasiado largo",
            "prioridad": 9,
            "canal": "fax",
            "urgente": "quizá",
            "limite": "mañana",
            "x": 1,
        },
    )
    assert result.errors == {
        "x": ["Campo desconocido en el formulario 'Form_prueba'."],
        "asunto": ["Debe tener como máximo 5 caracteres."],
        "prioridad": ["Debe ser un número entre 1 y 5."],
        "canal": ["Valor no permitido: 'fax'."],
        "urgente": ["Debe ser verdadero o falso."],
        "limite": ["Debe ser una fecha con formato AAAA-MM-DD."],
    }
    assert not result.ok


# ------------------------------------------------------------------ default_values


def test_default_values_prefer_current_then_default() -> None:
    schema = form(
        text("asunto", defaultValue="Sin asunto"),
        text("detalle"),
        {"type": "checklist", "id": "C", "key": "c", "values": OPTIONS, "defaultValue": ["baja"]},
        {"type": "number", "id": "N", "key": "n", "defaultValue": 2},
        {"type": "group", "id": "G", "path": "g", "components": [text("x", defaultValue="d"), text("y")]},
        {"type": "dynamiclist", "id": "L", "path": "items", "components": [text("z")]},
    )
    values = default_values(schema, {"n": 7, "g": {"y": "actual"}, "otro": "ignorado"})
    assert values == {"asunto": "Sin asunto", "c": ["baja"], "n": 7, "g": {"x": "d", "y": "actual"}}
    values["c"].append("alta")  # a fresh list: the schema's default is not shared
    assert default_values(schema, {})["c"] == ["baja"]


def test_default_values_keep_current_lists_and_none() -> None:
    schema = form(
        text("a", defaultValue="d"),
        {"type": "dynamiclist", "id": "L", "path": "items", "components": [text("z")]},
    )
    assert default_values(schema, {"a": None, "items": [{"z": "1"}]}) == {"a": None, "items": [{"z": "1"}]}


def test_option_labels_come_from_static_values_and_from_values_key_data() -> None:
    schema = form(
        {"type": "select", "key": "tipo", "label": "Tipo",
         "values": [{"label": "Incidencia", "value": "incidencia"}, {"label": "Petición", "value": "peticion"}]},
        {"type": "checklist", "key": "canales", "label": "Canales",
         "values": [{"label": "Portal web", "value": "portal"}]},
        {"type": "select", "key": "grupo", "label": "Grupo", "valuesKey": "grupos"},
        {"type": "select", "key": "sin_datos", "label": "Sin datos", "valuesKey": "nada"},
    )
    data = {"grupos": [{"label": "Nivel 2 · Redes", "value": "ti-redes"}, {"value": "sin-etiqueta"}, "suelto"]}
    assert schema.option_labels(data) == {
        "tipo": {"incidencia": "Incidencia", "peticion": "Petición"}, "canales": {"portal": "Portal web"},
        "grupo": {"ti-redes": "Nivel 2 · Redes"},
    }
