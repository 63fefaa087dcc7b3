"""Start a real `chroma run` server on loopback for tests (the CLI ships with the chromadb wheel)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from assistant.index.chroma_local import chroma_executable, free_port, stop_process


@contextmanager
def chroma_server(path: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    log = (path.parent / f"chroma-{port}.log").open("wb")
    process = subprocess.Popen(
        [chroma_executable(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not start; see {log.name}")
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        stop_process(process)
        log.close()
