"""Questions about two things ("Do both A and B ...?") answered part by part, each from the
document about it: the whole chain over a real Chroma index with lexical fake embeddings, and a
scripted chat model."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import ScriptedIndex, indexed

LAKESIDE = """# Lakeside and Hillton hold a twinning festival

Lakeside and Hillton hosted a twinning festival at the Lakeside Riverside Theatre on May 29.
The festival was a regional exchange between two towns of one province, with joint tourism campaigns.
Performers from Hillton wearing traditional costumes sang songs and danced for the guests.
The festival welcomed visiting families from both towns.
"""
BROOKVALE = """# Brookvale opens a pottery school with Tamsor

The Brookvale pottery school welcomes visiting apprentices from Tamsor, a town abroad.
Its international workshops teach glazing, throwing and kiln firing to visiting apprentices.
The school offers evening classes for adults next spring.
"""


@pytest.fixture
def index(tmp_path: Path) -> ScriptedIndex:
    return indexed(tmp_path, {"lakeside.md": LAKESIDE, "brookvale.md": BROOKVALE}, top_k=1)


def test_each_part_of_a_two_part_question_gets_the_document_about_it(index) -> None:
    bot = index.assistant("NOT_FOUND")
    seen: list[list[str]] = []
    stream = bot.generator.stream

    def recording(request):  # type: ignore[no-untyped-def]
        seen.append([p.doc_id for p in request.passages])
        return stream(request)

    bot.generator.stream = recording  # type: ignore[method-assign]
    bot.answer("Do both the Lakeside festival and the Brookvale pottery school teach crafts?")
    # top_k=1 finds one document; the search per part adds the other one's passage
    assert len(seen) == 1 and {d.split(".")[0] for d in seen[0]} == {"lakeside", "brookvale"}


def test_a_both_question_one_part_of_which_is_contradicted_is_answered_no(index) -> None:
    bot = index.assistant("Yes. Both are international exchanges [1][2].")
    answer = bot.answer("Are both the Lakeside festival and the Brookvale pottery school international exchanges?")
    assert answer.answer.startswith("No. The festival was a regional exchange")
    assert not answer.refused


def test_a_yes_to_a_both_question_needs_each_part_supported(index) -> None:
    bot = index.assistant("Yes. The Lakeside festival had joint tourism campaigns [1].")
    answer = bot.answer("Do both the Lakeside festival and the Brookvale pottery school plan tourism campaigns?")
    assert answer.refused


def test_a_yes_to_a_both_question_stands_on_a_sentence_of_each_part_s_document(index) -> None:
    bot = index.assistant("Yes. Both welcome visitors from everywhere [1].")
    answer = bot.answer("Do both the Lakeside festival and the Brookvale pottery school welcome visiting people?")
    assert answer.answer.startswith("Yes. ")
    assert "The festival welcomed visiting families" in answer.answer
    assert "The Brookvale pottery school welcomes visiting apprentices" in answer.answer
    assert len(answer.citations) == 2
