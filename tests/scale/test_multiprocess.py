"""Several processes on shared engines, as docs/deployment.md describes: a real PostgreSQL
(initdb in a temp dir), a `chroma run` server, two `exchange-assistant serve` processes (their own
data dirs: nothing shared on disk) behind a round-robin proxy on loopback, ingests run as third
processes, and the fake Slack Web API. What one process writes or counts, the other sees."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from chroma_server import chroma_server, free_port, stop_process
from postgres_server import postgres_bindir, postgres_server
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.multiprocess, pytest.mark.slow]

ADMIN_TOKEN = "mp-admin-token"
ORIGIN = "https://partner.example"
TIANJIN = "How many people attended the Tianjin-Qinghai cultural and tourism event?"
NEW_DOC_QUESTION = "How many teachers does the Grenoble-Kaunas teacher residency host each year?"
NEW_DOC = """---
title: Grenoble-Kaunas Teacher Residency
lang: en
---
The Grenoble-Kaunas Teacher Residency hosts 17 secondary-school teachers each year for a
six-week residency in Kaunas, Lithuania, with lodging paid by the twin-city committee.
"""


def _slack_harness() -> Any:
    """tests/slack/conftest.py (its fake Slack Web API and constants), loaded by path."""
    spec = importlib.util.spec_from_file_location("slack_harness", ROOT / "tests" / "slack" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["slack_harness"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


slack_harness = _slack_harness()


# --- processes -------------------------------------------------------------------------------


def base_env(pg_url: str, chroma: tuple[str, int]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXCHANGE_ASSISTANT_", "SLACK_"))}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "EXCHANGE_ASSISTANT_CHROMA_HOST": chroma[0],
            "EXCHANGE_ASSISTANT_CHROMA_PORT": str(chroma[1]),
            "EXCHANGE_ASSISTANT_DATABASE_URL": pg_url,
            "EXCHANGE_ASSISTANT_COLLECTION": "multiprocess",
            "EXCHANGE_ASSISTANT_GENERATOR": "extractive",
            "EXCHANGE_ASSISTANT_ANONYMOUS_ACCESS": "true",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    return env


def cli(env: dict[str, str], data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        env={**env, "EXCHANGE_ASSISTANT_DATA_DIR": str(data_dir)},
        capture_output=True, text=True, timeout=600, check=False,
    )


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_serve(env: dict[str, str], data_dir: Path, extra: dict[str, str]) -> Server:
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, **extra, "EXCHANGE_ASSISTANT_DATA_DIR": str(data_dir)},
        stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )
    return Server(f"http://127.0.0.1:{port}", process, log)


def wait_ready(server: Server, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"serve exited ({server.process.returncode}):\n{server.log_text()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"serve not ready:\n{server.log_text()[-3000:]}")


def wait_until(predicate: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


# --- a round-robin proxy -----------------------------------------------------------------------


@dataclass
class Proxy:
    """Sends request i to upstream i mod N (what a load balancer does) and says which one
    answered in `X-Upstream`."""

    upstreams: list[str]
    server: ThreadingHTTPServer | None = None
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def pick(self) -> int:
        with self._lock:
            index = self._next % len(self.upstreams)
            self._next += 1
            return index

    def start(self) -> None:
        proxy = self
        client = httpx.Client(timeout=120)
        hop = {"host", "connection", "content-length", "transfer-encoding", "keep-alive", "content-encoding"}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                index = proxy.pick()
                upstream = client.request(
                    self.command, proxy.upstreams[index] + self.path, content=body,
                    headers={k: v for k, v in self.headers.items() if k.lower() not in hop},
                )
                self.send_response(upstream.status_code)
                for key, value in upstream.headers.multi_items():
                    if key.lower() not in hop:
                        self.send_header(key, value)
                self.send_header("X-Upstream", str(index))
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            do_GET = _forward
            do_POST = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


# --- the deployment ----------------------------------------------------------------------------


@dataclass
class Deployment:
    env: dict[str, str]
    root: Path
    servers: list[Server]
    proxy: Proxy
    fake: Any  # FakeSlack
    http: httpx.Client

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if postgres_bindir() is None:
        pytest.skip("PostgreSQL server binaries (Debian's postgresql package) are not installed: "
                    "`make setup-test` installs them with scripts/install-postgres.sh")
    root = tmp_path_factory.mktemp("multiprocess")
    fake = slack_harness.FakeSlack()
    fake.start()
    servers: list[Server] = []
    proxy: Proxy | None = None
    try:
        with postgres_server() as pg_url, chroma_server(root / "chroma") as chroma:
            env = base_env(pg_url, chroma)
            ingested = cli(env, root / "ingest-0", "ingest", str(ROOT / "corpus"))
            assert ingested.returncode == 0, ingested.stderr[-3000:]
            extra = {
                "EXCHANGE_ASSISTANT_ADMIN_TOKEN": ADMIN_TOKEN,
                "SLACK_BOT_TOKEN": slack_harness.BOT_TOKEN,
                "SLACK_SIGNING_SECRET": slack_harness.SIGNING_SECRET,
                "SLACK_API_URL": fake.api_url,
            }
            # started together (they load their models in parallel), then awaited
            servers.extend(start_serve(env, root / f"api-{i}", extra) for i in range(2))
            for server in servers:
                wait_ready(server)
            proxy = Proxy([s.url for s in servers])
            proxy.start()
            with httpx.Client(timeout=120) as http:
                yield Deployment(env, root, servers, proxy, fake, http)
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            stop_process(server.process, timeout=20)
        fake.stop()


def ask(http: httpx.Client, url: str, key: str | None = None, question: str = TIANJIN) -> httpx.Response:
    headers = {"X-Partner-Key": key, "Origin": ORIGIN} if key else {}
    return http.post(f"{url}/v1/ask", json={"question": question}, headers=headers)


def create_partner(d: Deployment, url: str, rpm: int) -> dict[str, Any]:
    response = d.http.post(
        f"{url}/v1/admin/partners", headers=d.admin(),
        json={"name": f"mp-{uuid.uuid4().hex[:8]}", "origins": [ORIGIN], "rpm": rpm},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


# --- partners and rate limits ------------------------------------------------------------------


def test_partner_with_rpm_n_gets_n_answers_a_minute_across_both_processes(deployment: Deployment) -> None:
    d = deployment
    partner = create_partner(d, d.proxy.url, rpm=3)
    responses = [ask(d.http, d.proxy.url, partner["key"]) for _ in range(8)]
    answered = [r for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    assert len(answered) == 3, [r.status_code for r in responses]
    assert len(limited) == 5
    assert {r.headers["x-upstream"] for r in answered + limited} == {"0", "1"}  # both processes served
    assert {r.headers["x-upstream"] for r in limited} == {"0", "1"}  # and both refused
    for response in limited:
        assert response.json()["error_code"] == "rate_limited"
        assert 1 <= int(response.headers["retry-after"]) <= 60


def test_partner_created_through_one_process_works_and_is_listed_through_the_other(deployment: Deployment) -> None:
    d = deployment
    first, second = (s.url for s in d.servers)
    partner = create_partner(d, first, rpm=30)
    listed = d.http.get(f"{second}/v1/admin/partners/{partner['name']}", headers=d.admin())
    assert listed.status_code == 200 and listed.json()["key"] == partner["key"]
    assert ask(d.http, second, partner["key"]).status_code == 200
    revoked = d.http.post(f"{second}/v1/admin/partners/{partner['name']}/revoke", headers=d.admin())
    assert revoked.status_code == 200, revoked.text
    assert ask(d.http, first, partner["key"]).json()["error_code"] == "partner_revoked"


# --- Slack -------------------------------------------------------------------------------------


def signed_post(http: httpx.Client, url: str, body: str, content_type: str, headers: dict[str, str] | None = None) -> int:
    ts = str(int(time.time()))
    signature = SignatureVerifier(slack_harness.SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
    response = http.post(
        f"{url}/slack/events", content=body.encode(),
        headers={"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
                 **(headers or {})},
    )
    return response.status_code


def dm_event(channel: str, ts: str, event_id: str, text: str = TIANJIN) -> str:
    event = {
        "type": "message", "user": "U1", "text": text, "ts": ts, "event_ts": ts, "channel": channel,
        "channel_type": "im", "client_msg_id": str(uuid.uuid4()),
    }
    return json.dumps({
        "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event_id": event_id,
        "event_time": int(time.time()), "event": event,
        "authorizations": [{"team_id": "T1", "user_id": slack_harness.BOT_USER, "is_bot": True}],
    })


def answers_in(fake: Any, channel: str) -> list[Any]:
    return [c for c in fake.calls_to("chat.update") if c.body.get("channel") == channel]


def working_posts(fake: Any, channel: str) -> list[Any]:
    return [c for c in fake.calls_to("chat.postMessage") if c.body.get("channel") == channel]


def test_same_slack_event_and_its_retry_to_two_processes_is_answered_once(deployment: Deployment) -> None:
    d = deployment
    body = dm_event("D-once", "1700000000.000100", "Ev-once")
    urls = [s.url for s in d.servers]
    with ThreadPoolExecutor(4) as pool:  # both processes at the same moment, as a duplicated delivery would
        first = list(pool.map(lambda url: signed_post(d.http, url, body, "application/json"), urls))
        retry = list(pool.map(
            lambda url: signed_post(d.http, url, body, "application/json",
                                    {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}),
            urls,
        ))
    assert first == retry == [200, 200]
    wait_until(lambda: answers_in(d.fake, "D-once"), "the answer")
    # the process that lost the race said so; both acknowledged the retry without handling it
    wait_until(lambda: sum("duplicate delivery ignored" in s.log_text() for s in d.servers) == 1, "the duplicate")
    assert all("ignoring Slack retry" in s.log_text() for s in d.servers)
    assert len(working_posts(d.fake, "D-once")) == 1
    assert len(answers_in(d.fake, "D-once")) == 1
    assert "1,000" in json.dumps(answers_in(d.fake, "D-once")[0].body)


def test_feedback_written_through_one_process_is_read_through_the_other(deployment: Deployment) -> None:
    d = deployment
    first, second = (s.url for s in d.servers)
    # the answer is posted by the first process ...
    assert signed_post(d.http, first, dm_event("D-fb", "1700000100.000100", "Ev-fb"), "application/json") == 200
    update = wait_until(lambda: answers_in(d.fake, "D-fb"), "the answer")[0]
    value = next(
        e["value"] for b in update.body["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == "exchange_feedback_up"
    )
    # ... and its 👍 reaches the second, which finds the answer the first one stored
    payload = {
        "type": "block_actions", "team": {"id": "T1"}, "api_app_id": "A1", "token": "legacy", "trigger_id": "t1",
        "user": {"id": "U2"}, "channel": {"id": "D-fb"},
        "container": {"type": "message", "message_ts": update.body["ts"], "channel_id": "D-fb", "is_ephemeral": False},
        "message": {"type": "message", "ts": update.body["ts"], "text": update.body["text"],
                    "blocks": update.body["blocks"]},
        "response_url": d.fake.response_url("fb"),
        "actions": [{"type": "button", "action_id": "exchange_feedback_up", "block_id": "feedback", "value": value}],
    }
    from urllib.parse import urlencode

    form = urlencode({"payload": json.dumps(payload)})
    assert signed_post(d.http, second, form, "application/x-www-form-urlencoded") == 200
    wait_until(
        lambda: [c for c in d.fake.calls_to("chat.update") if "found this helpful" in json.dumps(c.body)],
        "the thanks",
    )
    # widget feedback through the first process
    partner = create_partner(d, second, rpm=30)
    stored = d.http.post(
        f"{first}/v1/feedback", headers={"X-Partner-Key": partner["key"], "Origin": ORIGIN},
        json={"rating": "down", "question": "Unique widget question 42?", "answer": "no", "session_id": "s-mp"},
    )
    assert stored.status_code == 201, stored.text
    # both read back by a third process from the shared database
    exported = cli(d.env, d.root / "export", "feedback", "export")
    assert exported.returncode == 0, exported.stderr[-2000:]
    questions = [json.loads(line)["question"] for line in exported.stdout.splitlines()]
    assert TIANJIN in questions and "Unique widget question 42?" in questions


# --- ingest from a third process ---------------------------------------------------------------


def documents(url: str) -> int:
    return int(httpx.get(f"{url}/readyz", timeout=10).json()["documents"])


def test_ingest_by_a_third_process_is_seen_by_both_without_rebuilding_the_keyword_index(
    deployment: Deployment,
) -> None:
    d = deployment
    before = [documents(s.url) for s in d.servers]
    logs_before = [len(s.log_text()) for s in d.servers]
    folder = d.root / "new-docs"
    folder.mkdir()
    (folder / "grenoble-kaunas.md").write_text(NEW_DOC, encoding="utf-8")
    ingested = cli(d.env, d.root / "ingest-1", "ingest", str(folder))
    assert ingested.returncode == 0, ingested.stderr[-3000:]
    assert "added 1" in ingested.stdout
    for server, count in zip(d.servers, before, strict=True):
        answer = wait_until(
            lambda s=server: (r := ask(d.http, s.url, question=NEW_DOC_QUESTION).json())
            and any(c["doc_id"] == "grenoble-kaunas" for c in r["citations"]) and r,
            f"{server.url} to answer from the new document",
        )
        assert "17" in answer["answer"]
        assert documents(server.url) == count + 1
    for server, offset in zip(d.servers, logs_before, strict=True):
        new_lines = server.log_text()[offset:]
        assert "keyword index opened" in new_lines  # the one ingest saved, not rebuilt here
        assert "building it from all chunks" not in new_lines
