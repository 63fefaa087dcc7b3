"""The kind of answer a question asks for, across languages."""

from __future__ import annotations

import pytest

from assistant.text.question import question_kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Is Nancy twinned with Kraków?", "yesno"),
        ("Will the Shanghai–Yunnan program include student exchanges?", "yesno"),
        ("Nancy est-elle jumelée avec Cracovie ?", "yesno"),
        ("Je suis boursier échelon 7, ai-je droit à un complément Erasmus+ ?", "yesno"),
        ("上海和云南的合作包括学生交流吗？", "yesno"),
        ("¿Tiene Nancy ciudades hermanas?", "yesno"),
        ("Which cities is Nancy twinned with?", "list"),
        ("Quelles villes sont jumelées avec Nancy ?", "list"),
        ("What kinds of products were presented at the promotion?", "list"),
        ("南希与哪些城市结为姐妹城市？", "list"),
        ("How many people attended the Tianjin-Qinghai event?", "number"),
        ("Combien de personnes ont assisté au lancement ?", "number"),
        ("Je suis en BTS, combien la Région me donne-t-elle pour un stage ?", "number"),
        ("When was the cultural exchange program launched?", "date"),
        ("Quand le programme a-t-il été lancé ?", "date"),
        ("Who will chair the governing council?", "who"),
        ("Why did Tianjin support Qinghai?", "reason"),
        ("What does CCIPRA stand for?", "fact"),
    ],
)
def test_question_kind_is_recognised_in_every_language(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_relative_who_does_not_turn_a_yes_no_question_into_a_who_question() -> None:
    assert question_kind("Will the Peace Corps pay to store the furniture of a volunteer who has children?") == "yesno"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What kind of power does cultural diplomacy help build?", "fact"),
        ("In what kind of securities does the Treasury invest the trust fund?", "fact"),
        ("What kinds of products were presented at the promotion?", "list"),
        ("Which sectors did the attendees of the event come from?", "list"),
        ("What allowances and supplies are volunteers given?", "list"),
        ("Give me the list of Sapporo's sister cities.", "list"),
    ],
)
def test_one_kind_of_thing_is_a_fact_and_several_are_a_list(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_english_was_opens_a_yes_no_question_and_german_was_asks_what() -> None:
    assert question_kind("Was the Tianjin–Qinghai event held in Qinghai?") == "yesno"
    assert question_kind("Was ist das Ziel des Programms?") == "fact"


def test_age_and_duration_questions_ask_for_a_number() -> None:
    assert question_kind("Quel âge faut-il avoir pour participer à DiscoverEU ?") == "number"
    assert question_kind("How old must an applicant be?") == "number"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What oath do new volunteers take when they enroll?", "fact"),
        ("Which federal departments should be represented when appointing the Board?", "list"),
        ("Quelles pièces faut-il fournir quand on dépose le dossier ?", "list"),
        ("When was the event held?", "date"),
        ("Quand a eu lieu l'événement ?", "date"),
        ("¿Cuándo se celebró el evento?", "date"),
        ("Wann fand die Veranstaltung statt?", "date"),
        ("Since when has the agency been independent?", "date"),
    ],
)
def test_when_asks_for_a_date_only_where_it_opens_the_question(question: str, kind: str) -> None:
    assert question_kind(question) == kind


@pytest.mark.parametrize(
    ("question", "parts", "asked"),
    [
        ("Do both the Shanghai–Yunnan initiative and the Tianjin–Qinghai event aim to develop tourism?",
         ["the Shanghai–Yunnan initiative", "the Tianjin–Qinghai event"], "Do aim to develop tourism"),
        ("Are the Shanghai–Yunnan exchange and the Tianjin–Qinghai event both domestic exchanges?",
         ["the Shanghai–Yunnan exchange", "the Tianjin–Qinghai event"], "Are domestic exchanges"),
        ("Which festival is cited both in the sister-city article and in the French article?",
         ["in the sister-city article", "in the French article"], "Which festival is cited"),
        ("Le projet CCIPRA et le programme Chine-Kazakhstan évoquent-ils tous deux des coentreprises ?",
         ["Le projet CCIPRA", "le programme Chine-Kazakhstan"], "évoquent-ils des coentreprises"),
    ],
)
def test_a_question_about_two_things_is_split_into_its_parts(question: str, parts: list[str], asked: str) -> None:
    from assistant.text.question import question_parts

    assert question_parts(question) == (parts, asked)


def test_a_question_about_one_thing_has_no_parts() -> None:
    from assistant.text.question import question_parts

    assert question_parts("Is the programme both cheap and fast?") is None
    assert question_parts("Which cities is Nancy twinned with?") is None
