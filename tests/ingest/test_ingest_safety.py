"""Issue 13 items 3, 8, 9 and 10: re-ingest keeps what it cannot see, huge files are refused or
written in bounded batches, one ingest at a time per index, and no quiet losses."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import pytest
from chroma_server import chroma_server
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings

import ingest.pipeline as pipeline
from assistant.components import build_store
from assistant.errors import IngestLockedError
from assistant.index.store import ChunkStore
from assistant.settings import Settings
from ingest.pipeline import run_ingest

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "tests" / "data" / "corpus" / "programs"
PAGE = "Students from Lyon and Beijing take part in the exchange. "


@pytest.fixture
def store(fresh_collection_settings: Settings, encoders: dict) -> ChunkStore:
    return build_store(fresh_collection_settings, encoders)


def write_doc(path: Path, title: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title}\n\n{title} is an exchange programme for twenty students a year.\n", encoding="utf-8")


def manifest_ids(store: ChunkStore) -> set[str]:
    return set(store.manifest())


# --- item 3: a path that cannot be read is a failure that keeps what was indexed -----------------


def test_reingest_keeps_documents_under_unreadable_folders_and_broken_links(
    store: ChunkStore, encoders: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    write_doc(docs / "private" / "memo.md", "Oslo memo")
    write_doc(docs / "linked.md", "Bergen scholarship")
    write_doc(docs / "gone.md", "Tromso summer school")
    write_doc(docs / "kept.md", "Nancy twinning")
    first = run_ingest([docs], store, encoders, progress=False)
    assert first.ok and first.added == 4

    private = docs / "private"
    if os.geteuid() == 0:  # root reads any folder: make this one fail as an unreadable folder does
        real_scandir = os.scandir

        def scandir(path: object) -> object:
            if Path(str(path)) == private:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)  # type: ignore[arg-type]

        monkeypatch.setattr("ingest.load.os.scandir", scandir)
    else:
        private.chmod(0)
    (docs / "linked.md").unlink()
    (docs / "linked.md").symlink_to(tmp_path / "nowhere.md")  # a dangling link
    (docs / "gone.md").unlink()  # really gone
    try:
        stats = run_ingest([docs], store, encoders, progress=False)
    finally:
        private.chmod(0o755)
    assert (stats.removed, stats.failed) == (1, 2)
    assert not stats.ok
    joined = "\n".join(stats.errors)
    assert "private" in joined and "cannot be read" in joined
    assert "linked.md: is a broken symbolic link" in joined
    assert manifest_ids(store) == {"private/memo", "linked", "kept"}


def test_symlink_loops_are_reported_and_keep_what_was_indexed(store: ChunkStore, encoders: dict, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_doc(docs / "a.md", "Kyoto exchange")
    write_doc(docs / "sub" / "b.md", "Busan camp")
    assert run_ingest([docs], store, encoders, progress=False).ok
    (docs / "a.md").unlink()
    (docs / "a.md").symlink_to(docs / "x.md")
    (docs / "x.md").symlink_to(docs / "a.md")  # a.md -> x.md -> a.md
    (docs / "sub" / "again").symlink_to(docs)  # a folder containing itself
    stats = run_ingest([docs], store, encoders, progress=False)
    joined = "\n".join(stats.errors)
    assert "a.md: is a symbolic link loop" in joined
    assert "again: is a symbolic link loop" in joined
    assert stats.removed == 0
    assert manifest_ids(store) == {"a", "sub/b"}


# --- item 8: a size limit, and bounded writes within a document ---------------------------------


def test_a_file_over_the_size_limit_is_refused_by_name_and_the_others_are_ingested(
    store: ChunkStore, encoders: dict, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    write_doc(docs / "small.md", "Lyon scholarship")
    (docs / "huge.txt").write_text(PAGE * 2000, encoding="utf-8")  # ~116 kB
    stats = run_ingest([docs], store, encoders, progress=False, max_file_bytes=50_000)
    assert (stats.added, stats.failed) == (1, 1)
    assert any("huge.txt" in e and "over the limit of 50,000" in e for e in stats.errors)


class StopAfter(Embeddings):
    """The real encoder, interrupted (as by a kill) after `batches` calls."""

    def __init__(self, inner: Embeddings, batches: int) -> None:
        self.inner, self.left = inner, batches

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_a_large_document_is_written_in_batches_and_a_kill_does_not_lose_them(
    store: ChunkStore, encoders: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "EMBED_BATCH_CHUNKS", 8)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "big.txt").write_text("Big exchange report\n\n" + PAGE * 300, encoding="utf-8")  # ~30 chunks
    interrupted = {name: StopAfter(enc, 3 if name == next(iter(encoders)) else 99) for name, enc in encoders.items()}
    with pytest.raises(KeyboardInterrupt):
        run_ingest([docs], store, interrupted, progress=False)
    _, written = store.counts()
    assert written >= 16  # the batches embedded before the kill are in the index
    stats = run_ingest([docs], store, encoders, progress=False)
    assert stats.added == 1 and stats.ok
    total = store.manifest()["big"].n_chunks
    assert total > 16 and stats.chunks_written == total - written  # only the rest was embedded


# --- item 9: one ingest at a time ---------------------------------------------------------------


def test_a_second_ingest_is_refused_naming_the_holder(store: ChunkStore, encoders: dict, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_doc(docs / "a.md", "Kyoto exchange")
    holder = f"pid {os.getpid()} on {socket.gethostname()}"
    with store.ingest_lock(), pytest.raises(IngestLockedError, match=holder):
        run_ingest([docs], store, encoders, progress=False)
    assert run_ingest([docs], store, encoders, progress=False).ok  # released


def test_a_lock_left_by_a_dead_process_is_taken_over(store: ChunkStore, encoders: dict, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_doc(docs / "a.md", "Kyoto exchange")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock = store.ingest_lock()
    lock.meta["pid"] = int(dead.stdout)
    lock._write(time.time())  # what a killed ingest leaves behind
    assert run_ingest([docs], store, encoders, progress=False).ok


def test_ingest_command_refuses_while_another_process_holds_the_lock_on_a_chroma_server(
    tmp_path: Path, encoders: dict
) -> None:
    docs = tmp_path / "docs"
    write_doc(docs / "a.md", "Kyoto exchange")
    with chroma_server(tmp_path / "chroma") as (host, port):
        client = chromadb.HttpClient(host=host, port=port, settings=ChromaSettings(anonymized_telemetry=False))
        settings = Settings(data_dir=tmp_path / "data", chroma_host=host, chroma_port=port)
        store = build_store(settings, encoders, client)
        env = {**os.environ, "EXCHANGE_ASSISTANT_DATA_DIR": str(tmp_path / "data"),
               "EXCHANGE_ASSISTANT_CHROMA_HOST": host, "EXCHANGE_ASSISTANT_CHROMA_PORT": str(port)}
        with store.ingest_lock():
            result = subprocess.run(
                [sys.executable, "-m", "assistant.cli", "ingest", str(docs)],
                capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
            )
        assert result.returncode == 2
        assert f"another ingest is writing this index (pid {os.getpid()} on {socket.gethostname()}" in result.stderr


# --- item 10: no quiet losses -------------------------------------------------------------------


def test_ragged_csv_rows_are_reported_with_their_line_and_keep_their_values(
    store: ChunkStore, encoders: dict, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "table.csv").write_text(
        "program,city\nKyoto exchange,Kyoto\nBusan camp,Busan,extra-value-77\n", encoding="utf-8"
    )
    stats = run_ingest([docs], store, encoders, progress=False)
    assert any(e.startswith(f"{docs / 'table.csv'}:3:") and "3 fields but the header has 2" in e for e in stats.errors)
    texts = " ".join(c.text for c in store.iter_chunks())
    assert "extra-value-77" in texts


def test_duplicate_ids_are_reported_with_both_line_numbers(store: ChunkStore, encoders: dict, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    record = '{"id": "same", "text": "The Kyoto exchange hosts twenty students each spring."}\n'
    (docs / "news.jsonl").write_text(record + "\n" + record, encoding="utf-8")
    stats = run_ingest([docs], store, encoders, progress=False)
    path = (docs / "news.jsonl").resolve()
    assert f"{path}:3: duplicate document id 'same', first seen at {path}:1 (skipped)" in stats.errors


def test_copied_programs_folder_still_ingests_cleanly(store: ChunkStore, encoders: dict, tmp_path: Path) -> None:
    shutil.copytree(PROGRAMS, tmp_path / "docs")
    stats = run_ingest([tmp_path / "docs"], store, encoders, progress=False)
    assert stats.ok and stats.added == 11
