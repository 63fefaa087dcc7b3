"""Loading and validating eval datasets: every bad line is reported with file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.dataset import DatasetError, load_dataset

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "id": "t-001",
    "question": "Where was it launched?",
    "lang": "en",
    "answers": ["Astana"],
    "answerable": True,
    "gold_ids": ["002_33c8dbfd173f49bb"],
    "kind": "factoid",
}


def _write(tmp_path: Path, *records: object) -> Path:
    path = tmp_path / "set.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("shipped", sorted(p.name for p in (ROOT / "evals" / "datasets").glob("*.jsonl")))
def test_shipped_datasets_are_valid(shipped: str) -> None:
    assert load_dataset(ROOT / "evals" / "datasets" / shipped)


def test_limit_keeps_the_first_questions(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD, {**GOOD, "id": "t-002"}, {**GOOD, "id": "t-003"})
    assert [r.id for r in load_dataset(path, limit=2)] == ["t-001", "t-002"]


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        ({**GOOD, "kind": "trivia"}, "kind", "is not one of"),
        ({k: v for k, v in GOOD.items() if k != "lang"}, "lang", "missing"),
        ({**GOOD, "answers": "Astana"}, "answers", "list of non-empty strings"),
        ({**GOOD, "answerable": "yes"}, "answerable", "true or false"),
        ({**GOOD, "question": "  "}, "question", "non-empty string"),
        ({**GOOD, "notes": 3}, "notes", "must be a string"),
        ({**GOOD, "history": [{"role": "robot", "content": "hi"}]}, "history", "must be a list of"),
        ({**GOOD, "history": "earlier question"}, "history", "must be a list of"),
        ({**GOOD, "answers": []}, "answers", "at least one answer"),
        ({**GOOD, "answerable": False}, "answers", "must be []"),
        ({**GOOD, "kind": "unanswerable", "answers": [], "gold_ids": []}, "answerable", "must be false"),
        ({**GOOD, "kind": "yesno", "answers": ["maybe"]}, "answers", "yes"),
    ],
)
def test_a_bad_record_is_reported_with_file_line_and_field(
    tmp_path: Path, bad: dict, field: str, reason: str
) -> None:
    path = _write(tmp_path, GOOD, bad)
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:2: field '{field}'")
    assert reason in message


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD, "", '{"id": "x",')
    with pytest.raises(DatasetError, match=rf"{path.name}:3: is not valid JSON"):
        load_dataset(path)


def test_a_repeated_id_names_both_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD, GOOD)
    with pytest.raises(DatasetError, match=r":2: field 'id': 't-001' repeats line 1"):
        load_dataset(path)


def test_a_missing_file_is_an_invalid_input_error(tmp_path: Path) -> None:
    from assistant.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="cannot be read"):
        load_dataset(tmp_path / "nope.jsonl")


def test_notes_and_extra_fields_are_accepted_and_kind_defaults_to_factoid(tmp_path: Path) -> None:
    draft = {k: v for k, v in GOOD.items() if k != "kind"}
    draft.update(answers=[], notes="UNKNOWN: the expected answer", source="feedback")
    [record] = load_dataset(_write(tmp_path, draft))
    assert (record.kind, record.is_draft, record.notes) == ("factoid", True, "UNKNOWN: the expected answer")


def test_a_conversation_before_the_question_is_read_as_its_history(tmp_path: Path) -> None:
    turns = [{"role": "user", "content": "Which programme was launched in Astana?"},
             {"role": "assistant", "content": "The China-Kazakhstan programme [1]."}]
    [record] = load_dataset(_write(tmp_path, {**GOOD, "question": "When was it launched?", "history": turns}))
    assert [(t.role, t.content) for t in record.history] == [(t["role"], t["content"]) for t in turns]
