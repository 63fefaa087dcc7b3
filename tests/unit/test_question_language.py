"""The language a question is answered in: short questions that the identifier finds ambiguous
between a language the assistant answers in and a neighbour go to the answered language; text
clearly in another language keeps it."""

from __future__ import annotations

import pytest

from assistant.text.language import detect_language


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Que signifie le sigle CCIPRA ?", "fr"),  # Italian 0.52 / French 0.37 for the identifier alone
        ("Combien de villes ?", "fr"),
        ("Wie lange dauert es?", "de"),
        ("¿Cuál es el plazo?", "es"),
        ("Is it open?", "en"),
        ("Qual è la scadenza del programma di scambio?", "it"),
        ("Qual é o prazo do programa de intercâmbio?", "pt"),
        ("交流项目的截止日期是什么时候？", "zh"),
    ],
)
def test_a_question_is_answered_in_its_language(question: str, language: str) -> None:
    assert detect_language(question) == language
