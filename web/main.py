"""The home page (redirects by role) and the dashboard of auditors, process owners and administrators."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from engine.services.cases.tasks import count_tasks
from engine.services.people import policy
from engine.services.processes.deploy import list_deployments
from web.context import current_actor, login_required, services
from web.navigation import home_endpoint

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home() -> ResponseReturnValue:
    """Send the actor to the page of their role."""
    actor = current_actor()
    assert actor is not None  # login_required
    return redirect(url_for(home_endpoint(actor)))


@bp.route("/tablero")
@login_required
def dashboard() -> ResponseReturnValue:
    """Deployed processes with their case counts, and the open tasks the actor can see."""
    actor = current_actor()
    assert actor is not None  # login_required
    deployments = list_deployments(services()) if policy.reads_all_cases(actor) else []
    open_tasks = count_tasks(services(), actor, "all") if policy.uses_inbox(actor) else None
    return render_template("main/dashboard.html", deployments=deployments, open_tasks=open_tasks)
