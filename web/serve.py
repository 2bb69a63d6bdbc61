"""`mesa-ayuda serve`: gunicorn in front of web.create_app(), with the scheduler as one sibling process.

The scheduler does not run inside the gunicorn master: the master forks workers at any time, and a
process forked while it holds open SQLite connections may corrupt the database when the child closes
them. It runs instead as one `mesa-ayuda scheduler` child of the master (never one per worker), started
when gunicorn is ready and stopped when it exits. The app itself is loaded in each worker, after the fork.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

from web import create_app
from web.context import EXTENSION

logger = logging.getLogger(__name__)
SCHEDULER_COMMAND = (sys.executable, "-c", "from engine.cli import main; main(['scheduler'])")
STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class ServeOptions:
    """What `serve` was asked for."""

    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 2
    threads: int = 4
    scheduler: bool = True

    @property
    def url(self) -> str:
        """Where a browser on this machine reaches the app."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"


class SchedulerProcess:
    """The one scheduler process beside the web workers."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start `mesa-ayuda scheduler` (it inherits the environment, so the same MESA_* settings)."""
        self._process = subprocess.Popen(SCHEDULER_COMMAND)
        logger.info("planificador iniciado (pid %s)", self._process.pid)

    def stop(self) -> None:
        """Ask it to stop (SIGTERM: it finishes the running sweep), kill it if it does not."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class WebServer(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured in code: no config file and no command-line parsing of its own."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self.scheduler = SchedulerProcess() if options.scheduler else None
        super().__init__()

    def load_config(self) -> None:
        """gunicorn settings for serve's options (settings unknown to this gunicorn version are skipped)."""
        settings: dict[str, Any] = {
            "bind": [f"{self.options.host}:{self.options.port}"],
            "workers": self.options.workers,
            "worker_class": "gthread",
            "threads": self.options.threads,
            "proc_name": "mesa-ayuda",
            "graceful_timeout": 10,
            # gunicorn >= 25 opens a control socket in a shared per-user path; serve does not use it.
            "control_socket_disable": True,
            "when_ready": self._when_ready,
            "on_exit": self._on_exit,
        }
        for name, value in settings.items():
            if name in self.cfg.settings:
                self.cfg.set(name, value)

    def load(self) -> Any:
        """The WSGI app, built in each worker after the fork."""
        return create_app()

    def _when_ready(self, _server: Any) -> None:
        if self.scheduler is not None:
            self.scheduler.start()

    def _on_exit(self, _server: Any) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()


def check_app() -> None:
    """Build the app once in this process, so a configuration error stops `serve` before it listens."""
    app = create_app()
    # The master forks the workers: it must not keep database connections (nor engines) of its own.
    app.extensions[EXTENSION].db.dispose()


def run(options: ServeOptions) -> None:
    """Serve until SIGINT/SIGTERM."""
    WebServer(options).run()
