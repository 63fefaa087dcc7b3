"""Compute that runs native threads queues for the process's cores instead of oversubscribing."""

from __future__ import annotations

import threading
import time

from assistant.cpu import CpuSlots


def test_concurrent_holders_never_use_more_slots_than_cores() -> None:
    slots = CpuSlots(2)
    busy = [0]
    peak = [0]
    lock = threading.Lock()

    def work(threads: int) -> None:
        with slots.hold(threads):
            with lock:
                busy[0] += threads
                peak[0] = max(peak[0], busy[0])
            time.sleep(0.01)
            with lock:
                busy[0] -= threads

    workers = [threading.Thread(target=work, args=(1 + i % 2,)) for i in range(12)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=10)
    assert peak[0] == 2


def test_a_job_asking_for_every_core_is_served_in_arrival_order() -> None:
    slots = CpuSlots(2)
    order: list[str] = []
    first = slots.hold(1)
    first.__enter__()
    big = threading.Thread(target=lambda: (slots.hold(2).__enter__(), order.append("big")), daemon=True)
    big.start()
    time.sleep(0.05)
    small = threading.Thread(target=lambda: (slots.hold(1).__enter__(), order.append("small")), daemon=True)
    small.start()
    time.sleep(0.05)
    assert order == []  # the small job does not jump the queue while the big one waits
    first.__exit__(None, None, None)
    big.join(timeout=5)
    assert order[:1] == ["big"]
