"""Yes/no answers decided by the evidence, not by the model's lean: the whole chain over a real
Chroma index with lexical fake embeddings, and a scripted chat model."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import ScriptedIndex, indexed

FESTIVAL = """# Lakeside and Hillton hold a twinning festival

Lakeside and Hillton hosted a twinning festival at the Lakeside Riverside Theatre on May 29, with over 400 guests.
The two towns signed agreements on student exchanges and joint tourism campaigns.
Performers from Hillton wearing traditional costumes sang songs and danced for the guests.
Twinning links unite towns from different countries with the aim of promoting cultural exchange.
"""


@pytest.fixture
def index(tmp_path: Path) -> ScriptedIndex:
    return indexed(tmp_path, {"festival.md": FESTIVAL})


def test_a_yes_that_the_passage_places_elsewhere_becomes_no_with_the_fact(index) -> None:
    bot = index.assistant("Yes. The twinning festival was held in Hillton [1].")
    answer = bot.answer("Was the Lakeside and Hillton twinning festival held in Hillton?")
    assert answer.answer.startswith("No. Lakeside and Hillton hosted a twinning festival at the Lakeside Riverside")
    assert "was held in Hillton" not in answer.answer
    assert not answer.refused and answer.citations


def test_a_bare_yes_that_the_passage_contradicts_becomes_no(index) -> None:
    bot = index.assistant("Yes [1]")
    answer = bot.answer("Are twinning links arrangements between towns of the same country?")
    assert answer.answer.startswith("No. Twinning links unite towns from different countries")


def test_a_yes_the_passage_confirms_stays_yes(index) -> None:
    bot = index.assistant("Yes. Performers from Hillton wore traditional costumes [1].")
    answer = bot.answer("Did the Hillton performers wear traditional costumes at the festival?")
    assert answer.answer.startswith("Yes. Performers from Hillton wore traditional costumes")


def test_a_yes_whose_own_fact_is_unsupported_stands_on_the_passage_sentence_that_states_it(index) -> None:
    bot = index.assistant("Yes. Hillton performers benefit from festival costume grants according to the article [1].")
    answer = bot.answer("Did the Hillton performers wear traditional costumes at the festival?")
    assert answer.answer.startswith("Yes. Performers from Hillton wearing traditional costumes sang songs")
    assert "grants" not in answer.answer


def test_a_yes_that_nothing_in_the_passage_states_is_refused(index) -> None:
    bot = index.assistant("Yes. Hillton received festival grants from the national lottery [1].")
    answer = bot.answer("Did Hillton receive festival grants from the national lottery?")
    assert answer.refused
    assert not answer.answer.startswith("Yes")
