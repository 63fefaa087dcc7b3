"""Report writing: exact report.json keys, a self-contained HTML page, baseline deltas and flips."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evals.report import load_report, write_reports
from evals.runner import QuestionResult
from evals.summary import build_report, compare


def _result(
    qid: str, *, correct: bool, refused: bool = False, answerable: bool = True, **kw: object
) -> QuestionResult:
    fields: dict[str, object] = {
        "id": qid,
        "question": f"question {qid}?",
        "lang": "en",
        "kind": "factoid",
        "answerable": answerable,
        "gold_ids": ["doc-a"] if answerable else [],
        "answer": f"answer {qid} [1].",
        "refused": refused,
        "score": 1.0 if correct else 0.0,
        "correct": correct,
        "retrieved": ["doc-a", "doc-b"],
        "cited": ["doc-a"],
        "cited_sentences": 1,
        "supported_sentences": 1,
        "timings_ms": {"retrieve": 10.0, "generate": 20.0, "total": 30.0},
    }
    fields.update(kw)
    return QuestionResult(**fields)  # type: ignore[arg-type]


def _results() -> list[QuestionResult]:
    return [
        _result("q1", correct=True),
        _result("q2", correct=False, retrieved=["doc-b", "doc-a"], lang="fr"),
        _result(
            "q3",
            correct=True,
            refused=True,
            answerable=False,
            kind="unanswerable",
            cited=[],
            cited_sentences=0,
            supported_sentences=0,
        ),
        _result("q4", correct=False, refused=True, cited=[], cited_sentences=0, supported_sentences=0),
    ]


CONFIG = {"dataset": "evals/datasets/x.jsonl", "generator": "extractive", "k": 5, "git_commit": "abc1234"}


def test_report_json_has_the_exact_keys_other_tools_read(tmp_path: Path) -> None:
    paths = write_reports(build_report(_results(), CONFIG), tmp_path)
    report = json.loads(paths["json"].read_text())
    assert set(report["retrieval"]) == {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"}
    assert {"accuracy", "token_f1"} <= set(report["answers"])
    assert {"precision", "recall", "supported"} <= set(report["citations"])
    assert set(report["refusal"]) == {"precision", "recall", "f1", "false_refusals"}
    assert set(report["refusal"]["false_refusals"]) == {"count", "rate"}
    assert set(report["latency_ms"]) == {"retrieve", "generate", "total"}
    assert set(report["latency_ms"]["total"]) == {"p50", "p95", "max"}
    assert set(report["by_lang"]) == {"en", "fr"}
    assert set(report["by_kind"]) == {"factoid", "unanswerable"}
    assert report["by_lang"]["fr"]["retrieval"]["mrr@10"] == 0.5
    assert report["n"]["total"] == 4
    assert report["n"]["answerable"] == 3
    assert report["n"]["with_gold"] == 3
    assert report["n"]["by_kind"] == {"factoid": 3, "unanswerable": 1}
    assert report["config"] == CONFIG


def test_report_figures_follow_from_the_questions() -> None:
    report = build_report(_results(), CONFIG)
    assert report["retrieval"]["recall@1"] == pytest.approx(2 / 3)
    assert report["answers"]["accuracy"] == 0.5
    assert report["refusal"]["precision"] == 0.5
    assert report["refusal"]["recall"] == 1.0
    assert report["refusal"]["false_refusals"] == {"count": 1, "rate": pytest.approx(1 / 3)}
    assert report["citations"]["recall"] == pytest.approx(2 / 3)


def test_html_report_is_self_contained_with_inline_charts(tmp_path: Path) -> None:
    html = write_reports(build_report(_results(), CONFIG), tmp_path)["html"].read_text()
    assert "<svg" in html
    assert "<rect" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "<script src" not in html
    assert "<link" not in html
    assert "@import" not in html


def test_markdown_report_lists_every_figure(tmp_path: Path) -> None:
    md = write_reports(build_report(_results(), CONFIG), tmp_path)["md"].read_text()
    assert "| retrieval.recall@5 |" in md
    assert "| refusal.false_refusals.rate |" in md


def test_baseline_comparison_gives_deltas_and_flipped_questions(tmp_path: Path) -> None:
    baseline_path = write_reports(build_report(_results(), CONFIG), tmp_path / "before")["json"]
    now = _results()
    now[0] = _result("q1", correct=False)  # correct -> wrong
    now[1] = _result("q2", correct=True, retrieved=["doc-b", "doc-a"], lang="fr")  # wrong -> correct
    now[3] = _result("q4", correct=False)  # no longer refused
    report = build_report(now, CONFIG)
    report["delta"] = compare(report, load_report(baseline_path))
    delta = report["delta"]
    assert delta["answers"]["accuracy"] == 0.0
    assert delta["refusal"]["false_refusals"]["count"] == -1
    assert delta["by_lang"]["fr"]["answers"]["accuracy"] == 1.0
    assert [q["id"] for q in delta["flips"]["correct_to_wrong"]] == ["q1"]
    assert [q["id"] for q in delta["flips"]["wrong_to_correct"]] == ["q2"]
    assert [q["id"] for q in delta["flips"]["no_longer_refused"]] == ["q4"]
    assert delta["flips"]["newly_refused"] == []
    paths = write_reports(report, tmp_path / "after")
    md = paths["md"].read_text()
    assert "▼ -1" in md  # false refusals went down
    assert "correct to wrong** (1): q1" in md
    assert "class='good'" in paths["html"].read_text()


def test_a_file_that_is_not_a_report_is_rejected_as_baseline(tmp_path: Path) -> None:
    from assistant.errors import InvalidInputError

    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(InvalidInputError, match="not an eval report"):
        load_report(path)


def test_report_gives_the_share_of_answers_written_in_the_question_language() -> None:
    results = [
        _result("q1", correct=True, lang="fr", answer_language="fr"),
        _result("q2", correct=True, lang="fr", answer_language="en"),
        _result("q3", correct=False, refused=True, lang="fr"),  # a refusal is not counted
    ]
    report = build_report(results, CONFIG)
    assert report["answers"]["in_question_language"] == 0.5
    assert report["by_lang"]["fr"]["answers"]["in_question_language"] == 0.5
