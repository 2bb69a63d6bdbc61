"""The OpenAPI description of help desks, their groups, coordinators, protocols, the dependency tree and its heads."""

from __future__ import annotations

from collections.abc import Sequence

from web.api.openapi_schemas import (
    INSTANT,
    OBJECT,
    OPTIONAL_INSTANT,
    OPTIONAL_STRING,
    STRING,
    STRINGS,
    Schema,
    closed,
    ref,
)

INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
OPTIONAL_DATE: Schema = {"type": ["string", "null"], "format": "date"}
NAMES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
         413: "TooLarge", 422: "Unprocessable", 500: "ServerError"}
READ = (401, 403, 404, 500)
WRITE = (401, 403, 404, 409, 413, 422, 500)


def _path(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": STRING, "description": description}


CODE = _path("code", "código de la mesa, p. ej. ti")
GROUP = _path("group", "nombre del grupo, p. ej. ti-nivel1")
USERNAME = _path("username", "nombre de usuario")
DEPENDENCY = _path("dependency", "código de la dependencia, p. ej. sgise")
VERSION: Schema = {"name": "version", "in": "query", "required": False, "description": "número de versión",
                   "schema": {"type": "integer", "minimum": 1}}
EXPORT_VERSION: Schema = {"name": "version", "in": "query", "required": False,
                          "description": "número de versión o «draft»; por defecto la vigente", "schema": STRING}
FORMAT: Schema = {"name": "format", "in": "query", "required": False, "description": "formato del archivo",
                  "schema": {"type": "string", "enum": ["yaml", "json"], "default": "yaml"}}
TEXT_FILE: Schema = {"type": "string", "description": "el archivo: {mesa, version, estado, notas, "
                                                      "proxima_revision, protocolo}"}


def _body(properties: dict[str, Schema], required: Sequence[str], description: str) -> Schema:
    return {"type": "object", "description": description, "properties": properties, "required": list(required),
            "additionalProperties": False}


HELPDESK_SCHEMAS: dict[str, Schema] = {
    "HelpDesk": closed({"code": STRING, "name": STRING, "ticket_prefix": STRING, "dependency": OPTIONAL_STRING,
                        "active": BOOLEAN, "level1_group": STRING, "level2_default_group": STRING,
                        "coordinators": STRINGS}, "Una mesa de ayuda, su dependencia y sus coordinadores."),
    "HelpDeskGroup": closed({"name": STRING, "level": {"type": ["integer", "null"]}, "external": BOOLEAN,
                             "description": STRING, "members": STRINGS},
                            "Un grupo de nivel de la mesa (nivel 3: puede ser proveedor o ente externo)."),
    "Dependency": closed({"code": STRING, "name": STRING, "kind": {"type": "string", "enum": [
        "subdireccion", "direccion", "grupo"]}, "parent": OPTIONAL_STRING, "depth": INTEGER},
        "Una dependencia del DNP y su lugar en el árbol (depth 0: arriba)."),
    "DependencyHeads": closed({"dependency": STRING, "heads": STRINGS},
                              "Los jefes de una dependencia: leen los casos de las mesas bajo ella."),
    "ProtocolStatus": closed({"help_desk": STRING, "name": STRING, "state": {"type": "string", "enum": [
        "vigente", "por vencer", "vencido", "sin protocolo"]}, "number": {"type": ["integer", "null"]},
        "next_review": OPTIONAL_DATE, "days_left": {"type": ["integer", "null"]}, "has_draft": BOOLEAN},
        "El estado del protocolo de una mesa."),
    "ProtocolVersion": closed({
        "help_desk": STRING, "number": {"type": ["integer", "null"], "description": "null: el borrador"},
        "status": {"type": "string", "enum": ["borrador", "publicado", "reemplazado"]},
        "valid_from": OPTIONAL_INSTANT, "approved_by": OPTIONAL_STRING, "approved_at": OPTIONAL_INSTANT,
        "notes": STRING, "next_review": OPTIONAL_DATE, "created_by": STRING, "created_at": INSTANT,
        "updated_at": INSTANT, "protocol": {**OBJECT, "description": "el documento: formato, catalogo, canales, "
                                                                      "prioridades, ans, plazos, calendario, "
                                                                      "responsables"}},
        "Una versión del protocolo con su documento completo."),
    "ProtocolTableDiff": closed({"name": STRING, "title": STRING, "rows": {"type": "array", "items": closed({
        "key": STRING, "status": {"type": "string", "enum": ["igual", "agregado", "eliminado", "cambiado"]},
        "before": {"type": ["object", "null"], "additionalProperties": STRING},
        "after": {"type": ["object", "null"], "additionalProperties": STRING},
        "changed_columns": STRINGS}, "Una fila en ambas versiones.")}},
        "Una tabla del protocolo: el borrador frente a la versión vigente."),
    "NewHelpDesk": _body({"code": STRING, "name": STRING, "ticket_prefix": STRING, "dependency": STRING,
                          "level1_group": STRING, "level2_default_group": STRING},
                         ("code", "name", "ticket_prefix", "dependency"), "Una mesa nueva (grupos por defecto: "
                                                                           "CODIGO-nivel1 y CODIGO-nivel2)."),
    "HelpDeskChange": _body({"name": STRING, "dependency": STRING, "active": BOOLEAN}, (),
                            "Lo que cambia de la mesa; active solo lo cambian los administradores."),
    "NewGroup": _body({"name": STRING, "level": {"type": "integer", "enum": [1, 2, 3]}, "external": BOOLEAN,
                       "description": STRING}, ("name", "level"), "Un grupo de nivel nuevo."),
    "UserRef": _body({"user": STRING}, ("user",), "Un usuario por su nombre."),
    "NewDependency": _body({"code": STRING, "name": STRING, "kind": {"type": "string", "enum": [
        "subdireccion", "direccion", "grupo"]}, "parent": STRING}, ("code", "name", "kind"), "Una dependencia."),
    "DraftDocument": _body({"protocol": OBJECT, "notes": STRING, "next_review": {"type": "string",
                                                                                 "format": "date"}},
                           ("protocol",), "El documento completo del borrador, sus notas y su próxima revisión."),
    "Publication": _body({"notes": STRING, "next_review": {"type": "string", "format": "date"}}, (),
                         "Opcional: la próxima revisión (por defecto la del borrador o en 12 meses) y las notas."),
    "ProtocolImport": _body({"text": TEXT_FILE, "format": {"type": "string", "enum": ["yaml", "json"]}},
                            ("text", "format"), "Un archivo exportado, como texto."),
}


def _op(op_id: str, summary: str, status: int, schema: Schema | None, *, errors: Sequence[int] = READ,
        parameters: Sequence[Schema] = (), body: str | None = None, required_body: bool = True,
        content: dict[str, Schema] | None = None) -> Schema:
    ok: Schema = {"description": "Correcto"}
    if content is not None:
        ok["content"] = content
    elif schema is not None:
        ok["content"] = {"application/json": {"schema": schema}}
    operation: Schema = {"operationId": op_id, "summary": summary, "tags": ["mesas"], "responses": {
        str(status): ok, **{str(code): {"$ref": f"#/components/responses/{NAMES[code]}"} for code in errors}}}
    if parameters:
        operation["parameters"] = list(parameters)
    if body:
        operation["requestBody"] = {"required": required_body,
                                    "content": {"application/json": {"schema": ref(body)}}}
    return operation


def _list(name: str) -> Schema:
    return {"type": "array", "items": ref(name)}


LISTING = (401, 400, 403, 500)
EXPORT = {kind: {"schema": STRING} for kind in ("application/yaml", "application/json")}
HELPDESK_PATHS: dict[str, dict[str, Schema]] = {
    "/help-desks": {
        "get": _op("listHelpDesks", "Mesas que quien llama puede consultar", 200, _list("HelpDesk"), errors=LISTING),
        "post": _op("createHelpDesk", "Crear una mesa con sus grupos de nivel 1 y 2 (administradores)", 201,
                    ref("HelpDesk"), errors=WRITE, body="NewHelpDesk")},
    "/help-desks/status": {"get": _op("listProtocolStatus", "Estado del protocolo de cada mesa: vigente, por "
                                      "vencer, vencido o sin protocolo", 200, _list("ProtocolStatus"), errors=LISTING)},
    "/help-desks/{code}": {
        "get": _op("getHelpDesk", "Una mesa", 200, ref("HelpDesk"), parameters=[CODE], errors=(400, *READ)),
        "patch": _op("updateHelpDesk", "Cambiar nombre, dependencia o si recibe casos", 200, ref("HelpDesk"),
                     errors=WRITE, parameters=[CODE], body="HelpDeskChange")},
    "/help-desks/{code}/groups": {
        "get": _op("listHelpDeskGroups", "Grupos de la mesa por nivel, con sus miembros", 200,
                   _list("HelpDeskGroup"), parameters=[CODE], errors=(400, *READ)),
        "post": _op("addHelpDeskGroup", "Agregar un grupo de nivel", 201, ref("HelpDeskGroup"), errors=WRITE,
                    parameters=[CODE], body="NewGroup")},
    "/help-desks/{code}/groups/{group}/members": {"post": _op(
        "addGroupMember", "Agregar un usuario al grupo", 200, ref("HelpDeskGroup"), errors=WRITE,
        parameters=[CODE, GROUP], body="UserRef")},
    "/help-desks/{code}/groups/{group}/members/{username}": {"delete": _op(
        "removeGroupMember", "Retirar un usuario del grupo", 200, ref("HelpDeskGroup"), errors=WRITE,
        parameters=[CODE, GROUP, USERNAME])},
    "/help-desks/{code}/coordinators": {"post": _op(
        "addCoordinator", "Agregar un coordinador a la mesa", 200, ref("HelpDesk"), errors=WRITE,
        parameters=[CODE], body="UserRef")},
    "/help-desks/{code}/coordinators/{username}": {"delete": _op(
        "removeCoordinator", "Retirar un coordinador de la mesa", 200, ref("HelpDesk"), errors=WRITE,
        parameters=[CODE, USERNAME])},
    "/help-desks/{code}/protocol": {"get": _op(
        "getProtocol", "La versión vigente del protocolo, o la versión «version»", 200, ref("ProtocolVersion"),
        parameters=[CODE, VERSION], errors=(400, *READ))},
    "/help-desks/{code}/protocol/versions": {"get": _op(
        "listProtocolVersions", "Versiones del protocolo: el borrador primero, luego la más reciente", 200,
        _list("ProtocolVersion"), parameters=[CODE], errors=(400, *READ))},
    "/help-desks/{code}/protocol/draft": {
        "get": _op("getProtocolDraft", "El borrador del protocolo", 200, ref("ProtocolVersion"),
                   parameters=[CODE], errors=(400, *READ)),
        "post": _op("createProtocolDraft", "Crear el borrador: copia de la vigente o el protocolo por defecto", 201,
                    ref("ProtocolVersion"), errors=WRITE, parameters=[CODE]),
        "put": _op("replaceProtocolDraft", "Reemplazar el documento completo del borrador (422 con cada "
                   "problema por ruta; no se guarda nada)", 200, ref("ProtocolVersion"), errors=WRITE,
                   parameters=[CODE], body="DraftDocument"),
        "delete": _op("discardProtocolDraft", "Descartar el borrador", 204, None, errors=WRITE, parameters=[CODE])},
    "/help-desks/{code}/protocol/draft/diff": {"get": _op(
        "diffProtocolDraft", "Cada tabla del borrador frente a la versión vigente, fila por fila", 200,
        _list("ProtocolTableDiff"), parameters=[CODE], errors=(400, *READ))},
    "/help-desks/{code}/protocol/publish": {"post": _op(
        "publishProtocol", "Publicar el borrador como la versión siguiente", 200, ref("ProtocolVersion"),
        errors=WRITE, parameters=[CODE], body="Publication", required_body=False)},
    "/help-desks/{code}/protocol/export": {"get": _op(
        "exportProtocol", "El protocolo como archivo YAML o JSON", 200, None, content=EXPORT,
        parameters=[CODE, FORMAT, EXPORT_VERSION], errors=(400, 422, *READ))},
    "/help-desks/{code}/protocol/import": {"post": _op(
        "importProtocol", "Importar un archivo como borrador (422 si está mal formado; no se guarda nada)", 200,
        ref("ProtocolVersion"), errors=WRITE, parameters=[CODE], body="ProtocolImport")},
    "/dependencies": {
        "get": _op("listDependencies", "Dependencias del DNP en orden de árbol", 200, _list("Dependency"),
                   errors=LISTING),
        "post": _op("addDependency", "Agregar una dependencia (administradores)", 201, ref("Dependency"),
                    errors=WRITE, body="NewDependency")},
    "/dependencies/{dependency}/heads": {
        "get": _op("listDependencyHeads", "Jefes de la dependencia", 200, ref("DependencyHeads"),
                   parameters=[DEPENDENCY], errors=(400, *READ)),
        "post": _op("addDependencyHead", "Nombrar jefe de la dependencia a un coordinador (administradores; 409 si "
                    "ya lo es)", 201, ref("DependencyHeads"), errors=WRITE, parameters=[DEPENDENCY],
                    body="UserRef")},
    "/dependencies/{dependency}/heads/{username}": {"delete": _op(
        "removeDependencyHead", "Retirar un jefe de la dependencia (administradores; 409 si no lo es)", 200,
        ref("DependencyHeads"), errors=WRITE, parameters=[DEPENDENCY, USERNAME])},
}
