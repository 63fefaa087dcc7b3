"""Remembers Slack deliveries so one post is answered once, whatever Slack resends and however
many bot processes receive it: `SharedDeliveries` (the shared SQL store) behind `RecentKeys`
(this process's memory)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, Engine, String, Table, delete
from sqlalchemy.exc import SQLAlchemyError

from assistant.storage.db import create_tables, insert_ignore, metadata

logger = logging.getLogger(__name__)


class RecentKeys:
    """A bounded, thread-safe LRU set of delivery keys (event ids, client message ids,
    (channel, ts) of the user's message)."""

    def __init__(self, max_size: int = 5000) -> None:
        self.max_size = max_size
        self._keys: OrderedDict[Hashable, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, *keys: Hashable | None) -> bool:
        """True if none of `keys` was seen before; all of them are remembered either way.
        `None` keys (a field the payload lacks) are ignored."""
        present = [key for key in keys if key is not None]
        with self._lock:
            seen = any(key in self._keys for key in present)
            for key in present:
                self._keys[key] = None
                self._keys.move_to_end(key)
            while len(self._keys) > self.max_size:
                self._keys.popitem(last=False)
        return not seen


slack_deliveries_table = Table(
    "slack_deliveries",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False, index=True),
)

KEEP_DELIVERIES_FOR = timedelta(days=1)  # Slack retries within minutes; a day is plenty
PRUNE_EVERY = 200  # deliveries per process between deletions of old rows


class SharedDeliveries(RecentKeys):
    """Delivery keys in the shared SQL store, so any number of bot processes (HTTP mode behind a
    load balancer, or several Socket Mode connections) answer each message once: every key is
    inserted under a unique constraint in one transaction, and only the process whose inserts
    all went in answers. The in-memory set stays in front as a fast path: a delivery whose keys
    this process has all seen (and so stored) is refused without a query; any new key is stored.
    Rows older than a day are pruned."""

    def __init__(self, engine: Engine, max_size: int = 5000) -> None:
        super().__init__(max_size)
        self.engine = engine
        self._calls = 0
        create_tables(engine, [slack_deliveries_table])

    def first_time(self, *keys: Hashable | None) -> bool:
        present = [key for key in keys if key is not None]
        with self._lock:
            all_known = all(key in self._keys for key in present)
        new_here = super().first_time(*present)
        if all_known and present:  # every key is in the store already (this process put it there)
            return False
        names = sorted({_key_text(key) for key in present})  # one lock order everywhere
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as conn:
                inserted = [insert_ignore(conn, slack_deliveries_table, key=name, seen_at=now) for name in names]
            self._maybe_prune(now)
        except SQLAlchemyError:
            # Answering twice beats never answering: the in-memory set still stops this process's repeats.
            logger.exception("the shared delivery store failed; deduplicating in this process only")
            return new_here
        return new_here and all(inserted)

    def _maybe_prune(self, now: datetime) -> None:
        with self._lock:
            self._calls += 1
            if self._calls % PRUNE_EVERY:
                return
        self.prune(now - KEEP_DELIVERIES_FOR)

    def prune(self, before: datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(delete(slack_deliveries_table).where(slack_deliveries_table.c.seen_at < before))
        return int(result.rowcount or 0)


def _key_text(key: Hashable) -> str:
    text = ":".join(str(part) for part in key) if isinstance(key, tuple) else str(key)
    return text if len(text) <= 200 else "sha256:" + hashlib.sha256(text.encode()).hexdigest()
