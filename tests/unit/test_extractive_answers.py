"""The extractive generator picks the sentence that holds the kind of fact asked for: a listing
sentence for a list question, a count of listed items for a how-many, a date for a when."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fakes import KeywordHashEmbeddings, indexed

from assistant.answer.evidence import SentenceVectors
from assistant.answer.extractive import ExtractiveGenerator
from assistant.answer.generators import GenerationInput
from assistant.components import build_assistant
from assistant.index.retrieval import Passage


def request(question: str, kind: str, text: str, language: str = "en") -> GenerationInput:
    passage = Passage(chunk_id="d#0", doc_id="d", title="Sister cities", source="d", url=None, date=None,
                      language=language, text=text, score=1.0)
    encoder = KeywordHashEmbeddings()  # lexical: sentences sharing the question's words are close
    return GenerationInput(question=question, language=language, kind=kind,  # type: ignore[arg-type]
                           passages=[passage], evidence=[text], sentences=SentenceVectors(encoder),
                           query_vector=np.array(encoder.embed_query(question)))


SISTER = (
    "Sister city partnerships serve as a catalyst for international friendship in the world today. "
    "These partnerships aim at promoting cultural exchange, economic growth, and a deeper understanding. "
    "Sister city partnerships gained momentum in many countries after the war."
)


def test_list_question_is_answered_by_the_sentence_that_lists_alone() -> None:
    answer = ExtractiveGenerator().answer(
        request("What are sister city partnerships meant to promote?", "list", SISTER)
    )
    assert answer == (
        "These partnerships aim at promoting cultural exchange, economic growth, and a deeper understanding [1]."
    )


def test_two_listed_things_of_the_kind_asked_for_count_as_a_list() -> None:
    text = ("The training programme of the alliance would be a major effort for the alliance. "
            "It would partner with leading universities and vocational schools.")
    answer = ExtractiveGenerator().answer(
        request("What types of schools would the training programme of the alliance partner with?", "list", text)
    )
    assert "leading universities and vocational schools" in answer
    assert "major effort" not in answer


def test_when_question_is_not_answered_by_the_verb_may() -> None:
    text = ("The sister city movement may gain new members in many regions. "
            "The sister city movement gained momentum in the mid-20th century, after the war.")
    answer = ExtractiveGenerator().answer(request("When did the sister city movement gain momentum?", "date", text))
    assert answer.startswith("The sister city movement gained momentum in the mid-20th century")


def test_how_many_is_the_count_of_the_listed_things_it_counts() -> None:
    text = ("The event gathered over 1,000 attendees from government, enterprises and social sectors. "
            "It was a cultural event.")
    answer = ExtractiveGenerator().answer(
        request("The attendees of the event came from how many sectors?", "number", text)
    )
    assert answer.startswith("Three: The event gathered over 1,000 attendees")


def test_how_many_is_not_answered_by_a_list_of_other_things() -> None:
    text = ("The alliance would share best practices, knowledge, and resources among its member parks. "
            "The alliance is a proposal of the article.")
    answer = ExtractiveGenerator().answer(
        request("How many cultural industry parks have joined the alliance?", "number", text)
    )
    assert "Three" not in answer and not answer.startswith("3")


def test_french_how_many_counts_the_listed_sectors_in_french(tmp_path: Path) -> None:
    index = indexed(tmp_path, {"lianyungang.txt": (
        "Coopération Lianyungang Kazakhstan\n\n"
        "Depuis 2014, la coopération entre Lianyungang et le Kazakhstan s'est épanouie dans de multiples "
        "secteurs, y compris l'éducation, la culture et la santé. Le centre logistique a ouvert en mai 2014."
    )})
    assistant = build_assistant(index.settings, client=index.client, encoders=index.encoders)
    answer = assistant.answer(
        "Combien de secteurs de la coopération entre Lianyungang et le Kazakhstan l'article cite-t-il ?"
    )
    assert not answer.refused
    assert answer.answer.startswith("Trois : Depuis 2014, la coopération")
