"""Which answer sentences the support check keeps: the whole chain over a real Chroma index with
lexical fake embeddings, and a scripted chat model. A sentence that only restates the question is
no answer; a correct sentence is kept when the passage says it in other word forms or names the
question's topic away from the fact; a fact given to the wrong name is still dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import ScriptedIndex, indexed

PROGRAMME = """# Lancement du programme d'échange Brivel-Tamsor

Brivel, le 3 mai – Le programme d'échange culturel Brivel-Tamsor a officiellement débuté à Ostrava, la capitale de la région.
Le lancement Chine-Tamsor s'est articulé autour du thème « Construire des Ponts Ensemble » devant le public.
Des artistes des deux régions ont présenté des danses et des chants traditionnels au public.
Les organisateurs ont aussi ouvert une exposition de photographies anciennes.

## Une plateforme de collaboration

L'un des moments forts a été un programme d'interviews conçu pour renforcer la compréhension mutuelle entre les deux régions.
Des journalistes de Brivel feront un voyage dans des villes telles qu'Orly, Kessel, Tamis et Sorel cet automne.
L'établissement de villes jumelles a été crucial pour consolider ces liens.
L'année dernière, Brivel a créé un lien de villes jumelles avec Kessel, ville côtière sur la mer.
"""
FESTIVAL = """# Lakeside and Hillton hold a twinning festival

Lakeside and Hillton hosted a twinning festival at the Lakeside Riverside Theatre on May 29, with over 400 guests.
The two towns signed agreements on student exchanges and joint tourism campaigns.
"""
ALLIANCE = """# The Riverton alliance

The creation of a Riverton Craft Park Regional Alliance (RCPRA) offers a framework for growth.
Birmingham's agreement with Verona has seen them successfully host joint culinary festivals to boost tourism.
Other towns exchange teachers every spring.
"""
SISTER_LINKS = """# Sister links

Sister links serve as a catalyst for friendship among towns and their sister links.
These alliances unite municipalities from different countries with the aim of promoting cultural exchange.
Sister links between towns gained momentum after the war, when towns sought sister links.
Sister links towns facilitate numerous advantages for towns.
Towns with sister links build respect between towns through sister links.
New trends reshape how sister links between towns operate.
"""


@pytest.fixture
def index(tmp_path: Path) -> ScriptedIndex:
    return indexed(tmp_path, {
        "programme.md": PROGRAMME, "festival.md": FESTIVAL, "links.md": SISTER_LINKS, "alliance.md": ALLIANCE,
    })


def test_a_sentence_that_only_restates_the_question_is_a_refusal_not_an_answer(index) -> None:
    bot = index.assistant("The application deadline for the Lakeside and Hillton twinning festival is [1].")
    answer = bot.answer("What is the application deadline for the Lakeside and Hillton twinning festival?")
    assert answer.refused
    assert "deadline for the Lakeside and Hillton twinning festival is" not in answer.answer


def test_an_answer_chosen_among_the_alternatives_the_question_offers_is_kept(index) -> None:
    bot = index.assistant("Lakeside and Hillton hosted the twinning festival at the Lakeside Riverside Theatre [1].")
    answer = bot.answer("Was the twinning festival hosted at the Lakeside Riverside Theatre or at the Hillton stadium?")
    assert not answer.refused
    assert "Lakeside Riverside Theatre" in answer.answer and answer.citations


def test_a_fact_is_kept_when_the_passage_names_the_asked_place_away_from_it(index) -> None:
    bot = index.assistant(
        "L'objectif du programme d'interviews lancé à Ostrava est de renforcer la compréhension mutuelle "
        "entre les deux régions [1]."
    )
    answer = bot.answer("Quel est l'objectif du programme d'interviews lancé à Ostrava ?")
    assert not answer.refused
    assert "renforcer la compréhension mutuelle" in answer.answer
    assert answer.citations and answer.citations[0].source.endswith("programme.md")


def test_a_fact_the_passage_states_in_other_word_forms_is_kept(index) -> None:
    bot = index.assistant("Brivel a établi un jumelage avec Kessel [1].")
    answer = bot.answer("Avec quelle ville Brivel a-t-elle établi un jumelage ?")
    assert not answer.refused
    assert "Kessel" in answer.answer


def test_a_fact_given_to_the_wrong_name_is_still_dropped(index) -> None:
    bot = index.assistant("Kessel est la capitale de la région [1].")
    answer = bot.answer("Quelle ville est la capitale de la région du programme Brivel-Tamsor ?")
    assert "Kessel est la capitale" not in answer.answer


def test_a_yes_contradicted_by_the_sentence_after_the_topic_sentence_becomes_no(index) -> None:
    bot = index.assistant("Yes. Sister links serve as a catalyst for friendship among towns [1].")
    answer = bot.answer("Are sister links arrangements between towns of the same country?")
    assert answer.answer.startswith("No. These alliances unite municipalities from different countries")


def test_a_french_answer_that_is_mostly_english_names_is_checked_as_a_translation(index) -> None:
    bot = index.assistant("RCPRA signifie Riverton Craft Park Regional Alliance [1].")
    answer = bot.answer("Que signifie le sigle RCPRA ?")
    assert not answer.refused
    assert answer.citations and answer.citations[0].source.endswith("alliance.md")


def test_a_translated_answer_may_spell_a_name_in_its_own_language(index) -> None:
    bot = index.assistant("Birmingham et Vérone organisent ensemble des festivals culinaires [1].")
    answer = bot.answer("Quel type de festivals Birmingham et Vérone organisent-elles ensemble ?")
    assert not answer.refused
    assert "festivals culinaires" in answer.answer


@pytest.mark.parametrize(("count", "kept"), [("quatre", True), ("cinq", False)])
def test_a_spelled_out_count_must_be_the_size_of_the_list_the_passage_gives(index, count: str, kept: bool) -> None:
    bot = index.assistant(f"Les journalistes visiteront {count} villes : Orly, Kessel, Tamis et Sorel [1].")
    answer = bot.answer("Combien de villes les journalistes de Brivel visiteront-ils ?")
    assert (f"{count} villes" in answer.answer) is kept
    assert answer.refused is not kept


@pytest.mark.parametrize(("title", "kept"), [("Construire des Ponts Ensemble", True), ("Construire des Murs Ensemble", False)])
def test_a_title_quoted_word_for_word_from_another_language_is_kept(index, title: str, kept: bool) -> None:
    bot = index.assistant(f'The theme of the China–Tamsor launch was "{title}". [1]')
    answer = bot.answer("What was the theme of the China–Tamsor launch?")
    assert (title in answer.answer) is kept
