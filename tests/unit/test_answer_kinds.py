"""Answers shaped by the question's kind and language, with the model faked."""

from __future__ import annotations

import numpy as np
from fakes import KeywordHashEmbeddings
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.evidence import SentenceVectors
from assistant.answer.extractive import ExtractiveGenerator
from assistant.answer.generators import ChatModelGenerator, GenerationInput
from assistant.index.retrieval import Passage


def passage(text: str, language: str = "en") -> Passage:
    return Passage(chunk_id="d#0", doc_id="d", title="Tianjin and Qinghai", source="d", url=None, date=None,
                   language=language, text=text, score=1.0)


def request(question: str, kind: str, text: str, language: str = "en", passage_language: str = "en") -> GenerationInput:
    return GenerationInput(question=question, language=language, kind=kind,  # type: ignore[arg-type]
                           passages=[passage(text, passage_language)], evidence=[text])


COSTUMES = "Performers from Qinghai wearing ethnic costumes sang songs and danced at the Tianjin event."


def test_extractive_yes_no_answer_starts_with_yes_then_quotes_the_fact() -> None:
    answer = ExtractiveGenerator().answer(
        request("Did the Qinghai performers wear ethnic costumes at the Tianjin event?", "yesno", COSTUMES)
    )
    assert answer.startswith("Yes. Performers from Qinghai wearing ethnic costumes")
    assert answer.endswith("[1].")


def test_extractive_yes_no_answer_is_no_when_the_fact_negates_the_question() -> None:
    text = "Performers from Qinghai did not wear ethnic costumes at the Tianjin event this year."
    answer = ExtractiveGenerator().answer(
        request("Did the Qinghai performers wear ethnic costumes at the Tianjin event?", "yesno", text)
    )
    assert answer.startswith("No. ")


def test_extractive_yes_no_word_is_in_the_question_language() -> None:
    text = "Les artistes du Qinghai portaient des costumes ethniques lors de la soirée de Tianjin."
    answer = ExtractiveGenerator().answer(request(
        "Les artistes du Qinghai portaient-ils des costumes ethniques à Tianjin ?", "yesno", text, "fr", "fr"
    ))
    assert answer.startswith("Oui. ")


def prompt(req: GenerationInput) -> str:
    generator = ChatModelGenerator(GenericFakeChatModel(messages=iter([AIMessage(content="x")])), name="local")
    return str(generator.messages(req)[-1].content)


def test_french_question_over_english_documents_asks_for_a_french_translation() -> None:
    text = prompt(request("Qui a chanté à Tianjin ?", "who", COSTUMES, language="fr"))
    assert "Write the answer in French, translating what the documents say" in text
    english = prompt(request("Who sang in Tianjin?", "who", COSTUMES))
    assert "Write the answer in English." in english and "translating" not in english


def test_yes_no_prompt_asks_for_the_localized_word_first() -> None:
    text = prompt(request("Les artistes portaient-ils des costumes ?", "yesno", COSTUMES, language="fr"))
    assert 'Your first word must be "Oui" or "Non"' in text


def test_extractive_count_of_a_listed_set_is_the_number_of_its_items() -> None:
    text = ("The exchange program encompasses several key areas of collaboration:\n- Art and Heritage: exhibitions.\n"
            "- Economic Partnerships: trade.\n- Educational Initiatives: student exchanges.")
    answer = ExtractiveGenerator().answer(
        request("How many key areas of collaboration does the exchange program encompass?", "number", text)
    )
    assert answer == "3: Art and Heritage; Economic Partnerships; Educational Initiatives [1]."


def test_extractive_answer_to_a_french_question_from_an_english_page_is_framed_in_french() -> None:
    question = "Les performers du Qinghai portaient-ils des costumes ethniques à Tianjin ?"
    req = request(question, "yesno", COSTUMES, "fr", "en")
    encoder = KeywordHashEmbeddings()  # lexical: shares the names and the borrowed words
    req.sentences = SentenceVectors(encoder)
    req.query_vector = np.array(encoder.embed_query(question))
    answer = ExtractiveGenerator().answer(req)
    assert answer.startswith("Oui. D'après le document en anglais : « Performers from Qinghai wearing ethnic costumes")
    assert answer.endswith("» [1].")


def test_extractive_count_for_a_french_question_from_an_english_page_is_said_in_french() -> None:
    text = ("The exchange program encompasses several key areas of collaboration:\n- Art and Heritage: exhibitions.\n"
            "- Economic Partnerships: trade.\n- Educational Initiatives: student exchanges.")
    answer = ExtractiveGenerator().answer(request(
        "Combien de domaines de collaboration le programme d'échange comprend-il ?", "number", text, "fr", "en"
    ))
    assert answer == (
        "Le document en anglais en énumère 3 : « Art and Heritage; Economic Partnerships; Educational Initiatives » [1]."
    )


def test_a_framed_quote_is_supported_by_the_passage_it_quotes() -> None:
    from assistant.answer.support import SupportChecker

    checker = SupportChecker(None)
    assert checker.check([("D'après le document en anglais : « Performers from Qinghai wearing ethnic costumes "
                           "sang songs and danced at the Tianjin event » [1].", COSTUMES)]) == [True]
    assert checker.check([("D'après le document en anglais : « Performers from Lhasa wore masks "
                           "at the Tianjin event » [1].", COSTUMES)]) == [False]
