"""The write path at database speed (issue 12, defect 12; "what to build" 7): appends advance
the book kept in memory instead of replaying the log, stored events are read back without
re-validation when they have the stored shape, and ``ledger import`` records many events in one
transaction, each bounded, ruled, numbered and hashed."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.ledger import RuleViolation, init_ledger, open_ledger
from pipedeal.ledger import events as ev
from pipedeal.ledger import ledger as ledger_module
from pipedeal.ledger.events import Event, load_stored

P1 = "Purchaser 1"
DAY = dt.date(2004, 7, 1)
runner = CliRunner()

SAMPLES = [
    ev.note_issued(P1, DAY, "1000000", "999999.50"),
    ev.interest_paid(P1, DAY, "0.01", dt.date(2004, 6, 30)),
    ev.conversion(P1, DAY, "100", "0"),
    ev.conversion_election(P1, DAY, 0, "5.5"),
    ev.prepayment_notice(P1, DAY, "1"),
    ev.prepayment_settled(P1, DAY, "1"),
    ev.election_lapsed(P1, DAY),
    ev.maturity_repayment(P1, DAY, "1", "2"),
    ev.warrant_exercised(
        P1, DAY, 5, method="cashless", fair_market_value="1.23456789",
        at=dt.datetime(2004, 7, 1, 16, 59, tzinfo=ZoneInfo("America/Los_Angeles")),
    ),  # fmt: skip
    ev.warrant_expired(P1, DAY),
    ev.stock_split(DAY, 2, 1),
    ev.stock_dividend(DAY, "10.5"),
    ev.registration_filed(DAY, "S-3", "333-1", 100),
    ev.registration_filed(DAY),
    ev.registration_effective(DAY, None),
    ev.memo(DAY, "héllo", "note:Purchaser 1"),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.kind.value)
def test_stored_events_read_back_the_same(event):
    body = event.canonical()
    fast, full = load_stored(body), Event.from_json(body)
    assert fast == full and fast.canonical() == body
    assert fast.model_fields_set == full.model_fields_set
    assert fast.payload.model_fields_set == full.payload.model_fields_set
    assert type(fast.payload) is type(full.payload)


@pytest.mark.parametrize(
    "body",
    [
        '{"date":"2004-07-01","instrument":"deal","kind":"memo","payload":{"text":1}}',
        '{"date":"2004-07-01","instrument":"deal","kind":"memo","payload":{}}',
        '{"date":"2004-07-01","instrument":"deal","kind":"nope","payload":{}}',
        '{"date":"2004-07-01","instrument":"deal","kind":"memo","payload":{"text":"x"},"z":1}',
        "[1]",
        "not json",
    ],
)
def test_other_shapes_go_through_full_validation(body):
    # (a value of the right JSON type that breaks a constraint is read as stored: the rows are
    # the ledger's own, and verify re-validates every body in full after checking its hash)
    with pytest.raises(ValidationError):
        load_stored(body)


def test_appends_do_not_replay_the_log(sqlite_backend, monkeypatch):
    with init_ledger(sqlite_backend.deal_dir) as ledger:
        ledger.import_events([ev.memo(DAY, f"m{i}") for i in range(200)])
        reads: list[str] = []
        real = ledger_module.load_stored
        monkeypatch.setattr(ledger_module, "load_stored", lambda b: reads.append(b) or real(b))
        for i in range(20):
            ledger.record(ev.memo(DAY, f"after {i}"))
        assert reads == []  # nothing read back: the book in memory was advanced
        assert ledger.verify().ok and len(ledger.events()) == 223
        # another writer's events are caught up with, and only those
        with open_ledger(sqlite_backend.deal_dir) as other:
            other.record(ev.memo(DAY, "from elsewhere"))  # (a fresh object reads the log once)
        reads.clear()
        ledger.record(ev.memo(DAY, "mine again"))
        assert len(reads) == 1 and "from elsewhere" in reads[0]


def test_import_is_one_transaction_ruled_numbered_and_rerunnable(backend, tmp_path):
    d, extra = str(backend.deal_dir), backend.cli_args()
    assert runner.invoke(app, ["ledger", "init", d, *extra]).exit_code == 0
    lines = [json.dumps({**ev.memo(DAY, f"memo {i}").to_json(), "key": f"k{i}"}) for i in range(50)]
    lines.append(json.dumps({"event": ev.interest_paid(P1, DAY, "10.00", dt.date(2004, 6, 30))
                             .to_json(), "idempotency_key": "pay"}))  # fmt: skip
    good = tmp_path / "events.jsonl"
    good.write_text("\n".join(lines) + "\n\n")
    result = runner.invoke(app, ["ledger", "import", d, str(good), *extra, "-f", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["recorded"], out["already_recorded"], out["head_seq"]) == (51, 0, 54)
    again = runner.invoke(app, ["ledger", "import", d, str(good), *extra, "-f", "json"])
    assert json.loads(again.stdout)["recorded"] == 0  # a rerun adds nothing
    with open_ledger(backend.deal_dir, backend.db, **backend.open_args()) as ledger:
        assert ledger.verify().ok
        assert [r.seq for r in ledger.events()] == list(range(1, 55))
        history = [r.to_json() for r in ledger.events()]
    # a rule violation on the last line: nothing of the file is written
    bad = tmp_path / "bad.jsonl"
    more = [json.dumps(ev.memo(DAY, f"new {i}").to_json()) for i in range(10)]
    too_much = ev.interest_paid(P1, DAY, "999999.00", dt.date(2004, 6, 30))
    bad.write_text("\n".join([*more, json.dumps(too_much.to_json())]) + "\n")
    refused = runner.invoke(app, ["ledger", "import", d, str(bad), *extra])
    assert refused.exit_code == 2 and "note.interest" in refused.stderr
    # a malformed line names the file, the line and the field
    broken = tmp_path / "broken.jsonl"
    broken.write_text(more[0] + "\n" + '{"kind":"memo","date":"2004-07-01","instrument":"deal",'
                      '"payload":{"text":""}}\n')  # fmt: skip
    refused = runner.invoke(app, ["ledger", "import", d, str(broken), *extra])
    assert refused.exit_code == 2
    assert f"{broken} line 2: text:" in refused.stderr
    with open_ledger(backend.deal_dir, backend.db, **backend.open_args()) as ledger:
        assert [r.to_json() for r in ledger.events()] == history


def test_import_applies_the_bounds(sqlite_backend):
    with init_ledger(sqlite_backend.deal_dir) as ledger:
        with pytest.raises(RuleViolation, match=r"^date: 2999-01-01 is in the future"):
            ledger.import_events([ev.memo(DAY, "ok"), ev.memo(dt.date(2999, 1, 1), "typo")])
        assert len(ledger.events()) == 3


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.kind.value)
def test_verify_validates_stored_bodies_as_the_model_does(event):
    from pipedeal.ledger.events import validate_stored

    body = event.canonical()
    fast, full = validate_stored(body), Event.from_json(body)
    assert fast == full and fast.canonical() == body
    assert fast.model_fields_set == full.model_fields_set


@pytest.mark.parametrize(
    "body",
    [
        '{"date":"2004-07-01","instrument":"deal","kind":"memo","payload":{"text":""}}',
        '{"date":"2004-07-01","instrument":"deal","kind":"memo","payload":{"text":1}}',
        '{"date":"2004-07-01","instrument":"note:P","kind":"stock_split",'
        '"payload":{"new":2,"old":1}}',
        '{"date":"2004-07-01","instrument":"note:P","kind":"interest_paid",'
        '"payload":{"amount":"-1","through":"2004-06-30"}}',
        '{"date":"2004-07-01","instrument":"note:P","kind":"interest_paid",'
        '"payload":{"amount":"1.001","through":"2004-06-30"}}',
        '{"date":"2004-13-01","instrument":"deal","kind":"memo","payload":{"text":"x"}}',
        '{"date":"20040701xx","instrument":"deal","kind":"memo","payload":{"text":"x"}}',
        '{"date":"2004-07-01","instrument":"","kind":"memo","payload":{"text":"x"}}',
        '{"date":"2004-07-01","instrument":"deal","kind":"memo","payload":{"text":"x"},'
        '"at":"2004-07-01T10:00:00"}',
        '{"date":"2004-07-01","instrument":"deal","kind":"memo","payload":{"text":"x","y":1}}',
        "[]",
    ],
)
def test_verify_refuses_what_the_model_refuses(body):
    from pipedeal.ledger.events import validate_stored

    with pytest.raises(ValueError):
        Event.from_json(body)
    with pytest.raises(ValueError):
        validate_stored(body)


def test_two_writers_interleave_on_the_one_statement_append(backend):
    """PostgreSQL appends skip reading the head while the cache is the head; a writer whose
    cache is stale writes nothing on that try, reads the head under its lock and retries, so
    both writers' events land once each, numbered and chained (on SQLite: the locked path)."""
    a = init_ledger(backend.deal_dir, backend.db, **backend.open_args())
    b = open_ledger(backend.deal_dir, backend.db, **backend.open_args())
    b.refresh()
    for i in range(6):
        writer = (a, b)[i % 2] if i < 4 else a
        rec = writer.record(ev.memo(DAY, f"memo {i}"), key=f"m{i}")
        assert rec.seq == 4 + i and not rec.already_recorded
    # b's cache is two events behind; its retried key is found after it catches up
    again = b.record(ev.memo(DAY, "memo 5"), key="m5")
    assert again.already_recorded and again.seq == 9
    assert b.record(ev.memo(DAY, "memo 6"), key="m6").seq == 10
    assert a.verify().ok and [r.seq for r in a.events()] == list(range(1, 11))
    a.close()
    b.close()


def test_the_one_statement_append_checks_the_deal_row(backend):
    """The deal row's head hash or terms changed outside the ledger between two appends: the
    append that skipped reading the head writes nothing and the ledger is reported broken."""
    import sqlalchemy as sa

    from pipedeal.ledger.schema import deals

    with init_ledger(backend.deal_dir, backend.db, **backend.open_args()) as ledger:
        ledger.record(ev.memo(DAY, "first"))
        head_seq, head_hash = ledger.head()
        with ledger.engine.begin() as conn:
            conn.execute(
                deals.update().where(deals.c.id == ledger.deal_id).values(head_hash="0" * 64)
            )
        with pytest.raises(ledger_module.LedgerBroken, match="head holds a different hash"):
            ledger.record(ev.memo(DAY, "second"))
        with ledger.engine.connect() as conn:
            count = conn.execute(
                sa.select(sa.func.count()).where(
                    sa.text("deal_id = :d").bindparams(d=ledger.deal_id)
                ).select_from(sa.table("ledger_events"))
            ).scalar()
        assert count == head_seq == 4
