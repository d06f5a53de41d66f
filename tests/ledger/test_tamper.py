"""Tamper evidence (issue 12, defects 4 and 5; "what to build" 4).

Reads and appends refuse a ledger whose head is not its last row; the terms fingerprint (and
every amendment) is inside the hash chain; truncation with the head moved back, a renumbered and
re-chained deletion, and a full rewrite are caught against a value kept elsewhere: the exported
head (``verify --expect-head``) or an Ed25519-signed checkpoint (``verify --checkpoint``).
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.ledger import events as ev
from pipedeal.ledger import init_ledger, open_ledger
from pipedeal.ledger.anchors import generate_key, read_checkpoint, sign_checkpoint
from pipedeal.ledger.chain import chain_hash, genesis_hash
from pipedeal.ledger.ledger import LedgerBroken
from pipedeal.ledger.schema import deals, events
from pipedeal.ledger.store import _alembic_config, make_engine, resolve_url

P1 = "Purchaser 1"
DAY = dt.date(2004, 7, 1)
runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args))


def _ledger(backend, n: int = 5):
    ledger = init_ledger(backend.deal_dir, backend.db, **backend.open_args())
    for i in range(n):
        ledger.record(ev.memo(DAY, f"memo {i}"))
    return ledger  # 3 note_issued + n memos


def _exec(ledger, *statements) -> None:
    engine = make_engine(ledger.url)
    with engine.connect() as conn:
        conn = conn.execution_options(pipedeal_write=True)
        with conn.begin():
            for statement in statements:
                conn.execute(statement)
    engine.dispose()


def _rows(ledger) -> list:
    with ledger.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(events).where(events.c.deal_id == ledger.deal_id).order_by(events.c.seq)
            )
        )


def _where(ledger, seq):
    return sa.and_(events.c.deal_id == ledger.deal_id, events.c.seq == seq)


def _move_head(ledger, seq: int, digest: str):
    return deals.update().where(deals.c.id == ledger.deal_id).values(head_seq=seq, head_hash=digest)


def _edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


# --- defect 4: reads and appends refuse a ledger whose head is not its last row -----------------


def test_a_deleted_last_row_is_refused_by_reads_and_appends(backend):
    with _ledger(backend) as ledger:
        _exec(ledger, events.delete().where(_where(ledger, 8)))
        problem = "event 8 is missing (the ledger head is at 8)"
        # the same Ledger object (it had read event 8) and a fresh one both refuse
        with pytest.raises(LedgerBroken, match=r"event 8 is missing"):
            ledger.events()
        with pytest.raises(LedgerBroken, match=r"event 8 is missing"):
            ledger.record(ev.memo(DAY, "after the deletion"))
    with open_ledger(backend.deal_dir, backend.db, **backend.open_args()) as fresh:
        with pytest.raises(LedgerBroken) as err:
            fresh.state(DAY)
        assert err.value.problem == problem
        with pytest.raises(LedgerBroken):
            fresh.record(ev.memo(DAY, "after the deletion"))
        assert not fresh.verify().ok
    d, extra = str(backend.deal_dir), backend.cli_args()
    for args in (("state", d, "--as-of", "2004-07-01"), ("history", d)):
        result = _cli("ledger", *args, *extra)
        assert result.exit_code == 2, result.output
        assert problem in result.stderr and len(result.stderr.strip().splitlines()) == 1
    # nothing was chained onto the deleted row
    with open_ledger(backend.deal_dir, backend.db, **backend.open_args()) as again:
        assert [r.seq for r in _rows(again)] == list(range(1, 8))


def test_a_row_beyond_the_head_is_refused_at_once(backend):
    with _ledger(backend) as ledger:
        last = _rows(ledger)[-1]
        extra_row = {**last._asdict(), "seq": 9, "idempotency_key": "planted"}
        extra_row["prev_hash"] = last.hash
        _exec(ledger, events.insert().values(**extra_row))
        t0 = time.monotonic()
        with pytest.raises(LedgerBroken, match=r"event 9 was added outside the ledger"):
            ledger.record(ev.memo(DAY, "next"))
        assert time.monotonic() - t0 < 5  # no retry loop
        with pytest.raises(LedgerBroken, match=r"event 9 was added outside the ledger"):
            ledger.events()


def test_a_head_moved_back_is_refused_by_an_open_ledger(sqlite_backend):
    with _ledger(sqlite_backend) as ledger:
        rows = _rows(ledger)
        _exec(ledger, events.delete().where(_where(ledger, 8)), _move_head(ledger, 7, rows[6].hash))
        with pytest.raises(LedgerBroken, match=r"head moved back from event 8 to event 7"):
            ledger.record(ev.memo(DAY, "x"))


# --- defect 5: the terms fingerprint is inside the chain ------------------------------------------


@pytest.mark.parametrize("stored", [None, "new"])
def test_the_terms_fingerprint_cannot_be_changed_outside_the_chain(backend, stored):
    with _ledger(backend, 0) as ledger:
        head = ledger.verify().head_hash
    # the lockout goes from 3 months to 0 and the deal row is told the new (or no) terms
    _edit(backend.deal_dir / "deal.toml", "earliest_months_after_issue = 3",
          "earliest_months_after_issue = 0")  # fmt: skip
    with open_ledger(backend.deal_dir, backend.db, **backend.open_args()) as ledger:
        value = ledger.contract.fingerprint() if stored == "new" else None
        _exec(ledger, deals.update().where(deals.c.id == ledger.deal_id).values(terms_hash=value))
        report = ledger.verify()
        assert not report.ok
        assert "terms fingerprint" in report.problem and "outside the ledger" in report.problem
        notice = ev.prepayment_notice(P1, dt.date(2004, 7, 1), "1000000")  # forbidden by 3 months
        with pytest.raises(LedgerBroken, match=r"terms fingerprint"):
            ledger.record(notice)
        assert len(_rows(ledger)) == 3
    # every row hashes the fingerprint it was recorded under: other terms, another head
    with open_ledger(backend.deal_dir, backend.db, **backend.open_args()) as ledger:
        last = _rows(ledger)[-1]
    assert last.hash == head and last.terms_hash is not None
    other = chain_hash(last.prev_hash, last.seq, last.idempotency_key, last.recorded_by,
                       last.recorded_at, last.body, ledger.contract.fingerprint())  # fmt: skip
    assert other != head
    result = _cli("ledger", "verify", str(backend.deal_dir), *backend.cli_args())
    assert result.exit_code == 1 and "terms fingerprint" in result.stdout


def test_an_amendment_is_in_the_chain(sqlite_backend):
    d = sqlite_backend.deal_dir
    with _ledger(sqlite_backend, 1) as ledger:
        old = ledger.contract.fingerprint()
    _edit(d / "deal.toml", "earliest_months_after_issue = 3", "earliest_months_after_issue = 0")
    with init_ledger(d, accept_terms=True) as ledger:
        new = ledger.contract.fingerprint()
        rows = _rows(ledger)
        assert [r.terms_hash for r in rows] == [old] * 4 + [new]
        assert rows[-1].idempotency_key.startswith("terms:")
        assert ledger.verify().ok
        ledger.record(ev.prepayment_notice(P1, dt.date(2004, 7, 1), "1000000"))  # now allowed
        assert ledger.verify().ok
        # rewriting an older row to carry the new terms (and re-hashing it) breaks the links
        row = rows[1]
        digest = chain_hash(row.prev_hash, row.seq, row.idempotency_key, row.recorded_by,
                            row.recorded_at, row.body, new)  # fmt: skip
        _exec(ledger, events.update().where(_where(ledger, 2)).values(terms_hash=new, hash=digest))
        report = ledger.verify()
        assert not report.ok and report.first_bad_seq == 2


def test_a_terms_change_without_an_amendment_memo_is_reported(sqlite_backend):
    with _ledger(sqlite_backend, 2) as ledger:
        rows = _rows(ledger)
        # re-chain events 5.. under other terms (what a rewrite without the memo looks like)
        prev, statements = rows[3].hash, []
        for row in rows[4:]:
            digest = chain_hash(prev, row.seq, row.idempotency_key, row.recorded_by,
                                row.recorded_at, row.body, "f" * 64)  # fmt: skip
            statements.append(
                events.update()
                .where(_where(ledger, row.seq))
                .values(terms_hash="f" * 64, prev_hash=prev, hash=digest)
            )
            prev = digest
        _exec(ledger, *statements, _move_head(ledger, rows[-1].seq, prev))
        report = ledger.verify()
        assert (report.ok, report.first_bad_seq) == (False, 5)
        assert "without an amendment memo" in report.problem


# --- values kept elsewhere: the exported head and signed checkpoints -----------------------------


def _rechain(ledger, rows) -> list:
    """Rewrite ``rows`` as a consistent chain from genesis (renumbered from 1) and move the head:
    what an attacker with write access can do."""
    prev, statements = genesis_hash(ledger.deal_key), [events.delete().where(
        events.c.deal_id == ledger.deal_id)]  # fmt: skip
    new_rows = []
    for seq, row in enumerate(rows, start=1):
        digest = chain_hash(prev, seq, row["idempotency_key"], row["recorded_by"],
                            row["recorded_at"], row["body"], row["terms_hash"])  # fmt: skip
        new_rows.append({**row, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    if new_rows:
        statements.append(events.insert().values(new_rows))
    statements.append(_move_head(ledger, len(rows), prev))
    _exec(ledger, *statements)
    return new_rows


def _keep(backend, tmp_path):
    """The head exported and a signed checkpoint, as a careful operator keeps them."""
    d, extra = str(backend.deal_dir), backend.cli_args()
    head = _cli("ledger", "head", d, "--export", *extra)
    assert head.exit_code == 0, head.output
    key = tmp_path / "keys" / "ledger.key"
    key.parent.mkdir()
    made = _cli("ledger", "keygen", str(key))
    assert made.exit_code == 0, made.output
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    signed = _cli("ledger", "checkpoint", d, "--key", str(key), *extra)
    assert signed.exit_code == 0, signed.output
    checkpoint = tmp_path / "checkpoint.json"
    checkpoint.write_text(signed.stdout)
    return head.stdout.strip(), checkpoint, key.with_name("ledger.key.pub")


def _verify_cli(backend, *args):
    return _cli("ledger", "verify", str(backend.deal_dir), *backend.cli_args(), *args)


@pytest.mark.parametrize("attack", ["truncate", "renumber", "rewrite", "none"])
def test_values_kept_elsewhere_catch_consistent_rewrites(backend, tmp_path, attack):
    with _ledger(backend) as ledger:
        pass
    head, checkpoint, public = _keep(backend, tmp_path)
    assert head.startswith("8:")
    with open_ledger(backend.deal_dir, backend.db, **backend.open_args()) as ledger:
        ledger.record(ev.memo(DAY, "after the checkpoint"))  # growth is fine
        rows = [r._asdict() for r in _rows(ledger)]
        if attack == "truncate":  # delete the tail (events 8, 9) and move the head back
            _exec(ledger, events.delete().where(events.c.deal_id == ledger.deal_id,
                                                events.c.seq >= 8),
                  _move_head(ledger, 7, rows[6]["hash"]))  # fmt: skip
        elif attack == "renumber":  # delete event 5, renumber 6.. and re-chain
            _rechain(ledger, rows[:4] + rows[5:])
        elif attack == "rewrite":  # alter event 4's memo and rebuild the whole chain
            rows[3]["body"] = rows[3]["body"].replace("memo 0", "memo Z")
            _rechain(ledger, rows)
        # the chain alone is consistent after each attack
        assert ledger.__class__(ledger.contract, ledger.engine, ledger.url, ledger.deal_key,
                                ledger.deal_id).verify().ok  # fmt: skip
    by_head = _verify_cli(backend, "--expect-head", head)
    by_checkpoint = _verify_cli(backend, "--checkpoint", str(checkpoint), "--public-key",
                                str(public))  # fmt: skip
    if attack == "none":
        assert by_head.exit_code == 0 and by_checkpoint.exit_code == 0, by_head.output
        return
    for result in (by_head, by_checkpoint):
        assert result.exit_code == 1, result.output
        assert result.stdout.startswith("FAILED at event ")
    if attack == "truncate":
        assert "the ledger ends at event 7, before" in by_checkpoint.stdout
    else:
        assert "event 8 differs from the checkpoint signed at" in by_checkpoint.stdout


def test_a_forged_or_foreign_checkpoint_fails(sqlite_backend, tmp_path):
    _ledger(sqlite_backend).close()
    _, checkpoint, public = _keep(sqlite_backend, tmp_path)
    data = json.loads(checkpoint.read_text())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**data, "seq": 7}))
    result = _verify_cli(sqlite_backend, "--checkpoint", str(forged), "--public-key", str(public))
    assert result.exit_code == 1 and "signature does not match" in result.stdout
    other = tmp_path / "other.key"
    other_public = generate_key(other)
    result = _verify_cli(sqlite_backend, "--checkpoint", str(checkpoint), "--public-key",
                         str(other_public))  # fmt: skip
    assert result.exit_code == 1 and "signature does not match" in result.stdout
    # signed by the right key for another deal
    foreign = sign_checkpoint(other, deal_key="another deal", seq=data["seq"],
                              digest=data["hash"], terms_hash=None, signed_at="x")  # fmt: skip
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(foreign))
    anchor = read_checkpoint(path, other_public, "Innovo Group 2004 convertible notes and warrants")
    assert anchor.problem is not None and "another deal" in anchor.problem
    # a key file is never overwritten; malformed inputs are one line, exit 2
    assert _cli("ledger", "keygen", str(other)).exit_code == 2
    bad = _verify_cli(sqlite_backend, "--expect-head", "not-a-hash")
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1
    junk = tmp_path / "junk.json"
    junk.write_text("{")
    bad = _verify_cli(sqlite_backend, "--checkpoint", str(junk), "--public-key", str(public))
    assert bad.exit_code == 2 and "not a JSON checkpoint" in bad.stderr


def test_head_refuses_to_export_a_broken_chain(sqlite_backend):
    with _ledger(sqlite_backend) as ledger:
        row = _rows(ledger)[4]
        _exec(ledger, events.update().where(_where(ledger, 5)).values(body=row.body + " "))
    result = _cli("ledger", "head", str(sqlite_backend.deal_dir), "--export")
    assert result.exit_code == 1 and result.stdout.startswith("FAILED at event 5")


def test_a_ledger_from_before_revision_0003_stays_verifiable(sqlite_backend):
    folder = sqlite_backend.deal_dir
    with _ledger(sqlite_backend, 2) as ledger:
        rows = _rows(ledger)
    url = resolve_url(folder)
    engine = make_engine(url)
    with engine.connect() as conn:
        command.downgrade(_alembic_config(conn), "0002")
        conn.commit()
    # rewrite the chain as revision 0002 wrote it (six-element hashes, no terms)
    key = "Innovo Group 2004 convertible notes and warrants"
    prev = genesis_hash(key)
    with engine.connect() as conn:
        conn = conn.execution_options(pipedeal_write=True)
        with conn.begin():
            for row in rows:
                digest = chain_hash(prev, row.seq, row.idempotency_key, row.recorded_by,
                                    row.recorded_at, row.body)  # fmt: skip
                conn.execute(
                    sa.text("UPDATE ledger_events SET prev_hash=:p, hash=:h WHERE seq=:s"),
                    {"p": prev, "h": digest, "s": row.seq},
                )
                prev = digest
            conn.execute(sa.text("UPDATE ledger_deals SET head_hash=:h"), {"h": prev})
    engine.dispose()
    with init_ledger(folder) as ledger:  # migrates to 0003
        assert ledger.verify().ok
        assert all(r.terms_hash is None for r in _rows(ledger))
        ledger.record(ev.memo(DAY, "first row with the terms"))
        assert _rows(ledger)[-1].terms_hash == ledger.contract.fingerprint()
        assert ledger.verify().ok
        _exec(ledger, deals.update().where(deals.c.id == ledger.deal_id).values(terms_hash=None))
        assert not ledger.verify().ok


def test_expect_head_takes_a_bare_hash_or_the_empty_ledger(sqlite_backend):
    d = sqlite_backend.deal_dir
    with init_ledger(d, issue=False) as ledger:
        empty = _cli("ledger", "head", str(d), "--export").stdout.strip()
        assert empty == f"0:{genesis_hash(ledger.deal_key)}"
        for i in range(3):
            ledger.record(ev.note_issued(f"Purchaser {i + 1}", *_closing(ledger, i)))
        rows = _rows(ledger)
        assert ledger.verify(expect_head=empty).ok  # the ledger grew since: fine
        assert ledger.verify(expect_head=rows[1].hash).ok  # a bare hash, anywhere on the chain
        report = ledger.verify(expect_head="f" * 64)
        assert not report.ok and "is not on the chain" in report.problem
        _exec(ledger, events.delete().where(_where(ledger, 3)), _move_head(ledger, 2, rows[1].hash))
    with open_ledger(d) as ledger:
        report = ledger.verify(expect_head=f"3:{rows[2].hash}")
        assert (report.ok, report.first_bad_seq) == (False, 3)
        assert "the ledger ends at event 2" in report.problem
        assert not ledger.verify(expect_head=rows[2].hash).ok


def _closing(ledger, i: int):
    p = ledger.contract.deal.purchasers[i]
    return p.closing_date, p.principal, p.funded
