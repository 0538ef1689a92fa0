"""A frontend's typed TypeScript client, generated from the OpenAPI document a real serve publishes.

Runs what docs/api.md tells a frontend engineer to run: fetch /schema/openapi.json, generate types with
openapi-typescript, then type-check tests/typescript/client.ts (typed calls: login, create an alert, list the
open ones) and wrong.ts (calls the types must refuse) with ``tsc --strict``. The npm packages are pinned in
tests/typescript/package-lock.json and installed with ``npm ci`` when node_modules is missing or stale.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import REPO_ROOT, ServeProcess

pytestmark = pytest.mark.e2e

PROJECT = REPO_ROOT / "tests" / "typescript"
SOURCES = ["client.ts", "wrong.ts", "tsconfig.json"]


def installed_matches_lock() -> bool:
    """npm keeps what it installed in node_modules/.package-lock.json: the same packages as the lock, or stale."""
    installed = PROJECT / "node_modules" / ".package-lock.json"
    if not installed.exists():
        return False
    wanted = json.loads((PROJECT / "package-lock.json").read_text())["packages"]
    wanted.pop("", None)  # the project itself
    return json.loads(installed.read_text())["packages"] == wanted


def npm_ci(npm: str) -> None:
    # One installer at a time: another run finding node_modules half-written would fail for no reason of its own.
    with (Path(tempfile.gettempdir()) / "hospital-alerts-npm-ci.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_matches_lock():
            return
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=PROJECT, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert installed_matches_lock()


@pytest.fixture
def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        pytest.skip("npm is not on PATH: install Node.js 20+ (with npm) to generate and check the TypeScript client")
    npm_ci(found)
    return found


def test_a_typed_client_generated_from_the_served_document_type_checks(
    npm: str, database_url: str, tmp_path: Path
) -> None:
    with ServeProcess(database_url, tmp_path / "serve.log") as server:
        server.wait_ready()
        response = httpx.get(f"{server.base_url}/schema/openapi.json")
    assert response.status_code == 200
    document = tmp_path / "openapi.json"
    document.write_bytes(response.content)

    # The example sits beside its generated types, as in a frontend's source tree, and resolves the pinned
    # packages through a link to the installed node_modules.
    for name in SOURCES:
        shutil.copyfile(PROJECT / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(PROJECT / "node_modules", target_is_directory=True)
    bin_dir = PROJECT / "node_modules" / ".bin"

    schema = tmp_path / "schema.d.ts"
    generated = subprocess.run(
        [bin_dir / "openapi-typescript", document, "-o", schema],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    print(f"generated types: {schema}")
    types = schema.read_text()
    for path in ['"/api/v1/auth/login"', '"/api/v1/alerts"', '"/api/v1/alerts/active"', '"/api/v1/alerts/stream"']:
        assert f"    {path}: {{" in types, path
    assert 'priority: "low" | "medium" | "high" | "critical";' in types
    assert "AlertRow: {" in types and "CreateAlert: {" in types and "Problem: {" in types

    checked = subprocess.run(
        [bin_dir / "tsc", "-p", "tsconfig.json", "--noEmit", "--strict"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")
