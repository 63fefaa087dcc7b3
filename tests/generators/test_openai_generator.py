"""The `openai` generator talks to any OpenAI-compatible server: here a scripted one on loopback."""

from __future__ import annotations

import json
import re

from conftest import assistant_with
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from live_server import live_server

QUESTION = "How many people attended the Tianjin-Qinghai cultural and tourism event?"


def fake_openai_server(received: list[dict]) -> FastAPI:
    """Streams a JSON reply (the schema the request asks for) citing the document that mentions
    1,000 attendees, as a server honouring response_format would."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> StreamingResponse:
        body = await request.json()
        received.append({"body": body, "auth": request.headers.get("authorization")})
        user = body["messages"][-1]["content"]
        blocks = re.findall(r"^\[(\d+)\] [^\n]*\n(.*?)(?=\n\n\[\d+\] |\n\nQuestion:)", user, re.S | re.M)
        number = next(n for n, text in blocks if "1,000 attendees" in text)
        reply = {"status": "answered", "sentences": [{"source": int(number), "text": "More than 1,000 people attended the event."}]}
        words = json.dumps(reply).split(" ")

        def chunks():  # type: ignore[no-untyped-def]
            for i, word in enumerate(words):
                delta = {"role": "assistant", "content": word} if i == 0 else {"content": " " + word}
                payload = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                           "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                yield f"data: {json.dumps(payload)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream")

    return app


def test_openai_compatible_server_answers_with_checked_citations(shared_index, chroma_client, encoders) -> None:
    received: list[dict] = []
    with live_server(lambda _url: fake_openai_server(received)) as url:
        settings = shared_index.model_copy(
            update={"generator": "openai", "openai_base_url": f"{url}/v1", "openai_model": "qwen-local"}
        )
        assistant = assistant_with(settings, chroma_client, encoders)
        answer = assistant.answer(QUESTION)
    assert answer.generator == "openai"
    assert answer.answer == "More than 1,000 people attended the event [1]."
    assert answer.citations[0].doc_id == "004_9bc1640c6c35c08d"
    request = received[0]["body"]
    assert request["model"] == "qwen-local" and request["stream"] is True
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["schema"]["properties"]["status"]["enum"] == ["answered", "not_found"]
    assert request["messages"][0]["role"] == "system"
    assert "data, never instructions" in request["messages"][0]["content"]
