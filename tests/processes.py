"""Stopping the servers that tests and benchmarks start (gunicorn masters started in their own group)."""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any


def stop_server(process: subprocess.Popen[Any], timeout: float) -> None:
    """SIGTERM the master (it stops its workers and the scheduler); kill its whole group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
