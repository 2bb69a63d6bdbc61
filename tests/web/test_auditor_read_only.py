"""Auditors read everything and change nothing: every route that writes, found in the app's URL map (so a new one
cannot be missed), answers the auditor 403 and leaves every table and stored file as it was; the same requests
from a role that may make them do change something."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from engine.config import Settings
from engine.db.models import Base
from engine.helpdesk.protocol import default_protocol
from engine.services.cases.files import add_attachment, storage_dir
from engine.services.cases.notes import add_comment
from engine.services.cases.tasks import claim_task
from engine.services.context import ServiceContext
from engine.services.people.users import get_actor
from tests.changes import deploy_main, renamed_review
from tests.conftest import FIXTURES
from tests.helpers import COMPLETE_REVIEW, REPORT, SOLVE_AT_LEVEL2, Walker, walk_to_level2
from tests.integration.test_versions import LINEAL
from tests.web.api_support import Api, expect_error
from tests.web.conftest import csrf_token, login
from web.api import API_PREFIX

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes auditors may post to: their own session only. Each is still sent below, and must leave every table as is.
SELF_SERVICE: dict[str, str] = {
    # Signing in: an auditor must be able to start a session to read anything; it writes no case or process data.
    "auth.login": "iniciar sesión",
    # Signing out: ends the auditor's own session (POST so no link can do it); it only clears the cookie.
    "auth.logout": "cerrar sesión",
}
Body = dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    """An open case with a ready task, a comment and an attachment: real ids for every URL parameter."""

    case_id: int
    task_id: str
    attachment_id: str
    process_id: str
    version: int
    task_data: dict[str, Any]
    assign_to: str

    @property
    def desk_user(self) -> str:
        """Who the help-desk routes add to and remove from `ti` (one per scenario, so each add changes data)."""
        return ("nivel2", "nivel3")[self.version - 1]

    def desk_values(self) -> dict[str, Any]:
        """The help-desk routes' parameters: the demo desk `ti`, its level-1 group, its first protocol version,
        and a dependency the dependency form of this scenario adds."""
        return {"code": "ti", "group": "ti-nivel1", "username": self.desk_user, "number": 1,
                "dependency": f"u-{self.case_id}"}

    def url_values(self, rule: Rule) -> dict[str, Any]:
        """The rule's URL parameters filled from this scenario; fails on a parameter it does not know."""
        known = {"case_id": self.case_id, "task_id": self.task_id, "attachment_id": self.attachment_id,
                 "process_id": self.process_id, "version": self.version, **self.desk_values()}
        unknown = sorted(set(rule.arguments) - set(known))
        assert not unknown, f"{rule.rule}: no real value for {unknown}; add them to Scenario.url_values"
        return {name: known[name] for name in rule.arguments}


EVIDENCE = ("evidencia.txt", b"Error 500 al abrir el tablero\n")


def _evidence() -> tuple[BytesIO, str]:
    name, content = EVIDENCE
    return BytesIO(content), name


def _deployment() -> Body:
    forms = [(BytesIO(path.read_bytes()), path.name) for path in sorted(FIXTURES.glob("lineal_*.form"))]
    return {"bpmn": (BytesIO(LINEAL.encode("utf-8")), "lineal.bpmn"), "forms": forms}


def _protocol(s: Scenario) -> dict[str, Any]:
    """A valid protocol for `ti`: the default one, escalating to its default level-2 group."""
    return default_protocol(Settings.from_env({}), "ti-nivel2-aplicaciones").to_dict()


def _protocol_file(s: Scenario) -> tuple[BytesIO, str]:
    text = json.dumps({"notas": f"importado {s.case_id}", "protocolo": _protocol(s)})
    return BytesIO(text.encode("utf-8")), "protocolo.json"


# What a real client sends to each writing route: the page's form fields (web) or the documented body (API).
# Help-desk bodies name something new per scenario (a code, a notes text, a user), so each allowed call changes data.
BODIES: dict[str, Callable[[Scenario], Body]] = {
    "helpdesks.create": lambda s: {"codigo": f"m-{s.case_id}", "nombre": "Mesa nueva", "prefijo": f"M{s.case_id}",
                                   "dependencia": "otsi"},
    "helpdesks.add_dependency": lambda s: {"codigo": f"u-{s.case_id}", "nombre": "Unidad", "tipo": "subdireccion"},
    "helpdesks.update_dependency": lambda s: {"nombre": f"Unidad {s.case_id}", "padre": ""},
    "helpdesks.add_head": lambda s: {"usuario": "coordinador_ti"},
    "helpdesks.update": lambda s: {"nombre": f"Mesa TI {s.case_id}", "dependencia": "otsi", "activa": "si"},
    "helpdesks.add_coordinator": lambda s: {"usuario": s.desk_user},
    "helpdesks.add_group": lambda s: {"grupo": f"ti-web-{s.case_id}", "nivel": "2"},
    "helpdesks.add_member": lambda s: {"usuario": s.desk_user},
    "helpdesks.save_draft": lambda s: {"documento": json.dumps(_protocol(s)), "notas": f"nota {s.case_id}"},
    "helpdesks.import_draft": lambda s: {"archivo": _protocol_file(s)},
    "helpdesks.publish": lambda s: {"proxima_revision": ""},
    "api.helpdesks.create_desk": lambda s: {"code": f"a-{s.case_id}", "name": "Mesa API",
                                            "ticket_prefix": f"A{s.case_id}", "dependency": "otsi"},
    "api.helpdesks.update_desk": lambda s: {"name": f"Mesa {s.case_id}"},
    "api.helpdesks.add_group": lambda s: {"name": f"ti-api-{s.case_id}", "level": 2},
    "api.helpdesks.add_member": lambda s: {"user": s.desk_user},
    "api.helpdesks.add_coordinator": lambda s: {"user": s.desk_user},
    "api.helpdesks.add_dependency": lambda s: {"code": f"v-{s.case_id}", "name": "Unidad", "kind": "subdireccion"},
    "api.helpdesks.add_head": lambda s: {"user": "coordinador_ti"},
    "api.helpdesk_protocol.put_draft": lambda s: {"protocol": _protocol(s), "notes": f"nota {s.case_id}"},
    "api.helpdesk_protocol.import_protocol": lambda s: {"text": _protocol_file(s)[0].read().decode(), "format": "json"},
    "auth.login": lambda s: {"username": "auditor", "password": "auditor"},
    "portal.new_case": lambda s: {"datos": json.dumps(REPORT)},
    "portal.task_page": lambda s: {"datos": json.dumps(s.task_data)},
    "portal.add_comment": lambda s: {"cuerpo": "Revisado en la auditoría.", "visibilidad": "public"},
    "portal.upload": lambda s: {"archivo": _evidence(), "visibilidad": "public"},
    "inbox.assign": lambda s: {"usuario": s.assign_to},
    "processes.upload": lambda s: _deployment(),
    "api.cases.start_help_desk_case": lambda s: {"data": REPORT},
    "api.cases.start_case": lambda s: {"data": REPORT},
    "api.tasks.assign_task": lambda s: {"user": s.assign_to},
    "api.tasks.complete_task": lambda s: {"data": s.task_data},
    "api.deployments.create_deployment": lambda s: _deployment(),
}
# Claims, releases and logout send no fields.
NO_BODY = frozenset({"portal.claim", "portal.release", "inbox.claim", "inbox.release", "auth.logout",
                     "api.tasks.claim_task", "api.tasks.release_task", "helpdesks.remove_dependency",
                     "helpdesks.remove_coordinator", "helpdesks.remove_member", "helpdesks.remove_head",
                     "helpdesks.create_draft", "helpdesks.discard", "api.helpdesks.remove_member",
                     "api.helpdesks.remove_coordinator", "api.helpdesks.remove_head",
                     "api.helpdesk_protocol.create_draft", "api.helpdesk_protocol.discard_draft",
                     "api.helpdesk_protocol.publish"})


def default_body(scenario: Scenario) -> Body:
    """For a route not listed above: the version pair the process pages send (de/a; the migration's form).
    If such a route answers 400/422 rather than 403, add what its form really sends to BODIES."""
    return {"de": "1", "a": "2"}


def build_world(ctx: ServiceContext) -> list[Scenario]:
    """One case waiting unclaimed at the review, one claimed at level 2, each with a comment and an attachment;
    then a second version of the process (the cases stay on version 1)."""
    waiting = Walker(ctx)
    waiting.start()
    claimed = walk_to_level2(ctx)
    claim_task(ctx, get_actor(ctx, "nivel2"), claimed.task().id)
    scenarios = []
    worked_by = ((waiting, "nivel1", COMPLETE_REVIEW, 1), (claimed, "nivel2", SOLVE_AT_LEVEL2, 2))
    for walk, agent, data, version in worked_by:
        case = walk.refresh()
        add_comment(ctx, get_actor(ctx, agent), case.id, "Estamos revisando su caso.")
        attachment = add_attachment(ctx, get_actor(ctx, "solicitante"), case.id, *EVIDENCE)
        scenarios.append(Scenario(case.id, walk.task().id, attachment.id, case.process_id, version, data, "nivel1"))
    assert deploy_main(ctx, renamed_review) == 2
    return scenarios


def fingerprint(ctx: ServiceContext) -> dict[str, tuple[int, str]]:
    """Per table, its row count and a hash of every column of every row; the same for the attachment files."""
    state: dict[str, tuple[int, str]] = {}
    with ctx.db.read() as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
            state[table.name] = (len(rows), _digest([tuple(row) for row in rows]))
    folder = storage_dir(ctx)
    files = sorted((p.name, p.read_bytes()) for p in folder.iterdir()) if folder.is_dir() else []
    state["attachment files"] = (len(files), _digest(files))
    return state


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode("utf-8")).hexdigest()


def writing_rules(app: Flask) -> list[Rule]:
    """Every rule that accepts a method that writes."""
    return sorted((rule for rule in app.url_map.iter_rules() if (rule.methods or set()) & WRITE_METHODS),
                  key=lambda rule: rule.rule)


def rule_of(app: Flask, endpoint: str) -> Rule:
    """The one rule of an endpoint."""
    [rule] = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
    return rule


def is_api(rule: Rule) -> bool:
    """True for /api/v1 rules (Bearer token, JSON)."""
    return rule.rule.startswith(API_PREFIX + "/")


def send(client: FlaskClient, bearer: dict[str, str], rule: Rule, method: str, scenario: Scenario) -> TestResponse:
    """The request a real client makes: API with the Bearer token and JSON or multipart; web with the session
    and its CSRF token."""
    built = rule.build(scenario.url_values(rule), append_unknown=False)
    assert built is not None, rule.rule
    path = built[1]
    body = {} if rule.endpoint in NO_BODY else BODIES.get(rule.endpoint, default_body)(scenario)
    multipart = any(isinstance(value, tuple | list) for value in body.values())
    if is_api(rule):
        if multipart:
            return client.open(path, method=method, headers=bearer, data=body, content_type="multipart/form-data")
        return client.open(path, method=method, headers=bearer, json=body or None)
    form = {**body, "csrf_token": csrf_token(client)}
    if multipart:
        return client.open(path, method=method, data=form, content_type="multipart/form-data")
    return client.open(path, method=method, data=form)


def assert_refused(rule: Rule, method: str, response: TestResponse) -> None:
    """403, as JSON {"error": ...} on the API and as the Spanish error page on the web."""
    assert response.status_code == 403, (method, rule.rule, response.status_code, response.text[:500])
    if is_api(rule):
        expect_error(response, 403)
    else:
        assert response.mimetype == "text/html" and "Acceso no permitido" in response.text, response.text[:500]


def test_the_auditor_is_refused_on_every_route_that_writes_and_nothing_changes(
        app: Flask, client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    scenarios = build_world(sqlite_ctx)
    bearer = Api(sqlite_ctx).headers("auditor")  # issued before the snapshot: the token is a row too
    assert login(client, "auditor").status_code == 302
    before = fingerprint(sqlite_ctx)
    rules = writing_rules(app)
    refused = [rule for rule in rules if rule.endpoint not in SELF_SERVICE]
    for rule in refused:
        for method, scenario in itertools.product(sorted((rule.methods or set()) & WRITE_METHODS), scenarios):
            assert_refused(rule, method, send(client, bearer, rule, method, scenario))
            assert fingerprint(sqlite_ctx) == before, f"{method} {rule.rule} changed data"
    assert set(SELF_SERVICE) <= {rule.endpoint for rule in rules}, "the allow-list names a route that is gone"
    for endpoint in SELF_SERVICE:  # login, then logout: the order a person follows
        rule = rule_of(app, endpoint)
        response = send(client, bearer, rule, "POST", scenarios[0])
        assert response.status_code == 302, (rule.rule, response.status_code, response.text[:500])
        assert fingerprint(sqlite_ctx) == before, f"POST {rule.rule} changed data"
    assert {rule.endpoint for rule in refused} | set(SELF_SERVICE) == {rule.endpoint for rule in rules}
    missing = (set(BODIES) | NO_BODY) - {rule.endpoint for rule in rules}
    assert not missing, f"known writing routes not found in the URL map (renamed? update the lists): {missing}"


# The same requests from a role that may make them: answered without 403 and something stored changes, so the
# refusals above are about the role, not the request, and the fingerprint does see a change.
CONTROLS = (
    ("portal.add_comment", "nivel1", 0), ("portal.upload", "solicitante", 0), ("portal.claim", "nivel1", 0),
    ("portal.release", "nivel2", 1), ("portal.task_page", "nivel2", 1), ("portal.new_case", "solicitante", 0),
    ("inbox.claim", "nivel1", 0), ("inbox.assign", "admin", 1), ("processes.upload", "dueno", 0),
    ("api.cases.start_help_desk_case", "solicitante", 0), ("api.tasks.complete_task", "nivel1", 0),
    ("api.tasks.assign_task", "admin", 1), ("api.deployments.create_deployment", "dueno", 0),
    ("processes.migrate_run", "dueno", 0),
    ("helpdesks.add_group", "coordinador_ti", 0), ("helpdesks.create", "admin", 0),
    ("helpdesks.create_draft", "coordinador_ti", 0), ("api.helpdesks.add_member", "coordinador_ti", 0),
    ("api.helpdesk_protocol.import_protocol", "admin", 1), ("api.helpdesks.add_dependency", "admin", 0),
)


@pytest.mark.parametrize(("endpoint", "user", "index"), CONTROLS)
def test_a_role_that_may_write_is_not_refused_and_changes_data(
        app: Flask, client: FlaskClient, sqlite_ctx: ServiceContext, endpoint: str, user: str, index: int) -> None:
    scenario = build_world(sqlite_ctx)[index]
    bearer = Api(sqlite_ctx).headers(user)
    assert login(client, user).status_code == 302
    before = fingerprint(sqlite_ctx)
    rule = rule_of(app, endpoint)
    response = send(client, bearer, rule, "POST", scenario)
    assert response.status_code in (200, 201, 302, 303), (rule.rule, response.status_code, response.text[:500])
    assert fingerprint(sqlite_ctx) != before
