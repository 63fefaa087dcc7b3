"""A throw-away PostgreSQL cluster for tests: Debian's server binaries, `initdb` in a temp dir,
`pg_ctl start` on a free loopback port (and a private Unix socket dir). PostgreSQL refuses to run
as root, so under root (CI) the cluster belongs to the `postgres` user (or `nobody`) and its
commands run through `runuser`."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chroma_server import free_port


def postgres_bindir() -> Path | None:
    """The directory holding initdb/pg_ctl/postgres, or None when the server is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
            return user
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists for PostgreSQL")


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a SQLAlchemy URL `postgresql+psycopg://USER@127.0.0.1:PORT/postgres` (trust auth on
    loopback only); the cluster and its files are removed afterwards."""
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found (scripts/install-postgres.sh installs them)")
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="pg-test-", dir="/tmp"))  # /tmp: traversable by the cluster's user
    data, sockets, log = root / "data", root / "sock", root / "server.log"
    sockets.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    prefix = ["runuser", "-u", user, "--"] if user is not None else []
    db_user = user or pwd.getpwuid(os.geteuid()).pw_name
    port = free_port()

    def run(*command: str) -> None:
        result = subprocess.run([*prefix, *command], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}\n{detail}")

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", db_user, "--auth=trust", "-E", "UTF8",
            "--locale=C", "--no-sync")
        options = (
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        yield f"postgresql+psycopg://{db_user}@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                           capture_output=True, check=False)
        for _ in range(20):
            try:
                shutil.rmtree(root)
                break
            except OSError:
                time.sleep(0.2)
