"""The plain-text boilerplate filter on the scraped seed pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunk import split_document
from ingest.clean import strip_boilerplate
from ingest.load import load_file

CORPUS = Path(__file__).resolve().parents[2] / "corpus"

SITE_CHROME = [
    "About us", "Our Authors", "Privacy Policy", "Cookie Privacy Policy", "AFRICA", "No Result",
    "View All Result", "Share on Facebook", "Share on Twitter", "Table of Contents", "Toggle",
    "Tags:", "ShareTweetPin", "Previous Post", "Next Post", "Related Posts", "China-Laos Railway",
    "Yeefung", "ADVERTISEMENT", "Archives", "July 2025 (842)", "Diplomacy (1831)", "MTWTFSS",
    "© 2024 Capital Cities", "This website uses cookies", "Go to mobile version", "by Miles Cooper",
    "Home ASIA China Kunming", "A journalism entrepreneur",
]


@pytest.fixture(scope="module")
def seed_001_chunks() -> list[str]:
    doc = load_file(CORPUS / "001_18e63e76079ba7a7.txt", CORPUS).documents[0]
    return [c.text for c in split_document(doc.doc_id, doc.text, 600, 75)]


@pytest.mark.parametrize("chrome", SITE_CHROME)
def test_site_chrome_of_scraped_page_never_reaches_a_chunk(seed_001_chunks: list[str], chrome: str) -> None:
    assert not any(chrome in chunk for chunk in seed_001_chunks)


def test_article_body_and_its_headings_are_kept(seed_001_chunks: list[str]) -> None:
    text = "\n".join(seed_001_chunks)
    for expected in [
        "Sister city partnerships serve as a catalyst for fostering international camaraderie",
        "A notable partnership exists between Los Angeles and Busan",
        "upwards of 1 million students have participated",
        "Benefits for Local Communities",
        "Through dynamic collaborations shaped by history",
    ]:
        assert expected in text


def test_scraped_page_gets_headline_as_title_and_article_date_not_todays_banner() -> None:
    doc = load_file(CORPUS / "001_18e63e76079ba7a7.txt", CORPUS).documents[0]
    assert doc.title == "Building Bonds: Sister Cities Accelerate Friendship and Collaboration!"
    assert doc.date == "2025-02-07"  # the byline date, not "Monday, July 14, 2025" at the top


def test_french_seed_keeps_body_and_drops_more_from_author_links() -> None:
    doc = load_file(CORPUS / "002_33c8dbfd173f49bb.txt", CORPUS).documents[0]
    assert "a officiellement débuté à Astana" in doc.text
    assert "You May Also Like" not in doc.text and "unveilchina.com" not in doc.text
    assert doc.date == "2024-08-30"


def test_press_release_breadcrumbs_and_leave_page_prompt_are_removed() -> None:
    doc = load_file(CORPUS / "004_9bc1640c6c35c08d.txt", CORPUS).documents[0]
    assert doc.title == "Tianjin and Qinghai to Boost Cultural Exchanges"
    for chrome in ("Current Location", "Press Release", "Website Identification Code", "Are you sure"):
        assert chrome not in doc.text
    assert "over 1,000 attendees" in doc.text


def test_clean_article_without_chrome_is_left_whole() -> None:
    raw = (CORPUS / "000_b9dd7e996e632ef1.txt").read_text()
    cleaned = strip_boilerplate(raw)
    body_lines = [line for line in raw.splitlines()[1:] if line.strip()]
    assert all(line.strip() in cleaned.text for line in body_lines)
