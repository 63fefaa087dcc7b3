"""Citation numbering: the application numbers documents, not chunks, by first appearance."""

from __future__ import annotations

from assistant.answer.citations import CitedSentence, normalize_markers, number_sources, parse_sentences, render
from assistant.index.retrieval import Passage


def chunk(doc: str, n: int, text: str) -> Passage:
    return Passage(chunk_id=f"{doc}#{n}", doc_id=doc, title=f"Title of {doc}", source=f"{doc}.txt", url=None,
                   date="2024-05-29", language="en", text=text)


def test_two_chunks_of_one_document_are_one_source_listing_both_passages() -> None:
    passages = [chunk("b", 0, "B zero."), chunk("a", 3, "A three."), chunk("a", 4, "A four.")]
    sentences = [CitedSentence("From a four", [3]), CitedSentence("From b", [1]), CitedSentence("From a three", [2])]
    numbering, sources = number_sources(sentences, passages)
    assert numbering == {3: 1, 1: 2, 2: 1}
    assert [(s.n, s.doc_id) for s in sources] == [(1, "a"), (2, "b")]
    assert [q.chunk_id for q in sources[0].passages] == ["a#4", "a#3"]
    assert render(sentences, numbering) == "From a four [1] From b [2] From a three [1]"


def test_markers_for_missing_passages_are_dropped_and_moved_before_the_stop() -> None:
    text = normalize_markers("Over 1,000 came. [1, 7] It rained [2].", 2)
    assert [(s.text, s.markers) for s in parse_sentences(text)] == [("Over 1,000 came", [1]), ("It rained", [2])]
