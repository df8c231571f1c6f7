"""Where Otklik keeps its working files (database, reports, logs)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def home() -> Path:
    """Return $OTKLIK_HOME (default: ./var under the current directory), created if missing."""
    p = Path(os.environ.get("OTKLIK_HOME") or Path.cwd() / "var").resolve()
    p.mkdir(parents=True, exist_ok=True)
    return p


def shared_data_dir() -> Path:
    """Return the shared training data folder ($OTKLIK_SHARED_DATA or ../shared/data beside the repo)."""
    return Path(os.environ.get("OTKLIK_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
