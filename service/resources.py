"""Where the SQL catalogue and the migrations live: inside the installed wheel, or at the top of a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the directory ``name`` (``sql`` or ``migrations``).

    A wheel carries them under ``service/_resources/``; an editable install or a source checkout reads
    them from the repository's top level, next to ``service/``.
    """
    for candidate in (_PACKAGE_DIR / "_resources" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ directory was not found next to the service package")
