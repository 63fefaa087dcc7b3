"""One owner of an embedded index per machine: `serve` runs Chroma as a local server process.

Chroma's embedded client (PersistentClient) must not be shared by processes: an `ingest` in a
second terminal while `serve` runs made every later question fail until a restart. So `serve`
with embedded Chroma starts `chroma run --path <data_dir>/chroma` on a free loopback port and
writes `<data_dir>/chroma-server.json` (host, port, Chroma's pid, the owning serve's pid, start
time). Every command that would open the embedded client (ingest, ask, eval, slack, another
serve) reads that record, checks the server answers its heartbeat, and uses an HttpClient
instead. The record is removed when `serve` stops; a record whose server does not answer is
stale and ignored (the embedded client is used, which is then safe: nobody else has it open).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from assistant.errors import AssistantError

logger = logging.getLogger(__name__)

RECORD_NAME = "chroma-server.json"
LOG_NAME = "chroma-server.log"
START_TIMEOUT = 60.0


class LocalChromaError(AssistantError):
    code = "local_chroma"


@dataclass(frozen=True)
class LocalChroma:
    host: str
    port: int
    pid: int  # the `chroma run` process
    owner_pid: int  # the `serve` that started it (and stops it)
    started_at: float


def record_path(data_dir: Path) -> Path:
    return data_dir / RECORD_NAME


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        return httpx.get(f"http://{host}:{port}/api/v2/heartbeat", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def find_local_server(data_dir: Path) -> LocalChroma | None:
    """The running local Chroma server of this data dir, or None (no record, or it is stale)."""
    try:
        raw = json.loads(record_path(data_dir).read_text(encoding="utf-8"))
        found = LocalChroma(**raw)
    except (OSError, ValueError, TypeError):
        return None
    return found if answers(found.host, found.port) else None


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_executable() -> str:
    """The `chroma` command of the chromadb package next to this Python."""
    candidate = Path(sys.executable).parent / "chroma"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("chroma")
    if found is None:
        raise LocalChromaError("the `chroma` command (from the chromadb package) was not found next to Python")
    return found


def _write_record(data_dir: Path, server: LocalChroma) -> None:
    path = record_path(data_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(server), handle)
    os.replace(tmp, path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def local_chroma_server(data_dir: Path, chroma_path: Path) -> Iterator[LocalChroma]:
    """Run (or adopt) the local Chroma server of `data_dir` for the duration of the block."""
    existing = find_local_server(data_dir)
    if existing is not None:
        if _pid_alive(existing.owner_pid) and existing.owner_pid != os.getpid():
            logger.info("local chroma already served port=%s by pid=%s", existing.port, existing.owner_pid)
            yield existing  # another serve owns it: share it, do not stop it
            return
        adopted = LocalChroma(existing.host, existing.port, existing.pid, os.getpid(), existing.started_at)
        _write_record(data_dir, adopted)  # its serve died: this one stops it on exit
        try:
            yield adopted
        finally:
            _stop_pid(adopted.pid)
            record_path(data_dir).unlink(missing_ok=True)
        return

    chroma_path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (data_dir / LOG_NAME).open("ab")
    process = subprocess.Popen(
        [chroma_executable(), "run", "--path", str(chroma_path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        preexec_fn=_die_with_parent,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers("127.0.0.1", port, timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise LocalChromaError(f"the local Chroma server did not start; see {data_dir / LOG_NAME}")
            time.sleep(0.1)
        server = LocalChroma("127.0.0.1", port, process.pid, os.getpid(), time.time())
        _write_record(data_dir, server)
        logger.info("local chroma started port=%s pid=%s", port, process.pid)
        yield server
    finally:
        record_path(data_dir).unlink(missing_ok=True)
        stop_process(process)
        log.close()


def _die_with_parent() -> None:
    """Linux: the Chroma server gets SIGTERM when serve dies, even by kill -9 (no orphan)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _stop_pid(pid: int) -> None:
    import signal

    with suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)


def stop_process(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """Terminate a child process and wait for it; kill it if it does not stop in `timeout` s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
