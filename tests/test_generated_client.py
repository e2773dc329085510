"""A Python client generated from the served OpenAPI document drives a whole annex flow.

`openapi-python-client` generates the client offline from the document the application
serves, refusing on any warning; the client then talks to a live server, as each side
with its own API token: draft, submit, approve by both sides, sign by both (with the
password), and the annex is effective.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.factories import PASSWORD, make_agreement, manager_of, member_user, token_for

pytestmark = [pytest.mark.committed]

# PDFs and CSV files are bytes to the client: the generator's own way to type a content
# type it does not know (application/pdf, text/csv) as a file download or upload.
CONFIG = {
    "package_name_override": "contracts_client",
    "content_type_overrides": {
        "application/pdf": "application/octet-stream",
        "text/csv": "application/octet-stream",
    },
    "post_hooks": [],  # no formatting of the generated code: it is only imported
}


@pytest.fixture
def server(app, clean_database) -> Iterator[str]:
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def generated(client, tmp_path, monkeypatch):
    """The client package, generated into a temporary folder and imported from there."""
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.get("/api/v1/openapi.json").json))
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(tmp_path / "contracts_client"),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [n for n in sys.modules if n.startswith("contracts_client")]:
        del sys.modules[name]
    return importlib.import_module("contracts_client")


def _api(package: str):
    return importlib.import_module(f"contracts_client.api.{package}")


def test_a_generated_client_drafts_approves_and_signs_an_annex(server, generated):
    from contracts_client.models import AnnexIn, EventIn, EventInEvent

    draft_annex = importlib.import_module(
        "contracts_client.api.annexes.post_api_v1_agreements_code_annexes"
    )
    fire = importlib.import_module(
        "contracts_client.api.annexes.post_api_v1_annexes_annex_id_events"
    )
    read = importlib.import_module("contracts_client.api.annexes.get_api_v1_annexes_annex_id")

    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31))
    people = {
        "manager": manager_of(agreement),
        "customer": member_user(agreement, "customer", "approver"),
        "provider": member_user(agreement, "provider", "approver"),
    }
    clients = {
        who: generated.AuthenticatedClient(
            base_url=server, token=token_for(user)["Authorization"].split(" ", 1)[1]
        )
        for who, user in people.items()
    }

    created = draft_annex.sync_detailed(
        agreement.code,
        client=clients["manager"],
        body=AnnexIn.from_dict(
            {
                "title": "More hours",
                "effective_date": "2026-03-01",
                "changes": [
                    {
                        "op": "modify",
                        "ref": "1.1",
                        "fields": {"cap": {"unit": "hours", "limit": "180", "period": "month"}},
                    }
                ],
            }
        ),
    )
    assert created.status_code == 201, created.content
    annex_id = created.parsed.id

    def event(who: str, name: str, password: str | None = None):
        body = EventIn(event=EventInEvent(name))
        if password is not None:
            body.password = password
        if name in ("approve", "sign"):  # a side's word names the round it read
            body.review_round = read.sync(annex_id, client=clients[who]).review_round
        answer = fire.sync_detailed(annex_id, client=clients[who], body=body)
        assert answer.status_code == 200, (who, name, answer.content)
        return answer.parsed

    assert event("manager", "submit").state == "in_review"
    event("customer", "approve")
    assert event("provider", "approve").state == "approved"
    event("customer", "sign", PASSWORD)
    signed = event("provider", "sign", PASSWORD)
    assert signed.state == "effective"  # its date, 2026-03-01, has come

    annex = read.sync(annex_id, client=clients["customer"])
    assert annex.state == "effective" and {s.side for s in annex.signatures} == {
        "customer",
        "provider",
    }
