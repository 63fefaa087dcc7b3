"""Every supported file type becomes documents with the right id, title, text and metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunk import split_document
from ingest.load import BadFileError, load_file

ROOT = Path(__file__).resolve().parents[2]
TEST_CORPUS = ROOT / "tests" / "data" / "corpus"
BAD = ROOT / "tests" / "data" / "bad"


def test_markdown_front_matter_gives_title_date_language_and_url() -> None:
    doc = load_file(TEST_CORPUS / "programs/lyon-beijing-scholarship.md", TEST_CORPUS).documents[0]
    assert doc.doc_id == "programs/lyon-beijing-scholarship"
    assert doc.title == "Lyon–Beijing Student Mobility Scholarship 2026"
    assert (doc.date, doc.language, doc.url) == ("2026-01-15", "en", "https://example.org/programs/lyon-beijing-scholarship")
    assert "4,500 euros" in doc.text and "---" not in doc.text and "#" not in doc.text


def test_html_keeps_the_article_and_drops_nav_cookie_banner_related_posts_and_footer() -> None:
    doc = load_file(TEST_CORPUS / "programs/kyoto-exchange.html", TEST_CORPUS).documents[0]
    assert doc.doc_id == "programs/kyoto-exchange"
    assert "three-week placement every October" in doc.text
    for chrome in ("About us", "uses cookies", "Summer camp in Busan", "All rights reserved", "Share on Facebook"):
        assert chrome not in doc.text
    assert "Kyoto Teacher Exchange" in doc.title


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Erfurt Youth Orchestra Exchange. Thirty musicians from Erfurt visit Vilnius "
                         "every spring for joint rehearsals and two public concerts.")
    pdf.set_title("Erfurt Youth Orchestra Exchange")
    path = tmp_path / "orchestra.pdf"
    pdf.output(str(path))
    doc = load_file(path, tmp_path).documents[0]
    assert doc.doc_id == "orchestra"
    assert doc.title == "Erfurt Youth Orchestra Exchange"
    assert "Thirty musicians from Erfurt visit Vilnius" in " ".join(doc.text.split())


def test_jsonl_records_keep_their_own_ids_and_metadata() -> None:
    docs = load_file(TEST_CORPUS / "programs/announcements.jsonl", TEST_CORPUS).documents
    by_id = {d.doc_id: d for d in docs}
    assert set(by_id) == {"announcements/choir-2026", "announcements/seniors-fr"}
    choir = by_id["announcements/choir-2026"]
    assert (choir.title, choir.date, choir.url) == ("Youth choir tour to Kraków", "2026-03-02", "https://example.org/news/choir-2026")
    assert by_id["announcements/seniors-fr"].language == "fr"


def test_jsonl_bad_line_is_reported_with_line_number_and_the_rest_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    path.write_text(
        '{"id": "a", "text": "The first record is a perfectly fine announcement."}\n'
        '{"id": "b"}\n'
        "not json\n"
    )
    result = load_file(path, tmp_path)
    assert [d.doc_id for d in result.documents] == ["a"]
    messages = [str(e) for e in result.errors]
    assert any(f"{path}:2" in m and "text" in m for m in messages)
    assert any(f"{path}:3" in m and "not valid JSON" in m for m in messages)


def test_partnership_registry_becomes_one_document_per_city_listing_partners_both_ways() -> None:
    docs = load_file(TEST_CORPUS / "programs/registry.csv", TEST_CORPUS).documents
    by_id = {d.doc_id: d for d in docs}
    besancon = by_id["programs/registry/besancon-france"]
    assert besancon.title == "Sister cities of Besançon (France)"
    for partner in ("Freiburg im Breisgau", "Kuopio", "Bielsko-Biała", "Huddersfield", "Hadera"):
        assert partner in besancon.text  # listed as city1 or as city2
    assert "5 twin town and sister city partnerships" in besancon.text
    assert "Besançon" in by_id["programs/registry/kuopio-finland"].text


def test_registry_city_spelt_with_and_without_accents_is_one_document_with_all_partners(tmp_path: Path) -> None:
    path = tmp_path / "twins.csv"
    path.write_text(
        "city1,country1,city2,country2\n"
        "Bagnères-de-Bigorre,France,Tarazona,Spain\n"
        "Bagneres-de-Bigorre,France,Walldürn,Germany\n"
        "Tarazona,Spain,Bagneres-de-Bigorre,France\n",
        encoding="utf-8",
    )
    docs = load_file(path, tmp_path).documents
    ids = [d.doc_id for d in docs]
    assert len(ids) == len(set(ids))  # one id per city: nothing dropped as a duplicate at ingest
    bagneres = next(d for d in docs if d.doc_id == "twins/bagneres-de-bigorre-france")
    assert bagneres.title == "Sister cities of Bagnères-de-Bigorre (France)"
    assert "2 twin town and sister city partnerships" in bagneres.text  # Tarazona counted once
    assert "Walldürn" in bagneres.text and "Tarazona" in bagneres.text
    assert "also written Bagneres-de-Bigorre" in bagneres.text
    tarazona = next(d for d in docs if d.doc_id == "twins/tarazona-spain")
    assert "1 twin town and sister city partnership " in tarazona.text


def test_plain_csv_without_city_columns_becomes_one_document_per_row(tmp_path: Path) -> None:
    path = tmp_path / "programs.csv"
    path.write_text("name,deadline,amount\nSummer school Hanoi,15 April,800 EUR\nTeacher visit Porto,1 June,1200 EUR\n")
    docs = load_file(path, tmp_path).documents
    assert [d.title for d in docs] == ["Summer school Hanoi", "Teacher visit Porto"]
    assert "deadline: 15 April" in docs[0].text


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("junk.txt", "binary"),
        ("latin1.txt", "not valid UTF-8"),
        ("empty.md", "empty"),
        ("broken.pdf", "not a readable PDF"),
    ],
)
def test_bad_file_error_names_the_file_and_the_reason(name: str, reason: str) -> None:
    with pytest.raises(BadFileError) as info:
        load_file(BAD / name, BAD)
    assert str(BAD / name) in str(info.value)
    assert reason in str(info.value)


def test_chunks_keep_sentences_whole_and_have_stable_ids() -> None:
    text = " ".join(f"Sentence number {i} talks about the exchange programme in detail." for i in range(40))
    first = split_document("doc", text, 300, 75)
    second = split_document("doc", text, 300, 75)
    assert [c.chunk_id for c in first] == [f"doc#{i}" for i in range(len(first))]
    assert [c.text for c in first] == [c.text for c in second]
    for chunk in first:
        assert chunk.text.startswith("Sentence number") and chunk.text.endswith("detail.")
        assert len(chunk.text) <= 300
