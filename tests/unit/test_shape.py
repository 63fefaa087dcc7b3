"""A list answer names its items in one sentence."""

from __future__ import annotations

from assistant.answer.citations import CitedSentence
from assistant.answer.shape import compact_list


def test_bullet_items_copied_whole_become_one_sentence_of_their_headings() -> None:
    sentences = [
        CitedSentence("The key areas of the program include:", [1]),
        CitedSentence("- Art and Heritage: joint exhibitions and workshops", [1], "."),
        CitedSentence("- Economic Partnerships: trade and investment", [1], "."),
        CitedSentence("- Educational Initiatives: student exchanges", [2], "."),
    ]
    [answer] = compact_list(sentences, "en")
    assert answer.text == (
        "The key areas of the program include: Art and Heritage, Economic Partnerships and Educational Initiatives"
    )
    assert answer.markers == [1, 2]


def test_sentences_that_are_not_headed_items_stay_as_written() -> None:
    sentences = [
        CitedSentence("Les domaines sont l'éducation et la santé", [1], "."),
        CitedSentence("- Art: expositions", [1], "."),
        CitedSentence("Une seule puce ne fait pas une liste", [1], "."),
    ]
    assert compact_list(sentences, "fr") == sentences
    items = [CitedSentence("- Art : expositions", [1]), CitedSentence("- Santé : soins", [1])]
    assert compact_list(items, "fr")[0].text == "Art et Santé"


def test_a_how_many_question_answered_with_the_items_leads_with_their_count() -> None:
    from assistant.answer.shape import lead_with_count

    listed = [CitedSentence("The attendees came from government, enterprises, and social sectors", [2], ".")]
    answer = lead_with_count("The attendees came from how many sectors?", listed, "en")
    assert [(s.text, s.markers) for s in answer] == [("Three", [2]), (listed[0].text, [2])]
    assert lead_with_count("Combien de secteurs étaient représentés ?", listed, "fr")[0].text == "Trois"
    stated = [CitedSentence("The attendees came from 3 sectors: government, enterprises, and social sectors", [1])]
    assert lead_with_count("From how many sectors?", stated, "en") == stated  # a figure is already given
    assert lead_with_count("Which sectors did they come from?", listed, "en") == listed  # not a count


def test_items_that_are_not_what_the_question_counts_get_no_count() -> None:
    from assistant.answer.shape import lead_with_count

    areas = [CitedSentence("Art and Heritage; Economic Partnerships; Educational Initiatives", [1], ".")]
    question = "How many students have taken part in the Shanghai–Yunnan educational exchanges so far?"
    assert lead_with_count(question, areas, "en") == areas  # areas of collaboration are not students
