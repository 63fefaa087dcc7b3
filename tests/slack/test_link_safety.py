"""Issue 13 item 6: links in Slack messages and API citations are never a phishing channel."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import assistant_with

from assistant.components import build_store
from assistant.models import Answer, Source
from assistant.settings import Settings
from assistant.slack.formatting import answer_messages, link, markdown_to_mrkdwn, source_line
from ingest.pipeline import run_ingest


def source(url: str | None) -> Source:
    return Source(n=1, doc_id="doc_1", title="Exchange portal", source="docs/x.md", url=url, quote="q", score=1.0,
                  chunk_id="doc_1#0")


def test_link_makes_masked_links_only_for_http_urls() -> None:
    assert link("https://ex.org/a", "Portal") == "<https://ex.org/a|Portal>"
    for url in ("javascript:alert(1)", "data:text/html,<b>x</b>", "slack://open", "//evil.example", "ftp://x/y"):
        made = link(url, "the official portal")
        assert "<" not in made and made == "the official portal"


def test_a_markdown_link_inside_a_document_shows_its_real_url_as_text() -> None:
    text = markdown_to_mrkdwn("Apply on [the official portal](https://evil.example/phish) today [1].")
    assert "|the official portal>" not in text and "<https://evil.example/phish" not in text
    assert "the official portal (https://evil.example/phish)" in text
    sneaky = markdown_to_mrkdwn("[click](javascript:alert(1))")
    assert "<javascript" not in sneaky


def test_sources_link_only_their_own_http_urls() -> None:
    assert source_line(source("https://ex.org/t")) == "[1] <https://ex.org/t|Exchange portal>"
    assert source_line(source("javascript:alert(1)")) == "[1] Exchange portal"  # plain text, no link
    answer = Answer(answer="Yes [1].", citations=[source("data:text/html;base64,PHNjcmlwdD4=")], refused=False,
                    language="en")
    assert "data:" not in str(answer_messages(answer, "q?", "k"))


def test_citation_urls_with_other_schemes_are_dropped_from_api_answers(
    tmp_path: Path, encoders: dict, fresh_collection_settings: Settings
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "portal.md").write_text(
        "---\ntitle: Oslo-Lagos teacher exchange\nurl: javascript:alert(document.cookie)\n---\n"
        "The Oslo-Lagos teacher exchange sends 12 teachers from Oslo to Lagos every autumn.\n",
        encoding="utf-8",
    )
    (docs / "ok.md").write_text(
        "---\ntitle: Oslo-Accra teacher exchange\nurl: https://oslo.example/accra\n---\n"
        "The Oslo-Accra teacher exchange sends 9 teachers from Oslo to Accra every spring.\n",
        encoding="utf-8",
    )
    store = build_store(fresh_collection_settings, encoders)
    assert run_ingest([docs], store, encoders, progress=False).ok
    assistant = assistant_with(fresh_collection_settings, store.client, encoders)
    bad = assistant.answer("How many teachers does the Oslo-Lagos teacher exchange send?", [], None)
    assert [c.doc_id for c in bad.citations][:1] == ["portal"] and bad.citations[0].url is None
    assert "javascript" not in bad.model_dump_json()
    good = assistant.answer("How many teachers does the Oslo-Accra teacher exchange send?", [], None)
    assert good.citations[0].url == "https://oslo.example/accra"
    shutil.rmtree(docs)
