"""Browser tests: the real app served on 127.0.0.1, driven in Debian's headless Chromium through Playwright.

Why a thread and not `mesa-ayuda serve` in a subprocess: the test shares the app's ServiceContext, so it can
deliver the outbox to the demo mail sink at the moment the scheduler would (engine.mail.delivery.deliver_due)
and keep the services on a FixedClock (tickets and deadlines do not depend on the day the suite runs), with no
sleeps and no second process to clean up. The server is werkzeug's threaded WSGI server (the browser loads
scripts, styles and the diagram JSON in parallel) over a real SQLite file, with the process deployed and the
demo users; the session cookie is not Secure because the pages are served over plain http.

Each test gets a fresh database, server, mail sink and one browser context per person; screenshots go to
test-artifacts/browser/<test>/ (git-ignored), one per page visited and one per open tab when a test fails.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from engine.clock import FixedClock
from engine.config import Settings
from engine.db.session import Database
from engine.mail.delivery import deliver_due
from engine.mail.sink import MailSink, mail_folder
from engine.services.context import ServiceContext
from engine.setup.bootstrap import initialise, seed_demo
from tests.browser.pages import ACTION_TIMEOUT_MS, Artifacts, Person
from tests.conftest import ROOT, T0
from web import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
# The viewers the pages load from /static/vendor (npm ci, then tools/vendor_assets.py; `make install` does both).
VENDOR_FILES = (ROOT / "web/static/vendor/form-js/form-viewer.umd.js",
                ROOT / "web/static/vendor/bpmn-js/bpmn-viewer.production.min.js")
_missing: dict[str, str] = {}
_FAILED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker here: these tests own this folder, not pyproject.toml."""
    config.addinivalue_line("markers", "browser: drives the web app in headless Chromium (Playwright)")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember a failed test body, so the teardown can photograph every open tab."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly when the browser tests did not run."""
    if "chromium" in _missing:
        terminalreporter.section("CHROMIUM NO DISPONIBLE", sep="!", red=True, bold=True)
        terminalreporter.write_line(f"Las pruebas de navegador NO se ejecutaron: {_missing['chromium']}")


# --- the browser ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's driver for the whole session."""
    if not CHROMIUM.exists():
        _missing["chromium"] = f"falta {CHROMIUM} (instálelo con `make chromium` o apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(_missing["chromium"] + " (en CI esto es un fallo, no una omisión)", pytrace=False)
        pytest.skip(_missing["chromium"])
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once for the session (each person gets a fresh context)."""
    launched = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                          timeout=ACTION_TIMEOUT_MS * 2)
    yield launched
    launched.close()


# --- the app --------------------------------------------------------------------------------------------------

class _Deferred:
    """The WSGI app the server calls, set once the app knows its own URL (the port is chosen by the OS)."""

    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


@dataclass
class LiveApp:
    """The app listening on 127.0.0.1, with the services it runs on."""

    base_url: str
    ctx: ServiceContext
    clock: FixedClock
    server: BaseWSGIServer
    sink: MailSink
    thread: threading.Thread = field(repr=False)

    def deliver_mail(self) -> int:
        """Send the outbox to the demo sink now, as the scheduler does every few seconds; how many were sent."""
        report = deliver_due(self.ctx)
        assert report.enabled and report.failed == report.retried == 0, report
        return report.sent


@contextmanager
def serve_live_app(tmp_path: Path, prepare: Callable[[ServiceContext], object]) -> Iterator[LiveApp]:
    """An app on a free port over a fresh SQLite file with demo mail; `prepare` fills the database; always shut down."""
    if missing := [str(path.relative_to(ROOT)) for path in VENDOR_FILES if not path.is_file()]:
        pytest.fail(f"faltan {', '.join(missing)}: ejecute `npm ci` y `python3 tools/vendor_assets.py` "
                    "(o `make install`)", pytrace=False)
    deferred = _Deferred()
    server = make_server("127.0.0.1", 0, deferred, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    instance = tmp_path / "instance"
    sink = MailSink(mail_folder(instance))
    database = Database(f"sqlite:///{tmp_path / 'mesa.db'}")
    thread = threading.Thread(target=server.serve_forever, name="mesa-web", daemon=True)
    try:
        settings = Settings.from_env({"MESA_INSTANCE_PATH": str(instance), "MESA_DATABASE_URL": database.url,
                                      "MESA_BASE_URL": base_url, "MESA_SECURE_COOKIES": "0",
                                      "MESA_DEMO_MAIL": "1", "MESA_SMTP_URL": sink.start()})
        clock = FixedClock(T0)
        ctx = ServiceContext(database, settings, clock)
        prepare(ctx)
        deferred.app = create_app({"SECRET_KEY": "clave-de-pruebas-de-navegador-" + "x" * 16, "MESA_CONTEXT": ctx})
        thread.start()
        yield LiveApp(base_url, ctx, clock, server, sink, thread)
    finally:
        if thread.is_alive():
            server.shutdown()
            thread.join(timeout=10)
        server.server_close()
        sink.stop()
        database.dispose()


def _demo(ctx: ServiceContext) -> None:
    initialise(ctx, "dueno")
    seed_demo(ctx)


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[LiveApp]:
    """A fresh app on a free port: SQLite file, process deployed, demo users, demo mail; always shut down."""
    with serve_live_app(tmp_path, _demo) as app:
        yield app


# --- the people -----------------------------------------------------------------------------------------------

class Cast:
    """The people of one test, each in a fresh browser context, and the test's screenshots."""

    def __init__(self, browser: Browser, app: LiveApp, artifacts: Artifacts) -> None:
        self.browser = browser
        self.app = app
        self.artifacts = artifacts
        self.people: list[Person] = []

    def person(self, username: str, *, phone: bool = False, label: str | None = None) -> Person:
        """A new browser context for a demo user (not signed in yet)."""
        person = Person(self.browser, self.app.base_url, username, self.artifacts, label=label, phone=phone)
        self.people.append(person)
        return person

    def problems(self) -> list[str]:
        """Everything that went wrong in any tab (script errors, CSP violations, unexpected HTTP errors)."""
        return [f"{person.label}: {problem}" for person in self.people for problem in person.problems.items]

    def photograph_all(self, name: str) -> None:
        """A screenshot of every open tab (after a failure)."""
        for person in self.people:
            if not person.page.is_closed():
                try:
                    person.screenshot(name)
                except Exception as error:  # the failure itself matters more than its picture
                    print(f"sin captura de {person.label}: {error}")

    def close(self) -> None:
        """Close every context."""
        for person in self.people:
            person.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Artifacts:
    """test-artifacts/browser/<test>/, emptied first so it only holds this run's pictures."""
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Artifacts(folder)


@pytest.fixture
def cast(browser: Browser, live_app: LiveApp, artifacts: Artifacts, request: pytest.FixtureRequest) -> Iterator[Cast]:
    """The test's people; on failure every open tab is photographed; problems in the browser fail the test."""
    people = Cast(browser, live_app, artifacts)
    try:
        yield people
        if request.node.stash.get(_FAILED, False):
            people.photograph_all("fallo")
        elif problems := people.problems():
            pytest.fail("Problemas en el navegador:\n" + "\n".join(problems), pytrace=False)
    finally:
        people.close()
