"""`feedback export`: every 👍/👎 becomes a draft eval case that `eval` accepts, whose notes say
what the feedback leaves unknown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.storage.db import build_engine
from assistant.storage.feedback import FeedbackStore
from evals.dataset import load_dataset

CITED = [{"doc_id": "004_9bc1640c6c35c08d", "n": 1}]


def test_each_kind_of_feedback_becomes_a_valid_draft_saying_what_is_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"  # the autouse fixture's EXCHANGE_ASSISTANT_DATA_DIR
    data.mkdir(exist_ok=True)
    store = FeedbackStore(build_engine(f"sqlite:///{data / 'assistant.sqlite3'}"))
    rows = [
        ("up", False, "How many attended the Tianjin event?", "Over 1,000 attended [1].", CITED),
        ("up", True, "Who won the 1998 world cup?", "The documents do not answer this question.", []),
        ("down", True, "Which cities are twinned with Nancy?", "The documents do not answer this question.", []),
        ("down", False, "When is the Kyoto deadline?", "In May [1].", CITED),
    ]
    for rating, refused, question, answer, citations in rows:
        store.add(channel="widget", rating=rating, question=question, answer=answer, citations=citations,
                  refused=refused)
    out = tmp_path / "drafts.jsonl"
    assert main(["feedback", "export", "--out", str(out)]) == 0
    cases = {c["question"]: c for c in map(json.loads, out.read_text().splitlines())}
    loaded = {r.question: r for r in load_dataset(out)}  # what `eval --dataset` reads: all valid
    assert set(loaded) == set(cases)

    up = cases["How many attended the Tianjin event?"]
    assert (up["answerable"], up["gold_ids"], up["answers"]) == (True, ["004_9bc1640c6c35c08d"], [])
    assert "UNKNOWN: the short expected answer" in up["notes"]

    agreed = cases["Who won the 1998 world cup?"]
    assert (agreed["answerable"], agreed["kind"]) == (False, "unanswerable")

    wanted = cases["Which cities are twinned with Nancy?"]  # 👎 on a refusal: should have answered
    assert (wanted["answerable"], wanted["kind"], wanted["answers"]) == (True, "factoid", [])
    assert "UNKNOWN: the answer and the document holding it" in wanted["notes"]

    wrong = cases["When is the Kyoto deadline?"]
    assert wrong["gold_ids"] == []  # the cited document may be the wrong one
    assert "whether the documents answer this at all" in wrong["notes"] and "In May" in wrong["notes"]
