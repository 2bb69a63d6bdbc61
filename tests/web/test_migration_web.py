"""The migration page: owners simulate moving a version's open cases to another version, then migrate them."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from engine.db.models import CaseEvent
from engine.services.context import ServiceContext
from engine.services.processes import migration
from tests.changes import ESCALATE, deploy_main, escalate_removed
from tests.helpers import Walker, walk_to_level2, walk_to_ticket
from tests.integration.test_migration import PROCESS
from tests.web.conftest import post
from tests.web.test_processes import signed_in
from web.migration_page import BAD_VERSIONS, SAME_VERSION

PAGE = f"/procesos/{PROCESS}/migrar"
CONFIRM = f'method="post" action="{PAGE}"'


def blocked_and_movable(ctx: ServiceContext) -> tuple[Walker, Walker]:
    """A case waiting at the escalation task that version 2 removes, and one at level 2 (kept): v2 deployed."""
    blocked, movable = walk_to_ticket(ctx), walk_to_level2(ctx)
    assert deploy_main(ctx, escalate_removed) == 2
    return blocked, movable


def case_id(walk: Walker) -> int:
    assert walk.case is not None
    return walk.case.id


def migrated_events(ctx: ServiceContext, walk: Walker) -> list[CaseEvent]:
    with ctx.db.read() as session:
        return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id(walk),
                                                            CaseEvent.kind == migration.MIGRATED)))


def result_rows(html: str) -> dict[int, str]:
    """Each listed case's table row, by case id."""
    body = html.split('<table class="migration">')[1].split("</table>")[0].split("<tbody>")[1]
    rows = [row for row in body.split("</tr>") if "/casos/" in row]
    return {int(row.split('href="/casos/')[1].split('"')[0]): row for row in rows}


def test_the_form_lists_versions_with_their_open_cases(app: Flask, sqlite_ctx: ServiceContext) -> None:
    blocked_and_movable(sqlite_ctx)
    response = signed_in(app, "dueno").get(PAGE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<option value="1" selected>Versión 1 · 2 casos abiertos</option>' in html
    assert '<option value="2" selected>Versión 2 · 0 casos abiertos</option>' in html
    assert 'class="migration"' not in html and "csrf_token" not in html.split("</header>")[1]


def test_dry_run_lists_movable_and_blocked_cases_with_reasons_and_changes_nothing(
        app: Flask, sqlite_ctx: ServiceContext) -> None:
    blocked, movable = blocked_and_movable(sqlite_ctx)
    response = signed_in(app, "dueno").get(f"{PAGE}?de=1&a=2")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    rows = result_rows(html)
    assert set(rows) == {case_id(blocked), case_id(movable)}
    assert "Migrable" in rows[case_id(movable)] and "<li>" not in rows[case_id(movable)]
    assert "Bloqueado" in rows[case_id(blocked)] and ESCALATE in rows[case_id(blocked)]
    assert blocked.case is not None and blocked.case.ticket and blocked.case.ticket in rows[case_id(blocked)]
    assert "2 casos: 1 migrable, 1 bloqueado" in html
    confirm = html.split(CONFIRM)[1].split("</form>")[0]
    assert 'name="csrf_token"' in confirm and 'name="de" value="1"' in confirm and 'name="a" value="2"' in confirm
    assert "Migrar 1 caso a la versión 2" in confirm
    assert blocked.refresh().process_version == movable.refresh().process_version == 1
    assert migrated_events(sqlite_ctx, movable) == []


def test_apply_migrates_movable_cases_and_leaves_blocked_ones(app: Flask, sqlite_ctx: ServiceContext) -> None:
    blocked, movable = blocked_and_movable(sqlite_ctx)
    client = signed_in(app, "admin")
    response = post(client, PAGE, {"de": "1", "a": "2"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Migración a la versión 2: 2 casos: 1 migrado, 1 bloqueado, 0 fallidos." in html
    rows = result_rows(html)
    assert "Migrado" in rows[case_id(movable)]
    assert "Bloqueado" in rows[case_id(blocked)] and ESCALATE in rows[case_id(blocked)]
    assert CONFIRM not in html
    assert movable.refresh().process_version == 2 and blocked.refresh().process_version == 1
    [event] = migrated_events(sqlite_ctx, movable)
    assert event.actor == "admin"
    assert migrated_events(sqlite_ctx, blocked) == []
    assert client.get(f"/casos/{case_id(movable)}").status_code == 200
    again = client.get(f"{PAGE}?de=1&a=2").get_data(as_text=True)
    assert set(result_rows(again)) == {case_id(blocked)} and CONFIRM not in again


def test_a_version_without_open_cases_says_so(app: Flask, sqlite_ctx: ServiceContext) -> None:
    deploy_main(sqlite_ctx, escalate_removed)
    client = signed_in(app, "dueno")
    html = client.get(f"{PAGE}?de=1&a=2").get_data(as_text=True)
    assert "La versión 1 no tiene casos abiertos." in html and CONFIRM not in html
    applied = post(client, PAGE, {"de": "1", "a": "2"})
    assert applied.status_code == 200 and "La versión 1 no tiene casos abiertos." in applied.get_data(as_text=True)


def test_a_process_with_one_version_says_another_is_needed(app: Flask) -> None:
    html = signed_in(app, "dueno").get(PAGE).get_data(as_text=True)
    assert "El proceso tiene una sola versión" in html


def test_the_versions_page_links_owners_to_the_migration(app: Flask, sqlite_ctx: ServiceContext) -> None:
    blocked_and_movable(sqlite_ctx)
    link = f'href="{PAGE}?de=1&amp;a=2">Migrar casos…'
    assert link in signed_in(app, "dueno").get(f"/procesos/{PROCESS}").get_data(as_text=True)
    assert "Migrar casos" not in signed_in(app, "auditor").get(f"/procesos/{PROCESS}").get_data(as_text=True)


@pytest.mark.parametrize("user", ["auditor", "nivel1", "solicitante"])
def test_only_owners_and_admins_migrate(app: Flask, sqlite_ctx: ServiceContext, user: str) -> None:
    _, movable = blocked_and_movable(sqlite_ctx)
    client = signed_in(app, user)
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}?de=1&a=2").status_code == 403
    assert post(client, PAGE, {"de": "1", "a": "2"}).status_code == 403
    assert movable.refresh().process_version == 1


def test_a_post_without_the_csrf_token_is_refused(app: Flask, sqlite_ctx: ServiceContext) -> None:
    _, movable = blocked_and_movable(sqlite_ctx)
    response = signed_in(app, "dueno").post(PAGE, data={"de": "1", "a": "2"})
    assert response.status_code == 400
    assert movable.refresh().process_version == 1 and migrated_events(sqlite_ctx, movable) == []


@pytest.mark.parametrize(("form", "message"), [
    ({"de": "1"}, BAD_VERSIONS), ({}, BAD_VERSIONS), ({"de": "uno", "a": "2"}, BAD_VERSIONS),
    ({"de": "1", "a": "-2"}, BAD_VERSIONS), ({"de": "1", "a": "99999999999"}, BAD_VERSIONS),
    ({"de": "2", "a": "2"}, SAME_VERSION),
])
def test_bad_versions_show_the_form_again_with_a_message(app: Flask, sqlite_ctx: ServiceContext,
                                                         form: dict[str, str], message: str) -> None:
    _, movable = blocked_and_movable(sqlite_ctx)
    client = signed_in(app, "dueno")
    response = post(client, PAGE, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and 'name="de"' in html and 'name="a"' in html
    query = "&".join(f"{key}={value}" for key, value in form.items())
    if len(form) == 2:  # on GET, a missing version only leaves the form to fill in
        shown = client.get(f"{PAGE}?{query}")
        assert shown.status_code == 400 and message in shown.get_data(as_text=True)
    assert movable.refresh().process_version == 1


def test_unknown_versions_and_processes_are_404(app: Flask, sqlite_ctx: ServiceContext) -> None:
    _, movable = blocked_and_movable(sqlite_ctx)
    client = signed_in(app, "dueno")
    assert client.get(f"{PAGE}?de=1&a=7").status_code == 404
    assert client.get(f"{PAGE}?de=7&a=1").status_code == 404
    response = post(client, PAGE, {"de": "1", "a": "7"})
    assert response.status_code == 404 and "no tiene versión 7" in response.get_data(as_text=True)
    assert client.get("/procesos/no_existe/migrar?de=1&a=2").status_code == 404
    assert post(client, "/procesos/no_existe/migrar", {"de": "1", "a": "2"}).status_code == 404
    assert movable.refresh().process_version == 1
