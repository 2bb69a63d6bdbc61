"""The background scheduler: fires due timers and delivers the outbox (APScheduler 3, in-process).

Two jobs share one body (`Scheduler.sweep`): a periodic sweep every `settings.sweep_seconds`, whose first
run happens at start (catch-up after downtime), and a one-shot wake-up re-armed after every sweep at the
earliest `cases.next_timer_at`, so a timer fires at its due time rather than at the next sweep. Several
scheduler processes may run against one PostgreSQL database: timers and messages are claimed with
`SELECT ... FOR UPDATE SKIP LOCKED`.

Each sweep also sends the ANS alerts due (75 % and breach, `engine.services.cases.alerts`), before the mail goes
out, and the wake-up is armed at the earliest timer or alert.

A third job, hourly and once at start, queues the yearly protocol-review reminders
(`engine.services.helpdesks.reviews`); their unique key keeps several schedulers from sending one twice.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.mail.delivery import NOT_CONFIGURED, DeliveryReport, deliver_due
from engine.mail.smtp import parse_smtp_url
from engine.services.cases.alerts import AlertReport, next_alert_at, send_ans_alerts
from engine.services.cases.timers import fire_due_timers, next_due_at
from engine.services.context import ServiceContext
from engine.services.helpdesks.reviews import ReminderReport, send_review_reminders
from engine.services.views import FiredTimers

logger = logging.getLogger(__name__)
SWEEP_JOB = "barrido"
WAKE_JOB = "despertar"
REVIEW_JOB = "recordatorios"
# Reminders are per calendar day: an hourly look is soon enough, and cheap (an indexed query when nothing is due).
REVIEW_INTERVAL = timedelta(hours=1)
# A timer still due right after a sweep (held by another scheduler, or a chain of overdue timers) is
# retried soon, but never in a tight loop.
MIN_WAKE_DELAY = timedelta(seconds=1)


@dataclass(frozen=True)
class SweepReport:
    """One sweep: timers fired, ANS alerts sent, mail delivered, and when the next timer or alert is due."""

    fired: tuple[FiredTimers, ...]
    delivery: DeliveryReport
    next_due_at: datetime | None
    alerts: AlertReport = field(default_factory=AlertReport)


def run_once(ctx: ServiceContext) -> SweepReport:
    """Fire due timers, send due ANS alerts, then deliver due mail (including what both queued); errors raise."""
    fired = tuple(fire_due_timers(ctx))
    alerts = send_ans_alerts(ctx)
    delivery = deliver_due(ctx)
    due = [moment for moment in (next_due_at(ctx), next_alert_at(ctx)) if moment is not None]
    return SweepReport(fired, delivery, min(due) if due else None, alerts)


class Scheduler:
    """Runs `run_once` periodically and at the next timer, in background threads; logs job errors."""

    def __init__(self, ctx: ServiceContext, *, on_sweep: Callable[[SweepReport], None] | None = None) -> None:
        if ctx.settings.smtp_url:
            # A bad MESA_SMTP_URL stops the start instead of failing every sweep later.
            parse_smtp_url(ctx.settings.smtp_url)
        self.ctx = ctx
        self.wake_due: datetime | None = None
        self._on_sweep = on_sweep
        # The sweep and the wake-up are two jobs: max_instances=1 only keeps each from overlapping itself.
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # misfire_grace_time=None: a wake-up that starts late (busy pool, suspended host) still runs.
        self._aps = BackgroundScheduler(timezone=UTC, job_defaults={
            "max_instances": 1, "coalesce": True, "misfire_grace_time": None})

    @property
    def running(self) -> bool:
        """True between start() and shutdown()."""
        return bool(self._aps.running)

    def wake_job_run_date(self) -> datetime | None:
        """Wall-clock instant the wake-up job is armed for, or None."""
        job = self._aps.get_job(WAKE_JOB)
        if job is None:
            return None
        run_date: datetime = job.trigger.run_date
        return run_date

    def start(self) -> None:
        """Start the jobs in background threads; the first sweep runs at once to catch up."""
        self._aps.add_job(self.sweep, IntervalTrigger(seconds=self.ctx.settings.sweep_seconds, timezone=UTC),
                          id=SWEEP_JOB, name="barrido periódico", next_run_time=datetime.now(UTC),
                          replace_existing=True)
        self._aps.add_job(self.remind, IntervalTrigger(seconds=REVIEW_INTERVAL.total_seconds(), timezone=UTC),
                          id=REVIEW_JOB, name="recordatorios de revisión de protocolos",
                          next_run_time=datetime.now(UTC), replace_existing=True)
        self._aps.start()
        logger.info("programador iniciado: barrido cada %s s", self.ctx.settings.sweep_seconds)
        if not self.ctx.settings.smtp_url:
            logger.warning(NOT_CONFIGURED)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the jobs (by default after the running one finishes)."""
        if self._aps.running:
            self._aps.shutdown(wait=wait)
            logger.info("programador detenido")

    def stop(self) -> None:
        """Ask run_forever to return (signal handlers call this)."""
        self._stop.set()

    def run_forever(self) -> None:
        """Run in the foreground until SIGINT/SIGTERM or stop(); call from the main thread (the CLI)."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            # A bounded wait keeps the main thread able to run signal handlers on every platform.
            while not self._stop.wait(1.0):
                pass
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                if handler is not None:
                    signal.signal(sig, handler)

    def sweep(self) -> SweepReport | None:
        """The jobs' body: run_once, re-arm the wake-up; an error is logged and the next sweep retries."""
        with self._lock:
            try:
                report = run_once(self.ctx)
            except Exception:
                # The edge of the engine: nobody above us would see the error, and the scheduler must live on.
                logger.exception("el barrido falló; se reintenta en el próximo (cada %s s)",
                                 self.ctx.settings.sweep_seconds)
                return None
            self._arm(report.next_due_at)
        _log(report)
        if self._on_sweep is not None:
            self._on_sweep(report)
        return report

    def remind(self) -> ReminderReport | None:
        """The reminders job's body: queue due review reminders (mail goes out with the next sweep)."""
        try:
            report = send_review_reminders(self.ctx)
        except Exception:
            # The edge of the engine, as in sweep(): log, and the next run retries.
            logger.exception("los recordatorios de revisión fallaron; se reintenta en %s", REVIEW_INTERVAL)
            return None
        for code, error in report.failed:
            logger.error("recordatorio de revisión de la mesa %s falló: %s", code, error)
        if report.sent:
            logger.info("recordatorios de revisión: %s", ", ".join(f"{r.help_desk_code} ({r.slot})"
                                                                  for r in report.sent))
        return report

    def _arm(self, due: datetime | None) -> None:
        """Point the one-shot wake-up job at the earliest timer (or remove it when none is armed)."""
        with contextlib.suppress(JobLookupError):
            self._aps.remove_job(WAKE_JOB)
        self.wake_due = due
        if due is None:
            return
        # Due-ness is judged by the engine's clock; APScheduler counts wall time: wait what is left.
        delay = max(due - self.ctx.clock.now(), MIN_WAKE_DELAY)
        self._aps.add_job(self.sweep, DateTrigger(run_date=datetime.now(UTC) + delay, timezone=UTC),
                          id=WAKE_JOB, name="despertar en el próximo temporizador")

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        logger.info("señal %s recibida: deteniendo el programador", signal.Signals(signum).name)
        self.stop()


def _log(report: SweepReport) -> None:
    delivery = report.delivery
    for case_id, error in report.alerts.failed:
        logger.error("aviso de ANS del caso %s falló: %s", case_id, error)
    if report.alerts.sent:
        logger.info("avisos de ANS: %s", ", ".join(f"caso {a.case_id} ({a.clock}, {a.level})"
                                                   for a in report.alerts.sent))
    for outcome in delivery.outcomes:
        if outcome.status == "failed":
            logger.warning("correo %s a %s descartado tras %d intentos: %s", outcome.message_id,
                           outcome.recipient, outcome.attempt, outcome.error)
    # "Mail not configured" is said once at start, not on every sweep.
    if report.fired or delivery.outcomes or (delivery.enabled and delivery.note):
        logger.info("barrido: %d casos con temporizadores, correo: %d enviados, %d reintentos, %d fallidos%s",
                    len(report.fired), delivery.sent, delivery.retried, delivery.failed,
                    f" ({delivery.note})" if delivery.note else "")
