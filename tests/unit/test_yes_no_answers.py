"""Yes/no answers decided by the evidence, not by the model's lean: the whole chain over a real
Chroma index with lexical fake embeddings, and a scripted chat model."""

from __future__ import annotations

import uuid
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings
from fakes import KeywordHashEmbeddings
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.chain import Assistant
from assistant.components import build_assistant, build_store
from assistant.settings import Settings
from ingest.pipeline import run_ingest

FESTIVAL = """# Lakeside and Hillton hold a twinning festival

Lakeside and Hillton hosted a twinning festival at the Lakeside Riverside Theatre on May 29, with over 400 guests.
The two towns signed agreements on student exchanges and joint tourism campaigns.
Performers from Hillton wearing traditional costumes sang songs and danced for the guests.
Twinning links unite towns from different countries with the aim of promoting cultural exchange.
"""


@pytest.fixture
def index(tmp_path: Path) -> tuple[Settings, chromadb.api.ClientAPI, dict]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "festival.md").write_text(FESTIVAL, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", generator="extractive", collection=f"t-{uuid.uuid4().hex[:8]}",
                        min_relevance=0.0, min_relevance_crosslingual=0.0)  # type: ignore[call-arg]
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    encoders = {"use": KeywordHashEmbeddings()}
    stats = run_ingest([corpus], build_store(settings, encoders, client), encoders, progress=False)
    assert stats.ok, stats.errors
    return settings, client, encoders


def scripted(index: tuple[Settings, chromadb.api.ClientAPI, dict], reply: str) -> Assistant:
    settings, client, encoders = index
    llm = GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))
    return build_assistant(settings, client=client, encoders=encoders, llm=llm)


def test_a_yes_that_the_passage_places_elsewhere_becomes_no_with_the_fact(index) -> None:
    bot = scripted(index, "Yes. The twinning festival was held in Hillton [1].")
    answer = bot.answer("Was the Lakeside and Hillton twinning festival held in Hillton?")
    assert answer.answer.startswith("No. Lakeside and Hillton hosted a twinning festival at the Lakeside Riverside")
    assert "was held in Hillton" not in answer.answer
    assert not answer.refused and answer.citations


def test_a_bare_yes_that_the_passage_contradicts_becomes_no(index) -> None:
    bot = scripted(index, "Yes [1]")
    answer = bot.answer("Are twinning links arrangements between towns of the same country?")
    assert answer.answer.startswith("No. Twinning links unite towns from different countries")


def test_a_yes_the_passage_confirms_stays_yes(index) -> None:
    bot = scripted(index, "Yes. Performers from Hillton wore traditional costumes [1].")
    answer = bot.answer("Did the Hillton performers wear traditional costumes at the festival?")
    assert answer.answer.startswith("Yes. Performers from Hillton wore traditional costumes")


def test_a_yes_whose_own_fact_is_unsupported_stands_on_the_passage_sentence_that_states_it(index) -> None:
    bot = scripted(index, "Yes. Hillton performers benefit from festival costume grants according to the article [1].")
    answer = bot.answer("Did the Hillton performers wear traditional costumes at the festival?")
    assert answer.answer.startswith("Yes. Performers from Hillton wearing traditional costumes sang songs")
    assert "grants" not in answer.answer


def test_a_yes_that_nothing_in_the_passage_states_is_refused(index) -> None:
    bot = scripted(index, "Yes. Hillton received festival grants from the national lottery [1].")
    answer = bot.answer("Did Hillton receive festival grants from the national lottery?")
    assert answer.refused
    assert not answer.answer.startswith("Yes")
