"""docker-compose.yml and the Dockerfile: valid Compose, real settings, real commands, health checks."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import jsonschema
import pytest
import yaml

from assistant.cli import build_parser
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEMA = Path(__file__).with_name("compose-spec.json")
OUR_IMAGE = "exchange-assistant"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _environment(service: dict) -> dict[str, object]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return dict(env)


def _ours(compose: dict) -> dict[str, dict]:
    return {
        name: svc for name, svc in compose["services"].items()
        if "build" in svc or str(svc.get("image", "")).startswith(OUR_IMAGE)
    }


def _settings_env_names() -> set[str]:
    """Every environment variable name Settings reads: the prefixed field names and the aliases."""
    prefix = Settings.model_config.get("env_prefix", "")
    names = set()
    for field_name, field in Settings.model_fields.items():
        names.add(f"{prefix}{field_name}".upper())
        alias = field.validation_alias
        choices = getattr(alias, "choices", None) or ([alias] if isinstance(alias, str) else [])
        names.update(str(choice).upper() for choice in choices)
    return names


def test_compose_file_is_valid_against_the_compose_specification(compose: dict) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_every_assistant_variable_the_compose_file_sets_is_a_real_setting(compose: dict) -> None:
    valid = _settings_env_names()
    assert "EXCHANGE_ASSISTANT_CHROMA_HOST" in valid
    assert "SLACK_BOT_TOKEN" in valid
    unknown = {
        f"{name}: {key}"
        for name, svc in compose["services"].items()
        for key in _environment(svc)
        if key.startswith(("EXCHANGE_ASSISTANT_", "SLACK_")) and key not in valid
    }
    assert not unknown, f"not fields of assistant.settings.Settings: {sorted(unknown)}"


def test_every_service_of_our_image_runs_a_real_subcommand(compose: dict) -> None:
    parser = build_parser()
    services = _ours(compose)
    assert {"api", "slack", "ingest"} <= set(services)
    for name, svc in services.items():
        command = svc["command"]
        argv = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
        assert argv[0] == "exchange-assistant", f"{name}: command must start with exchange-assistant"
        try:
            args = parser.parse_args(argv[1:])
        except SystemExit:
            pytest.fail(f"{name}: `{' '.join(argv)}` is not a valid exchange-assistant command")
        assert callable(args.handler), name


def test_api_serves_on_all_interfaces_and_ingest_reads_the_mounted_corpus(compose: dict) -> None:
    api = compose["services"]["api"]["command"]
    assert api[:2] == ["exchange-assistant", "serve"]
    assert api[api.index("--host") + 1] == "0.0.0.0"
    ingest = compose["services"]["ingest"]
    assert ingest["profiles"] == ["ingest"]
    assert any(re.search(r":/corpus(:ro)?$", str(volume)) for volume in ingest["volumes"])


def test_chroma_and_api_have_health_checks_and_api_waits_for_chroma(compose: dict) -> None:
    chroma, api = compose["services"]["chroma"], compose["services"]["api"]
    assert chroma["image"] == "chromadb/chroma:1.5.9"  # the server of the pinned chromadb==1.5.9 client
    assert "/api/v2/heartbeat" in " ".join(chroma["healthcheck"]["test"])
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    assert api["depends_on"]["chroma"]["condition"] == "service_healthy"
    assert _environment(api)["EXCHANGE_ASSISTANT_CHROMA_HOST"] == "chroma"


def test_chroma_image_matches_the_pinned_client() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pinned = re.search(r'"chromadb==([^"]+)"', pyproject)
    assert pinned, "chromadb is not pinned in pyproject.toml"
    assert f"chromadb/chroma:{pinned.group(1)}" in COMPOSE.read_text(encoding="utf-8")


def test_optional_llm_server_is_an_openai_endpoint_the_api_can_use(compose: dict) -> None:
    llm = compose["services"]["llm"]
    assert llm["profiles"] == ["llm"]
    assert llm["image"].startswith("ghcr.io/ggml-org/llama.cpp:server")
    env = _environment(compose["services"]["api"])
    assert "http://llm:8080/v1" in str(env["EXCHANGE_ASSISTANT_OPENAI_BASE_URL"])


def test_secrets_are_passed_by_name_not_written_in_the_file(compose: dict) -> None:
    for name, svc in compose["services"].items():
        for key, value in _environment(svc).items():
            if re.search(r"TOKEN|SECRET|PASSWORD|DATABASE_URL", key):
                assert value is None or str(value).startswith("${"), f"{name}: {key} has a literal value"


def test_files_the_dockerfile_copies_exist() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    copied = []
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["COPY"] and not any(p.startswith("--from") for p in parts):
            copied += [p for p in parts[1:-1] if not p.startswith("--")]
    assert "pyproject.toml" in copied
    assert "assistant" in copied
    missing = [path for path in copied if not (ROOT / path).exists()]
    assert not missing, f"the Dockerfile copies files that do not exist: {missing}"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert not set(copied) & set(ignored), ".dockerignore excludes a file the Dockerfile copies"


def test_dockerfile_runs_as_non_root_with_a_health_check_and_the_model_checked_at_build() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^USER (?!root)\S+", text, re.M)
    assert "HEALTHCHECK" in text
    assert "/readyz" in text
    assert "exchange-assistant model install" in text
    assert "EXCHANGE_ASSISTANT_DATA_DIR=/data" in text
    assert re.search(r'pip install "\.\[local,openai,postgres\]"', text)
