"""POST /api/v1/deployments (multipart) and the versions and diff of a process over the API."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from engine.db.models import Deployment
from tests.conftest import FIXTURES
from tests.integration.test_versions import LINEAL, PROCESS, lineal_v2
from tests.web.api_support import Api, expect, expect_error

BROKEN = LINEAL.replace('camunda:formRef="lineal_a"', 'camunda:formRef="no_existe"')


def upload(api: Api, user: str, bpmn: str | None = LINEAL, forms: bool = True) -> TestResponse:
    """POST the lineal diagram (or another text) with the lineal forms as multipart."""
    data: dict[str, Any] = {}
    if bpmn is not None:
        data["bpmn"] = (BytesIO(bpmn.encode("utf-8")), "lineal.bpmn")
    if forms:
        data["forms"] = [(BytesIO(path.read_bytes()), path.name) for path in sorted(FIXTURES.glob("lineal_*.form"))]
    return api.post(user, "/deployments", data=data, content_type="multipart/form-data")


def deployment_count(api: Api) -> int:
    """How many versions are stored, of every process."""
    with api.ctx.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Deployment)) or 0)


def test_upload_creates_a_version_and_identical_content_does_not(api: Api) -> None:
    assert expect(upload(api, "dueno"), 201, "Deployment") == {"process_id": PROCESS, "version": 1, "created": True}
    count = deployment_count(api)
    assert expect(upload(api, "admin"), 200, "Deployment") == {"process_id": PROCESS, "version": 1, "created": False}
    assert deployment_count(api) == count
    assert expect(upload(api, "admin", lineal_v2()), 201, "Deployment")["version"] == 2


def test_a_refused_upload_lists_every_problem_and_stores_nothing(api: Api) -> None:
    count = deployment_count(api)
    body = expect(upload(api, "dueno", BROKEN), 422, "DeploymentRejected")
    line = BROKEN.splitlines().index(next(x for x in BROKEN.splitlines() if "no_existe" in x)) + 1
    [problem] = body["problems"]
    assert (problem["file"], problem["element_id"], problem["line"]) == ("lineal.bpmn", "Activity_A", line)
    assert "no_existe" in problem["message"] and len(body["errors"]["deployment"]) == 1
    assert expect(upload(api, "dueno", forms=False), 422, "DeploymentRejected")["problems"]
    assert "bpmn" in expect(upload(api, "dueno", None), 422, "ValidationError")["errors"]
    assert deployment_count(api) == count


@pytest.mark.parametrize("user", ["auditor", "nivel1", "solicitante"])
def test_only_owners_and_admins_deploy(api: Api, user: str) -> None:
    count = deployment_count(api)
    expect_error(upload(api, user), 403)
    assert deployment_count(api) == count


def test_versions_and_diff_are_readable_by_auditors_not_agents(api: Api) -> None:
    upload(api, "dueno")
    upload(api, "dueno", lineal_v2())
    versions = expect(api.get("auditor", f"/processes/{PROCESS}/versions"), 200, "VersionCounts")
    assert [(v["version"], v["deployed_by"], v["open_cases"], v["closed_cases"]) for v in versions] == [
        (2, "dueno", 0, 0), (1, "dueno", 0, 0)]
    diff = expect(api.get("auditor", f"/processes/{PROCESS}/diff", **{"from": 1, "to": 2}), 200, "VersionDiff")
    assert [e["element_id"] for e in diff["added"]] == ["Activity_D", "Flow_7", "Flow_8"]
    assert [e["element_id"] for e in diff["removed"]] == ["Flow_5"]
    assert [e["element_id"] for e in diff["changed"]] == ["Activity_A", "Activity_B", "Activity_C"]
    expect_error(api.get("nivel1", f"/processes/{PROCESS}/versions"), 403)
    expect_error(api.get("nivel1", f"/processes/{PROCESS}/diff", **{"from": 1, "to": 2}), 403)


def test_unknown_processes_versions_and_bad_parameters(api: Api) -> None:
    expect_error(api.get("dueno", "/processes/no_existe/versions"), 404)
    expect_error(api.get("dueno", "/processes/mesa_de_ayuda/diff", **{"from": 1, "to": 99}), 404)
    expect_error(api.get("dueno", "/processes/mesa_de_ayuda/diff", **{"from": 1}), 400)
    expect_error(api.get("dueno", "/processes/mesa_de_ayuda/diff", **{"from": "x", "to": 1}), 400)
    expect_error(api.get("dueno", "/processes/mesa_de_ayuda/versions", otro=1), 400)
