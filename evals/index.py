"""The one "reuse the index or build it" step of the evals and the benchmarks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.index.store import ChunkStore
from ingest.pipeline import IngestStats


def ensure_index(
    store: ChunkStore,
    marker: Path,
    key: str,
    fingerprint: str,
    build: Callable[[], IngestStats],
    extra: dict[str, Any] | None = None,
) -> IngestStats | None:
    """Reuse the index in `store` when `marker` records `fingerprint` under `key` and the store is
    readable and still holds the documents and chunks recorded then; otherwise run `build()` and
    record it (with `extra`). Returns the build's stats, or None when the index was reused."""
    known: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else {}
    entry = known.get(key, {})
    if entry.get("fingerprint") == fingerprint:
        try:
            store.check_readable()
            if [entry.get("documents"), entry.get("chunks")] == list(store.counts()):
                return None
        except AssistantError:
            pass  # recorded but unreadable: build again
    stats = build()
    documents, chunks = store.counts()
    known[key] = {
        **(extra or {}),
        "fingerprint": fingerprint,
        "documents": documents,
        "chunks": chunks,
        "failed": stats.failed,
    }
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(known, indent=2), encoding="utf-8")
    return stats
