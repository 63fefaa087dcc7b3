"""Eval datasets: JSON Lines records, loaded and validated line by line.

A bad line raises DatasetError naming the file, the line and the field, e.g.
`evals/datasets/x.jsonl:7: field 'kind': 'trivia' is not one of factoid, list, ...`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict

from assistant.errors import InvalidInputError
from assistant.models import Turn
from evals.metrics import NO_WORDS, YES_WORDS

Kind = Literal["factoid", "list", "yesno", "numeric", "unanswerable", "multihop", "crosslingual"]
KINDS: tuple[str, ...] = get_args(Kind)
FIELDS = ("id", "question", "lang", "answers", "answerable", "gold_ids")  # required
OPTIONAL = ("kind", "notes", "history")  # kind defaults to factoid; notes: free text (what a draft leaves
# unknown); history: the conversation before the question, [{"role": "user"|"assistant", "content": ...}]


class DatasetError(InvalidInputError):
    """A dataset file or line that cannot be used; the message names file, line and field."""

    code = "invalid_dataset"


# Yes/no golds may be written in the question's language; they are read as "yes" / "no".
POLARITY = {
    **dict.fromkeys(YES_WORDS | {"sí", "是", "是的"}, "yes"),
    **dict.fromkeys(NO_WORDS | {"não", "否", "不", "不是"}, "no"),
}


class EvalRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    question: str
    lang: str
    answers: list[str]
    answerable: bool
    gold_ids: list[str]
    kind: Kind = "factoid"
    notes: str | None = None
    history: list[Turn] = []

    @property
    def is_draft(self) -> bool:
        """A draft (e.g. from feedback export) may leave the expected answer unknown; its notes say so."""
        return bool(self.notes)

    @property
    def is_yesno(self) -> bool:
        """Yes/no questions are scored by polarity, whatever their kind (e.g. multihop)."""
        return self.kind == "yesno" or (len(self.answers) == 1 and self.answers[0].lower() in POLARITY)

    @property
    def polarity(self) -> str | None:
        """'yes' or 'no' for a yes/no gold in any language."""
        return POLARITY.get(self.answers[0].strip().lower()) if len(self.answers) == 1 else None


def dataset_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_dataset(path: Path, limit: int | None = None) -> list[EvalRecord]:
    """Every record of `path`, validated; the first `limit` when given."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: is not valid UTF-8 (offset {exc.start})") from exc
    records: list[EvalRecord] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        record = parse_record(line, f"{path}:{lineno}")
        if record.id in seen:
            raise DatasetError(f"{path}:{lineno}: field 'id': '{record.id}' repeats line {seen[record.id]}")
        seen[record.id] = lineno
        records.append(record)
    if not records:
        raise DatasetError(f"{path}: holds no records")
    return records[:limit] if limit else records


def parse_record(line: str, where: str) -> EvalRecord:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: is not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(raw, dict):
        raise DatasetError(f"{where}: is not a JSON object")
    _check_fields(raw, where)
    record = EvalRecord.model_validate(raw)
    _check_consistency(record, where)
    return record


def _check_fields(raw: dict[str, Any], where: str) -> None:
    for name in FIELDS:
        if name not in raw:
            raise DatasetError(f"{where}: field '{name}': missing")
    if "notes" in raw and not isinstance(raw["notes"], str):
        raise DatasetError(f"{where}: field 'notes': must be a string")
    history = raw.get("history", [])
    if not isinstance(history, list) or not all(
        isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
        and t["content"].strip()
        for t in history
    ):
        raise DatasetError(
            f"{where}: field 'history': must be a list of {{\"role\": \"user\" or \"assistant\", \"content\": text}}"
        )
    for name in ("id", "question", "lang"):
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise DatasetError(f"{where}: field '{name}': must be a non-empty string")
    for name in ("answers", "gold_ids"):
        value = raw[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise DatasetError(f"{where}: field '{name}': must be a list of non-empty strings")
    if not isinstance(raw["answerable"], bool):
        raise DatasetError(f"{where}: field 'answerable': must be true or false")
    if raw.get("kind", "factoid") not in KINDS:
        raise DatasetError(f"{where}: field 'kind': {raw['kind']!r} is not one of {', '.join(KINDS)}")


def _check_consistency(record: EvalRecord, where: str) -> None:
    if record.kind == "unanswerable" and record.answerable:
        raise DatasetError(f"{where}: field 'answerable': must be false for kind 'unanswerable'")
    if record.answerable and not record.answers and not record.is_draft:
        raise DatasetError(
            f"{where}: field 'answers': an answerable question needs at least one answer "
            "(or 'notes' saying that it is unknown, for a draft)"
        )
    if not record.answerable and (record.answers or record.gold_ids):
        name = "answers" if record.answers else "gold_ids"
        raise DatasetError(f"{where}: field '{name}': must be [] when 'answerable' is false")
    if record.kind == "yesno" and record.polarity is None:
        raise DatasetError(
            f'{where}: field \'answers\': a yesno question has exactly one of "yes"/"no" '
            f"(or {', '.join(sorted(set(POLARITY) - {'yes', 'no'}))})"
        )
