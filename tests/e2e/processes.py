"""Real ``hospital-alerts`` processes for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "service"]


def environment(database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSPITAL_ALERTS_") and k != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def run(
    *args: str, database_url: str | None, stdin: str | None = None, cwd: Path = REPO_ROOT, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """Run one command to completion; its output is returned, never printed."""
    return subprocess.run(
        [*COMMAND, *args],
        cwd=cwd,
        env=environment(database_url, **extra_env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    """``hospital-alerts serve`` on a free port; output goes to a log file the test can read."""

    def __init__(self, database_url: str | None, log_path: Path, *args: str, **extra_env: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [*COMMAND, "serve", "--port", str(self.port), *args],
            cwd=REPO_ROOT,
            env=environment(database_url, **extra_env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_ready(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.base_url}/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve was not ready within {seconds} s:\n{self.output()}")

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
