"""The CI gate (evals/thresholds.json) read for the report: each figure's bound and pass/fail, and
a note when the run is not the one the gate is defined for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.json"


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, Any]:
    try:
        thresholds: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return thresholds
    except (OSError, ValueError):
        return {}


def gate_check(thresholds: dict[str, Any], figure: str, value: Any) -> tuple[str, bool] | None:
    """('≥ 0.850', passed) for a figure the gate bounds ('retrieval.recall@1'), else None."""
    for bound, symbol in (("min", "≥"), ("max", "≤")):
        limit = (thresholds.get(bound) or {}).get(figure)
        if limit is None:
            continue
        ok = isinstance(value, int | float) and (value >= limit if bound == "min" else value <= limit)
        return f"{symbol} {limit:.3f}", ok
    return None


def gate_note(report: dict[str, Any], thresholds: dict[str, Any]) -> str | None:
    """When the run is not the one the gate is defined for, say so (pass/fail is then a reference)."""
    if not thresholds:
        return None
    config = report.get("config", {})
    wanted = {"dataset": Path(str(thresholds.get("dataset", ""))).name, "generator": thresholds.get("generator")}
    ran = {"dataset": Path(str(config.get("dataset", ""))).name, "generator": config.get("generator")}
    differs = [f"{k} {ran[k]} (gate: {wanted[k]})" for k in wanted if wanted[k] and ran[k] != wanted[k]]
    if config.get("limit") != thresholds.get("limit"):
        differs.append(f"limit {config.get('limit')} (gate: {thresholds.get('limit')})")
    if not differs:
        return None
    return "The CI gate (evals/thresholds.json) is defined for another run: " + ", ".join(differs) + \
        "; its pass/fail is shown for reference only."
