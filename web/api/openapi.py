"""The OpenAPI 3.1 document of /api/v1: every path, its parameters, bodies, answers and errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from web.api.bearer import MAX_BODY
from web.api.openapi_deployments import DEPLOYMENT_PATHS, DEPLOYMENT_SCHEMAS
from web.api.openapi_export import EXPORT_PATHS
from web.api.openapi_helpdesks import HELPDESK_PATHS, HELPDESK_SCHEMAS
from web.api.openapi_schemas import RESPONSES, SCHEMAS, STRING, Schema, ref

ERROR_RESPONSES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
                   413: "TooLarge", 422: "Unprocessable", 500: "ServerError"}
READ = (401, 500)
WRITE = (401, 403, 404, 409, 413, 422, 500)
CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": STRING}
PROCESS_ID = {"name": "process_id", "in": "path", "required": True, "schema": STRING,
              "description": "id del proceso en el BPMN, p. ej. mesa_de_ayuda"}
STEP_K = {"name": "k", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0},
          "description": "número del paso que avanza el flujo (0 = antes del primero)"}
LINK = {"Link": {"schema": STRING, "description": 'página siguiente (rel="next") cuando la página está llena'}}


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _page(default: int, most: int) -> list[Schema]:
    return [
        _query("limit", {"type": "integer", "minimum": 1, "maximum": most, "default": default}, "tamaño de página"),
        _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "cuántos elementos saltar"),
    ]


CASE_FILTERS = [
    _query("mine", {"type": "boolean", "default": False}, "solo los casos que reportó quien llama"),
    _query("state", STRING, "estado exacto, p. ej. «en revisión» o «cerrado»"),
    _query("open", {"type": "boolean"}, "true: abiertos; false: cerrados; sin valor: todos"),
    *_page(100, 500),
]
TASK_FILTERS = [
    _query("scope", {"type": "string", "enum": ["mine", "groups", "all"], "default": "mine"},
           "mine: asignadas a quien llama; groups: de sus grupos; all: todas las que puede ver"),
    _query("help_desk", STRING, "código de la mesa de ayuda, p. ej. ti"),
    _query("application", STRING, "aplicación o servicio del caso"),
    _query("state", STRING, "estado del caso"),
    _query("text", {"type": "string", "maxLength": 200}, "texto en el asunto, el nombre de la tarea o el ticket"),
    _query("sort", {"type": "string", "enum": ["due", "priority", "created", "ans"], "default": "due"},
           "orden (ans: el reloj ANS que vence primero)"),
    *_page(200, 1000),
]


def _operation(op_id: str, summary: str, tag: str, answer: tuple[int, Schema], *, errors: Sequence[int] = READ,
               parameters: Sequence[Schema] = (), body: str | None = None, headers: Schema | None = None,
               public: bool = False) -> Schema:
    status, schema = answer
    ok: Schema = {"description": "Correcto", "content": {"application/json": {"schema": schema}}}
    if headers:
        ok["headers"] = headers
    operation: Schema = {"operationId": op_id, "summary": summary, "tags": [tag], "responses": {
        str(status): ok, **{str(code): {"$ref": f"#/components/responses/{ERROR_RESPONSES[code]}"}
                            for code in errors}}}
    if parameters:
        operation["parameters"] = list(parameters)
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    if public:
        operation["security"] = []
    return operation


def _array(name: str) -> Schema:
    return {"type": "array", "items": ref(name)}


def _start(op_id: str, summary: str, parameters: Sequence[Schema] = ()) -> Schema:
    return _operation(op_id, summary, "casos", (201, ref("Case")), errors=WRITE, parameters=parameters,
                      body="StartCase", headers={"Location": {"schema": STRING, "description": "dirección del caso"}})


def _task_verb(op_id: str, summary: str, body: str | None = None) -> Schema:
    return _operation(op_id, summary, "tareas", (200, ref("Task")), errors=WRITE, parameters=[TASK_ID], body=body)


PATHS: dict[str, dict[str, Schema]] = {
    "/openapi.json": {"get": _operation("openapi", "Este documento (público, sin token)", "meta",
                                        (200, {"type": "object"}), errors=(500,), public=True)},
    "/processes": {"get": _operation("listProcesses", "Procesos desplegados y sus versiones", "procesos",
                                     (200, _array("Process")))},
    "/processes/{process_id}/cases": {"post": _start(
        "startProcessCase", "Iniciar un caso de la versión más reciente de un proceso", [PROCESS_ID])},
    "/cases": {
        "get": _operation("listCases", "Casos que quien llama puede ver, los más recientes primero", "casos",
                          (200, _array("Case")), errors=(400, *READ), parameters=CASE_FILTERS, headers=LINK),
        "post": _start("startCase", "Reportar un caso de la mesa de ayuda (proceso mesa_de_ayuda)"),
    },
    "/cases/{case_id}": {"get": _operation("getCase", "Un caso con sus datos y tareas listas", "casos",
                                           (200, ref("Case")), errors=(404, *READ), parameters=[CASE_ID])},
    "/cases/{case_id}/events": {"get": _operation("listCaseEvents", "Eventos de auditoría del caso", "casos",
                                                  (200, _array("Event")), errors=(404, *READ),
                                                  parameters=[CASE_ID])},
    "/cases/{case_id}/ans": {"get": _operation(
        "getCaseServiceLevels", "Los relojes ANS del caso (primera respuesta y resolución) leídos ahora", "casos",
        (200, _array("ServiceLevelClock")), errors=(404, *READ), parameters=[CASE_ID])},
    "/cases/{case_id}/verify": {"get": _operation(
        "verifyCase", "Verificar la cadena de hash y reproducir el caso desde su versión y sus eventos", "casos",
        (200, ref("Verification")), errors=(403, 404, *READ), parameters=[CASE_ID])},
    "/cases/{case_id}/at/{k}": {"get": _operation(
        "getCaseAt", "El caso tal como estaba tras su paso k (0: recién creado), reproduciendo hasta ese paso",
        "casos", (200, ref("CaseSnapshot")), errors=(403, 404, 422, *READ), parameters=[CASE_ID, STEP_K])},
    "/tasks": {"get": _operation("listTasks", "Bandeja de tareas abiertas", "tareas", (200, _array("Task")),
                                 errors=(400, *READ), parameters=TASK_FILTERS, headers=LINK)},
    "/tasks/{task_id}": {"get": _operation("getTask", "Una tarea con su formulario y valores actuales", "tareas",
                                           (200, ref("TaskDetail")), errors=(404, *READ), parameters=[TASK_ID])},
    "/tasks/{task_id}/claim": {"post": _task_verb("claimTask", "Tomar una tarea sin asignar de sus grupos")},
    "/tasks/{task_id}/release": {"post": _task_verb("releaseTask", "Devolver la tarea a sus candidatos")},
    "/tasks/{task_id}/assign": {"post": _task_verb("assignTask", "Asignar la tarea a un usuario", "AssignTask")},
    "/tasks/{task_id}/complete": {"post": _operation(
        "completeTask", "Completar la tarea con los datos de su formulario; responde el caso tras el paso",
        "tareas", (200, ref("Case")), errors=WRITE, parameters=[TASK_ID], body="CompleteTask")},
    **EXPORT_PATHS,
    **DEPLOYMENT_PATHS,
    **HELPDESK_PATHS,
}
DESCRIPTION = f"""API JSON de la Mesa de Ayuda: el procedimiento ejecutado como BPMN.

Autenticación: `Authorization: Bearer <token>` (el token se emite con `mesa-ayuda users token NOMBRE`).
Errores: siempre JSON `{{"error": "mensaje"}}`; 422 agrega `errors` por campo (o `element_id` cuando el
proceso no pudo avanzar). 404 también para lo que quien llama no puede ver. Cuerpos de hasta {MAX_BODY} bytes.
Instantes en ISO-8601 con desfase. Listas paginadas con `limit`/`offset`: una página incompleta es la última."""


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (paths relative to the server URL /api/v1)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Mesa de Ayuda", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "tags": [{"name": name} for name in ("procesos", "casos", "tareas", "auditoría", "mesas", "meta")],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "token de API de un usuario activo"}},
            "schemas": {**SCHEMAS, **DEPLOYMENT_SCHEMAS, **HELPDESK_SCHEMAS},
            "responses": RESPONSES,
        },
    }
