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


def test_a_count_of_the_items_a_passage_lists_is_supported() -> None:
    checker = SupportChecker(None)
    listed = "The program covers several key domains:\n- Art and Heritage: exhibitions.\n- Economic Partnerships: trade.\n- Educational Initiatives: students."
    assert checker.check([("The program covers 3 key domains [1].", listed)]) == [True]
    assert checker.check([("The program covers 4 key domains [1].", listed)]) == [False]
    attendees = "The event had over 1,000 attendees from government, enterprises and social sectors."
    assert checker.check([("The attendees came from 3 sectors [1].", attendees)]) == [True]


def test_a_figure_the_passage_spells_out_in_words_is_supported() -> None:
    passage = "The agreements cover 24 key projects across eight categories, over a two-day event."
    assert SupportChecker(None).check([
        ("The key projects fall into 8 categories [1].", passage),
        ("The event lasted 2 days [1].", passage),
    ]) == [True, True]


def test_an_answer_in_another_language_than_its_passage_is_supported_by_the_passage_names() -> None:
    passage = "The exhibition features exquisite Regong Thangka art and Yangliuqing woodblock paintings from Tianjin."
    checker = SupportChecker(None)
    assert checker.check([("La Regong Thangka est mise à l'honneur dans l'exposition Regong à Tianjin [1].", passage)]) == [True]
    assert checker.check([("La Regong Thangka est mise à l'honneur dans l'exposition de Lhassa [1].", passage)]) == [False]


KAZAKHSTAN = (
    "Le programme a officiellement débuté à Astana, la dynamique capitale du Kazakhstan. "
    "Il a réuni des responsables culturels et des diplomates. "
    "Des journalistes visiteront des villes telles qu'Alma-Ata et Tachkent. "
    "Par exemple, Lianyungang a créé un lien de villes jumelles avec Aktau, ville côtière du Kazakhstan."
)


def test_a_claim_pairing_the_passage_words_in_a_relation_it_does_not_state_is_unsupported() -> None:
    encoder = KeywordHashEmbeddings()
    checker = SupportChecker(encoder, min_similarity=0.3)
    assert checker.check([("Aktau est la capitale du Kazakhstan [1].", KAZAKHSTAN)], SentenceVectors(encoder)) == [False]
    assert checker.check([("Astana est la capitale du Kazakhstan [1].", KAZAKHSTAN)], SentenceVectors(encoder)) == [True]
    assert checker.check([("Aktau est une ville côtière du Kazakhstan [1].", KAZAKHSTAN)]) == [True]


def test_an_answer_in_another_language_needs_its_names_together_in_the_passage() -> None:
    passage = (
        "The exchange opened in Astana, the capital. Delegates toured the region. "
        "Journalists will later travel to several cities. One of them is Aktau, on the Caspian Sea."
    )
    checker = SupportChecker(None)
    assert checker.check([("Le programme a débuté à Astana, la capitale [1].", passage)]) == [True]
    assert checker.check([("Le programme a débuté à Aktau, près d'Astana [1].", passage)]) == [False]


EVENT = ("The event had over 1,000 attendees from government, enterprises and social sectors. It resulted in "
         "agreements for 24 key projects across eight categories. The council would draw on representatives "
         "from member parks, government agencies, and industry experts.")


def test_a_figure_the_passage_gives_to_another_thing_is_unsupported() -> None:
    checker = SupportChecker(None)
    assert checker.check([
        ("The agreements fall into 24 categories [1].", EVENT),  # 24 counts projects, not categories
        ("The event had 1,000 visitors [1].", EVENT),  # 1,000 counts the attendees of the event
        ("3 member parks have joined the council [1].", EVENT),  # 3 counts kinds of representatives
    ]) == [False, False, False]
    assert checker.check([
        ("The agreements cover 24 key projects [1].", EVENT),
        ("The projects fall into 8 categories [1].", EVENT),
        ("The event had over 1,000 attendees [1].", EVENT),
        ("More than 1,000 people attended the event [1].", EVENT),  # a general word for the attendees
        ("The attendees came from 3 sectors [1].", EVENT),
    ]) == [True, True, True, True, True]


def test_a_year_is_not_a_count_and_fields_count_the_items_a_passage_lists() -> None:
    checker = SupportChecker(None)
    students = "Upwards of 1 million students have participated in sister city exchange programs since 2020."
    training = (
        "The alliance could set up a joint training program covering areas such as film production, "
        "animation, digital media, design, and cultural tourism."
    )
    assert checker.check([
        ("Since 2020, more than 1 million students have participated in sister city exchanges [1].", students),
        ("The joint training program names 5 fields [1].", training),
    ]) == [True, True]
    assert checker.check([("The joint training program names 4 fields [1].", training)]) == [False]


def test_a_chinese_answer_stating_the_passage_names_in_latin_script_is_supported_by_them() -> None:
    passage = "Par exemple, l’année dernière, Lianyungang a créé un lien de villes jumelles avec Aktau."
    assert SupportChecker(None).check([("连云港与Aktau结为友好城市 [1]。", passage)]) == [True]
