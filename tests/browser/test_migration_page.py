"""The process owner in the browser: from the versions page to a dry run that lists a movable and a blocked
case, then the migration; the migrated case shows the new version and the migration in its history."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Cast, LiveApp
from tests.changes import ESCALATE, deploy_main, escalate_removed
from tests.helpers import walk_to_level2, walk_to_ticket

pytestmark = pytest.mark.browser

PROCESS = "mesa_de_ayuda"


def test_the_owner_simulates_then_migrates_the_open_cases(cast: Cast, live_app: LiveApp) -> None:
    blocked, movable = walk_to_ticket(live_app.ctx), walk_to_level2(live_app.ctx)
    assert blocked.case is not None and movable.case is not None
    assert deploy_main(live_app.ctx, escalate_removed) == 2  # version 2 no longer has the escalation task

    owner = cast.person("dueno")
    owner.sign_in("/tablero", "tablero")
    owner.nav("Procesos", "procesos")
    owner.click_link("Asistencia técnica - Mesa de ayuda", "versiones")
    owner.click_link("Migrar casos… de la versión 1 a la 2", "simulacion")
    page = owner.page
    rows = page.locator("table.migration tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(".summary")).to_contain_text("2 casos: 1 migrable, 1 bloqueado")
    blocked_row = rows.filter(has_text=f"Caso #{blocked.case.id}")
    expect(blocked_row.locator(".migration-status")).to_have_text("Bloqueado")
    # SpiffWorkflow's diff aligns the waiting task with its replacement, whose id differs: the case cannot move.
    expect(blocked_row.locator(".reasons")).to_contain_text(
        f"{ESCALATE} (Escalar a nivel 2) está activo y en la versión destino corresponde a otro elemento")
    expect(rows.filter(has_text=f"Caso #{movable.case.id}").locator(".migration-status")).to_have_text("Migrable")

    owner.follow(page.get_by_role("button", name="Migrar 1 caso a la versión 2").click, "migracion")
    expect(owner.flash()).to_contain_text("Migración a la versión 2: 2 casos: 1 migrado, 1 bloqueado, 0 fallidos.")
    expect(rows.filter(has_text=f"Caso #{movable.case.id}").locator(".migration-status")).to_have_text("Migrado")
    expect(blocked_row.locator(".migration-status")).to_have_text("Bloqueado")
    assert owner.posts == [f"{live_app.base_url}/login", f"{live_app.base_url}/procesos/{PROCESS}/migrar"]

    # The migrated case's audit page: the migration is in its history, and it now runs on version 2.
    owner.visit(f"/auditoria/casos/{movable.case.id}", "auditoria-migrado")
    expect(page.locator(".timeline__head", has_text="Migró el caso de la versión 1 a la versión 2")).to_have_count(1)
    expect(page.locator(".travel__moment [data-travel-version]")).to_have_text("2")
    assert movable.refresh().process_version == 2 and blocked.refresh().process_version == 1
