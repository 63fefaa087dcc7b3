"""Where the evals find the repository's datasets and the shared benchmark data."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATASETS = REPO_ROOT / "evals" / "datasets"


def default_data_root() -> Path:
    """The shared benchmark data (`../shared/data` beside the checkout); it may not exist."""
    return (REPO_ROOT / ".." / "shared" / "data").resolve()
