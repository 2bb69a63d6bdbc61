"""CSRF, security headers, cookie flags, the secret key, escaping and the domain-error mapping."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.db.models import LoginFailure
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError, ForbiddenError, FormValidationError, NotFoundError, ServiceError
from tests.web.conftest import csrf_token, login, make_app, with_settings
from web import create_app

CSRF_PAGE = "La sesión expiró o el formulario no es válido; recargue la página."
# Every state-changing form route of the web core, with a valid form body apart from the token.
FORM_ROUTES = [("/login", {"username": "nivel1", "password": "nivel1"}), ("/logout", {})]


@pytest.mark.parametrize(("path", "form"), FORM_ROUTES)
@pytest.mark.parametrize("token", [None, "", "otro-token"])
def test_forms_without_this_sessions_token_get_400(client: FlaskClient, path: str, form: dict[str, str],
                                                   token: str | None) -> None:
    login(client, "nivel1")
    data = form if token is None else {**form, "csrf_token": token}
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert CSRF_PAGE in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"]


def test_a_token_from_another_session_is_refused(app: Flask) -> None:
    mine, theirs = app.test_client(), app.test_client()
    response = mine.post("/login", data={"username": "nivel1", "password": "nivel1",
                                         "csrf_token": csrf_token(theirs)})
    assert response.status_code == 400


def test_the_token_may_come_in_a_header(client: FlaskClient) -> None:
    login(client, "nivel1")
    response = client.post("/logout", headers={"X-CSRF-Token": csrf_token(client)})
    assert response.status_code == 302


def test_api_routes_are_exempt_and_answer_json(client: FlaskClient) -> None:
    response = client.post("/api/v1/casos-que-no-existen", json={})
    assert response.status_code == 404
    assert response.json == {"error": "La página o el recurso que busca no existe."}


def test_html_responses_carry_the_security_headers(client: FlaskClient) -> None:
    for response in (client.get("/login"), client.get("/no-existe")):
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert headers["Cache-Control"] == "no-store"
        policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
        assert policy["script-src"] == policy["style-src"] == policy["default-src"] == "'self'"
        assert policy["img-src"] == "'self' data:"
        assert policy["frame-ancestors"] == policy["object-src"] == "'none'"
        assert "unsafe" not in headers["Content-Security-Policy"]


def test_static_files_are_served_with_the_headers_and_may_be_cached(client: FlaskClient) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient) -> None:
    cookie = login(client, "nivel1").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # test mode


@pytest.mark.parametrize(("secure_setting", "expected"), [(None, True), (True, True), (False, False)])
def test_session_cookie_is_secure_outside_test_mode_unless_turned_off(
        sqlite_ctx: ServiceContext, secure_setting: bool | None, expected: bool) -> None:
    app = make_app(with_settings(sqlite_ctx, secure_cookies=secure_setting), TESTING=False)
    cookie = app.test_client().get("/login").headers["Set-Cookie"]
    assert ("; Secure" in cookie) is expected


def test_without_a_configured_key_one_is_kept_in_the_instance_folder(sqlite_ctx: ServiceContext) -> None:
    ctx = with_settings(sqlite_ctx, secret_key=None)
    first = make_app(ctx, SECRET_KEY=None)
    key_file = Path(ctx.settings.instance_path) / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.secret_key == key_file.read_text().strip() and len(first.secret_key) >= 32
    # The same key after a restart, so sessions survive it.
    client = first.test_client()
    login(client, "nivel1")
    restarted = make_app(ctx, SECRET_KEY=None)
    assert restarted.secret_key == first.secret_key
    cookie = client.get_cookie("mesa_sesion")
    assert cookie is not None
    again = restarted.test_client()
    again.set_cookie("mesa_sesion", cookie.value)
    assert again.get("/tablero").status_code == 200


def test_mesa_secret_key_wins_over_the_file(sqlite_ctx: ServiceContext) -> None:
    ctx = with_settings(sqlite_ctx, secret_key="k" * 40)
    assert create_app({"TESTING": True, "MESA_CONTEXT": ctx}).secret_key == "k" * 40
    assert not (Path(ctx.settings.instance_path) / "secret_key").exists()


def test_typed_text_is_escaped(client: FlaskClient) -> None:
    html = login(client, "<script>alert(1)</script>", "x").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.fixture
def failing_app(sqlite_ctx: ServiceContext) -> Flask:
    """The app plus routes raising each domain error, on a page and under /api/v1."""
    app = make_app(sqlite_ctx)
    errors: dict[str, ServiceError] = {
        "no-existe": NotFoundError("el caso 99 no existe"),
        "prohibido": ForbiddenError("los auditores solo pueden consultar"),
        "conflicto": ConflictError("la tarea ya fue completada"),
        "invalido": FormValidationError({"asunto": ["es obligatorio"]}),
    }
    pages = Blueprint("fallas", __name__)

    def fail(name: str) -> str:
        raise errors[name]

    pages.add_url_rule("/fallas/<name>", "page", fail)
    pages.add_url_rule("/api/v1/fallas/<name>", "api", fail)
    app.register_blueprint(pages)
    return app


@pytest.mark.parametrize(("name", "status", "title"), [("no-existe", 404, "No encontrado"),
                                                       ("prohibido", 403, "Acceso no permitido"),
                                                       ("conflicto", 409, "Conflicto"),
                                                       ("invalido", 422, "Datos no válidos")])
def test_domain_errors_become_spanish_pages_and_json(failing_app: Flask, name: str, status: int, title: str) -> None:
    client = failing_app.test_client()
    page = client.get(f"/fallas/{name}")
    assert page.status_code == status and page.mimetype == "text/html"
    assert f"<h1 id=\"titulo-error\">{title}</h1>" in page.get_data(as_text=True)
    api = client.get(f"/api/v1/fallas/{name}")
    assert api.status_code == status and api.mimetype == "application/json"
    assert api.json is not None and api.json["error"]


def test_form_errors_come_per_field(failing_app: Flask) -> None:
    client = failing_app.test_client()
    assert client.get("/api/v1/fallas/invalido").json == {"error": "asunto: es obligatorio",
                                                          "errors": {"asunto": ["es obligatorio"]}}
    assert "<strong>asunto</strong>: es obligatorio" in client.get("/fallas/invalido").get_data(as_text=True)


def test_unknown_pages_and_methods_get_spanish_pages(client: FlaskClient) -> None:
    assert "No encontrado" in client.get("/no-existe").get_data(as_text=True)
    refused = client.put("/login", data={"csrf_token": csrf_token(client)})
    assert refused.status_code == 405 and "GET" in refused.headers["Allow"]
    assert "Operación no permitida" in refused.get_data(as_text=True)


def test_a_proxy_is_trusted_only_when_configured(sqlite_ctx: ServiceContext) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    for trusted, expected in ((0, "ip:127.0.0.1"), (1, "ip:203.0.113.9")):
        client = make_app(with_settings(sqlite_ctx, trusted_proxies=trusted)).test_client()
        client.post("/login", data={"username": "x", "password": "y", "csrf_token": csrf_token(client)},
                    headers=forwarded)
        with sqlite_ctx.db.read() as session:
            assert expected in set(session.scalars(select(LoginFailure.key)))


def test_an_unexpected_error_gets_a_spanish_page_without_details(sqlite_ctx: ServiceContext) -> None:
    app = make_app(sqlite_ctx, PROPAGATE_EXCEPTIONS=False)

    def broken() -> str:
        raise RuntimeError("detalle interno que nadie debe ver")

    app.add_url_rule("/roto", "broken", broken)
    response = app.test_client().get("/roto")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "Error interno" in html
    assert "detalle interno" not in html
