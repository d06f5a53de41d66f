"""The service's export, downloaded by the auditor, verifies offline with
`pipedeal ledger verify --export FILE DEAL_DIR`; an edited figure in it does not."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from tests.conftest import EXAMPLE
from tests.service.conftest import DEAL, P1, Room
from typer.testing import CliRunner

from pipedeal.cli.app import app

D = "/deals/" + quote(DEAL)


def test_the_downloaded_export_verifies_offline(sqlite_room: Room, tmp_path: Path) -> None:
    res = sqlite_room.post("issuer", f"{D}/events", headers={"Idempotency-Key": "n1"},
                           json={"kind": "prepayment_notice", "purchaser": P1,
                                 "date": "2004-10-01"})
    assert res.status_code == 201, res.text
    doc = sqlite_room.get("auditor", f"{D}/export", params={"as_of": "2004-10-01"}).json()
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    runner = CliRunner()
    ok = runner.invoke(app, ["ledger", "verify", "--export", str(path), str(EXAMPLE)])
    assert ok.exit_code == 0 and ok.output.startswith("ok: 4 events"), ok.output
    doc["events"][3]["event"]["payload"]["principal"] = "1.00"
    path.write_text(json.dumps(doc))
    bad = runner.invoke(app, ["ledger", "verify", "--export", str(path)])
    assert bad.exit_code == 1 and "event 4 was altered" in bad.output
