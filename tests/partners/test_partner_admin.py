"""Partner administration: the admin API (bearer token) and the `partners` CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from partner_support import ADMIN_TOKEN, PARTNER_ORIGIN, TIANJIN, Api, api_server

from assistant import cli
from assistant.answer.chain import Assistant

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def ask_status(url: str, key: str) -> tuple[int, str]:
    response = httpx.post(
        f"{url}/v1/ask", json={"question": TIANJIN}, headers={"X-Partner-Key": key, "Origin": PARTNER_ORIGIN},
        timeout=120,
    )
    return response.status_code, response.json().get("error_code", "")


def test_admin_api_refuses_requests_without_the_admin_token(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}):
        response = httpx.get(f"{api.url}/v1/admin/partners", headers=headers)
        assert response.status_code == 401
        assert response.json()["error_code"] == "unauthorized"
        assert "WWW-Authenticate" in response.headers
    response = httpx.post(f"{api.url}/v1/admin/partners", json={"name": "x", "origins": [PARTNER_ORIGIN]})
    assert response.status_code == 401


def test_admin_api_creates_lists_rotates_and_revokes_partners(api: Api) -> None:
    base = f"{api.url}/v1/admin/partners"
    body = {"name": "admin-made", "origins": [PARTNER_ORIGIN + "/"], "sources": ["programs/*"], "rpm": 7}
    created = httpx.post(base, json=body, headers=ADMIN)
    assert created.status_code == 201
    partner = created.json()
    assert partner["key"].startswith("pk_")
    assert partner["origins"] == [PARTNER_ORIGIN]  # normalised: no trailing slash
    assert (partner["sources"], partner["rpm"]) == (["programs/*"], 7)
    assert httpx.post(base, json=body, headers=ADMIN).status_code == 409
    with_path = {**body, "name": "other", "origins": ["https://x.example/path"]}
    bad = httpx.post(base, json=with_path, headers=ADMIN)
    assert bad.status_code == 422
    assert "origin" in bad.json()["detail"]

    names = [p["name"] for p in httpx.get(base, headers=ADMIN).json()]
    assert "admin-made" in names
    assert ask_status(api.url, partner["key"])[0] == 200

    rotated = httpx.post(f"{base}/admin-made/rotate", headers=ADMIN).json()
    assert rotated["key"] != partner["key"]
    assert ask_status(api.url, partner["key"]) == (401, "invalid_partner_key")

    revoked = httpx.post(f"{base}/admin-made/revoke", headers=ADMIN).json()
    assert revoked["revoked"] is True
    assert ask_status(api.url, rotated["key"]) == (403, "partner_revoked")
    assert httpx.post(f"{base}/nobody/revoke", headers=ADMIN).status_code == 404


def test_admin_api_is_disabled_without_a_configured_token(assistant: Assistant, tmp_path: Path) -> None:
    with api_server(assistant, tmp_path / "db.sqlite3", admin_token=None) as server:
        response = httpx.get(f"{server.url}/v1/admin/partners", headers=ADMIN)
    assert response.status_code == 403
    assert response.json()["error_code"] == "admin_disabled"
    assert "admin token" in response.json()["detail"]


@pytest.fixture
def partners_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only this package's commands: other packages' commands may be mid-change in the tree.
    monkeypatch.setattr(cli, "EXTRA_COMMANDS", ("assistant.cli.partners",))


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


@pytest.mark.usefixtures("partners_cli")
def test_cli_creates_lists_rotates_and_revokes_a_partner_a_running_server_obeys(
    assistant: Assistant, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The autouse fixture points EXCHANGE_ASSISTANT_DATA_DIR at tmp_path/data: same DB as the server.
    with api_server(assistant, tmp_path / "data" / "assistant.sqlite3") as server:
        code, created, _ = run_cli(
            capsys, "partners", "create", "nancy", "--origin", PARTNER_ORIGIN, "--origin", "http://localhost:8080",
            "--sources", "programs/*", "public/*", "--rpm", "12", "--greeting", "Bonjour !",
            "--api-url", server.url,
        )
        assert code == 0
        key = created.splitlines()[0]
        assert key.startswith("pk_")
        # the one line to paste into the partner's page
        assert f'<script src="{server.url}/widget.js" data-partner="{key}" defer></script>' in created
        assert ask_status(server.url, key)[0] == 200

        code, listing, _ = run_cli(capsys, "partners", "list")
        assert "nancy" in listing
        assert key in listing
        assert "programs/*, public/*" in listing

        code, new_key, _ = run_cli(capsys, "partners", "rotate", "nancy")
        assert code == 0
        assert new_key.startswith("pk_")
        assert new_key != key
        assert ask_status(server.url, key) == (401, "invalid_partner_key")
        assert ask_status(server.url, new_key)[0] == 200

        code, out, _ = run_cli(capsys, "partners", "revoke", "nancy")
        assert code == 0
        assert "revoked" in out
        assert ask_status(server.url, new_key) == (403, "partner_revoked")

    stored = server.partners.get("nancy")
    assert (stored.rpm, stored.greeting, stored.sources) == (12, "Bonjour !", ["programs/*", "public/*"])


@pytest.mark.usefixtures("partners_cli")
def test_cli_reports_bad_partner_input_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "partners", "create", "a", "--origin", "https://a.example")[0] == 0
    code, _, err = run_cli(capsys, "partners", "create", "a", "--origin", "https://a.example")
    assert code == 2
    assert "already exists" in err
    code, _, err = run_cli(capsys, "partners", "create", "b", "--origin", "ftp://b.example")
    assert code == 2
    assert "ftp://b.example" in err
    code, _, err = run_cli(capsys, "partners", "rotate", "nobody")
    assert code == 2
    assert "nobody" in err


@pytest.mark.usefixtures("partners_cli")
def test_cli_imports_partners_from_a_json_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "partners.json"
    file.write_text(
        '[{"name": "lyon", "origins": ["https://lyon.example"], "sources": ["programs/*"], "rpm": 5},'
        ' {"name": "kyoto", "origins": ["https://kyoto.example"]}]'
    )
    code, out, _ = run_cli(capsys, "partners", "import", str(file))
    assert code == 0
    assert "2 partner(s) created" in out
    code, out, _ = run_cli(capsys, "partners", "import", str(file))  # idempotent
    assert "0 partner(s) created" in out
    code, out, _ = run_cli(capsys, "partners", "list", "--json")
    assert sorted(p["name"] for p in json.loads(out)) == ["kyoto", "lyon"]
