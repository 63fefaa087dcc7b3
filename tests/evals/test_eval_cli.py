"""`exchange-assistant eval` end to end: real encoders, real Chroma under the data dir, reports
written, the eval collection reused on a second run, a baseline compared, bad input exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "tests" / "data" / "corpus" / "programs"
QUESTIONS = [
    {
        "id": "t-1",
        "question": "How many students does the Busan Summer Language Camp welcome?",
        "lang": "en",
        "answers": ["40"],
        "answerable": True,
        "gold_ids": ["busan-summer-camp"],
        "kind": "numeric",
    },
    {
        "id": "t-2",
        "question": "How much is each Lyon–Beijing scholarship worth?",
        "lang": "en",
        "answers": ["4,500 euros"],
        "answerable": True,
        "gold_ids": ["lyon-beijing-scholarship"],
        "kind": "numeric",
    },
    {
        "id": "t-3",
        "question": "What is the visa fee for the Busan camp?",
        "lang": "en",
        "answers": [],
        "answerable": False,
        "gold_ids": [],
        "kind": "unanswerable",
    },
]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return path


def _eval(dataset: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "eval",
            "--corpus",
            str(PROGRAMS / "busan-summer-camp.txt"),
            "--corpus",
            str(PROGRAMS / "lyon-beijing-scholarship.md"),
            "--dataset",
            str(dataset),
            "--generator",
            "extractive",
            "--out",
            str(out),
            *extra,
        ]
    )


@pytest.mark.slow
def test_eval_writes_reports_reuses_its_index_and_compares_with_a_baseline(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(dataset, tmp_path / "first") == 0
    first = json.loads((tmp_path / "first" / "report.json").read_text())
    assert {p.name for p in (tmp_path / "first").iterdir()} == {"report.json", "report.md", "report.html"}
    assert first["n"] == {**first["n"], "total": 3, "answerable": 2, "with_gold": 2}
    assert first["retrieval"]["recall@10"] == 1.0
    assert first["config"]["corpus"]["ingested"] is True
    assert first["config"]["corpus"]["collection"].startswith("eval-")
    assert first["config"]["generator"] == "extractive"
    assert (tmp_path / "data" / "evals" / "chroma").is_dir()  # not the user's index
    assert "3 questions: recall@5" in capsys.readouterr().out

    assert _eval(dataset, tmp_path / "second", "--baseline", str(tmp_path / "first" / "report.json")) == 0
    second = json.loads((tmp_path / "second" / "report.json").read_text())
    assert second["config"]["corpus"]["ingested"] is False
    assert second["config"]["corpus"]["collection"] == first["config"]["corpus"]["collection"]
    assert second["delta"]["retrieval"]["recall@10"] == 0.0
    assert second["delta"]["flips"]["correct_to_wrong"] == []
    assert second["delta"]["baseline"]["mismatch"] == []  # same questions, corpus and settings
    capsys.readouterr()

    # a run on fewer questions compared with the full baseline: warned loudly, not silently compared
    assert _eval(dataset, tmp_path / "third", "--limit", "1", "--baseline", str(tmp_path / "first" / "report.json")) == 0
    err = capsys.readouterr().err
    assert "WARNING: the baseline is not comparable: other questions: the baseline ran 3 questions" in err
    assert "this run 1" in err
    assert "baseline is not comparable" in (tmp_path / "third" / "report.html").read_text()


def test_eval_rejects_a_bad_dataset_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**QUESTIONS[0], "kind": "essay"}) + "\n", encoding="utf-8")
    assert _eval(bad, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert f"{bad}:1: field 'kind'" in err
    assert not (tmp_path / "out").exists()


def test_eval_names_a_missing_corpus(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["eval", "--corpus", str(tmp_path / "nowhere"), "--dataset", str(dataset), "--data", str(tmp_path)]
    )
    assert code == 2
    assert "--corpus" in capsys.readouterr().err


def test_eval_convert_writes_dataset_and_corpus_under_the_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "shared"
    (root / "squad-v2").mkdir(parents=True)
    (root / "squad-v2" / "corpus.en.jsonl").write_text(
        json.dumps({"id": "Oil#0", "title": "Oil", "text": "The crisis began in 1973."}) + "\n"
    )
    (root / "squad-v2" / "dev.en.jsonl").write_text(
        json.dumps(
            {
                "id": "s1",
                "question": "When?",
                "lang": "en",
                "answers": ["1973"],
                "answerable": True,
                "gold_ids": ["Oil#0"],
            }
        )
        + "\n"
    )
    assert main(["eval", "convert", "squad-v2", "--data", str(root)]) == 0
    work = tmp_path / "data" / "evals" / "work" / "squad-v2"
    assert (work / "squad-v2.en.jsonl").is_file()
    assert (work / "corpus.en.jsonl").is_file()
    assert "exchange-assistant eval --corpus" in capsys.readouterr().out
