"""Answers from the real pipeline (real encoders, real Chroma, extractive generator)."""

from __future__ import annotations

import re

import pytest

from assistant.answer.chain import Assistant
from assistant.models import Filters

TIANJIN = "004_9bc1640c6c35c08d"
KAZAKHSTAN_FR = "002_33c8dbfd173f49bb"


def markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def test_answer_cites_the_source_that_holds_the_fact(assistant: Assistant) -> None:
    answer = assistant.answer("How many people attended the Tianjin-Qinghai cultural and tourism event?")
    assert not answer.refused
    assert "1,000" in answer.answer
    assert answer.citations[0].doc_id == TIANJIN
    assert "1,000 attendees" in answer.citations[0].quote


def test_every_marker_maps_to_a_numbered_source_object(assistant: Assistant) -> None:
    answer = assistant.answer("What does the Busan Summer Language Camp offer and who hosts it?")
    assert not answer.refused
    numbers = markers(answer.answer)
    assert numbers, answer.answer
    assert sorted(set(numbers)) == [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for source in answer.citations:
        assert source.doc_id and source.title and source.quote and source.chunk_id.startswith(source.doc_id)


def test_missing_fact_about_a_known_programme_is_refused_naming_what_the_documents_cover(
    assistant: Assistant,
) -> None:
    answer = assistant.answer("What is the deadline to apply for the Tianjin–Qinghai youth exchange grant?")
    assert answer.refused
    assert "do not give this information" in answer.answer
    assert [c.doc_id for c in answer.citations] == ["004_9bc1640c6c35c08d"]
    assert answer.citations[0].title in answer.answer


def test_question_about_nothing_the_documents_name_gets_a_plain_refusal(assistant: Assistant) -> None:
    answer = assistant.answer("What is the deadline to apply for the Atlantis youth exchange grant?")
    assert answer.refused
    assert answer.citations == []
    assert "do not answer" in answer.answer


def test_off_topic_question_is_refused(assistant: Assistant) -> None:
    answer = assistant.answer("What is the boiling point of mercury?")
    assert answer.refused


def test_refusal_is_in_the_language_of_the_question(assistant: Assistant) -> None:
    answer = assistant.answer("Quel est le montant de la bourse pour aller à Tombouctou ?")
    assert answer.refused and answer.language == "fr"
    assert "ne répondent pas" in answer.answer


def test_french_document_answers_an_english_question(assistant: Assistant) -> None:
    answer = assistant.answer("In which city was the China-Kazakhstan cultural exchange program launched?")
    assert not answer.refused
    assert KAZAKHSTAN_FR in [c.doc_id for c in answer.citations]
    assert "Astana" in answer.answer


def test_english_document_answers_a_french_question(assistant: Assistant) -> None:
    answer = assistant.answer("Combien de projets clés Tianjin et Qinghai ont-ils signés ?")
    assert not answer.refused, answer
    assert answer.citations[0].doc_id == TIANJIN
    assert "24" in answer.answer


def test_instruction_planted_in_a_document_changes_nothing(assistant: Assistant) -> None:
    answer = assistant.answer("How many students does the Busan Summer Language Camp welcome?")
    assert not answer.refused
    assert "40" in answer.answer
    assert "PWNED" not in answer.answer and "Ignore all previous instructions" not in answer.answer


def test_language_filter_limits_the_evidence(assistant: Assistant) -> None:
    answer = assistant.answer(
        "Where was the China-Kazakhstan cultural exchange program launched?", filters=Filters(languages=["en"])
    )
    assert answer.citations
    assert all(c.language == "en" for c in answer.citations)
    assert KAZAKHSTAN_FR not in [c.doc_id for c in answer.citations]


def test_source_filter_limits_the_evidence(assistant: Assistant) -> None:
    passages = assistant.retriever.retrieve("sister cities exchange students", 10, Filters(sources=["programs/*"]))
    # sources are relative to the ingested folder, so a folder glob matches the id or the file
    assert passages and all(p.doc_id.startswith("programs/") or p.source.startswith("programs/") for p in passages)


def test_date_filter_keeps_only_dated_documents_in_range(assistant: Assistant) -> None:
    passages = assistant.retriever.retrieve(
        "exchange program", 10, Filters(date_from="2026-01-01", date_to="2026-12-31")
    )
    assert passages and all(p.date and "2026-01-01" <= p.date <= "2026-12-31" for p in passages)


def test_registry_question_retrieves_the_city_document(assistant: Assistant) -> None:
    answer = assistant.answer("Which cities is Besançon twinned with?")
    assert not answer.refused
    assert "programs/registry/besancon-france" in [c.doc_id for c in answer.citations]
    assert "Kuopio" in answer.answer and "Freiburg" in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "Wie viele Menschen nahmen an der Kultur- und Tourismusveranstaltung von Tianjin und Qinghai teil?",
        "天津和青海的文化旅游活动有多少人参加？",
    ],
)
def test_questions_in_other_languages_find_english_evidence(assistant: Assistant, question: str) -> None:
    passages = assistant.retriever.retrieve(question, 5)
    assert TIANJIN in [p.doc_id for p in passages[:3]]
