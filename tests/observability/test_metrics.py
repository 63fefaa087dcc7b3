"""GET /metrics: Prometheus text with request, answer, error and index-size figures."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from assistant.api import create_app
from assistant.partners.access import AccessPolicy

OPEN = AccessPolicy(anonymous=True)


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_count_answers_errors_and_routes_by_template(assistant) -> None:
    client = TestClient(create_app(assistant=assistant, access=OPEN))
    assert client.post("/v1/ask", json={"question": "Which cities is Nancy twinned with?"}).status_code == 200
    assert client.post("/v1/ask", json={"question": "   "}).status_code == 422
    question = {"question": "Which cities is Nancy twinned with?"}
    with client.stream("POST", "/v1/ask/stream", json=question) as r:
        assert r.status_code == 200
        r.read()
    assert client.get("/no/such/page/12345").status_code == 404

    samples = _samples(client)
    requests = "exchange_assistant_http_requests_total"
    assert samples[(requests, (("method", "POST"), ("route", "/v1/ask"), ("status", "200")))] == 1
    assert samples[(requests, (("method", "POST"), ("route", "/v1/ask"), ("status", "422")))] == 1
    assert samples[(requests, (("method", "POST"), ("route", "/v1/ask/stream"), ("status", "200")))] == 1
    # the raw path of an unknown page never becomes a label
    assert samples[(requests, (("method", "GET"), ("route", "<unmatched>"), ("status", "404")))] == 1
    assert not any("/no/such" in str(labels) for _, labels in samples)
    assert samples[("exchange_assistant_answers_total", (("generator", "extractive"),))] == 2
    assert samples[("exchange_assistant_errors_total", (("error_code", "invalid_input"),))] == 1
    assert samples[("exchange_assistant_retrieval_duration_seconds_count", ())] == 2
    assert samples[(
        "exchange_assistant_http_request_duration_seconds_count",
        (("method", "POST"), ("route", "/v1/ask"), ("status", "200")),
    )] == 1
    documents = samples[("exchange_assistant_index_documents", ())]
    assert documents > 0
    assert samples[("exchange_assistant_index_chunks", ())] >= documents


def test_metrics_count_refusals(assistant) -> None:
    client = TestClient(create_app(assistant=assistant, access=OPEN))
    question = "What is the boiling point of liquid nitrogen in kelvin?"
    answer = client.post("/v1/ask", json={"question": question}).json()
    assert answer["refused"], answer["answer"]
    samples = _samples(client)
    assert samples[("exchange_assistant_refusals_total", (("generator", "extractive"),))] == 1


def test_each_app_has_its_own_metrics(assistant) -> None:
    first, second = TestClient(create_app(assistant=assistant, access=OPEN)), TestClient(create_app(assistant=assistant, access=OPEN))
    first.get("/healthz")
    first.get("/healthz")
    labels = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
    key = ("exchange_assistant_http_requests_total", labels)
    assert _samples(first)[key] == 2
    assert key not in _samples(second)


def test_body_too_large_is_counted_as_an_error(assistant) -> None:
    client = TestClient(create_app(assistant=assistant, access=OPEN))
    body = b"{" + b" " * (70 * 1024) + b"}"
    response = client.post("/v1/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    samples = _samples(client)
    assert samples[("exchange_assistant_errors_total", (("error_code", "body_too_large"),))] == 1
