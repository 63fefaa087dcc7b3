"""BM25 over stored chunks, and the tokens it is built from."""

from __future__ import annotations

from assistant.index.keyword import KeywordIndex
from assistant.index.store import StoredChunk
from assistant.text.entities import mentions_all, question_entities
from assistant.text.tokenize import keyword_tokens, numbers_in


def stored(chunk_id: str, text: str, title: str = "") -> StoredChunk:
    return StoredChunk(chunk_id=chunk_id, text=text, metadata={"title": title, "doc_id": chunk_id.split("#")[0]})


def test_accents_case_and_number_formats_fold_to_one_token() -> None:
    assert keyword_tokens("Échanges culturels") == keyword_tokens("echanges CULTURELS")
    assert numbers_in("over 1,000 attendees") == numbers_in("plus de 1.000 participants") == {"1000"}


def test_chinese_is_indexed_as_characters_and_pairs() -> None:
    assert keyword_tokens("天津") == ["天", "津", "天津"]


def test_the_chunk_with_the_rare_query_word_ranks_first_and_the_title_counts() -> None:
    index = KeywordIndex([
        stored("a#0", "Exchange students visited the museum."),
        stored("b#0", "Exchange programs with Karlsruhe and Liège.", title="Sister cities of Nancy"),
        stored("c#0", "Exchange of teachers."),
    ])
    scores = index.scores("Which cities is Nancy twinned with?")
    assert int(scores.argmax()) == index.row_of["b#0"]
    assert index.scores("zzz unknown").sum() == 0


def test_question_names_skip_sentence_starters_and_split_hyphenated_pairs() -> None:
    assert question_entities("What did Tianjin-Qinghai sign with CCIPRA in May?") == ["Tianjin", "Qinghai", "CCIPRA"]
    assert mentions_all(["Tianjin", "Qinghai"], "Tianjin and Qinghai hosted an event")


def test_a_number_written_with_its_scale_word_matches_the_digits() -> None:
    assert "1000000" in numbers_in("upwards of 1 million students")
    assert numbers_in("1,000,000 students") <= numbers_in("upwards of 1 million students")
