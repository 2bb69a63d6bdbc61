"""Yearly protocol-review reminders (procedure, policy 3) on SQLite and PostgreSQL, driven by a fixed clock.

The demo's `ti` protocol is published at T0 with its review twelve months later; `coordinador_ti` coordinates it.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.clock import FixedClock
from engine.db.models import OutboxMessage, ProtocolVersion, ReviewReminder
from engine.services.context import ServiceContext
from engine.services.helpdesks import desks, protocols, reviews
from engine.services.helpdesks.reviews import send_review_reminders
from engine.services.people.users import add_user, get_actor
from tests.integration.test_cli import Cli

RECIPIENT = "coordinador_ti@demo.mesa.local"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """`mesa-ayuda` in-process on a temporary SQLite database."""
    return Cli(tmp_path)


def review_date(ctx: ServiceContext, code: str = "ti") -> date:
    """The published version's review date."""
    with ctx.db.read() as session:
        found = session.scalar(select(ProtocolVersion.next_review).where(
            ProtocolVersion.help_desk_code == code, ProtocolVersion.status == protocols.PUBLISHED))
        assert found is not None
        return found


def at(ctx: ServiceContext, day: date) -> datetime:
    """9:00 in Bogotá on that day."""
    return datetime.combine(day, time(9), ctx.settings.timezone)


def reminders(ctx: ServiceContext) -> list[tuple[str, str]]:
    """(recipient, subject) of every review reminder queued so far."""
    with ctx.db.read() as session:
        rows = session.execute(select(OutboxMessage.recipient, OutboxMessage.subject)
                               .where(OutboxMessage.template == reviews.TEMPLATE).order_by(OutboxMessage.id))
        return [(recipient, subject) for recipient, subject in rows]


def test_before_on_the_day_and_weekly_until_a_new_version_exactly_once(
        ctx: ServiceContext, clock: FixedClock) -> None:
    review = review_date(ctx)
    clock.set(at(ctx, review - timedelta(days=31)))
    assert send_review_reminders(ctx).sent == () and reminders(ctx) == []
    clock.set(at(ctx, review - timedelta(days=30)))
    assert [(r.help_desk_code, r.slot, r.recipients) for r in send_review_reminders(ctx).sent] == [
        ("ti", "antes", ("coordinador_ti",))]
    assert reminders(ctx) == [(RECIPIENT, f"[{desks_name(ctx)}] Revisión anual del protocolo: vence en 30 días")]
    send_review_reminders(ctx)
    clock.set(at(ctx, review - timedelta(days=1)))
    send_review_reminders(ctx)
    assert len(reminders(ctx)) == 1
    for day, count in ((0, 2), (6, 2), (7, 3), (8, 3), (14, 4)):
        clock.set(at(ctx, review + timedelta(days=day)))
        send_review_reminders(ctx)
        send_review_reminders(ctx)
        assert len(reminders(ctx)) == count, day
    assert reminders(ctx)[1][1].endswith("vence hoy") and reminders(ctx)[3][1].endswith("hace 2 semanas")
    admin = get_actor(ctx, "admin")
    protocols.create_draft(ctx, admin, "ti")
    protocols.publish(ctx, admin, "ti")
    clock.set(at(ctx, review + timedelta(days=21)))
    assert send_review_reminders(ctx).sent == () and len(reminders(ctx)) == 4


def desks_name(ctx: ServiceContext) -> str:
    """The `ti` help desk's name."""
    return desks.get_help_desk(ctx, get_actor(ctx, "admin"), "ti").name


def test_every_coordinator_gets_it_and_a_coordinator_named_later_still_does(
        ctx: ServiceContext, clock: FixedClock) -> None:
    review = review_date(ctx, "inversiones")
    clock.set(at(ctx, review))
    assert [r.help_desk_code for r in send_review_reminders(ctx).sent] == ["ti"]  # inversiones: nobody to tell
    admin = get_actor(ctx, "admin")
    for name in ("ana", "beto"):
        add_user(ctx, name, f"{name}@dnp.gov.co", "coordinador")
        desks.add_coordinator(ctx, admin, "inversiones", name)
    [sent] = send_review_reminders(ctx).sent
    assert (sent.help_desk_code, sent.slot, sent.recipients) == ("inversiones", "dia", ("ana", "beto"))


def test_one_help_desk_failing_does_not_block_another(
        ctx: ServiceContext, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    add_user(ctx, "ana", "ana@dnp.gov.co", "coordinador")
    desks.add_coordinator(ctx, get_actor(ctx, "admin"), "inversiones", "ana")
    original = reviews.coordinators

    def broken(session: object, code: str) -> list[tuple[str, str, str]]:
        if code == "inversiones":
            raise RuntimeError("sin conexión al directorio")
        return original(session, code)  # type: ignore[arg-type]

    monkeypatch.setattr(reviews, "coordinators", broken)
    clock.set(at(ctx, review_date(ctx)))
    report = send_review_reminders(ctx)
    assert [r.help_desk_code for r in report.sent] == ["ti"]
    assert report.failed == (("inversiones", "RuntimeError: sin conexión al directorio"),)
    monkeypatch.undo()
    assert [r.help_desk_code for r in send_review_reminders(ctx).sent] == ["inversiones"]  # retried next run


def test_two_schedulers_at_once_send_each_slot_once(ctx: ServiceContext, clock: FixedClock) -> None:
    clock.set(at(ctx, review_date(ctx)))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            send_review_reminders(ctx)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(reminders(ctx)) == 1
    with ctx.db.read() as session:
        assert session.scalars(select(ReviewReminder.slot)).all() == ["dia"]


def test_the_unique_key_refuses_a_second_send_of_a_slot(
        ctx: ServiceContext, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even when the cheap check is passed (two schedulers passing it together), the key decides."""
    review = review_date(ctx)
    clock.set(at(ctx, review))
    send_review_reminders(ctx)
    with ctx.db.read() as session:
        version_id = session.scalars(select(ReviewReminder.protocol_version_id)).one()
    monkeypatch.setattr(reviews, "_already_sent", lambda *_: False)
    with pytest.raises(IntegrityError):
        reviews.remind_desk(ctx, version_id, review, clock.now())
    assert send_review_reminders(ctx).sent == () and len(reminders(ctx)) == 1


def test_cli_sends_the_reminders_due_now(cli: Cli) -> None:
    cli.ok("init", "--demo")
    ctx = cli.context()
    try:
        review = review_date(ctx)
    finally:
        ctx.db.dispose()
    when = at(ctx, review + timedelta(days=7)).isoformat()
    assert "ti v1 (semana-1): coordinador_ti" in cli.ok("mesas", "recordatorios", "--now", when)
    assert "0 recordatorio(s) en cola" in cli.ok("mesas", "recordatorios", "--now", when)
    assert "(coordinador)" in cli.ok("users", "add", "camilo", "--email", "camilo@dnp.gov.co", "--role", "coordinador")
