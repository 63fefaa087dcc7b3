"""Sliding-window rate limiter, one window per key, in process memory.

Each process has its own windows, so on its own it limits one process only. The API enforces
limits across processes with `assistant.partners.shared_limit` (the SQL store), which keeps this
limiter as a fast path that can only refuse (`over_limit` / `record`)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    def __init__(self, window_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window_seconds
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int) -> int | None:
        """Count one request for `key`. Returns None if it is within `limit` per window, else the
        whole seconds to wait before the next request would be accepted (at least 1)."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle keys so memory stays bounded
                self._prune(now)
            return None

    def over_limit(self, key: str, limit: int) -> int | None:
        """Seconds to wait if `key` already has `limit` requests in the window, else None.
        Counts nothing."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return None
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                return max(1, math.ceil(hits[len(hits) - limit] + self.window - now))
            return None

    def record(self, key: str) -> None:
        """Count one request for `key` that was accepted elsewhere (the shared limiter)."""
        now = self.clock()
        with self._lock:
            self._hits.setdefault(key, deque()).append(now)
            if len(self._hits) > 10_000:
                self._prune(now)

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]
