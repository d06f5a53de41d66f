"""The ledger remembers the contract terms its events were recorded under (a fingerprint).

Editing deal.toml's terms after events exist must not silently change what the log means: recording
and verifying refuse until the amendment is recorded with ``ledger init --accept-terms``.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.ledger import init_ledger
from pipedeal.ledger.schema import deals
from pipedeal.ledger.store import _alembic_config, make_engine, resolve_url

runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args))


def _edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name.startswith("ledger")}


def test_changed_terms_block_recording_until_the_amendment_is_recorded(backend):
    d, extra = str(backend.deal_dir), backend.cli_args()
    assert _cli("ledger", "init", d, *extra).exit_code == 0
    memo = ("ledger", "record", d, "memo", "-d", "2004-07-01", "--text", "call", *extra)
    assert _cli(*memo).exit_code == 0

    # the contract is amended in deal.toml: 7.5% becomes 8%
    _edit(backend.deal_dir / "deal.toml", 'rate = "0.075"', 'rate = "0.08"')
    history = _cli("ledger", "history", d, "--format", "json", *extra).stdout
    before = _files(backend.deal_dir)
    refused = _cli("ledger", "record", d, "memo", "-d", "2004-07-02", "--text", "x", *extra)
    assert refused.exit_code == 2
    assert "contract terms" in refused.stderr and "--accept-terms" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    if backend.db is None:
        assert _files(backend.deal_dir) == before  # nothing written
    assert _cli("ledger", "history", d, "--format", "json", *extra).stdout == history

    verify = _cli("ledger", "verify", d, "--format", "json", *extra)
    assert verify.exit_code == 1
    report = json.loads(verify.stdout)
    assert not report["ok"] and "terms differ" in report["problem"]

    again = _cli("ledger", "init", d, *extra)  # without the flag: refused, nothing recorded
    assert again.exit_code == 2 and "--accept-terms" in again.stderr
    assert _cli("ledger", "history", d, "--format", "json", *extra).stdout == history

    accepted = _cli("ledger", "init", d, "--accept-terms", *extra)
    assert accepted.exit_code == 0, accepted.output
    events = json.loads(_cli("ledger", "history", d, "--format", "json", *extra).stdout)
    last = events["events"][-1]
    assert last["event"]["kind"] == "memo"
    assert "contract terms amended" in last["event"]["payload"]["text"]
    assert _cli("ledger", "verify", d, *extra).exit_code == 0
    assert _cli(*memo[:4], "-d", "2004-07-02", "--text", "after", *extra).exit_code == 0
    # accepting again changes nothing: the same terms, no second memo
    assert _cli("ledger", "init", d, "--accept-terms", *extra).exit_code == 0
    after = json.loads(_cli("ledger", "history", d, "--format", "json", *extra).stdout)
    assert len(after["events"]) == len(events["events"]) + 1


def test_issuer_facts_are_not_contract_terms(sqlite_backend):
    d = str(sqlite_backend.deal_dir)
    assert _cli("ledger", "init", d).exit_code == 0
    # a later share count or a note in the file does not amend the contract
    _edit(sqlite_backend.deal_dir / "deal.toml", "29090390", "29090391")
    result = _cli("ledger", "record", d, "memo", "-d", "2004-07-01", "--text", "ok")
    assert result.exit_code == 0, result.output
    assert _cli("ledger", "verify", d).exit_code == 0


def test_a_ledger_from_revision_0001_adopts_the_terms_at_init(sqlite_backend):
    folder = sqlite_backend.deal_dir
    with init_ledger(folder) as ledger:
        n = len(ledger.events())
    url = resolve_url(folder)
    engine = make_engine(url)
    with engine.connect() as conn:
        cfg = _alembic_config(conn)
        command.downgrade(cfg, "0001")
        conn.commit()
    engine.dispose()
    stale = _cli("ledger", "state", str(folder), "--as-of", "2004-07-01")
    assert stale.exit_code == 2 and "revision 0001" in stale.stderr
    # the reports say so too, instead of quietly falling back to the terms
    captable = _cli("captable", str(folder), "--as-of", "2004-07-13")
    assert captable.exit_code == 2 and "run pipedeal ledger init" in captable.stderr
    with init_ledger(folder) as ledger:  # migrates to 0002 and stores the fingerprint
        assert len(ledger.events()) == n
        with ledger.engine.connect() as conn:
            stored = conn.execute(sa.select(deals.c.terms_hash)).scalar_one()
        assert stored == ledger.contract.fingerprint()
