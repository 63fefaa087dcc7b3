"""Rate limits shared by every process through the SQL store (SQLite on one machine, PostgreSQL
for several): the same sliding window as `SlidingWindowLimiter`, with the same `hit(key, limit)`
interface, so N API processes together allow a key at most `limit` requests per window.

Storage: `rate_limit_keys` (one row per key, the lock) and `rate_limit_hits` (one row per
accepted request). A hit runs one transaction that locks the key's row (PostgreSQL: `SELECT ...
FOR UPDATE`; SQLite: the first statement is a write, which takes the database's write lock), drops
the key's hits older than the window, counts the rest, and records the request only if the count
is below the limit. Concurrent hits on one key are therefore serialised; hits on different keys
only contend on SQLite (one writer at a time, a few milliseconds each).

Time is the processes' wall clock (`time.time`): keep the machines' clocks synchronised (NTP); a
skew of s seconds between two machines shifts their view of the window by s seconds.

`LayeredLimiter` puts the in-process limiter in front as a fast path that can only refuse: it
counts only requests the shared store accepted, which are a subset of the shared count, so
whenever it refuses the shared store would refuse too; it never accepts on its own."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)

from assistant.partners.ratelimit import SlidingWindowLimiter
from assistant.storage.db import create_tables, insert_ignore, metadata

rate_limit_keys = Table(
    "rate_limit_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("touched_at", Float, nullable=False),
)

rate_limit_hits = Table(
    "rate_limit_hits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_rate_limit_hits_key_at", "key", "at"),
)

PRUNE_EVERY = 500  # hits per process between sweeps of every key's expired hits


class SqlWindowLimiter:
    """Sliding-window limiter in the shared SQL store. `hit(key, limit)` returns None when the
    request is accepted (and counted), else the whole seconds to wait (at least 1)."""

    def __init__(
        self, engine: Engine, window_seconds: float = 60.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.window = window_seconds
        self.clock = clock
        self._hits_since_prune = 0
        self._count_lock = threading.Lock()
        create_tables(engine, [rate_limit_keys, rate_limit_hits])

    def hit(self, key: str, limit: int) -> int | None:
        with self.engine.begin() as conn:
            self._lock_key(conn, key, self.clock())
            now = self.clock()  # after waiting for the lock: no accepted hit is later than this
            cutoff = now - self.window
            conn.execute(delete(rate_limit_hits).where(rate_limit_hits.c.key == key, rate_limit_hits.c.at <= cutoff))
            count: int = conn.execute(
                select(func.count()).select_from(rate_limit_hits).where(rate_limit_hits.c.key == key)
            ).scalar_one()
            if count >= limit:
                # the request that must expire before one more fits: the (count - limit + 1)-th oldest
                oldest: float = conn.execute(
                    select(rate_limit_hits.c.at)
                    .where(rate_limit_hits.c.key == key)
                    .order_by(rate_limit_hits.c.at)
                    .offset(count - limit)
                    .limit(1)
                ).scalar_one()
                return max(1, math.ceil(oldest + self.window - now))
            conn.execute(insert(rate_limit_hits).values(key=key, at=now))
        self._maybe_prune(cutoff)
        return None

    def _lock_key(self, conn: Connection, key: str, now: float) -> None:
        """Hold the key's row lock until the transaction ends (its row is created on first use)."""
        touch = update(rate_limit_keys).where(rate_limit_keys.c.key == key).values(touched_at=now)
        if not conn.execute(touch).rowcount and not insert_ignore(conn, rate_limit_keys, key=key, touched_at=now):
            conn.execute(touch)  # another process created it meanwhile: wait for its lock

    def _maybe_prune(self, cutoff: float) -> None:
        with self._count_lock:
            self._hits_since_prune += 1
            if self._hits_since_prune < PRUNE_EVERY:
                return
            self._hits_since_prune = 0
        self.prune(cutoff)

    def prune(self, cutoff: float | None = None) -> int:
        """Drop every key's hits older than the window, and keys idle for a day. Returns the
        number of hits dropped."""
        cutoff = self.clock() - self.window if cutoff is None else cutoff
        with self.engine.begin() as conn:
            dropped = conn.execute(delete(rate_limit_hits).where(rate_limit_hits.c.at <= cutoff)).rowcount
            conn.execute(delete(rate_limit_keys).where(rate_limit_keys.c.touched_at <= cutoff - 86_400))
        return int(dropped or 0)


class LayeredLimiter:
    """The shared limiter behind an in-process fast path that can only refuse (see the module
    docstring). Same `hit(key, limit)` interface as `SlidingWindowLimiter`."""

    def __init__(self, shared: SqlWindowLimiter, local: SlidingWindowLimiter | None = None) -> None:
        self.shared = shared
        self.local = local or SlidingWindowLimiter(window_seconds=shared.window)

    def hit(self, key: str, limit: int) -> int | None:
        wait = self.local.over_limit(key, limit)
        if wait is not None:  # this process alone already had `limit` accepted requests
            return wait
        wait = self.shared.hit(key, limit)
        if wait is None:
            self.local.record(key)
        return wait
