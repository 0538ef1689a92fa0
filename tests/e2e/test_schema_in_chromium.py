"""The interactive docs at /schema, rendered by a real browser (Debian's headless Chromium) against a real serve.

Swagger UI's files come from the service itself: this machine reaches no CDN, so a page that still loaded them
from one would render blank and these assertions would fail.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from service import __version__
from tests.e2e.processes import ServeProcess

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDTH, HEIGHT = 1280, 2400
# Where the latest screenshot is kept after the test's own temporary directory is gone.
STABLE_SCREENSHOT = Path(tempfile.gettempdir()) / "hospital-alerts-schema.png"


def chromium(url: str, profile: Path, *flags: str) -> subprocess.CompletedProcess[bytes]:
    """One headless Chromium run on ``url`` with a fresh profile; nothing reaches outside the machine."""
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",  # the tests run as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            # Lets the page's scripts run for up to 15 s of virtual time before the DOM or screenshot is taken.
            "--virtual-time-budget=15000",
            *flags,
            url,
        ],
        capture_output=True,
        timeout=180,
    )


@pytest.fixture
def browser() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed: apt-get install -y chromium")
    return CHROMIUM


def test_swagger_ui_renders_every_operation_offline(browser: Path, database_url: str, tmp_path: Path) -> None:
    with ServeProcess(database_url, tmp_path / "serve.log") as server:
        server.wait_ready()
        document = httpx.get(f"{server.base_url}/schema/openapi.json").json()
        docs_url = f"{server.base_url}/schema"

        dumped = chromium(docs_url, tmp_path / "profile-dom", "--dump-dom")
        assert dumped.returncode == 0, dumped.stderr.decode(errors="replace")
        dom = dumped.stdout.decode()

        screenshot = tmp_path / "schema.png"
        shot = chromium(
            docs_url, tmp_path / "profile-shot", f"--screenshot={screenshot}", f"--window-size={WIDTH},{HEIGHT}"
        )
        assert shot.returncode == 0, shot.stderr.decode(errors="replace")

    # Swagger UI ran: one block per operation of the document, each with Swagger's id for it, and nothing else.
    operations = [
        f'id="operations-{operation["tags"][0]}-{operation["operationId"]}"'
        for item in document["paths"].values()
        for operation in item.values()
    ]
    missing = [operation for operation in operations if operation not in dom]
    assert missing == []
    assert dom.count('class="opblock opblock-') == len(operations)
    assert 'data-path="/api/v1/alerts"' in dom
    assert 'data-path="/api/v1/auth/login"' in dom
    assert f'<h1 class="title">hospital-alerts<span><small><pre class="version"> {__version__} </pre>' in dom
    assert '<pre class="version">OAS 3.1</pre>' in dom
    assert "Unable to render this definition" not in dom

    data = screenshot.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (WIDTH, HEIGHT)
    # A blank page compresses to a few kilobytes; the page with its operations drawn takes well over 100 KB.
    assert len(data) > 100_000
    shutil.copyfile(screenshot, STABLE_SCREENSHOT)
    print(f"screenshot: {screenshot}")
    print(f"screenshot (kept): {STABLE_SCREENSHOT}")
