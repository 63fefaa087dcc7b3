"""The refusal decisions, apart from any model."""

from __future__ import annotations

from assistant.answer.prompts import NOT_FOUND
from assistant.answer.refusal import RefusalPolicy
from assistant.index.retrieval import Passage, Retrieval

POLICY = RefusalPolicy(min_relevance=0.46, min_relevance_crosslingual=0.35)


def passage(language: str, relevance: float, text: str = "text", title: str = "") -> Passage:
    return Passage(chunk_id="d#0", doc_id="d", title=title, source="d", url=None, date=None, language=language,
                   text=text, relevance=relevance)


def test_each_passage_is_held_to_the_threshold_of_its_language_pair() -> None:
    assert not POLICY.has_evidence(Retrieval("q", "fr", [passage("fr", 0.40)]))
    assert POLICY.has_evidence(Retrieval("q", "fr", [passage("en", 0.40)]))


def test_a_passage_naming_everything_the_question_names_is_evidence_enough() -> None:
    retrieval = Retrieval("q", "en", [passage("en", 0.1, "Nancy is twinned with Karlsruhe.")], known_names=["Nancy"])
    assert POLICY.has_evidence(retrieval)
    assert POLICY.topic(retrieval) is None  # no title to name
    titled = Retrieval("q", "en", [passage("en", 0.1, "Nancy is twinned.", "Sister cities of Nancy")], known_names=["Nancy"])
    assert POLICY.topic(titled).title == "Sister cities of Nancy"


def test_not_found_with_padding_is_still_not_found_but_an_answer_mentioning_it_is_not() -> None:
    assert POLICY.said_not_found(f" {NOT_FOUND}.")
    assert not POLICY.said_not_found(f"Over 1,000 people attended the Tianjin event [1]. {NOT_FOUND}")


def test_answer_citing_only_another_programme_is_a_near_miss() -> None:
    assert POLICY.near_miss(["Shanghai"], [passage("en", 0.9, "Tianjin hosted Qinghai.")])
    assert not POLICY.near_miss(["Tianjin"], [passage("en", 0.9, "Tianjin hosted Qinghai.")])
