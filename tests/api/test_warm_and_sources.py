"""What visitors notice from the API: the first answer is as fast as the next (every model is
loaded and warm before /readyz says ready), and citations name the document's path relative to
the ingested folder, never the server's filesystem layout."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from live_server import live_server

from assistant.answer.chain import Assistant, StreamEvent
from assistant.answer.sources import public_source
from assistant.api import create_app
from assistant.components import build_assistant
from assistant.models import Answer, Source
from assistant.partners.access import AccessPolicy
from assistant.settings import Settings

QUESTION = "How many people attended the Tianjin-Qinghai cultural and tourism event?"


OPEN = AccessPolicy(anonymous=True)  # these calls carry no key, as a server-side client's would


class GatedGenerator:
    """The real generator, whose warm-up waits until the test lets it finish."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.release, self.warmed = inner, inner.name, threading.Event(), False

    def warm(self) -> None:
        self.release.wait(timeout=120)
        self.warmed = True

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        return self.inner.stream(*args, **kwargs)  # type: ignore[no-any-return]


def readiness(url: str) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{url}/readyz", timeout=30)
    return response.status_code, response.json()


def test_readyz_says_warming_until_every_model_is_loaded_then_ready(shared_index: Settings, chroma_client: Any) -> None:
    cold = build_assistant(shared_index, client=chroma_client)  # its own encoders: nothing loaded yet
    gated = GatedGenerator(cold.generator)
    cold.generator = gated  # type: ignore[assignment]
    with live_server(lambda _url: create_app(assistant=cold, access=OPEN)) as url:
        status, body = readiness(url)
        assert (status, body["ready"], body["status"]) == (503, False, "warming")
        assert "warming" in body["detail"]
        gated.release.set()
        deadline = time.monotonic() + 300
        while readiness(url)[1]["status"] == "warming" and time.monotonic() < deadline:
            time.sleep(0.2)
        status, body = readiness(url)
        assert (status, body["ready"], body["status"]) == (200, True, "ready")
        # everything the first question needs is in memory: encoders, index snapshot, generator
        assert all(encoder._model is not None for encoder in cold.retriever.encoders.values())  # type: ignore[attr-defined]
        assert cold.retriever._snapshot is not None
        assert gated.warmed
        answer = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=120).json()
        assert "1,000" in answer["answer"]


def test_citations_name_the_path_relative_to_the_ingested_folder(assistant: Assistant) -> None:
    with live_server(lambda _url: create_app(assistant=assistant, access=OPEN)) as url:
        body = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=120).json()
    sources = [c["source"] for c in body["citations"]]
    assert "004_9bc1640c6c35c08d.txt" in sources  # so `sources` is not empty
    assert not any(s.startswith("/") for s in sources)


class LegacyAssistant:
    """An index built before sources were stored relative: absolute server paths in citations."""

    def __init__(self, real: Assistant) -> None:
        self._real = real
        self.answer_ = Answer(
            answer="Over 1,000 attended [1].", refused=False, language="en",
            citations=[Source(n=1, doc_id="004_9bc1640c6c35c08d", title="Tianjin and Qinghai",
                              source="/home/ops/exchange/corpus/004_9bc1640c6c35c08d.txt",
                              quote="over 1,000 attendees", score=1.0, chunk_id="004_9bc1640c6c35c08d:0")],
        )

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)

    def warm(self) -> None:
        pass

    def answer(self, *args: object, **kwargs: object) -> Answer:
        return self.answer_

    def stream(self, *args: object, **kwargs: object) -> Iterator[StreamEvent]:
        yield StreamEvent("done", answer=self.answer_)


def test_an_index_built_before_still_gets_relative_sources_from_the_api(assistant: Assistant) -> None:
    legacy = LegacyAssistant(assistant)
    with live_server(lambda _url: create_app(assistant=legacy, access=OPEN)) as url:  # type: ignore[arg-type]
        asked = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=60).json()
        streamed = httpx.post(f"{url}/v1/ask/stream", json={"question": QUESTION}, timeout=60).text
    assert asked["citations"][0]["source"] == "004_9bc1640c6c35c08d.txt"
    assert "/home/ops" not in streamed and '"source": "004_9bc1640c6c35c08d.txt"' in streamed


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("/srv/app/data/corpus/programs/kyoto.html", "programs/kyoto.html"),
        ("/home/x/docs/busan.txt", "busan.txt"),
        ("/home/x/docs/ann.jsonl#ann/seniors-fr", "ann.jsonl#ann/seniors-fr"),
        ("C:\\exchange\\corpus\\004.txt", "004.txt"),
        ("programs/kyoto.html", "programs/kyoto.html"),
        ("https://example.org/a/b", "https://example.org/a/b"),
    ],
)
def test_public_source_never_shows_the_server_layout(stored: str, shown: str) -> None:
    assert public_source(stored) == shown
