"""Issue 13: a bounded random fuzz (fixed seeds, reproducible) over the request schemas and the
loaders: never a 5xx, never a hang (every request has a client timeout the server must beat),
never an index that lost a document whose file is still there."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import live_server

from assistant.answer.chain import Assistant
from assistant.api import create_app
from assistant.components import build_store
from assistant.partners.access import AccessPolicy
from assistant.settings import Settings
from assistant.storage.db import build_engine
from assistant.storage.feedback import FeedbackStore
from ingest.pipeline import run_ingest

SEED = 1313
ALPHABET = string.printable + "éàüßøñ中文日本語한국어ไทย" + "\u200b\u202e\ufeff\U0001f600"
STRINGS = ["", " ", "2025-13-45", "2025", "2024-02-29", "not-a-date", "*", "../../etc/passwd", "\\ud800",
           "programs/*", "en", "zz", "x" * 3000, "null", "<script>alert(1)</script>", "javascript:alert(1)"]


def random_text(rng: random.Random, limit: int = 80) -> str:
    if rng.random() < 0.4:
        return rng.choice(STRINGS)
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, limit)))


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["str", "int", "float", "bool", "null"] + (["list", "dict"] if depth < 4 else [])
    match rng.choice(kinds):
        case "str":
            return random_text(rng)
        case "int":
            return rng.choice([0, -1, 1, 2**63, -(2**63), 10**30])
        case "float":
            return rng.choice([0.5, -1e308, 1e308, 3.14])
        case "bool":
            return rng.random() < 0.5
        case "null":
            return None
        case "list":
            return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
        case _:
            return {random_text(rng, 12): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def ask_body(rng: random.Random) -> Any:
    body: dict[str, Any] = {"question": random_text(rng)}
    if rng.random() < 0.5:
        body["history"] = [
            {"role": rng.choice(["user", "assistant", "robot", 3]), "content": random_value(rng)}
            for _ in range(rng.randint(0, 25))
        ]
    if rng.random() < 0.6:
        body["filters"] = {
            key: rng.choice([random_value(rng), [random_text(rng, 10)], random_text(rng, 12)])
            for key in rng.sample(["languages", "sources", "date_from", "date_to", "other"], rng.randint(1, 4))
        }
    if rng.random() < 0.2:
        return random_value(rng)  # not even an object
    if rng.random() < 0.2:
        body[random_text(rng, 8)] = random_value(rng)
    return body


def feedback_body(rng: random.Random) -> Any:
    body: dict[str, Any] = {
        "rating": rng.choice(["up", "down", "meh", None, 1]),
        "question": random_text(rng),
        "answer": random_text(rng, 200),
        "citations": [random_value(rng) for _ in range(rng.randint(0, 3))],
        "session_id": random_text(rng, 20),
        "refused": random_value(rng),
    }
    for key in rng.sample(list(body), rng.randint(0, 2)):
        del body[key]
    return body


def encode(rng: random.Random, body: Any) -> bytes:
    raw = json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    roll = rng.random()
    if roll < 0.1:  # truncated or corrupted JSON
        return raw[: rng.randint(0, len(raw))]
    if roll < 0.15:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
    return raw


@pytest.fixture(scope="module")
def server(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    feedback = FeedbackStore(build_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'f.sqlite3'}"))
    app = create_app(
        assistant=assistant, feedback=feedback, access=AccessPolicy(anonymous=True, anonymous_rpm=100_000),
        body_timeout_seconds=2.0,
    )
    with live_server(lambda _url: app) as url:
        yield url


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/ask/stream", "/v1/feedback"])
def test_random_requests_never_get_a_5xx_and_errors_have_the_error_shape(server: str, path: str) -> None:
    rng = random.Random(f"{SEED}{path}")
    maker = feedback_body if path == "/v1/feedback" else ask_body
    with httpx.Client(timeout=60) as client:  # a hang fails the test with a timeout
        for case in range(60):
            content = encode(rng, maker(rng))
            response = client.post(f"{server}{path}", content=content, headers={"Content-Type": "application/json"})
            where = f"case {case}: {content[:300]!r}"
            assert response.status_code < 500, f"{where} -> {response.status_code} {response.text[:300]}"
            if response.status_code >= 400:
                body = response.json()
                assert set(body) >= {"error_code", "detail"}, where
            elif path == "/v1/ask/stream":
                assert "event: done" in response.text and "internal_error" not in response.text, where


# --- loaders ------------------------------------------------------------------------------------

SUFFIXES = [".txt", ".md", ".html", ".pdf", ".jsonl", ".csv", ".tsv"]


def random_file(rng: random.Random, suffix: str) -> bytes:
    roll = rng.random()
    if roll < 0.2:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
    if suffix == ".jsonl":
        lines = [json.dumps(random_value(rng)) if rng.random() < 0.5 else
                 json.dumps({"id": random_text(rng, 6), "text": random_text(rng, 120)}) for _ in range(rng.randint(0, 5))]
        return "\n".join(lines).encode("utf-8", "surrogatepass")
    if suffix in (".csv", ".tsv"):
        sep = "," if suffix == ".csv" else "\t"
        rows = [sep.join(random_text(rng, 10).replace("\n", " ") for _ in range(rng.randint(0, 5)))
                for _ in range(rng.randint(0, 6))]
        return "\n".join(rows).encode("utf-8", "surrogatepass")
    if suffix == ".md" and rng.random() < 0.5:
        return f"---\n{random_text(rng, 40)}: [\n---\n{random_text(rng, 200)}".encode("utf-8", "surrogatepass")
    if suffix == ".html":
        return f"<html><body><{random_text(rng, 5)}>{random_text(rng, 300)}</body>".encode("utf-8", "surrogatepass")
    if suffix == ".pdf":
        return b"%PDF-1.4\n" + bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    return random_text(rng, 300).encode("utf-8", "surrogatepass")


def test_random_files_never_crash_ingest_nor_lose_documents_still_there(
    tmp_path: Path, encoders: dict, fresh_collection_settings: Settings
) -> None:
    rng = random.Random(SEED)
    docs = tmp_path / "docs"
    docs.mkdir()
    keepers = {}
    for n in range(4):
        keepers[f"keep-{n}"] = docs / f"keep-{n}.md"
        keepers[f"keep-{n}"].write_text(f"# Keeper {n}\n\nThe keeper programme {n} hosts {n + 3} students.\n")
    store = build_store(fresh_collection_settings, encoders)
    assert run_ingest([docs], store, encoders, progress=False).ok
    for round_ in range(3):
        for n in range(8):
            suffix = rng.choice(SUFFIXES)
            (docs / f"fuzz-{round_}-{n}{suffix}").write_bytes(random_file(rng, suffix))
        victim = keepers[f"keep-{round_}"]  # a document indexed before, now overwritten with junk
        victim.write_bytes(random_file(rng, ".md") if rng.random() < 0.5 else b"\x00\x01\x02")
        stats = run_ingest([docs], store, encoders, progress=False)  # must not raise
        assert stats.removed == 0, stats.errors
        present = set(store.manifest())
        assert set(keepers) <= present, (round_, stats.errors)
        for error in stats.errors:
            assert str(docs) in error  # every failure names its file
