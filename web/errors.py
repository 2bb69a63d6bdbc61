"""Domain errors and HTTP errors to responses: Spanish pages for people, JSON for /api/v1."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask, Response, jsonify, render_template
from werkzeug.exceptions import HTTPException

from engine.services.errors import (
    ConflictError,
    ForbiddenError,
    FormValidationError,
    NotFoundError,
    ProcessError,
    ServiceError,
)
from web.context import is_api_request

logger = logging.getLogger(__name__)

TITLES: dict[int, str] = {
    400: "Solicitud no válida",
    401: "Inicie sesión",
    403: "Acceso no permitido",
    404: "No encontrado",
    405: "Operación no permitida",
    409: "Conflicto",
    413: "Contenido demasiado grande",
    422: "Datos no válidos",
    429: "Demasiados intentos",
    500: "Error interno",
}
MESSAGES: dict[int, str] = {
    400: "La solicitud no es válida.",
    401: "Se requiere autenticación: envíe un token de API válido (Authorization: Bearer ...).",
    403: "No tiene permiso para ver esta página o hacer esta operación.",
    404: "La página o el recurso que busca no existe.",
    405: "Esta dirección no admite esa operación.",
    409: "Otra persona cambió este caso primero; recargue la página para ver su estado actual.",
    413: "El contenido enviado supera el tamaño permitido.",
    422: "Revise los datos enviados.",
    429: "Demasiados intentos; espere un momento antes de volver a intentar.",
    500: "Ocurrió un error inesperado. Intente de nuevo; si continúa, avise al administrador.",
}
CSRF_MESSAGE = "La sesión expiró o el formulario no es válido; recargue la página."
KEPT_HEADERS = frozenset({"Allow", "Retry-After", "WWW-Authenticate"})
STATUS_OF: tuple[tuple[type[ServiceError], int], ...] = (
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (ConflictError, 409),
    (FormValidationError, 422),
    (ProcessError, 500),
)


def error_response(status: int, message: str | None = None, *, errors: Mapping[str, list[str]] | None = None,
                   headers: Mapping[str, str] | None = None) -> Response:
    """The error as JSON (API: {"error": ..., "errors": {...}}) or as the Spanish error page."""
    text = message or MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    if is_api_request():
        body: dict[str, object] = {"error": text}
        if errors is not None:
            body["errors"] = dict(errors)
        response = jsonify(body)
    else:
        title = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
        page = render_template("errors/error.html", status=status, title=title, message=text, errors=errors or {})
        response = Response(page, mimetype="text/html")
    response.status_code = status
    response.headers.update(headers or {})
    return response


def status_of(error: ServiceError) -> int:
    """The HTTP status for a domain error."""
    return next((status for kind, status in STATUS_OF if isinstance(error, kind)), 500)


def _service_error(error: ServiceError) -> Response:
    status = status_of(error)
    if status >= 500:
        logger.error("error del motor en %s", type(error).__name__, exc_info=error)
    errors = error.errors if isinstance(error, FormValidationError) else None
    return error_response(status, str(error) or None, errors=errors)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {name: value for name, value in error.get_headers() if name in KEPT_HEADERS}
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="mesa-de-ayuda"')
    # Werkzeug's descriptions are English and sometimes technical: people read our Spanish ones.
    return error_response(status, headers=headers)


def register_error_handlers(app: Flask) -> None:
    """Map ServiceError subclasses and HTTP errors for every blueprint."""
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
