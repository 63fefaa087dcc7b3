"""The support check: what a cited passage must contain for a sentence to keep its citation."""

from __future__ import annotations

from fakes import KeywordHashEmbeddings

from assistant.answer.evidence import SentenceVectors
from assistant.answer.support import SupportChecker

PASSAGE = "Tianjin and Qinghai hosted an event on May 29 with over 1,000 attendees. Performers wore costumes."


def test_a_sentence_of_markers_only_supports_nothing() -> None:
    assert SupportChecker(None).check([("[1]", PASSAGE), (",, [1][2]", PASSAGE), ("Yes. [1]", PASSAGE)]) == [
        False, False, False,
    ]


def test_a_number_the_passage_does_not_state_is_unsupported() -> None:
    checker = SupportChecker(None)
    assert checker.check([("Over 1,000 attendees came to the event [1].", PASSAGE)]) == [True]
    assert checker.check([("Over 2,000 attendees came to the event [1].", PASSAGE)]) == [False]


def test_paraphrase_is_decided_by_sentence_similarity_with_each_sentence_embedded_once() -> None:
    encoder = KeywordHashEmbeddings()
    checker = SupportChecker(encoder, min_overlap=0.9, min_similarity=0.3)
    vectors = SentenceVectors(encoder)
    claims = [("The performers wore costumes at Tianjin [1].", PASSAGE), ("Costumes were worn by performers [1].", PASSAGE)]
    assert checker.check(claims, vectors) == [True, True]
    embedded = [text for call in encoder.calls for text in call]
    assert len(embedded) == len(set(embedded))  # each passage sentence embedded at most once
