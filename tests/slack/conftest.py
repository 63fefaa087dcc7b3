"""Slack test harness: a fake Slack Web API on loopback that records every call, and the real
FastAPI app (with the Bolt app mounted at /slack/events) served by uvicorn in a thread."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from slack_sdk.signature import SignatureVerifier

from assistant.answer.chain import Assistant
from assistant.api import create_app
from assistant.index.chroma_local import free_port
from assistant.models import Filters
from assistant.settings import Settings
from assistant.slack.app import create_slack_app
from assistant.storage.db import build_engine
from assistant.storage.feedback import FeedbackStore

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
BOT_USER = "UBOT"
BOT_ID = "BBOT"


@dataclass
class Call:
    method: str  # Web API method ("chat.postMessage") or "response/<name>" for a response_url
    body: dict[str, Any]
    auth: str | None
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeSlack:
    """A Slack Web API stand-in: answers like Slack and records every request."""

    calls: list[Call] = field(default_factory=list)
    threads: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base}/response/{name}"

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[FakeSlack], Any], timeout: float = 60.0) -> Any:
        """Poll until predicate(self) is truthy (synchronisation with Bolt's listener threads)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate(self)
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting; calls so far: {[c.method for c in self.calls]}")

    def record(self, method: str, body: dict[str, Any], auth: str | None) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            response = self._respond(method, body, f"1800000000.{self._counter:06d}")
            self.calls.append(Call(method, body, auth, response))
        return response

    def _respond(self, method: str, body: dict[str, Any], ts: str) -> dict[str, Any]:
        channel = body.get("channel")
        match method:
            case "auth.test":
                return {
                    "ok": True,
                    "url": "https://example.slack.com/",
                    "team": "Example",
                    "user": "exchange",
                    "team_id": "T1",
                    "user_id": BOT_USER,
                    "bot_id": BOT_ID,
                    "is_enterprise_install": False,
                }
            case "chat.postMessage":
                return {
                    "ok": True,
                    "channel": channel,
                    "ts": ts,
                    "message": {"text": body.get("text"), "ts": ts, "bot_id": BOT_ID},
                }
            case "chat.update":
                return {"ok": True, "channel": channel, "ts": body.get("ts"), "text": body.get("text")}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            case "conversations.replies":
                messages = self.threads.get((str(channel), str(body.get("ts"))), [])
                return {"ok": True, "messages": messages, "has_more": False}
            case _:
                return {"ok": True}

    def start(self, port: int = 0) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                body: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
                if raw and "json" in (self.headers.get("Content-Type") or ""):
                    body.update(json.loads(raw))
                elif raw:
                    body.update({k: v[-1] for k, v in urllib.parse.parse_qs(raw).items()})
                for key in ("blocks", "attachments"):
                    if isinstance(body.get(key), str):
                        body[key] = json.loads(body[key])
                if url.path.startswith("/response/"):
                    fake.record(url.path.lstrip("/"), body, None)
                    payload = b"ok"
                    content_type = "text/plain"
                else:
                    method = url.path.removeprefix("/api/")
                    payload = json.dumps(
                        fake.record(method, body, self.headers.get("Authorization"))
                    ).encode()
                    content_type = "application/json"
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _handle
            do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Harness:
    fake: FakeSlack
    url: str  # http://127.0.0.1:PORT of the API
    feedback: FeedbackStore
    http: httpx.Client

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST to /slack/events signed as Slack does (v0 HMAC-SHA256 of v0:timestamp:body)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sig = signature or SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
        }
        all_headers.update(headers or {})
        return self.http.post(f"{self.url}/slack/events", content=body.encode(), headers=all_headers)

    def send_event(self, event: dict[str, Any], event_id: str, **kwargs: Any) -> httpx.Response:
        envelope = {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
        }
        return self.post(json.dumps(envelope), "application/json", **kwargs)

    def send_form(self, fields: dict[str, str], **kwargs: Any) -> httpx.Response:
        return self.post(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **kwargs)

    def send_action(self, payload: dict[str, Any]) -> httpx.Response:
        return self.send_form({"payload": json.dumps(payload)})


@pytest.fixture
def serve_slack(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    """serve_slack(assistant, channel_scopes=None) -> Harness; everything is stopped afterwards."""
    stops: list[Callable[[], None]] = []

    def start(assistant: Assistant, channel_scopes: dict[str, Filters] | None = None) -> Harness:
        fake = FakeSlack()
        fake.start()
        stops.append(fake.stop)
        settings = Settings()  # data_dir is tmp_path/data (autouse fixture): same DB as the CLI
        feedback = FeedbackStore(build_engine(settings.resolved_database_url))
        slack_app = create_slack_app(
            assistant,
            feedback,
            token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            api_url=fake.api_url,
            channel_scopes=channel_scopes,
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(assistant=assistant, slack_app=slack_app),
                host="127.0.0.1",
                port=port,
                log_level="warning",
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started, "uvicorn did not start"

        def stop_server() -> None:
            server.should_exit = True
            thread.join(timeout=10)

        stops.append(stop_server)
        http = httpx.Client(timeout=30)
        stops.append(http.close)
        return Harness(fake=fake, url=f"http://127.0.0.1:{port}", feedback=feedback, http=http)

    yield start
    for stop in reversed(stops):
        stop()
