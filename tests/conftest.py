"""Shared fixtures: the real packaged encoders, a real Chroma index of the bundled corpus plus
the test corpus, and an assistant with the extractive generator over it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.answer.chain import Assistant
from assistant.components import build_assistant, build_encoders, build_store
from assistant.settings import Settings, get_settings
from ingest.pipeline import run_ingest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
TEST_CORPUS = ROOT / "tests" / "data" / "corpus"
BAD_FILES = ROOT / "tests" / "data" / "bad"
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


MINILM_ONNX = "EXCHANGE_ASSISTANT_MINILM_ONNX_PATH"


@pytest.fixture(scope="session", autouse=True)
def minilm_onnx_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One MiniLM ONNX export per test session, shared by every data dir and subprocess (each
    fresh data dir would otherwise export its own, ~10 s)."""
    path = tmp_path_factory.getbasetemp() / "models" / "minilm.onnx"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(MINILM_ONNX, str(path))
        yield path


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, minilm_onnx_path: Path) -> Iterator[None]:
    """No setting leaks in from the developer's shell or .env; state goes to tmp_path."""
    for key in list(os.environ):
        if key.startswith(("EXCHANGE_ASSISTANT_", "SLACK_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("EXCHANGE_ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(MINILM_ONNX, str(minilm_onnx_path))
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"data_dir": data_dir, "generator": "extractive", "corpus_dir": CORPUS}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def encoders(minilm_onnx_path: Path) -> dict[str, object]:
    settings = Settings(data_dir=Path("/nonexistent"), minilm_onnx_path=minilm_onnx_path)
    return build_encoders(settings)  # type: ignore[return-value]


@pytest.fixture(scope="session")
def shared_index(tmp_path_factory: pytest.TempPathFactory, encoders: dict) -> Settings:
    """A persistent index of corpus/ and tests/data/corpus, built once per session. Read-only:
    tests that change an index build their own."""
    data_dir = tmp_path_factory.mktemp("shared-data")
    settings = make_settings(data_dir)
    store = build_store(settings, encoders)
    stats = run_ingest(
        [CORPUS, TEST_CORPUS], store, encoders, progress=False,
    )
    assert stats.ok, stats.errors
    return settings


@pytest.fixture(scope="session")
def chroma_client(shared_index: Settings) -> chromadb.api.ClientAPI:
    return chromadb.PersistentClient(
        path=str(shared_index.chroma_path), settings=ChromaSettings(anonymized_telemetry=False)
    )


@pytest.fixture(scope="session")
def assistant(shared_index: Settings, chroma_client: chromadb.api.ClientAPI, encoders: dict) -> Assistant:
    """The extractive assistant over the shared index (real encoders, real Chroma)."""
    return build_assistant(shared_index, client=chroma_client, encoders=encoders)


def assistant_with(settings: Settings, client: chromadb.api.ClientAPI, encoders: dict, **kwargs: object) -> Assistant:
    """An assistant over `settings` sharing the session's loaded models."""
    return build_assistant(settings, client=client, encoders=encoders, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def fresh_collection_settings(tmp_path: Path) -> Settings:
    """Settings with a unique collection in a fresh data dir, for tests that write an index."""
    return make_settings(tmp_path / "data", collection=f"t-{uuid.uuid4().hex[:8]}")
