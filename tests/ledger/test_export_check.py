"""`pipedeal ledger verify --export FILE [DEAL_DIR]`: the auditor's export checked offline.

An untouched export verifies (with and without the deal folder); an edited amount, a deleted
event, a changed head and another deal's terms are each reported in one line (exit status 1);
a file that is not an export is exit status 2."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipedeal.cli.app import app
from pipedeal.ledger import events as ev
from pipedeal.ledger import init_ledger
from pipedeal.ledger.export_check import Export, check_export, export_document

P1 = "Purchaser 1"


@pytest.fixture
def export(sqlite_backend) -> dict:
    with init_ledger(sqlite_backend.deal_dir) as ledger:
        ledger.record(ev.interest_paid(P1, dt.date(2004, 8, 2), "9657.53", dt.date(2004, 7, 31)))
        ledger.record(ev.conversion(P1, dt.date(2004, 10, 4), 100_000))
        return export_document(ledger, dt.date(2004, 10, 31), "2004-11-01T00:00:00+00:00")


def verify(tmp_path: Path, doc: dict | str, *extra: str) -> tuple[int, str]:
    path = tmp_path / "export.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    result = CliRunner().invoke(app, ["ledger", "verify", "--export", str(path), *extra])
    return result.exit_code, result.output


def test_an_untouched_export_verifies(export, tmp_path, sqlite_backend):
    assert export["head"]["seq"] == len(export["events"]) == 5  # 3 closings + 2
    assert check_export(Export.model_validate(export)).ok
    code, out = verify(tmp_path, export)
    assert code == 0 and out.startswith("ok: 5 events"), out
    # with the deal folder: its terms fingerprint and every rule again
    code, out = verify(tmp_path, export, str(sqlite_backend.deal_dir))
    assert code == 0, out


def test_an_edited_amount_is_reported(export, tmp_path):
    export["events"][3]["event"]["payload"]["amount"] = "9657.54"
    code, out = verify(tmp_path, export)
    assert code == 1
    assert out.strip() == (
        "FAILED at event 4: event 4 was altered: its content does not match its hash"
    )


def test_a_deleted_event_is_reported(export, tmp_path):
    del export["events"][2]
    code, out = verify(tmp_path, export)
    assert code == 1 and "event 3 is missing" in out and len(out.strip().splitlines()) == 1


def test_a_deleted_last_event_and_a_changed_head_are_reported(export, tmp_path):
    last = export["events"].pop()
    code, out = verify(tmp_path, export)
    assert code == 1 and "head is at event 5 but it holds 4 events" in out
    export["events"].append(last)
    export["head"]["hash"] = "0" * 64
    code, out = verify(tmp_path, export)
    assert code == 1 and "event 5 was altered: the export's head holds a different hash" in out


def test_a_rehashed_tail_still_breaks_the_link(export, tmp_path):
    """Editing an event and fixing its own hash leaves the next event's link broken."""
    from pipedeal.ledger.export_check import ExportedEvent, body_of
    from pipedeal.ledger.store import chain_hash

    e = export["events"][3]
    e["event"]["payload"]["amount"] = "1.00"
    x = ExportedEvent.model_validate(e)
    e["hash"] = chain_hash(x.prev_hash, x.seq, x.idempotency_key, x.recorded_by,
                           x.recorded_at, body_of(x), x.terms_hash)
    code, out = verify(tmp_path, export)
    assert code == 1 and "event 4 was altered or replaced: event 5 links" in out


def test_another_deals_terms_are_reported(export, tmp_path, sqlite_backend):
    toml = sqlite_backend.deal_dir / "deal.toml"
    text = toml.read_text()
    toml.write_text(text.replace("term_years = 5", "term_years = 6", 1))
    assert "term_years = 6" in toml.read_text()
    code, out = verify(tmp_path, export, str(sqlite_backend.deal_dir))
    assert code == 1 and "terms fingerprint" in out


@pytest.mark.parametrize(
    ("doc", "field"),
    [("not json", "not JSON"), ("[]", "export"), ('{"deal": "x"}', "terms_fingerprint")],
)
def test_a_file_that_is_not_an_export_is_exit_status_2(tmp_path, doc, field):
    code, out = verify(tmp_path, doc)
    assert code == 2 and field in out and len(out.strip().splitlines()) == 1
