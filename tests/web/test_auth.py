"""Sign-in, sign-out, sessions, throttling, redirects by role and the access decorators."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from engine.clock import FixedClock
from engine.db.models import LoginFailure, User
from engine.services.context import ServiceContext
from engine.services.views import Actor, Role
from tests.web.conftest import csrf_token, login, make_app, post
from web.context import current_actor, login_required, permission_required

BAD = "Usuario o contraseña incorrectos."


def signed_in_user(client: FlaskClient) -> str | None:
    """The user name the session holds."""
    with client.session_transaction() as session:
        user = session.get("usuario")
    return user if isinstance(user, str) else None


def deactivate(ctx: ServiceContext, username: str) -> None:
    """Mark a user inactive, as an administrator would."""
    with ctx.db.write() as session:
        session.execute(update(User).where(User.username == username).values(active=False))


def test_login_page_has_labelled_fields_and_a_csrf_field(client: FlaskClient) -> None:
    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<label for="username">Usuario</label>' in html and '<label for="password">Contraseña</label>' in html
    assert f'name="csrf_token" value="{csrf_token(client)}"' in html


def test_login_starts_a_session_holding_only_the_user_name_and_its_version(client: FlaskClient) -> None:
    response = login(client, "nivel1")
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    with client.session_transaction() as session:
        assert {key: session[key] for key in ("usuario", "v")} == {"usuario": "nivel1", "v": 1}
        assert set(session) <= {"usuario", "v", "csrf", "_permanent", "_flashes"}


def test_user_name_is_case_insensitive(client: FlaskClient) -> None:
    assert login(client, " Nivel1 ", "nivel1").status_code == 302
    assert signed_in_user(client) == "nivel1"


def test_login_gives_a_new_csrf_token(client: FlaskClient) -> None:
    before = csrf_token(client)
    login(client, "nivel1")
    assert csrf_token(client) != before


@pytest.mark.parametrize(("user", "password"), [("nivel1", "equivocada"), ("nadie", "nadie"), ("nivel1", "")])
def test_wrong_credentials_say_the_same_and_sign_nobody_in(client: FlaskClient, user: str, password: str) -> None:
    response = login(client, user, password)
    assert response.status_code == 200
    assert BAD in response.get_data(as_text=True)
    assert signed_in_user(client) is None


def test_an_inactive_user_cannot_sign_in(client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    deactivate(sqlite_ctx, "nivel2")
    assert BAD in login(client, "nivel2").get_data(as_text=True)
    assert signed_in_user(client) is None


def test_a_deactivated_user_is_signed_out_on_the_next_request(client: FlaskClient,
                                                              sqlite_ctx: ServiceContext) -> None:
    login(client, "nivel2")
    assert client.get("/tablero").status_code == 200
    deactivate(sqlite_ctx, "nivel2")
    response = client.get("/tablero")
    assert (response.status_code, response.headers["Location"]) == (302, "/login?next=/tablero")
    assert signed_in_user(client) is None


def test_a_session_of_another_version_is_dropped(client: FlaskClient) -> None:
    login(client, "nivel1")
    with client.session_transaction() as session:
        session["v"] = 0
    assert client.get("/tablero").status_code == 302
    assert signed_in_user(client) is None


def test_five_failures_for_a_user_name_block_it_even_with_the_right_password(
        client: FlaskClient, sqlite_ctx: ServiceContext, clock: FixedClock) -> None:
    for _ in range(5):
        assert login(client, "nivel1", "mala").status_code == 200
        clock.advance(timedelta(seconds=10))
    blocked = login(client, "nivel1")
    assert blocked.status_code == 429
    assert "Demasiados intentos fallidos" in blocked.get_data(as_text=True)
    # The first failure leaves the 15-minute window 15 min after it: 15 min - 50 s from now.
    assert blocked.headers["Retry-After"] == str(15 * 60 - 50)
    assert signed_in_user(client) is None
    clock.advance(timedelta(minutes=15))
    assert login(client, "nivel1").status_code == 302
    assert signed_in_user(client) == "nivel1"


def test_five_failures_from_one_address_block_it_for_every_user_name(client: FlaskClient) -> None:
    for name in ("a1", "a2", "a3", "a4", "a5"):
        login(client, name, "mala")
    assert login(client, "auditor").status_code == 429
    other = client.application.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert login(other, "auditor").status_code == 302


def test_a_success_forgets_the_user_names_failures_but_not_the_addresses(client: FlaskClient,
                                                                          sqlite_ctx: ServiceContext) -> None:
    for _ in range(4):
        login(client, "nivel1", "mala")
    login(client, "nivel1")
    with sqlite_ctx.db.read() as session:
        keys = dict(session.execute(select(LoginFailure.key, func.count()).group_by(LoginFailure.key)).all())
    assert keys == {"ip:127.0.0.1": 4}


def test_the_count_is_shared_by_every_worker(sqlite_ctx: ServiceContext) -> None:
    workers = [make_app(sqlite_ctx).test_client() for _ in range(2)]
    for attempt in range(5):
        login(workers[attempt % 2], "nivel3", "mala")
    assert login(workers[0], "nivel3").status_code == 429
    assert login(workers[1], "nivel3").status_code == 429


def test_logout_needs_post_with_the_csrf_token(client: FlaskClient) -> None:
    login(client, "nivel1")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert signed_in_user(client) == "nivel1"
    response = post(client, "/logout")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert signed_in_user(client) is None
    assert "Cerró la sesión." in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("target", ["/tablero?x=1", "/casos/7"])
def test_next_leads_to_a_local_path(client: FlaskClient, target: str) -> None:
    assert login(client, "nivel1", next=target).headers["Location"] == target


@pytest.mark.parametrize("target", ["https://malo.example/", "//malo.example/x", "/\\malo.example", "\\\\malo.example",
                                    "javascript:alert(1)", "http:/malo.example", "/\tmalo", "mailto:a@b.c", ""])
def test_next_never_leaves_the_site(client: FlaskClient, target: str) -> None:
    assert login(client, "nivel1", next=target).headers["Location"] == "/"


def test_the_login_form_keeps_a_safe_next_and_drops_an_unsafe_one(client: FlaskClient) -> None:
    assert 'name="next" value="/casos/3"' in client.get("/login?next=/casos/3").get_data(as_text=True)
    assert 'name="next"' not in client.get("/login?next=//malo.example").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/")
    assert (response.status_code, response.headers["Location"]) == (302, "/login?next=/")


def test_a_signed_in_user_visiting_login_goes_home(client: FlaskClient) -> None:
    login(client, "auditor")
    assert client.get("/login").headers["Location"] == "/"


@pytest.fixture
def app_with_sections(sqlite_ctx: ServiceContext) -> Flask:
    """The app plus a page only administrators see and an API route, to exercise the decorators."""
    app = make_app(sqlite_ctx)
    admin = Blueprint("admin", __name__)

    @admin.route("/solo-admin")
    @permission_required(lambda actor: actor.role is Role.ADMIN)
    def only_admin() -> str:
        actor = current_actor()
        return f"hola {actor.username if actor else ''}"

    @admin.route("/api/v1/yo")
    @login_required
    def api_me() -> dict[str, str]:
        actor = current_actor()
        assert isinstance(actor, Actor)
        return {"usuario": actor.username}

    app.register_blueprint(admin)
    return app


@pytest.mark.parametrize(("user", "home"), [("solicitante", "/casos"), ("nivel1", "/bandeja"),
                                            ("auditor", "/tablero"), ("dueno", "/tablero"), ("admin", "/tablero")])
def test_home_redirects_by_role(app_with_sections: Flask, user: str, home: str) -> None:
    client = app_with_sections.test_client()
    login(client, user)
    assert client.get("/").headers["Location"] == home


def test_the_menu_depends_on_the_role(app_with_sections: Flask) -> None:
    requester, agent = app_with_sections.test_client(), app_with_sections.test_client()
    login(requester, "solicitante")
    login(agent, "nivel1")
    requester_page = requester.get("/tablero").get_data(as_text=True)
    agent_page = agent.get("/tablero").get_data(as_text=True)
    assert ">Reportar caso</a>" in requester_page and ">Mis casos</a>" in requester_page
    assert ">Bandeja</a>" not in requester_page and ">Bandeja</a>" in agent_page
    auditor = app_with_sections.test_client()
    login(auditor, "auditor")
    auditor_page = auditor.get("/tablero").get_data(as_text=True)
    assert ">Bandeja</a>" in auditor_page and ">Reportar caso</a>" not in auditor_page
    assert "Correo de demostración" not in agent_page


def test_permission_required_refuses_who_the_check_refuses_with_403(app_with_sections: Flask) -> None:
    client = app_with_sections.test_client()
    assert client.get("/solo-admin").headers["Location"] == "/login?next=/solo-admin"
    login(client, "nivel1")
    refused = client.get("/solo-admin")
    assert refused.status_code == 403
    assert "Acceso no permitido" in refused.get_data(as_text=True)
    login(client, "admin")
    assert client.get("/solo-admin").get_data(as_text=True) == "hola admin"


def test_api_routes_use_bearer_tokens_and_ignore_the_session_cookie(app_with_sections: Flask,
                                                                    sqlite_ctx: ServiceContext) -> None:
    from engine.services.people.users import issue_token

    client = app_with_sections.test_client()
    login(client, "nivel1")
    anonymous = client.get("/api/v1/yo")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert anonymous.json == {"error": "Se requiere autenticación: envíe un token de API válido "
                                       "(Authorization: Bearer ...)."}
    token = issue_token(sqlite_ctx, "nivel2")
    response = client.get("/api/v1/yo", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json) == (200, {"usuario": "nivel2"})
    assert client.get("/api/v1/yo", headers={"Authorization": "Bearer mda_falso"}).status_code == 401
