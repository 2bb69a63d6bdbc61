"""Every route of the URL map, for every role's demo user, answers as the permission policy says it must.

Before each request the policy is asked about the state of that moment (the case, the task as it is now, the
actor); reading routes must then answer something other than 403/404 exactly when it says yes, and writing routes
must change what is stored exactly when it says yes (and refuse with 403, 404, 409 or a redirect carrying the
reason otherwise). A route added to the app without an answer here fails the test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from engine.db.models import Attachment, Case, InboxTask
from engine.mail.sink import mail_folder
from engine.services.cases.files import add_attachment
from engine.services.cases.notes import add_comment
from engine.services.cases.start import start_case
from engine.services.context import ServiceContext
from engine.services.errors import ConflictError
from engine.services.helpdesks.protocols import create_draft
from engine.services.people import policy
from engine.services.people.enforce import can_view_case, coordinated_desks, headed_desks
from engine.services.people.users import get_actor
from engine.services.views import SYSTEM, Actor, TaskView
from tests.helpers import COMPLETE_REVIEW, ESCALATE_TO_LEVEL3, LEVEL2, LEVEL3, REPORT, walk_to_level2
from tests.web.api_support import Api
from tests.web.conftest import csrf_token, login
from tests.web.test_auditor_read_only import EVIDENCE, WRITE_METHODS, Scenario, build_world, fingerprint, is_api, send

# One demo user per role, and the two whose reach is a relation: a coordinator of `ti` and its external provider.
USERS = ("solicitante", "nivel1", "auditor", "dueno", "admin", "coordinador_ti", "proveedor")
MAIL_ID = f"{10**18:019d}-{'a' * 32}.eml"
REFUSALS = frozenset({403, 404, 409})
# Judged by their answer, not by stored data: signing in and out store nothing; an identical deployment or a
# migration with nothing left to migrate changes nothing, yet they were allowed.
BY_STATUS = frozenset({"auth.login", "auth.logout", "processes.upload", "api.deployments.create_deployment",
                       "processes.migrate_run"})


@dataclass(frozen=True)
class Facts:
    """What the policy is asked about, read just before a request."""

    actor: Actor
    sees_case: bool
    task: TaskView
    target: Actor
    attachment_public: bool
    coordinated: frozenset[str] = frozenset()
    headed: frozenset[str] = frozenset()

    @property
    def open_task(self) -> bool:
        """The scenario's task is still pending."""
        return self.task.completed_at is None


Answer = Callable[[Facts], bool]


def _seen_task(refusal: Callable[[Actor, TaskView], object]) -> Answer:
    return lambda f: f.sees_case and f.open_task and refusal(f.actor, f.task) is None


def _assign(f: Facts) -> bool:
    to_target = policy.assignee_refusal(f.actor, f.task, f.target.username,
                                        candidate=policy.is_candidate(f.target, f.task))
    return _seen_task(policy.assign_refusal)(f) and to_target is None


def _audit(f: Facts) -> bool:
    return f.sees_case and policy.may_audit(f.actor)


def _anyone(f: Facts) -> bool:  # signed in is enough: the engine filters the lists
    return True


def _sees_case(f: Facts) -> bool:
    return f.sees_case


def _opens_task(f: Facts) -> bool:
    return f.sees_case and policy.may_open_task(f.actor, f.task)


def _completes(f: Facts) -> bool:
    return f.open_task and policy.complete_refusal(f.actor, f.task) is None


def _starts(f: Facts) -> bool:
    return policy.start_refusal(f.actor, None) is None


def _deploys(f: Facts) -> bool:
    return policy.may_deploy(f.actor)


def _reads_processes(f: Facts) -> bool:
    return policy.reads_processes(f.actor)


def _exports(f: Facts) -> bool:
    return policy.may_export(f.actor)


def _mail(f: Facts) -> bool:
    return policy.reads_mailbox(f.actor, demo=False)


READS: dict[str, Answer] = {
    "main.home": _anyone, "main.dashboard": _anyone, "portal.my_cases": _anyone, "static": _anyone,
    "auth.login": _anyone, "api.cases.list_cases": _anyone, "api.tasks.list_tasks": _anyone,
    "api.meta.list_processes": _anyone, "api.meta.openapi": _anyone,
    "portal.new_case": lambda f: policy.may_report(f.actor),
    "portal.case_page": _sees_case, "portal.diagram": _sees_case, "api.cases.get_case": _sees_case,
    "api.cases.case_events": _sees_case, "api.cases.case_service_levels": _sees_case,
    "portal.download": lambda f: f.sees_case and (f.attachment_public or policy.sees_internal(f.actor)),
    "portal.task_page": _opens_task, "api.tasks.get_task": _opens_task,
    "audit_case.index": lambda f: policy.may_audit(f.actor), "audit_case.show": _audit,
    "audit_case.diagram": _audit, "audit_case.verification": _audit, "api.audit.case_at": _audit,
    "api.audit.verify_case": _audit,
    "audit_export.index": _exports, "audit_export.download": _exports, "api.export.export_csv": _exports,
    "api.export.export_xes": _exports,
    "inbox.index": lambda f: policy.uses_inbox(f.actor),
    "mailbox.index": _mail, "mailbox.message": _mail,
    "processes.index": _reads_processes, "processes.versions": _reads_processes,
    "processes.version_page": _reads_processes, "processes.diagram": _reads_processes,
    "processes.diff": _reads_processes,
    "api.deployments.list_versions": _reads_processes, "api.deployments.diff_versions": _reads_processes,
    "processes.upload": _deploys, "processes.migrate": _deploys,
}
# In the order they are sent: comments and files, claims, releases, assignments, completions, new cases, then
# what concerns the processes and the session.
WRITES: dict[str, Answer] = {
    "portal.add_comment": lambda f: f.sees_case and policy.comment_refusal(f.actor, "public") is None,
    "portal.upload": lambda f: f.sees_case and policy.upload_refusal(f.actor, "public") is None,
    "portal.claim": _seen_task(policy.claim_refusal), "inbox.claim": _seen_task(policy.claim_refusal),
    "api.tasks.claim_task": _seen_task(policy.claim_refusal),
    "portal.release": _seen_task(policy.release_refusal), "inbox.release": _seen_task(policy.release_refusal),
    "api.tasks.release_task": _seen_task(policy.release_refusal),
    # The page also declines to assign a task to whom it is already assigned (nothing would change).
    "inbox.assign": lambda f: _assign(f) and f.task.assignee != f.target.username,
    "api.tasks.assign_task": _assign,
    "portal.task_page": _completes, "api.tasks.complete_task": _completes,
    "portal.new_case": _starts, "api.cases.start_help_desk_case": _starts, "api.cases.start_case": _starts,
    "processes.upload": _deploys, "api.deployments.create_deployment": _deploys, "processes.migrate_run": _deploys,
    "auth.login": _anyone, "auth.logout": _anyone,
}




def _administers(f: Facts) -> bool:
    return policy.may_administer_help_desks(f.actor)


def _reads_desk(f: Facts) -> bool:
    return _administers(f) and policy.may_read_desk(f.actor, DESK, coordinated=f.coordinated, headed=f.headed)


def _manages_desk(f: Facts) -> bool:
    return _administers(f) and policy.manage_desk_refusal(f.actor, coordinated=f.coordinated, code=DESK) is None


def _creates_desks(f: Facts) -> bool:
    return _administers(f) and policy.administer_refusal(f.actor) is None


# The help-desk administration (every method), judged by its answer: 403/404 exactly when the policy says no. The
# requests carry no body, so an allowed one is declined by its form check (400, or a page sent back) or changes
# nothing that a later request depends on; the desk keeps a draft, so the draft's pages exist when allowed.
DESK = "ti"
DESK_VALUES = {"code": DESK, "group": "ti-nivel1", "username": "dueno", "number": 1, "dependency": "otsi"}
DESK_ROUTES: dict[str, Answer] = {
    **dict.fromkeys(("helpdesks.index", "helpdesks.status", "helpdesks.dependency_tree", "api.helpdesks.list_desks",
                     "api.helpdesks.desk_status", "api.helpdesks.list_dependencies", "api.helpdesks.list_heads"),
                    _administers),
    **dict.fromkeys(("helpdesks.desk", "helpdesks.version", "helpdesks.draft", "helpdesks.draft_diff",
                     "helpdesks.export", "api.helpdesks.get_desk", "api.helpdesks.list_groups",
                     "api.helpdesk_protocol.get_protocol", "api.helpdesk_protocol.get_draft",
                     "api.helpdesk_protocol.draft_diff", "api.helpdesk_protocol.export_protocol",
                     "api.helpdesk_protocol.list_protocol_versions"), _reads_desk),
    **dict.fromkeys(("helpdesks.create", "helpdesks.add_dependency", "helpdesks.update_dependency",
                     "helpdesks.remove_dependency", "helpdesks.add_head", "helpdesks.remove_head",
                     "api.helpdesks.create_desk", "api.helpdesks.add_dependency", "api.helpdesks.add_head",
                     "api.helpdesks.remove_head"), _creates_desks),
    **dict.fromkeys(("helpdesks.update", "helpdesks.add_coordinator", "helpdesks.remove_coordinator",
                     "helpdesks.add_group", "helpdesks.add_member", "helpdesks.remove_member",
                     "helpdesks.save_draft", "helpdesks.create_draft", "helpdesks.import_draft",
                     "helpdesks.publish", "helpdesks.discard", "api.helpdesks.update_desk",
                     "api.helpdesks.add_coordinator", "api.helpdesks.remove_coordinator", "api.helpdesks.add_group",
                     "api.helpdesks.add_member", "api.helpdesks.remove_member", "api.helpdesk_protocol.create_draft",
                     "api.helpdesk_protocol.put_draft", "api.helpdesk_protocol.discard_draft",
                     "api.helpdesk_protocol.import_protocol", "api.helpdesk_protocol.publish"), _manages_desk),
}


def ensure_draft(ctx: ServiceContext) -> None:
    """The demo desk has a protocol draft (publishing or discarding it, allowed, removes it)."""
    with contextlib.suppress(ConflictError):
        create_draft(ctx, SYSTEM, DESK)


def bare_request(client: FlaskClient, bearer: dict[str, str], rule: Rule, method: str,
                 values: dict[str, object]) -> TestResponse:
    """A request with the route's parameters and no body (a web form carries only its CSRF token)."""
    unknown = sorted(set(rule.arguments) - set(values))
    assert not unknown, f"{rule.rule}: no value for {unknown}"
    built = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
    assert built is not None, rule.rule
    if method == "GET":
        response = client.get(built[1], headers=bearer if is_api(rule) else None)
    elif is_api(rule):
        response = client.open(built[1], method=method, headers=bearer, json={})
    else:
        response = client.open(built[1], method=method, data={"csrf_token": csrf_token(client)})
    response.close()
    return response


def url_values(rule: Rule, scenario: Scenario) -> dict[str, object]:
    """Real values for the rule's parameters; fails on one it does not know."""
    known = {"case_id": scenario.case_id, "task_id": scenario.task_id, "attachment_id": scenario.attachment_id,
             "process_id": scenario.process_id, "version": scenario.version, "k": 1, "mail_id": MAIL_ID,
             "filename": "favicon.svg"}
    unknown = sorted(set(rule.arguments) - set(known))
    assert not unknown, f"{rule.rule}: no real value for {unknown}"
    return {name: known[name] for name in rule.arguments}


def facts(ctx: ServiceContext, actor: Actor, scenario: Scenario) -> Facts:
    """The case, task and attachment of the scenario as they are now."""
    with ctx.db.read() as session:
        case = session.get(Case, scenario.case_id)
        row = session.get(InboxTask, scenario.task_id)
        attachment = session.get(Attachment, scenario.attachment_id)
        assert case is not None and row is not None and attachment is not None
        return Facts(actor, can_view_case(session, actor, case), TaskView.of(row, case),
                     get_actor(ctx, scenario.assign_to), attachment.visibility == "public",
                     frozenset(coordinated_desks(session, actor)), frozenset(headed_desks(session, actor)))


def write_mail(ctx: ServiceContext) -> None:
    """One message in the demo mailbox, for /correo/<id>."""
    folder = mail_folder(ctx.settings.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MAIL_ID).write_bytes(b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hola\r\n\r\nHola\r\n")


def read(client: FlaskClient, bearer: dict[str, str], rule: Rule, scenario: Scenario) -> TestResponse:
    """A GET as a browser or an API client sends it."""
    built = rule.build(url_values(rule, scenario), append_unknown=False)
    assert built is not None, rule.rule
    response = client.get(built[1], headers=bearer if is_api(rule) else None)
    response.close()  # a download streams its file: close it
    return response


@pytest.mark.parametrize("user", USERS)
def test_every_route_answers_every_role_as_the_policy_says(
        app: Flask, client: FlaskClient, sqlite_ctx: ServiceContext, user: str) -> None:
    scenarios = build_world(sqlite_ctx)
    write_mail(sqlite_ctx)
    actor = get_actor(sqlite_ctx, user)
    bearer = Api(sqlite_ctx).headers(user)
    assert login(client, user).status_code == 302
    every = sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
    assert {r.endpoint for r in every} >= set(DESK_ROUTES), "the help-desk table names a route that is gone"
    rules = [rule for rule in every if rule.endpoint not in DESK_ROUTES]
    assert {r.endpoint for r in rules if "GET" in (r.methods or set())} == set(READS), "answer every reading route"
    assert {r.endpoint for r in rules if (r.methods or set()) & WRITE_METHODS} == set(WRITES), "and every writing one"
    wrong: list[str] = []
    for rule in (r for r in rules if "GET" in (r.methods or set())):
        for scenario in scenarios:
            expected = READS[rule.endpoint](facts(sqlite_ctx, actor, scenario))
            status = read(client, bearer, rule, scenario).status_code
            if expected == (status in (403, 404)):
                wrong.append(f"GET {rule.rule} case {scenario.case_id}: policy {expected}, answer {status}")
    by_endpoint = {rule.endpoint: rule for rule in rules}
    for endpoint, answer in WRITES.items():
        for scenario in scenarios:
            expected = answer(facts(sqlite_ctx, actor, scenario))
            before = fingerprint(sqlite_ctx)
            response = send(client, bearer, by_endpoint[endpoint], "POST", scenario)
            wrong += _judged(endpoint, scenario, expected, response, fingerprint(sqlite_ctx) != before)
    # Last, signed in again (the walk ended signing out): an allowed bare form may change the desk (an unticked
    # "activa" closes it), which the case routes need.
    assert login(client, user).status_code == 302
    wrong += _desk_answers(sqlite_ctx, client, bearer, actor, scenarios[0],
                           [rule for rule in every if rule.endpoint in DESK_ROUTES])
    assert wrong == [], f"{user}: " + "\n".join(wrong)


def _desk_answers(ctx: ServiceContext, client: FlaskClient, bearer: dict[str, str], actor: Actor,
                  scenario: Scenario, rules: list[Rule]) -> list[str]:
    """What disagrees with the policy among the help-desk routes, reads first (each method of each route once)."""
    wrong: list[str] = []
    sent = [(rule, method) for rule in rules for method in sorted((rule.methods or set()) & (WRITE_METHODS | {"GET"}))]
    for rule, method in sorted(sent, key=lambda pair: (pair[1] != "GET", pair[0].rule)):
        ensure_draft(ctx)
        expected = DESK_ROUTES[rule.endpoint](facts(ctx, actor, scenario))
        status = bare_request(client, bearer, rule, method, DESK_VALUES).status_code
        if expected == (status in (403, 404)):
            wrong.append(f"{method} {rule.rule}: policy {expected}, answer {status}")
    return wrong


def _judged(endpoint: str, scenario: Scenario, expected: bool, response: TestResponse, changed: bool) -> list[str]:
    """What disagrees with the policy in a writing route's answer (nothing, when it agrees)."""
    status = response.status_code
    where = f"POST {endpoint} case {scenario.case_id}: policy {expected}, answer {status}"
    if endpoint in BY_STATUS:
        return [where] if expected == (status in REFUSALS) else []
    if changed != expected:
        return [f"{where}, data {'changed' if changed else 'unchanged'}"]
    # A page may decline by sending the person back with the reason; the API always says it with its status.
    declined = status in REFUSALS or (status == 302 and not endpoint.startswith("api."))
    return [] if expected or declined else [where]


# What names a help desk's resources in a URL, and real values for the other parameters of those routes.
TENANT_ARGUMENTS = frozenset({"case_id", "task_id", "attachment_id", "code"})
OTHER_DESK = {"code": "inversiones", "group": "inversiones-nivel1", "username": "admin", "number": 1, "k": 1}


def other_desk_case(ctx: ServiceContext) -> Scenario:
    """A case of `inversiones` waiting at its review, with an internal note and an attachment."""
    case = start_case(ctx, get_actor(ctx, "solicitante"), {**REPORT, "mesa": "inversiones", "aplicacion": "MGA Web"})
    add_comment(ctx, get_actor(ctx, "admin"), case.id, "Nota interna", "internal")
    attachment = add_attachment(ctx, get_actor(ctx, "solicitante"), case.id, *EVIDENCE)
    return Scenario(case.id, case.ready_tasks[0].id, attachment.id, case.process_id, 1, COMPLETE_REVIEW, "admin")


def tenant_request(client: FlaskClient, bearer: dict[str, str], rule: Rule, method: str,
                   scenario: Scenario) -> TestResponse:
    """A request for the other desk's resource: case routes as the route walk sends them, desk routes bare."""
    if method != "GET" and "code" not in rule.arguments:
        return send(client, bearer, rule, method, scenario)
    return bare_request(client, bearer, rule, method, {
        "case_id": scenario.case_id, "task_id": scenario.task_id, "attachment_id": scenario.attachment_id,
        "process_id": scenario.process_id, "version": scenario.version, **OTHER_DESK})


@pytest.mark.parametrize("user", ["coordinador_ti", "proveedor"])
def test_nothing_of_another_help_desk_is_found(
        app: Flask, client: FlaskClient, sqlite_ctx: ServiceContext, user: str) -> None:
    """The tenant boundary: every page and API resource of a case or a help desk the actor has no part in is 404,
    whatever the method, and nothing is stored."""
    scenario = other_desk_case(sqlite_ctx)
    bearer = Api(sqlite_ctx).headers(user)
    assert login(client, user).status_code == 302
    rules = [rule for rule in app.url_map.iter_rules() if set(rule.arguments) & TENANT_ARGUMENTS]
    assert any("code" in rule.arguments for rule in rules) and any("case_id" in rule.arguments for rule in rules)
    wrong: list[str] = []
    for rule in sorted(rules, key=lambda rule: rule.rule):
        for method in sorted((rule.methods or set()) & (WRITE_METHODS | {"GET"})):
            before = fingerprint(sqlite_ctx)
            status = tenant_request(client, bearer, rule, method, scenario).status_code
            if status != 404 or fingerprint(sqlite_ctx) != before:
                wrong.append(f"{method} {rule.rule}: {status}")
    assert wrong == [], f"{user}: " + "\n".join(wrong)


def test_a_provider_reads_the_case_escalated_to_it_without_what_is_internal(
        client: FlaskClient, sqlite_ctx: ServiceContext) -> None:
    walk = walk_to_level2(sqlite_ctx)
    case = walk.complete("nivel2", ESCALATE_TO_LEVEL3, LEVEL2)
    add_comment(sqlite_ctx, get_actor(sqlite_ctx, "nivel2"), case.id, "Nota solo para agentes", "internal")
    add_comment(sqlite_ctx, get_actor(sqlite_ctx, "nivel2"), case.id, "Lo escalamos al proveedor", "public")
    task = walk.task(LEVEL3)
    assert login(client, "proveedor").status_code == 302
    page = client.get(f"/casos/{case.id}").text
    assert "Lo escalamos al proveedor" in page and "Nota solo para agentes" not in page
    assert "visibilidad-interna" not in page  # no internal-note choice in the form
    assert client.get(f"/tareas/{task.id}").status_code == 200
    api = Api(sqlite_ctx)
    body = api.get("proveedor", f"/cases/{case.id}").get_json()
    assert body["data"]["motivo_escalamiento"] == ESCALATE_TO_LEVEL3["motivo_escalamiento"]
    assert "observaciones_escalamiento" not in body["data"] and "grupo_nivel2" not in body["data"]
    events = api.get("proveedor", f"/cases/{case.id}/events").get_json()
    assert "Nota solo para agentes" not in str(events)
    assert api.get("proveedor", f"/cases/{case.id}/verify").status_code == 403  # the full history is the staff's
