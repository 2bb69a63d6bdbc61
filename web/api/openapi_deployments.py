"""The OpenAPI description of deployments and versions (/deployments, /processes/{id}/versions and /diff)."""

from __future__ import annotations

from web.api.openapi_schemas import INSTANT, OPTIONAL_STRING, STRING, STRINGS, Schema, closed, ref

INTEGER: Schema = {"type": "integer"}
PROCESS_ID: Schema = {"name": "process_id", "in": "path", "required": True, "schema": STRING,
                      "description": "id del proceso en el BPMN, p. ej. mesa_de_ayuda"}
VERSION_QUERY: Schema = {"type": "integer", "minimum": 1}
ELEMENT: dict[str, Schema] = {"element_id": STRING, "type": {**STRING, "description": "p. ej. userTask"},
                              "name": STRING}
FILES: Schema = {"type": "object", "required": ["bpmn"], "properties": {
    "bpmn": {"type": "string", "format": "binary", "description": "el diagrama (.bpmn), exactamente uno"},
    "forms": {"type": "array", "items": {"type": "string", "format": "binary"},
              "description": "los Camunda Forms (.form) que el diagrama enlaza; cero o más"}}}

DEPLOYMENT_SCHEMAS: dict[str, Schema] = {
    "Deployment": closed({
        "process_id": STRING, "version": INTEGER,
        "created": {"type": "boolean", "description": "false: contenido idéntico a la versión más reciente"},
    }, "La versión desplegada (o la existente, si el contenido es idéntico)."),
    "DeploymentProblem": closed({
        "file": STRING, "element_id": OPTIONAL_STRING, "line": {"type": ["integer", "null"]}, "message": STRING,
    }, "Un motivo de rechazo: archivo, elemento, línea y mensaje."),
    "DeploymentRejected": closed({
        "error": STRING, "errors": {"type": "object", "additionalProperties": STRINGS},
        "problems": {"type": "array", "items": ref("DeploymentProblem")},
    }, "Despliegue rechazado: todos los problemas; no se guardó nada."),
    "VersionCounts": closed({
        "version": INTEGER, "deployment_id": INTEGER, "name": STRING, "content_hash": STRING,
        "deployed_by": STRING, "deployed_at": INSTANT, "forms": STRINGS, "open_cases": INTEGER,
        "closed_cases": INTEGER,
    }, "Una versión con sus casos abiertos y cerrados."),
    "ElementSummary": closed(ELEMENT, "Un elemento que solo existe en una de las dos versiones."),
    "ElementChange": closed({**ELEMENT, "changes": {"type": "array", "items": closed(
        {"field": STRING, "before": STRING, "after": STRING}, "Un aspecto comparado; \"\" si no existe.")}},
        "Un elemento presente en ambas versiones con aspectos distintos."),
    "VersionDiff": closed({
        "process_id": STRING, "from": INTEGER, "to": INTEGER,
        "added": {"type": "array", "items": ref("ElementSummary")},
        "removed": {"type": "array", "items": ref("ElementSummary")},
        "changed": {"type": "array", "items": ref("ElementChange")},
    }, "Elementos agregados, eliminados y cambiados (por id) entre dos versiones."),
}


def _json(description: str, schema: Schema) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Schema]:
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 413: "TooLarge",
             500: "ServerError"}
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"} for code in codes}


def _query(name: str, description: str) -> Schema:
    return {"name": name, "in": "query", "required": True, "schema": VERSION_QUERY, "description": description}


DEPLOY: Schema = {
    "operationId": "createDeployment", "tags": ["procesos"],
    "summary": "Desplegar un .bpmn con sus .form (multipart); solo dueños y administradores",
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": FILES}}},
    "responses": {
        "201": _json("Nueva versión desplegada", ref("Deployment")),
        "200": _json("Contenido idéntico a la versión más reciente: no se creó otra (created = false)",
                     ref("Deployment")),
        "422": _json("Rechazado, con cada problema (archivo, elemento, línea, mensaje); no se guardó nada. "
                     "También cuando falta el campo bpmn.", {"oneOf": [ref("DeploymentRejected"),
                                                                       ref("ValidationError")]}),
        **_errors(401, 403, 413, 500)}}
VERSIONS: Schema = {
    "operationId": "listProcessVersions", "tags": ["procesos"], "parameters": [PROCESS_ID],
    "summary": "Versiones de un proceso, la más reciente primero, con casos abiertos y cerrados; dueños, "
               "administradores y auditores",
    "responses": {"200": _json("Correcto", {"type": "array", "items": ref("VersionCounts")}),
                  **_errors(400, 401, 403, 404, 500)}}
DIFF: Schema = {
    "operationId": "diffProcessVersions", "tags": ["procesos"],
    "parameters": [PROCESS_ID, _query("from", "versión de partida"), _query("to", "versión de llegada")],
    "summary": "Diferencias entre dos versiones: elementos agregados, eliminados y cambiados; dueños, "
               "administradores y auditores",
    "responses": {"200": _json("Correcto", ref("VersionDiff")), **_errors(400, 401, 403, 404, 500)}}
DEPLOYMENT_PATHS: dict[str, dict[str, Schema]] = {
    "/deployments": {"post": DEPLOY},
    "/processes/{process_id}/versions": {"get": VERSIONS},
    "/processes/{process_id}/diff": {"get": DIFF},
}
