"""The OpenAPI description of the event-log downloads (/export.xes and /export.csv)."""

from __future__ import annotations

from web.api.openapi_schemas import STRING, Schema

ERRORS = {"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "500": "ServerError"}
PERIOD = ("una fecha (2026-12-01, día completo en la zona configurada) o un instante ISO-8601 con desfase; "
          "filtra por la creación del caso y exporta su historia completa")


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


FILTERS: list[Schema] = [
    _query("help_desk", STRING, "código de la mesa de ayuda, p. ej. ti"),
    _query("from", STRING, f"casos creados desde (inclusive): {PERIOD}"),
    _query("to", STRING, f"casos creados hasta (una fecha la incluye; un instante no): {PERIOD}"),
    _query("process", STRING, "id del proceso en el BPMN, p. ej. mesa_de_ayuda"),
    _query("version", {"type": "integer", "minimum": 1}, "versión desplegada del proceso"),
    _query("transitions", {"type": "string", "enum": ["complete", "all"], "default": "complete"},
           "complete: actividades completadas; all: también asignaciones (assign/reassign)"),
]
DISPOSITION = {"Content-Disposition": {"schema": STRING, "description": "attachment; filename=\"mesa-ayuda.xes\""}}


def _download(op_id: str, summary: str, media_type: str) -> Schema:
    ok: Schema = {"description": "El registro de eventos como descarga (se transmite por partes)",
                  "headers": DISPOSITION, "content": {media_type: {"schema": STRING}}}
    return {"operationId": op_id, "summary": summary, "tags": ["auditoría"], "parameters": FILTERS,
            "responses": {"200": ok, **{code: {"$ref": f"#/components/responses/{name}"}
                                        for code, name in ERRORS.items()}}}


EXPORT_PATHS: dict[str, dict[str, Schema]] = {
    "/export.xes": {"get": _download(
        "exportXes", "Registro de eventos en XES (IEEE 1849-2016), un trace por caso; auditores, dueños y "
        "administradores", "application/xml")},
    "/export.csv": {"get": _download(
        "exportCsv", "Registro de eventos en CSV, una fila por evento; auditores, dueños y administradores",
        "text/csv")},
}
