"""Components of the OpenAPI document: the JSON shapes the API reads and writes, and its error answers."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INSTANT: Schema = {"type": "string", "format": "date-time", "description": "ISO-8601 con desfase (UTC, +00:00)"}
OPTIONAL_INSTANT: Schema = {**INSTANT, "type": ["string", "null"]}
OPTIONAL_STRING: Schema = {"type": ["string", "null"]}
STRINGS: Schema = {"type": "array", "items": STRING}
OBJECT: Schema = {"type": "object", "additionalProperties": True}


def ref(name: str) -> Schema:
    """A reference to a schema of components."""
    return {"$ref": f"#/components/schemas/{name}"}


def closed(properties: dict[str, Schema], description: str) -> Schema:
    """An object with every property required (nullable ones say so in their type)."""
    return {"type": "object", "description": description, "properties": properties,
            "required": list(properties), "additionalProperties": False}


TASK: dict[str, Schema] = {
    "id": STRING, "case_id": {"type": "integer"}, "ticket": OPTIONAL_STRING, "element_id": STRING, "name": STRING,
    "lane": OPTIONAL_STRING, "assignee": OPTIONAL_STRING, "candidate_groups": STRINGS, "candidate_users": STRINGS,
    "due": OPTIONAL_INSTANT, "follow_up": OPTIONAL_INSTANT, "priority": {"type": "integer"},
    "form_id": OPTIONAL_STRING, "created_at": INSTANT, "subject": STRING, "case_state": STRING,
    "help_desk": OPTIONAL_STRING, "application": STRING, "completed_at": OPTIONAL_INSTANT,
    "completed_by": OPTIONAL_STRING,
    "ans": {"type": ["object", "null"], "description": "el reloj ANS más urgente del caso (null: sin reloj activo)",
            "additionalProperties": False, "required": ["clock", "state", "warn_at", "due_at"], "properties": {
                "clock": {"type": "string", "enum": ["primera_respuesta", "resolucion"]},
                "state": {"type": "string", "enum": ["corriendo", "pausado"]},
                "warn_at": {**OPTIONAL_INSTANT, "description": "cuando llega al 75 % del objetivo"},
                "due_at": {**OPTIONAL_INSTANT, "description": "cuando vence (100 %)"}}},
}
FORM: Schema = closed({
    "id": {**OPTIONAL_STRING, "description": "id del Camunda Form; null si la tarea no tiene formulario"},
    "schema": {"type": ["object", "null"], "description": "el formulario tal como se diseñó (form-js JSON)"},
    "data": {**OBJECT, "description": "valores a mostrar: datos actuales, valores por defecto y listas de opciones"},
}, "El formulario de la tarea.")
CASE: Schema = closed({
    "id": {"type": "integer"}, "ticket": OPTIONAL_STRING, "process_id": STRING,
    "process_version": {"type": "integer"}, "state": STRING, "open": {"type": "boolean"}, "requester": STRING,
    "help_desk": OPTIONAL_STRING, "subject": STRING, "application": STRING,
    "data": {**OBJECT, "description": "variables del proceso"}, "ready_tasks": {"type": "array", "items": ref("Task")},
    "created_at": INSTANT, "updated_at": INSTANT, "closed_at": OPTIONAL_INSTANT, "next_timer_at": OPTIONAL_INSTANT,
}, "Un caso (instancia del proceso) con sus tareas listas.")
CLOCK: Schema = closed({
    "clock": {"type": "string", "enum": ["primera_respuesta", "resolucion"]},
    "state": {"type": "string", "enum": ["corriendo", "pausado", "detenido"]},
    "standing": {"type": "string", "enum": ["en plazo", "en riesgo", "vencido", "en pausa", "cumplido", "incumplido"]},
    "target": closed({"value": {"type": "integer"}, "unit": {"type": "string", "enum": ["horas", "dias"]},
                      "seconds": {"type": "integer", "description": "el objetivo en segundos hábiles"}},
                     "Objetivo del protocolo (tipo × prioridad)."),
    "elapsed_seconds": {"type": "integer", "description": "tiempo hábil contado, sin las pausas"},
    "paused_seconds": {"type": "integer", "description": "tiempo hábil en pausa esperando al solicitante"},
    "percent": {"type": "integer"}, "due_at": {**OPTIONAL_INSTANT, "description": "null en pausa o detenido"},
}, "Un reloj ANS del caso, en tiempo hábil del calendario de su mesa.")
EVENT: Schema = closed({
    "seq": {"type": "integer"}, "kind": STRING, "actor": STRING, "occurred_at": INSTANT,
    "element_id": OPTIONAL_STRING, "payload": OBJECT,
}, "Un evento de la bitácora de auditoría del caso.")
VERIFICATION: Schema = closed({
    "chain_ok": {"type": "boolean", "description": "la cadena de hash verifica y termina en la cabeza guardada"},
    "replay_ok": {"type": "boolean", "description": "la reproducción da el mismo camino y los mismos datos"},
    "problems": {**STRINGS, "description": "cada diferencia, con el evento (seq) donde aparece"},
}, "Resultado de verificar y reproducir un caso.")
SNAPSHOT: Schema = closed({
    "k": {"type": "integer"}, "steps": {"type": "integer", "description": "último k posible"},
    "event_seq": {"type": "integer", "description": "evento que inicia el paso k (0 para k = 0)"},
    "occurred_at": INSTANT, "data": {**OBJECT, "description": "variables del proceso tras el paso k"},
    "state": STRING, "completed_elements": STRINGS, "active_elements": STRINGS,
    "ready_tasks": {"type": "array", "items": closed({"element_id": STRING, "name": STRING}, "Tarea lista.")},
    "version": {"type": "integer", "description": "versión del proceso en que estaba el caso tras el paso k"},
}, "El caso tal como estaba tras el paso k: datos, estado y elementos del diagrama.")
VERSION: Schema = closed({
    "version": {"type": "integer"}, "deployment_id": {"type": "integer"}, "name": STRING, "content_hash": STRING,
    "deployed_by": STRING, "deployed_at": INSTANT, "forms": STRINGS,
}, "Una versión desplegada.")
PROCESS: Schema = closed({
    "id": STRING, "name": STRING, "version": {"type": "integer", "description": "la versión más reciente"},
    "versions": {"type": "array", "items": ref("ProcessVersion")},
}, "Un proceso desplegado y sus versiones, la más reciente primero.")
ERROR: Schema = closed({"error": STRING}, "Un error, con su mensaje en español.")
VALIDATION: Schema = closed({
    "error": STRING,
    "errors": {"type": "object", "additionalProperties": STRINGS,
               "description": "mensajes por campo del formulario (o por miembro del cuerpo: body, data, user)"},
}, "Datos no válidos: mensajes por campo.")
PROCESS_ERROR: Schema = closed({"error": STRING, "element_id": OPTIONAL_STRING},
                               "El proceso no pudo avanzar en un elemento del diagrama; no se guardó nada.")
FORM_DATA: Schema = {
    "type": "object", "description": "Valores del formulario por clave (las claves del Camunda Form).",
    "additionalProperties": True,
}
START_BODY: Schema = {
    "type": "object", "required": ["data"], "additionalProperties": False,
    "properties": {"data": ref("FormData"), "requester": {
        "type": "string", "description": "solo agentes: registrar el caso a nombre de este usuario"}},
}
COMPLETE_BODY: Schema = {"type": "object", "required": ["data"], "additionalProperties": False,
                         "properties": {"data": ref("FormData")}}
ASSIGN_BODY: Schema = {"type": "object", "required": ["user"], "additionalProperties": False,
                       "properties": {"user": {"type": "string", "minLength": 1, "description": "nombre de usuario"}}}

SCHEMAS: dict[str, Schema] = {
    "Task": closed(TASK, "Una tarea de usuario tal como la muestra la bandeja."),
    "TaskDetail": closed({**TASK, "form": ref("Form"), "may_complete": {"type": "boolean"}},
                         "Una tarea con su formulario y si quien consulta puede completarla."),
    "Form": FORM, "Case": CASE, "Event": EVENT, "ServiceLevelClock": CLOCK, "Process": PROCESS,
    "ProcessVersion": VERSION,
    "Error": ERROR, "ValidationError": VALIDATION, "ProcessError": PROCESS_ERROR, "FormData": FORM_DATA,
    "Verification": VERIFICATION, "CaseSnapshot": SNAPSHOT,
    "StartCase": START_BODY, "CompleteTask": COMPLETE_BODY, "AssignTask": ASSIGN_BODY,
}


def _error(description: str, schema: Schema | None = None, headers: dict[str, Any] | None = None) -> Schema:
    response: Schema = {"description": description,
                        "content": {"application/json": {"schema": schema or ref("Error")}}}
    if headers:
        response["headers"] = headers
    return response


RESPONSES: dict[str, Schema] = {
    "BadRequest": _error("Parámetro de consulta desconocido, repetido o con un valor no válido."),
    "Unauthorized": _error("Falta el token de API o no es válido.", headers={
        "WWW-Authenticate": {"schema": STRING, "description": 'Bearer realm="mesa-de-ayuda"'}}),
    "Forbidden": _error("Quien llama no puede hacer esta operación (p. ej. un auditor que intenta escribir)."),
    "NotFound": _error("No existe, o quien llama no puede verlo (no se revela cuál de los dos)."),
    "Conflict": _error("Otra persona cambió el caso primero (tarea ya completada, tomada por otra persona...)."),
    "TooLarge": _error("El cuerpo supera el tamaño permitido (1 MiB por defecto)."),
    "Unprocessable": _error(
        "Cuerpo que no es un objeto JSON, miembros que faltan o sobran, datos que el formulario rechaza "
        "(errors por campo), o el proceso no pudo avanzar (element_id; no se guardó nada).",
        {"oneOf": [ref("ValidationError"), ref("ProcessError")]}),
    "ServerError": _error("Error inesperado; no se revela el detalle y el cambio no se guardó."),
}
