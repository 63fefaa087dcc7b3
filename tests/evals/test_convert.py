"""Converters from the public QA sets to eval datasets plus a corpus file to ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.convert import convert_squad_v2, convert_xquad
from evals.dataset import DatasetError, load_dataset

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "shared"
    for lang, text, question, answer in (
        ("en", "Rollo gave the settlers a common identity.", "Who gave the settlers an identity?", "Rollo"),
        (
            "de",
            "Rollo gab den Siedlern eine Identität.",
            "Wer gab den Siedlern eine Identität?",
            "Rollo der Wikinger",
        ),
    ):
        _jsonl(
            root / "xquad" / f"corpus.{lang}.jsonl", [{"id": "Normans#0", "title": "Normans", "text": text}]
        )
        _jsonl(
            root / "xquad" / f"dev.{lang}.jsonl",
            [
                {
                    "id": "q1",
                    "question": question,
                    "lang": lang,
                    "answers": [answer],
                    "answerable": True,
                    "gold_ids": ["Normans#0"],
                }
            ],
        )
    _jsonl(
        root / "squad-v2" / "corpus.en.jsonl",
        [{"id": "Oil#0", "title": "Oil", "text": "The crisis began in 1973."}],
    )
    _jsonl(
        root / "squad-v2" / "dev.en.jsonl",
        [
            {
                "id": "s1",
                "question": "When did it begin?",
                "lang": "en",
                "answers": ["1973", "1973"],
                "answerable": True,
                "gold_ids": ["Oil#0"],
            },
            {
                "id": "s2",
                "question": "When did it end?",
                "lang": "en",
                "answers": [],
                "answerable": False,
                "gold_ids": ["Oil#0"],
            },
        ],
    )
    return root


def test_xquad_cross_lingual_run_keeps_gold_ids_and_adds_corpus_language_answers(
    data_root: Path, tmp_path: Path
) -> None:
    done = convert_xquad(data_root, tmp_path / "work", question_lang="de", corpus_lang="en")
    [record] = load_dataset(done.dataset)
    assert record.kind == "crosslingual"
    assert record.lang == "de"
    assert record.gold_ids == ["Normans#0"]
    assert record.answers == ["Rollo der Wikinger", "Rollo"]
    corpus = [json.loads(line) for line in done.corpus.read_text().splitlines()]
    assert corpus == [
        {
            "id": "Normans#0",
            "title": "Normans",
            "text": "Rollo gave the settlers a common identity.",
            "lang": "en",
        }
    ]


def test_xquad_same_language_run_is_factoid(data_root: Path, tmp_path: Path) -> None:
    done = convert_xquad(data_root, tmp_path / "work", question_lang="en")
    assert [r.kind for r in load_dataset(done.dataset)] == ["factoid"]
    assert done.corpus.name == "corpus.en.jsonl"


def test_squad_v2_unanswerable_questions_have_no_answers_or_gold(data_root: Path, tmp_path: Path) -> None:
    done = convert_squad_v2(data_root, tmp_path / "work")
    answerable, impossible = load_dataset(done.dataset)
    assert answerable.answers == ["1973"]
    assert answerable.gold_ids == ["Oil#0"]
    assert impossible.kind == "unanswerable"
    assert impossible.gold_ids == []
    assert impossible.answers == []


def test_converter_names_a_missing_input(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"dev\.fr\.jsonl|language 'fr'"):
        convert_xquad(tmp_path, tmp_path / "work", question_lang="fr")


@pytest.mark.skipif(not (SHARED / "xquad").is_dir(), reason="shared data not present")
def test_real_xquad_gold_paragraphs_are_parallel_across_languages(tmp_path: Path) -> None:
    de = load_dataset(convert_xquad(SHARED, tmp_path / "de", "de", "en").dataset)
    en_ids = {
        json.loads(line)["id"] for line in (SHARED / "xquad" / "corpus.en.jsonl").read_text().splitlines()
    }
    assert len(de) == 480
    assert all(g in en_ids for r in de for g in r.gold_ids)
