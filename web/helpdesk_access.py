"""Who may change what on the help-desk pages, asked of the permission policy before any form is read."""

from __future__ import annotations

from engine.services.helpdesks import desks
from engine.services.helpdesks.views import HelpDeskView
from engine.services.people import policy
from engine.services.views import Actor
from web.context import current_actor, services


def actor() -> Actor:
    """The signed-in actor (the views are behind permission_required)."""
    found = current_actor()
    assert found is not None
    return found


def coordinated(who: Actor, desk: HelpDeskView) -> set[str]:
    """The desk's code when the actor coordinates it (what the policy asks about)."""
    return {desk.code} if who.username in desk.coordinators else set()


def may_manage(who: Actor, desk: HelpDeskView) -> bool:
    """Whether the desk's forms are shown to the actor."""
    return policy.may_manage_desk(who, desk.code, coordinated=coordinated(who, desk))


def managed(code: str, who: Actor | None = None) -> HelpDeskView:
    """The desk, if the actor (by default the signed-in one) may change it; else the policy's refusal (auditors
    403, the others 404)."""
    who = who or actor()
    desk = desks.get_help_desk(services(), who, code)
    policy.ensure(policy.manage_desk_refusal(who, coordinated=coordinated(who, desk), code=code))
    return desk


def ensure_administers(who: Actor | None = None) -> None:
    """Creating help desks and editing the dependency tree: administrators only (auditors: 403)."""
    policy.ensure(policy.administer_refusal(who or actor()))
