"""`mesa-ayuda serve` really runs gunicorn on 127.0.0.1, answers, and stops cleanly."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import COMPLETE_REVIEW, REPORT
from tests.integration import free_port
from tests.processes import stop_server
from web.serve import SCHEDULER_COMMAND

BOGOTA = ZoneInfo("America/Bogota")  # tickets are numbered per year of the help desk's time zone

MESA = Path(sys.executable).parent / "mesa-ayuda"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


@dataclass
class Server:
    """A running `serve`: its URL and process; `output` holds what it printed once it has stopped."""

    url: str
    process: subprocess.Popen[str]
    environment: dict[str, str]
    output: str = ""


@contextmanager
def serving(tmp_path: Path, *args: str, **env: str) -> Iterator[Server]:
    """Run `mesa-ayuda serve ARGS` on a free port until it answers; always stopped (SIGTERM, then kill)."""
    port = free_port()
    environment = {**os.environ, "MESA_INSTANCE_PATH": str(tmp_path / "instance"),
                   "MESA_DATABASE_URL": f"sqlite:///{tmp_path / 'mesa.db'}", **env}
    for name in ("MESA_BASE_URL", "MESA_SMTP_URL", "MESA_SECRET_KEY", "MESA_DEMO_MAIL", "MESA_SECURE_COOKIES"):
        if name not in env:
            environment.pop(name, None)
    process = subprocess.Popen([str(MESA), "serve", "--port", str(port), "--workers", "1", *args],
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, environment)
    try:
        wait_until_up(server.url, process)
        yield server
    finally:
        stop(process)
        if process.stdout:
            server.output = process.stdout.read()
            process.stdout.close()


def wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    """Poll /login until it answers (or fail with the server's output)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"serve terminó con código {process.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"serve no respondió en {START_TIMEOUT} s")


def stop(process: subprocess.Popen[str]) -> None:
    """Stop the server, waiting at most STOP_TIMEOUT before killing it."""
    stop_server(process, STOP_TIMEOUT)


def schedulers(parent: int) -> list[int]:
    """Process ids of the `mesa-ayuda scheduler` children of a process (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and SCHEDULER_COMMAND[-1].encode() in command:
            found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_serve_answers_on_localhost_and_stops(tmp_path: Path) -> None:
    with serving(tmp_path, "--no-scheduler") as server:
        with urllib.request.urlopen(f"{server.url}/login", timeout=5) as response:
            assert response.status == 200
            assert "Iniciar sesión" in response.read().decode()
            assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert schedulers(server.process.pid) == []
    assert server.process.returncode == 0
    assert f"Mesa de Ayuda en {server.url}" in server.output


def sign_in(url: str, user: str) -> urllib.request.OpenerDirector:
    """A cookie-keeping client signed in through the form, as a browser would."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(f"{url}/login", timeout=5) as page:
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    assert match is not None
    form = urllib.parse.urlencode({"username": user, "password": user, "csrf_token": match.group(1)}).encode()
    with opener.open(f"{url}/login", data=form, timeout=10) as home:
        assert home.status == 200 and f"{user} <span" in home.read().decode()
    return opener


def walk_to_ticket(environment: dict[str, str]) -> None:
    """Report a case and register it at level 1 from the terminal: the ticket email is queued."""
    def mesa(*args: str) -> str:
        done = subprocess.run([str(MESA), *args], env=environment, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    reported = mesa("casos", "reportar", "--como", "solicitante", "--datos", json.dumps(REPORT))
    task = re.search(r"tarea ([0-9a-f-]{36})", reported)
    assert task is not None, reported
    mesa("tareas", "completar", task.group(1), "--como", "nivel1", "--datos", json.dumps(COMPLETE_REVIEW))


def wait_for_mail(client: urllib.request.OpenerDirector, url: str, subject: str) -> str:
    """The demo mailbox page once it lists a message with `subject` (the scheduler delivers to the sink)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        with client.open(f"{url}/correo/", timeout=5) as mailbox:
            page: str = mailbox.read().decode()
        if subject in page:
            return page
        time.sleep(0.2)
    pytest.fail(f"el correo «{subject}» no llegó al buzón de demostración")


@pytest.mark.slow
def test_serve_demo_prepares_everything_and_runs_one_scheduler(tmp_path: Path) -> None:
    with serving(tmp_path, "--demo", MESA_SWEEP_SECONDS="1") as server:
        [scheduler] = schedulers(server.process.pid)
        assert running(scheduler)
        # Plain http: the demo's session cookie must not be Secure, or the browser would never send it back.
        client = sign_in(server.url, "solicitante")
        walk_to_ticket(server.environment)
        # The sample cases took the year's first two tickets; the scheduler delivers the outbox to the sink
        # (the samples' notices and this case's), and the mailbox page lists it.
        page = wait_for_mail(client, server.url, f"[TI-{datetime.now(BOGOTA).year}-000003] Su caso fue registrado")
        assert "Su caso fue cerrado" in page and len(list((tmp_path / "instance" / "demo-mail").glob("*.eml"))) > 1
    assert server.process.returncode == 0
    assert not running(scheduler)
    assert f"Mesa de Ayuda en {server.url}" in server.output
    assert "solicitante" in server.output and "la contraseña es el nombre de usuario" in server.output
    assert "Casos de ejemplo:" in server.output and "No carga el tablero de control (cerrado)" in server.output
    assert (tmp_path / "instance" / "demo-mail").is_dir()
