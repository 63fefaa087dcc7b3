"""What a model reads: merged document passages and the sentences that matter."""

from __future__ import annotations

from fakes import KeywordHashEmbeddings

from assistant.answer.evidence import (
    SentenceVectors,
    focus_documents,
    merge_by_document,
    render_evidence,
    score_sentences,
    select_evidence,
)
from assistant.index.retrieval import Passage

FIRST = "Key Areas\nThe program covers several key domains:\n- Art and Heritage: joint exhibitions."
SECOND = "- Art and Heritage: joint exhibitions.\n- Economic Partnerships: trade.\n- Educational Initiatives: students."


def chunk(doc: str, n: int, text: str, score: float = 1.0) -> Passage:
    return Passage(chunk_id=f"{doc}#{n}", doc_id=doc, title=doc, source=doc, url=None, date=None,
                   language="en", text=text, score=score)


def test_chunks_of_one_document_merge_in_document_order_without_repeating_the_overlap() -> None:
    docs = merge_by_document([chunk("a", 1, SECOND, 2.0), chunk("b", 0, "Other."), chunk("a", 0, FIRST, 1.0)])
    assert [d.passage.doc_id for d in docs] == ["a", "b"]
    assert docs[0].passage.text.count("Art and Heritage") == 1
    assert docs[0].passage.text.index("several key domains") < docs[0].passage.text.index("Educational")
    assert docs[0].passage.score == 2.0


def test_a_sentence_introducing_a_list_brings_every_item_within_the_budget() -> None:
    doc = merge_by_document([chunk("a", 0, FIRST), chunk("a", 1, SECOND)])[0].passage
    filler = Passage(chunk_id="z#0", doc_id="z", title="z", source="z", url=None, date=None, language="en",
                     text=" ".join(f"Unrelated sentence number {i}." for i in range(40)))
    encoder = KeywordHashEmbeddings()
    question = "What key domains does the program cover?"
    scored = score_sentences(question, [doc, filler], SentenceVectors(encoder), encoder.embed_query(question))
    selected = select_evidence(scored, 2, budget_chars=300)
    shown = render_evidence(selected[0], sum(1 for s in scored if s.passage == 1))
    for item in ("Art and Heritage", "Economic Partnerships", "Educational Initiatives"):
        assert item in shown
    assert sum(len(s.text) + 1 for group in selected for s in group) <= 300 + 60  # the best sentence may exceed it


def test_sentence_vectors_embed_each_text_once() -> None:
    encoder = KeywordHashEmbeddings()
    vectors = SentenceVectors(encoder)
    vectors.of(["a b", "c d"])
    vectors.of(["c d", "e f", "a b"])
    assert encoder.calls == [["a b", "c d"], ["e f"]]


def test_only_documents_naming_what_the_question_names_are_given_to_the_model() -> None:
    docs = merge_by_document([
        chunk("tianjin", 0, "Tianjin hosted a monthlong Regong art exhibition."),
        chunk("shanghai", 0, "Shanghai and Yunnan hold joint exhibitions of traditional crafts."),
    ])
    assert [d.passage.doc_id for d in focus_documents(docs, ["Shanghai", "Yunnan"])] == ["shanghai"]
    assert [d.passage.doc_id for d in focus_documents(docs, [])] == ["tianjin", "shanghai"]
    assert [d.passage.doc_id for d in focus_documents(docs, ["Busan"])] == ["tianjin", "shanghai"]


def _titled(title: str, text: str) -> Passage:
    return Passage(chunk_id=f"{title}#0", doc_id=title, title=title, source=title, url=None, date=None,
                   language="en", text=text, score=1.0)


def test_the_sentence_saying_what_is_asked_outranks_those_that_only_name_the_passage_topic() -> None:
    # A legal section repeats its heading in every chunk and opens with "X shall be established":
    # both name everything the question names, neither says who the members represent.
    passage = _titled(
        "Peace Corps National Advisory Council",
        "Peace Corps National Advisory Council\n(c) Membership\n"
        "A Peace Corps National Advisory Council shall be established in accordance with this section.\n"
        "Persons appointed as members of the Council shall be representative of educational institutions, "
        "private industry and labor unions.",
    )
    encoder = KeywordHashEmbeddings()
    question = "Which sectors should the members of the Peace Corps National Advisory Council represent?"
    scored = score_sentences(question, [passage], SentenceVectors(encoder), encoder.embed_query(question))
    best = max(scored, key=lambda s: s.match)
    assert best.text.startswith("Persons appointed as members")


def test_headings_are_short_unpunctuated_lines_that_are_not_list_items() -> None:
    from assistant.answer.evidence import is_heading

    for heading in ("Peace Corps National Advisory Council", "CHAPTER 34— THE PEACE CORPS", "Conditions d'attribution", "申请条件",
                    "Des Liens Culturels Florissants : Lancement du Programme d’Échange Chine-Kazakhstan (Lianyungang) à Astana"):
        assert is_heading(heading), heading
    for line in ("- Art and Heritage", "The Council shall meet twice a year.", "Les pièces à fournir :",
                 "Montant : 400 € par mois maximum", "金额：每月400欧元",
                 "Volunteers shall be provided with living, travel and leave allowances, housing and supplies",
                 "Die Förderung für Studierende im Ausland wird durch das Programm Erasmus finanziert und ergänzt"):
        assert not is_heading(line), line

