"""The scheduler: run_once fires timers and delivers mail; the APScheduler jobs catch up, wake and survive errors.

Timer logic is driven by the injected clock. Where the real BackgroundScheduler must run, the test waits on
an Event for at most a few seconds, with the timer due (almost) at once, and always shuts it down.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from engine import scheduler as scheduler_module
from engine.clock import FixedClock
from engine.mail.smtp import SmtpConfigError
from engine.scheduler import MIN_WAKE_DELAY, Scheduler, SweepReport, run_once
from engine.services.cases.start import get_case
from engine.services.cases.timers import fire_due_timers, next_due_at
from engine.services.context import ServiceContext
from engine.services.people.users import get_actor
from engine.services.views import CaseView
from tests.integration import outbox, smtp_server, walk_to_validation, with_smtp

WAIT = 5.0  # seconds: the longest any test waits for a background job


class RunningClock:
    """Starts at a chosen instant and then runs at wall-clock speed (for the real APScheduler)."""

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC) + self._offset


def case_now(ctx: ServiceContext, case_id: int) -> CaseView:
    """The case as the auditor sees it now."""
    return get_case(ctx, get_actor(ctx, "auditor"), case_id, with_history=False)


def every(ctx: ServiceContext, seconds: int) -> ServiceContext:
    """The same services with another sweep period."""
    return dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, sweep_seconds=seconds))


@contextmanager
def running(scheduler: Scheduler) -> Iterator[Scheduler]:
    """Start the real background scheduler and always shut it down."""
    try:
        scheduler.start()
        yield scheduler
    finally:
        scheduler.shutdown()
    assert not scheduler.running


def test_run_once_fires_the_validation_deadline_and_sends_its_mail(ctx: ServiceContext, clock: FixedClock) -> None:
    with smtp_server() as (url, handler):
        mail = with_smtp(ctx, url)
        case = walk_to_validation(mail).case
        assert case is not None and case.next_timer_at is not None

        first = run_once(mail)  # nothing due yet; the ticket and solution emails go out
        assert (first.fired, first.delivery.sent, first.next_due_at) == ((), 2, case.next_timer_at)

        clock.set(case.next_timer_at + timedelta(days=10))  # past the reminder and the deadline
        second = run_once(mail)
    [fired] = second.fired
    assert (fired.case_id, fired.state) == (case.id, "cerrado automáticamente")
    assert case_now(ctx, case.id).state == "cerrado automáticamente"
    assert second.next_due_at is None
    assert second.delivery.sent == 2  # the reminder and the closing notice, queued by the timers just fired
    assert [row.template for row in outbox(ctx)][-2:] == ["recordar_validacion", "cerrar_automaticamente"]
    assert {row.status for row in outbox(ctx)} == {"sent"}
    assert len(handler.envelopes) == 4


def test_run_once_raises_instead_of_hiding_errors(sqlite_ctx: ServiceContext) -> None:
    with pytest.raises(SmtpConfigError, match="MESA_SMTP_URL"):
        run_once(with_smtp(sqlite_ctx, "http://correo.example.org"))


def test_a_bad_smtp_url_stops_the_scheduler_before_it_starts(sqlite_ctx: ServiceContext) -> None:
    with pytest.raises(SmtpConfigError, match="esquema http://"):
        Scheduler(with_smtp(sqlite_ctx, "http://correo.example.org"))


def test_wake_up_is_armed_at_the_earliest_timer_after_every_sweep(ctx: ServiceContext, clock: FixedClock) -> None:
    first = walk_to_validation(ctx).case
    clock.advance(timedelta(days=1))
    second = walk_to_validation(ctx).case
    assert first is not None and second is not None and first.next_timer_at and second.next_timer_at
    scheduler = Scheduler(ctx)  # not started: sweep() is the jobs' body, called here in the test's thread

    before = datetime.now(UTC)
    assert scheduler.sweep() is not None
    assert scheduler.wake_due == first.next_timer_at == next_due_at(ctx)
    run_date = scheduler.wake_job_run_date()
    assert run_date is not None
    wait = first.next_timer_at - clock.now()  # APScheduler counts wall time: wake after what is left
    assert before + wait <= run_date <= datetime.now(UTC) + wait

    clock.set(first.next_timer_at)  # the first case's reminder fires; its deadline comes later
    report = scheduler.sweep()
    assert report is not None and [f.case_id for f in report.fired] == [first.id]
    first_next = case_now(ctx, first.id).next_timer_at
    assert first_next is not None
    expected = min(first_next, second.next_timer_at)
    assert scheduler.wake_due == expected == report.next_due_at

    clock.advance(timedelta(days=30))  # everything is overdue: both cases close, nothing is left to wake for
    report = scheduler.sweep()
    assert report is not None and {f.case_id for f in report.fired} == {first.id, second.id}
    assert (scheduler.wake_due, scheduler.wake_job_run_date()) == (None, None)


def test_start_catches_up_on_timers_that_came_due_while_down(ctx: ServiceContext, clock: FixedClock) -> None:
    case = walk_to_validation(ctx).case
    assert case is not None and case.next_timer_at is not None
    clock.set(case.next_timer_at + timedelta(days=10))  # the scheduler was down past the deadline
    swept = threading.Event()
    reports: list[SweepReport] = []

    def on_sweep(report: SweepReport) -> None:
        reports.append(report)
        swept.set()

    with running(Scheduler(every(ctx, 3600), on_sweep=on_sweep)):
        assert swept.wait(WAIT), "the sweep at start did not run"
    assert [f.case_id for f in reports[0].fired] == [case.id]
    assert case_now(ctx, case.id).state == "cerrado automáticamente"


def test_background_scheduler_fires_a_timer_at_its_due_time(ctx: ServiceContext) -> None:
    case = walk_to_validation(ctx).case
    assert case is not None and case.next_timer_at is not None
    # From here on the engine's time runs with the wall clock, half a second before the timer is due.
    live = dataclasses.replace(every(ctx, 3600), clock=RunningClock(case.next_timer_at - timedelta(seconds=0.5)))
    fired = threading.Event()
    reports: list[SweepReport] = []

    def on_sweep(report: SweepReport) -> None:
        reports.append(report)
        if report.fired:
            fired.set()

    with running(Scheduler(live, on_sweep=on_sweep)):
        assert fired.wait(WAIT), "the wake-up job did not fire the due timer"
    assert reports[0].fired == ()  # the sweep at start came too early; the wake-up job fired it
    assert [f.elements for f in reports[-1].fired] == [("Event_RecordatorioValidacion",)]
    assert case_now(ctx, case.id).next_timer_at is not None  # the validation deadline is still ahead


def test_a_failing_sweep_is_logged_and_the_scheduler_keeps_going(
        sqlite_ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def fails_once(ctx: ServiceContext) -> list[object]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("base de datos caída")
        return list(fire_due_timers(ctx))

    monkeypatch.setattr(scheduler_module, "fire_due_timers", fails_once)
    recovered = threading.Event()
    with caplog.at_level(logging.INFO, logger="engine.scheduler"), \
            running(Scheduler(every(sqlite_ctx, 1), on_sweep=lambda _: recovered.set())):
        assert recovered.wait(WAIT), "no sweep succeeded after the failing one"
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "engine.scheduler"]
    assert "el barrido falló" in error.getMessage()
    assert error.exc_info is not None and "base de datos caída" in str(error.exc_info[1])


def test_sweeps_never_overlap(sqlite_ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = threading.Semaphore(0)
    release = threading.Event()
    active: list[int] = []
    most = [0]

    def slow_run_once(ctx: ServiceContext) -> SweepReport:
        active.append(1)
        most[0] = max(most[0], len(active))
        inside.release()
        release.wait(WAIT)
        active.pop()
        return real_run_once(ctx)

    real_run_once = scheduler_module.run_once
    monkeypatch.setattr(scheduler_module, "run_once", slow_run_once)
    scheduler = Scheduler(sqlite_ctx)
    threads = [threading.Thread(target=scheduler.sweep) for _ in range(2)]  # as the sweep and wake jobs would
    for thread in threads:
        thread.start()
    assert inside.acquire(timeout=WAIT)
    assert not inside.acquire(timeout=0.2)  # the second sweep waits for the first
    release.set()
    for thread in threads:
        thread.join(WAIT)
    assert most[0] == 1


def test_wake_up_never_spins_on_a_timer_that_stays_due(sqlite_ctx: ServiceContext, clock: FixedClock,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    stuck = clock.now() - timedelta(minutes=1)  # e.g. a case another scheduler holds right now
    monkeypatch.setattr(scheduler_module, "next_due_at", lambda ctx: stuck)
    scheduler = Scheduler(sqlite_ctx)
    before = datetime.now(UTC)
    scheduler.sweep()
    run_date = scheduler.wake_job_run_date()
    assert run_date is not None and run_date >= before + MIN_WAKE_DELAY


def test_run_forever_stops_cleanly_on_sigterm(sqlite_ctx: ServiceContext) -> None:
    previous = signal.getsignal(signal.SIGTERM)
    scheduler = Scheduler(sqlite_ctx, on_sweep=lambda _: os.kill(os.getpid(), signal.SIGTERM))
    safety = threading.Timer(WAIT, scheduler.stop)  # if the signal never came, the test fails instead of hanging
    safety.start()
    try:
        scheduler.run_forever()  # returns once SIGTERM (sent after the first sweep) is handled
        assert safety.is_alive(), "run_forever was stopped by the safety timer, not by SIGTERM"
    finally:
        safety.cancel()
    assert not scheduler.running
    assert signal.getsignal(signal.SIGTERM) is previous
