"""Every API error as JSON {"error": "..."} (422 adds "errors" per field): domain, HTTP and unexpected ones."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Blueprint, Response, jsonify
from werkzeug.exceptions import HTTPException

from engine.services.errors import FormValidationError, ProcessError, ServiceError
from web.errors import KEPT_HEADERS, status_of

logger = logging.getLogger(__name__)

MESSAGES: dict[int, str] = {
    400: "La solicitud no es válida.",
    401: "Se requiere un token de API válido (Authorization: Bearer <token>).",
    403: "No tiene permiso para hacer esta operación.",
    404: "El recurso no existe.",
    405: "Esta dirección no admite ese método.",
    409: "Otra persona cambió el caso primero; consulte su estado actual.",
    413: "El cuerpo de la solicitud supera el tamaño permitido.",
    415: "Tipo de contenido no admitido: envíe JSON.",
    422: "Los datos enviados no son válidos; vea «errors».",
    429: "Demasiadas solicitudes; espere un momento.",
    500: "Ocurrió un error inesperado; el cambio no se guardó. Si continúa, avise al administrador.",
}


class QueryError(ValueError):
    """A query-string parameter is unknown, repeated or malformed (400)."""


class BodyError(ValueError):
    """The request body is not the JSON object the endpoint expects (422), with messages per key."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{key}: {' '.join(messages)}" for key, messages in errors.items()))
        self.errors = errors


def api_error(status: int, message: str | None = None, *, errors: Mapping[str, list[str]] | None = None,
              headers: Mapping[str, str] | None = None, **extra: object) -> Response:
    """A JSON error response: {"error": message, "errors"?: {...}, **extra}."""
    body: dict[str, object] = {"error": message or MESSAGES.get(status, MESSAGES[500]), **extra}
    if errors is not None:
        body["errors"] = {key: list(messages) for key, messages in errors.items()}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def service_error(error: ServiceError) -> Response:
    """Map a domain error to its status (the same as the pages', but ProcessError is 422: nothing was saved)."""
    if isinstance(error, FormValidationError):
        return api_error(422, errors=error.errors)
    if isinstance(error, ProcessError):
        # The deployed diagram could not advance: nothing was saved; operators need to hear about it.
        logger.error("el proceso no pudo avanzar en %s: %s", error.element_id, error)
        return api_error(422, _sentence(str(error)) or None, element_id=error.element_id)
    return api_error(status_of(error), _sentence(str(error)) or None)


def query_error(error: QueryError) -> Response:
    """400 with the parameter's message."""
    return api_error(400, str(error))


def body_error(error: BodyError) -> Response:
    """422 with messages per key, like a form's."""
    return api_error(422, errors=error.errors)


def http_error(error: HTTPException) -> Response | HTTPException:
    """Werkzeug's HTTP errors in Spanish JSON, keeping the headers clients need."""
    status = error.code or 500
    if status < 400:
        return error  # redirects are not errors
    headers = {name: value for name, value in error.get_headers() if name in KEPT_HEADERS}
    return api_error(status, headers=headers)


def unexpected_error(error: Exception) -> Response:
    """Any other failure: logged with its trace, answered without it."""
    logger.exception("error inesperado en la API", exc_info=error)
    return api_error(500)


def register_error_handlers(bp: Blueprint) -> None:
    """Answer every error raised by the blueprint's views as JSON."""
    bp.register_error_handler(ServiceError, service_error)
    bp.register_error_handler(QueryError, query_error)
    bp.register_error_handler(BodyError, body_error)
    bp.register_error_handler(HTTPException, http_error)
    bp.register_error_handler(Exception, unexpected_error)


def _sentence(text: str) -> str:
    """Service messages are lower-case fragments; the API answers with sentences."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")
