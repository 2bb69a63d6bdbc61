"""Page helpers for the browser tests: one signed-in person per browser context, form-js forms filled by label.

Every page a person lands on is settled (the form-js form and the bpmn-js diagram finished rendering) and saved
as a full-page screenshot in the test's artifact folder, numbered in the order the pages were visited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, Request, Response, expect

# Bounded waits: every action and assertion gives up after this long (the pages answer in well under a second).
ACTION_TIMEOUT_MS = 15_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# What the start form's selects show for the values of tests.helpers.REPORT.
REPORT_OPTIONS = {"mesa": {"ti": "Mesa de ayuda de Tecnologías de la Información"},
                  "tipo": {"incidencia": "Incidencia", "peticion": "Petición", "problema": "Problema"},
                  "canal": {"portal": "Portal web"}}
# Chromium asks every page for /favicon.ico; the app has none (reported, harmless).
_IGNORED_FAILURES = re.compile(r"/favicon\.ico$")


@dataclass
class Artifacts:
    """The test's screenshot folder; a counter shared by all the people of the test keeps the visiting order."""

    folder: Path
    count: int = 0

    def path_for(self, who: str, name: str) -> Path:
        """The next numbered PNG path, e.g. 03-nivel1-bandeja.png."""
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", f"{who}-{name}".lower()).strip("-")
        return self.folder / f"{self.count:02d}-{slug}.png"


@dataclass
class Problems:
    """What went wrong in the browser while a person used the app: script errors, CSP violations, HTTP errors."""

    items: list[str] = field(default_factory=list)
    expected: set[int] = field(default_factory=lambda: {422})  # a form sent back with its errors

    def console(self, message: ConsoleMessage) -> None:
        """Console errors (a failed resource load is reported by the response listener, with its URL)."""
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.items.append(f"consola: {message.text}")

    def page_error(self, error: Exception) -> None:
        """Uncaught exceptions in the page's scripts."""
        self.items.append(f"error de JavaScript: {error}")

    def response(self, response: Response) -> None:
        """HTTP errors, except the ones the test expects (a form sent back with errors, a page it asked for)."""
        status = response.status
        if status >= 400 and status not in self.expected and not _IGNORED_FAILURES.search(response.url):
            self.items.append(f"HTTP {status}: {response.request.method} {response.url}")

    @contextmanager
    def expecting(self, status: int) -> Iterator[None]:
        """While a page the test asked for loads, its status (e.g. 404) is no problem."""
        added = status not in self.expected
        self.expected.add(status)
        try:
            yield
        finally:
            if added:
                self.expected.discard(status)

    def request_failed(self, request: Request) -> None:
        """Requests that never got an answer (refused, aborted)."""
        self.items.append(f"petición fallida: {request.method} {request.url} ({request.failure})")


class Person:
    """One user in their own browser context (cookies, session), driving one tab as that person would."""

    def __init__(self, browser: Browser, base_url: str, username: str, artifacts: Artifacts, *,
                 label: str | None = None, phone: bool = False) -> None:
        self.username = username
        self.label = label or username
        self.base_url = base_url
        self.artifacts = artifacts
        self.problems = Problems()
        self.posts: list[str] = []
        options = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2} if phone \
            else {"viewport": DESKTOP}
        self.context: BrowserContext = browser.new_context(base_url=base_url, locale="es-CO",
                                                           timezone_id="America/Bogota", **options)
        self.context.set_default_timeout(ACTION_TIMEOUT_MS)
        self.context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
        self.page: Page = self.context.new_page()
        self.page.on("console", self.problems.console)
        self.page.on("pageerror", self.problems.page_error)
        self.page.on("response", self.problems.response)
        self.page.on("requestfailed", self.problems.request_failed)
        self.page.on("request", lambda request: self.posts.append(request.url) if request.method == "POST" else None)

    # --- navigation ---------------------------------------------------------------------------------------

    def visit(self, path: str, name: str, *, status: int = 200) -> Response:
        """Type an address (a path of the app) and wait for the page."""
        with self.problems.expecting(status):
            response = self.page.goto(path, wait_until="load")
        assert response is not None, path
        return self._arrived(response, name, status)

    def follow(self, action: Callable[[], None], name: str, *, status: int = 200) -> Response:
        """Do something that loads a new page (click a link, submit a form), then wait for that page."""
        with self.problems.expecting(status), self.page.expect_navigation(wait_until="load") as navigation:
            action()
        response = navigation.value
        assert response is not None, f"{self.label}: no hubo navegación hacia «{name}»"
        return self._arrived(response, name, status)

    def click_link(self, name: str, shot: str, *, within: Locator | None = None, exact: bool = True) -> Response:
        """Click a link by its visible text."""
        link = (within or self.page).get_by_role("link", name=name, exact=exact).first
        return self.follow(link.click, shot)

    def nav(self, section: str, shot: str) -> Response:
        """Open a section of the main menu (Reportar caso, Mis casos, Bandeja, Correo de demostración)."""
        menu = self.page.get_by_role("navigation", name="Secciones")
        return self.click_link(section, shot, within=menu)

    def _arrived(self, response: Response, name: str, status: int) -> Response:
        assert response.status == status, f"{self.label} en «{name}»: HTTP {response.status} ({response.url})"
        self.settle()
        self.screenshot(name)
        return response

    def settle(self) -> None:
        """Wait until the page's viewers finished: the form-js form and the bpmn-js diagram, when present."""
        page = self.page
        if page.locator("[data-form-viewer]").count():
            expect(page.locator("[data-form-viewer]").first).to_have_attribute("data-form-ready", "true")
        if page.locator("[data-diagram-url]").count():
            expect(page.locator("[data-diagram-url]")).to_have_attribute("data-diagram-ready", "true")

    def screenshot(self, name: str) -> Path:
        """A full-page PNG of what the person sees now."""
        path = self.artifacts.path_for(self.label, name)
        self.page.screenshot(path=str(path), full_page=True)
        return path

    # --- what is on the page ------------------------------------------------------------------------------

    def flash(self) -> Locator:
        """The messages shown after an action."""
        return self.page.locator(".flashes")

    def main(self) -> Locator:
        """The page's main content."""
        return self.page.locator("main")

    def case_state(self) -> Locator:
        """The state shown in the case page's heading."""
        return self.page.locator("[data-case-state]")

    def pending(self) -> Locator:
        """The case page's box "Tiene una tarea pendiente en este caso" (the person's own tasks)."""
        return self.page.locator(".pending")

    def open_pending(self, task: str, shot: str) -> None:
        """Open one of the person's pending tasks from the case page."""
        self.follow(self.pending().get_by_role("link", name=task, exact=True).click, shot)
        expect(self.page.get_by_role("heading", level=1)).to_have_text(task)

    def path(self) -> str:
        """The path of the current address."""
        return self.page.url.removeprefix(self.base_url)

    def assert_fits_the_screen(self) -> None:
        """Nothing wider than the viewport: the page reads without scrolling sideways."""
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{self.path()} desborda {overflow}px a lo ancho en {self.page.viewport_size}"

    # --- signing in ---------------------------------------------------------------------------------------

    def sign_in(self, lands_on: str, shot: str, *, already_on_form: bool = False) -> Response:
        """Sign in through the real /login page (password = user name for the demo users); check where it leads."""
        if not already_on_form:
            self.visit("/login", "iniciar-sesion")
        expect(self.page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
        self.page.get_by_label("Usuario").fill(self.username)
        self.page.get_by_label("Contraseña").fill(self.username)
        response = self.follow(self.page.get_by_role("button", name="Entrar").click, shot)
        expect(self.page.locator(".session__user")).to_contain_text(self.username)
        expect(self.page).to_have_url(self.base_url + lands_on)
        return response

    def close(self) -> None:
        """Close the browser context (and its tab)."""
        self.context.close()


class FormJs:
    """A form rendered by the bpmn.io form-js viewer, filled by the labels a person reads."""

    def __init__(self, person: Person, name: str) -> None:
        self.person = person
        self.page = person.page
        self.root = person.page.locator(f"#{name}-formulario")
        self.submit_form = person.page.locator(f"#{name}-envio")

    def input(self, label: str) -> Locator:
        """The input whose label reads `label`."""
        return self.root.get_by_label(_label(label))

    def field(self, label: str) -> Locator:
        """The whole field (label, input, description, errors) whose label reads `label`."""
        return self.root.locator(".fjs-form-field").filter(has=self.page.get_by_label(_label(label)))

    def fill(self, label: str, text: str) -> None:
        """Type into a text field, text area or number field."""
        self.input(label).fill(text)

    def choose(self, label: str, option: str) -> None:
        """Pick an option of a form-js select: open its dropdown, click the option, check what it shows."""
        field = self.field(label)
        field.locator(".fjs-select-display").click()
        field.locator(".fjs-dropdownlist-item").filter(has_text=re.compile(rf"^{re.escape(option)}$")).click()
        expect(field.locator(".fjs-select-display")).to_have_text(option)

    def search(self, label: str, option: str) -> None:
        """Pick an option of a searchable form-js select: type it, click the match, check what it shows."""
        field = self.field(label)
        field.locator("input.fjs-input").fill(option)
        field.locator(".fjs-dropdownlist-item").filter(has_text=re.compile(rf"^{re.escape(option)}$")).click()
        expect(field.locator("input.fjs-input")).to_have_value(option)

    def shows_options_of(self, desk: str) -> None:
        """Wait until the start form shows the chosen help desk's catalogue and channels (forms.js re-imports it)."""
        expect(self.page.locator(f"[data-form-viewer][data-form-desk='{desk}']")).to_have_count(1)

    def shows(self, label: str) -> Locator:
        """What a select displays (the chosen option's label, or the placeholder)."""
        return self.field(label).locator(".fjs-select-display")

    def tick(self, label: str, checked: bool = True) -> None:
        """Tick (or untick) a checkbox."""
        self.input(label).set_checked(checked)

    def error_on(self, label: str) -> Locator:
        """The error message form-js shows under a field."""
        return self.field(label).locator(".fjs-form-field-error")

    def submit(self, button: str, shot: str, *, status: int = 200) -> Response:
        """Press the page's submit button and wait for the page the server answers with."""
        action = self.submit_form.get_by_role("button", name=button).click
        return self.person.follow(action, shot, status=status)

    def submit_refused(self, button: str, shot: str) -> None:
        """Press submit when the browser itself refuses the data: nothing is posted, the errors show."""
        posted = len(self.person.posts)
        self.submit_form.get_by_role("button", name=button).click()
        expect(self.root.locator(".fjs-has-errors").first).to_be_visible()
        assert len(self.person.posts) == posted, "el formulario se envió pese a los errores del navegador"
        self.person.screenshot(shot)


def fill_report(form: FormJs, report: Mapping[str, str]) -> None:
    """The start form as a requester fills it (the data of tests.helpers.REPORT; options by their labels)."""
    form.choose("Mesa de ayuda", REPORT_OPTIONS["mesa"][report["mesa"]])
    form.shows_options_of(report["mesa"])
    form.search("Aplicación o servicio", report["aplicacion"])
    form.choose("Tipo de solicitud", REPORT_OPTIONS["tipo"][report["tipo"]])
    form.fill("Asunto", report["asunto"])
    form.fill("Descripción", report["descripcion"])
    expect(form.shows("Canal de atención")).to_have_text(REPORT_OPTIONS["canal"][report["canal"]])  # the default
    form.fill("Correo o teléfono de contacto", report["contacto"])


def _label(text: str) -> re.Pattern[str]:
    """A form-js label: the text, then an asterisk (hidden from screen readers) when the field is required."""
    return re.compile(rf"^{re.escape(text)}\*?$")


class Inbox:
    """The agent's task inbox (/bandeja)."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.page = person.page

    def tab(self, tab: str, shot: str) -> None:
        """Switch to one of the inbox's views: Asignadas a mí, De mis grupos, Todas las que puedo ver."""
        tabs = self.page.get_by_role("navigation", name="Vistas de la bandeja")
        self.person.follow(tabs.get_by_role("link", name=re.compile(rf"^{re.escape(tab)} \d+")).click, shot)
        expect(tabs.locator('[aria-current="page"]')).to_contain_text(tab)

    def row(self, subject: str, task: str) -> Locator:
        """The row of a task (by the case's subject and the task name)."""
        return (self.page.locator("tr.inbox-row").filter(has_text=subject)
                .filter(has=self.page.get_by_role("link", name=task, exact=True)))

    def open_task(self, subject: str, task: str, shot: str) -> None:
        """Follow the task's link in its row."""
        row = self.row(subject, task)
        expect(row).to_have_count(1)
        self.person.follow(row.get_by_role("link", name=task, exact=True).click, shot)
        expect(self.page.get_by_role("heading", level=1)).to_have_text(task)


class Mailbox:
    """The demo mailbox (/correo): the messages the app sent, with their links to this site clickable."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.page = person.page

    def open_message(self, to: str, subject: str, shot: str) -> None:
        """Open the newest message for `to` whose subject contains `subject`."""
        self.person.nav("Correo de demostración", "correo")
        row = self.page.locator("tbody tr").filter(has_text=to).filter(has_text=subject).first
        self.person.follow(row.get_by_role("link").click, shot)
        expect(self.page.get_by_role("heading", level=1)).to_contain_text(subject)

    def body(self) -> Locator:
        """The open message's text."""
        return self.page.locator(".mail__body")

    def link_to(self, path: str) -> Locator:
        """The link in the message body to a page of this site (the link's text is the whole address)."""
        return self.body().get_by_role("link", name=self.person.base_url + path, exact=True)
