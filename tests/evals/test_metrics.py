"""Eval metrics on hand-computed examples."""

from __future__ import annotations

import math

import pytest

from evals import metrics
from evals.dataset import EvalRecord
from evals.runner import score_answer


def test_gold_id_matches_exactly_or_as_trailing_path() -> None:
    assert metrics.gold_match("002_33c8dbfd173f49bb", "002_33c8dbfd173f49bb")
    assert metrics.gold_match("seeds/002_33c8dbfd173f49bb", "002_33c8dbfd173f49bb")
    assert not metrics.gold_match("seeds/x002_33c8dbfd173f49bb", "002_33c8dbfd173f49bb")
    assert not metrics.gold_match("002_33c8dbfd173f49bb/extra", "002_33c8dbfd173f49bb")


def test_chunks_of_one_document_count_once_in_rank_order() -> None:
    assert metrics.dedupe_documents(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]


def test_recall_at_k_counts_gold_documents_within_the_cutoff() -> None:
    ranking = ["x", "g1", "y", "z", "w", "g2"]
    assert metrics.recall_at(ranking, ["g1", "g2"], 1) == 0.0
    assert metrics.recall_at(ranking, ["g1", "g2"], 5) == 0.5
    assert metrics.recall_at(ranking, ["g1", "g2"], 10) == 1.0


def test_mrr_is_the_inverse_rank_of_the_first_gold_document() -> None:
    assert metrics.mrr_at(["x", "y", "g"], ["g"], 10) == pytest.approx(1 / 3)
    assert metrics.mrr_at(["g", "x"], ["g"], 10) == 1.0
    assert metrics.mrr_at(["x"] * 3 + ["g"], ["g"], 3) == 0.0


def test_ndcg_rewards_gold_documents_ranked_higher() -> None:
    # gold at ranks 1 and 3 of two gold docs: (1 + 1/log2(4)) / (1 + 1/log2(3))
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert metrics.ndcg_at(["g1", "x", "g2"], ["g1", "g2"], 10) == pytest.approx(expected)
    assert metrics.ndcg_at(["g1", "g2"], ["g1", "g2"], 10) == pytest.approx(1.0)
    assert metrics.ndcg_at(["x", "y"], ["g1"], 10) == 0.0


def test_retrieval_metrics_accept_suffix_matched_gold_ids() -> None:
    ranking = ["seeds/a", "corpus/002_x"]
    assert metrics.mrr_at(ranking, ["002_x"], 10) == 0.5


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("More than 1,000 students took part [1].", "1000"),
        ("Plus de 1 000 étudiants [2].", "1,000"),
        ("Mehr als 1.000 Studenten", "1 000"),
        ("The board has twelve members.", "12"),
        ("Il y a douze membres.", "12 membres"),
        ("It was held in ASTANA, Kazakhstan.", "Astana"),
        ("La Région Île-de-France finance", "region ile de france"),
        ("Up to $5,000 per student.", "$5,000"),
    ],
)
def test_answer_contains_gold_after_normalising_case_accents_punctuation_and_numbers(
    answer: str, gold: str
) -> None:
    assert metrics.contains_answer(answer, gold)


def test_answer_containment_needs_whole_words() -> None:
    assert not metrics.contains_answer("About 10000 people", "1000")
    assert not metrics.contains_answer("Yunnanese food", "Yunnan")


def test_answer_containment_in_chinese_ignores_spaces() -> None:
    assert metrics.contains_answer("该项目在 阿斯塔纳 启动。", "阿斯塔纳")


def test_list_f1_over_items_found_and_segments_that_hold_an_item() -> None:
    items = ["Art and Heritage", "Economic Partnerships", "Educational Initiatives"]
    # 2 of 3 items found; 3 segments (2 with an item) -> P=2/3, R=2/3, F1=2/3
    answer = "Art and Heritage [1], Economic Partnerships [1], and a festival [2]."
    assert metrics.list_f1(answer, items) == pytest.approx(2 / 3)
    assert metrics.list_f1("Nothing relevant.", items) == 0.0
    assert metrics.list_f1("Art and Heritage; Economic Partnerships; Educational Initiatives.", items) == 1.0


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Yes, the exchange includes students [1].", "yes"),
        ("Oui, une aide de 250 € [1].", "yes"),
        ("Ja.", "yes"),
        ("Sí, se celebró en Astana.", "yes"),
        ("是的，该项目包括学生。", "yes"),
        ("No, it does not [2].", "no"),
        ("Non.", "no"),
        ("Nein, das ist nicht der Fall.", "no"),
        ("不，没有。", "no"),
        ("The exchange includes students [1].", None),
    ],
)
def test_yes_no_polarity_is_read_from_the_opening_word(answer: str, expected: str | None) -> None:
    assert metrics.polarity(answer) == expected


def test_token_f1_is_squad_style_and_ignores_markers_and_articles() -> None:
    # pred tokens: [astana, kazakhstan]; gold: [astana] -> P=1/2, R=1 -> 2/3
    assert metrics.token_f1("The Astana, Kazakhstan [1].", "Astana") == pytest.approx(2 / 3)
    assert metrics.best_token_f1("Astana [1]", ["Almaty", "Astana"]) == 1.0
    assert metrics.token_f1("", "Astana") == 0.0


def test_refusal_scores_treat_refusing_unanswerable_questions_as_positives() -> None:
    refused = [True, True, False, False, True]
    answerable = [False, True, False, True, True]
    # tp=1 (q1), fp=2 (q2, q5), fn=1 (q3): P=1/3, R=1/2, F1=0.4; 2 of 3 answerable refused
    scores = metrics.refusal_scores(refused, answerable)
    assert scores["precision"] == pytest.approx(1 / 3)
    assert scores["recall"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(0.4)
    assert scores["false_refusals"] == {"count": 2, "rate": pytest.approx(2 / 3)}


def test_refusal_f1_is_undefined_without_unanswerable_questions() -> None:
    scores = metrics.refusal_scores([False, True], [True, True])
    assert scores["recall"] is None
    assert scores["f1"] is None
    assert scores["false_refusals"]["count"] == 1


def test_latency_percentiles_interpolate_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 1000.0]
    assert metrics.latency_summary(values) == {"p50": 30.0, "p95": 808.0, "max": 1000.0}


def _record(**fields: object) -> EvalRecord:
    base: dict[str, object] = {
        "id": "q",
        "question": "?",
        "lang": "en",
        "answers": ["Astana"],
        "answerable": True,
        "gold_ids": ["d"],
        "kind": "factoid",
    }
    base.update(fields)
    return EvalRecord.model_validate(base)


def test_a_refusal_is_wrong_for_answerable_and_right_for_unanswerable_questions() -> None:
    assert score_answer(_record(), "I cannot say.", refused=True) == 0.0
    unanswerable = _record(answers=[], gold_ids=[], answerable=False, kind="unanswerable")
    assert score_answer(unanswerable, "I cannot say.", refused=True) == 1.0
    assert score_answer(unanswerable, "It is Astana.", refused=False) == 0.0


def test_yes_no_questions_of_any_kind_are_scored_by_polarity() -> None:
    multihop = _record(answers=["no"], kind="multihop")
    assert score_answer(multihop, "No, they are different events [1].", refused=False) == 1.0
    assert score_answer(multihop, "Yes [1].", refused=False) == 0.0
