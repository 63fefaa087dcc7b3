"""Remembers recently seen Slack deliveries so one post is answered once, whatever Slack resends."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


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
