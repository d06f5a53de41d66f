"""Storage: idempotency, the hash chain and ``verify``, migrations, database selection, book."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.ledger import events as ev
from pipedeal.ledger import init_ledger, ledger_exists
from pipedeal.ledger.schema import deals, events
from pipedeal.ledger.store import head_revision, make_engine, resolve_url

P1 = "Purchaser 1"
DAY = dt.date(2004, 7, 1)


def _ledger_with_events(backend, n: int = 5):
    ledger = init_ledger(backend.deal_dir, backend.db, **backend.open_args())
    for i in range(n):
        ledger.record(ev.memo(DAY, f"memo {i}"))
    return ledger  # 3 note_issued + n memos


def _tamper(ledger, statement) -> None:
    engine = make_engine(ledger.url)
    with engine.connect() as conn:
        conn = conn.execution_options(pipedeal_write=True)
        with conn.begin():
            conn.execute(statement)
    engine.dispose()


def _row(ledger, seq):
    with ledger.engine.connect() as conn:
        return conn.execute(
            sa.select(events).where(events.c.deal_id == ledger.deal_id, events.c.seq == seq)
        ).one()


def _where(ledger, seq):
    return sa.and_(events.c.deal_id == ledger.deal_id, events.c.seq == seq)


def test_retried_append_applies_once(backend):
    with _ledger_with_events(backend, 0) as ledger:
        event = ev.interest_paid(P1, DAY, "100.00", dt.date(2004, 6, 30))
        first = ledger.record(event, key="pay-2004-07")
        again = ledger.record(event, key="pay-2004-07")
        assert not first.already_recorded and again.already_recorded
        assert again.seq == first.seq and again.hash == first.hash
        # the default key is a digest of the event: the same command twice applies once
        memo = ev.memo(DAY, "board call")
        assert ledger.record(memo).seq == ledger.record(memo).seq
        assert len(ledger.events()) == 5
        assert ledger.state(DAY).notes[P1].interest_paid == 100


def test_records_who_and_when(backend):
    with _ledger_with_events(backend, 0) as ledger:
        rec = ledger.record(ev.memo(DAY, "x"), by="controller@innovo")
        row = _row(ledger, rec.seq)
        assert row.recorded_by == "controller@innovo"
        assert dt.datetime.fromisoformat(row.recorded_at).tzinfo is not None
        assert row.prev_hash == _row(ledger, rec.seq - 1).hash


@pytest.mark.parametrize(
    "how, bad_seq, problem",
    [
        ("body", 5, "event 5 was altered: its content does not match its hash"),
        ("rehash", 5, "event 5 was altered or replaced: event 6 links to a different hash"),
        ("recorded_by", 4, "event 4 was altered: its content does not match its hash"),
        ("columns", 6, "event 6 was altered: its columns differ from its body"),
        ("delete_middle", 5, "event 5 is missing (the sequence goes from 4 to 6)"),
        ("delete_last", 8, "event 8 is missing (the ledger head is at 8)"),
    ],
)
def test_verify_reports_first_altered_or_missing_event(backend, how, bad_seq, problem):
    with _ledger_with_events(backend) as ledger:
        assert ledger.verify().ok
        row = _row(ledger, bad_seq)
        if how == "body":
            stmt = (
                events.update()
                .where(_where(ledger, 5))
                .values(body=row.body.replace("memo 1", "memo X"))
            )
        elif how == "rehash":
            from pipedeal.ledger.store import chain_hash

            body = row.body.replace("memo 1", "memo X")
            digest = chain_hash(
                row.prev_hash,
                row.seq,
                row.idempotency_key,
                row.recorded_by,
                row.recorded_at,
                body,
                row.terms_hash,
            )
            stmt = events.update().where(_where(ledger, 5)).values(body=body, hash=digest)
        elif how == "recorded_by":
            stmt = events.update().where(_where(ledger, 4)).values(recorded_by="someone else")
        elif how == "columns":
            stmt = events.update().where(_where(ledger, 6)).values(event_date=dt.date(2004, 7, 2))
        else:
            stmt = events.delete().where(_where(ledger, bad_seq))
        _tamper(ledger, stmt)
        report = ledger.verify()
        assert not report.ok
        assert (report.first_bad_seq, report.problem) == (bad_seq, problem)

    result = CliRunner().invoke(app, ["ledger", "verify", str(backend.deal_dir),
                                      *backend.cli_args()])  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout.strip() == f"FAILED at event {bad_seq}: {problem}"


def test_verify_ok_through_the_cli(backend):
    _ledger_with_events(backend).close()
    result = CliRunner().invoke(
        app, ["ledger", "verify", str(backend.deal_dir), *backend.cli_args(), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] and data["events"] == data["head_seq"] == 8 and data["problem"] is None


def test_migrations_ship_with_the_package_and_run_programmatically(backend):
    root = resources.files("pipedeal.ledger") / "migrations"
    assert (root / "env.py").is_file() and (root / "script.py.mako").is_file()
    assert (root / "versions" / "0001_initial.py").is_file()
    assert (root / "versions" / "0002_terms_hash.py").is_file()
    assert (root / "versions" / "0003_event_terms_hash.py").is_file()
    assert (root / "versions" / "0004_stored_books.py").is_file()
    ledger = init_ledger(backend.deal_dir, backend.db, **backend.open_args())
    with ledger, ledger.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == head_revision() == "0004"
        names = set(sa.inspect(conn).get_table_names())
        assert {"ledger_deals", "ledger_events", "ledger_snapshots", "alembic_version"} <= names
    # init again: idempotent, nothing recorded twice
    with init_ledger(backend.deal_dir, backend.db, **backend.open_args()) as ledger:
        assert len(ledger.events()) == 3


def test_sqlite_is_wal_with_full_sync(sqlite_backend):
    with init_ledger(sqlite_backend.deal_dir) as ledger:
        assert ledger.url.endswith("/ledger.sqlite")
        with ledger.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_database_from_env_or_option(sqlite_backend, tmp_path, monkeypatch):
    elsewhere = tmp_path / "books" / "ledger.db"
    elsewhere.parent.mkdir()
    monkeypatch.setenv("PIPEDEAL_DB", str(elsewhere))
    assert resolve_url(sqlite_backend.deal_dir) == f"sqlite:///{elsewhere}"
    runner = CliRunner()
    result = runner.invoke(app, ["ledger", "init", str(sqlite_backend.deal_dir)])
    assert result.exit_code == 0, result.output
    assert elsewhere.is_file() and not (sqlite_backend.deal_dir / "ledger.sqlite").exists()
    monkeypatch.delenv("PIPEDEAL_DB")
    result = runner.invoke(app, ["ledger", "state", str(sqlite_backend.deal_dir), "--as-of",
                                 "2004-07-01", "--db", str(elsewhere), "-f", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["events_applied"] == 3


def test_unreachable_database_is_one_line(sqlite_backend):
    result = CliRunner().invoke(
        app,
        ["ledger", "init", str(sqlite_backend.deal_dir), "--db",
         "postgresql+psycopg://nobody@127.0.0.1:1/none"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("pipedeal: error: ledger database postgresql+psycopg://")
    assert "cannot connect" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.postgres
def test_deals_share_a_database_without_mixing(pg_backend):
    backend = pg_backend
    with _ledger_with_events(backend, 2) as first:
        other = init_ledger(backend.deal_dir, backend.db, deal_key=backend.deal_key + "-b")
        other.record(ev.memo(DAY, "only in b"))
        assert len(first.events()) == 5 and len(other.events()) == 4
        assert first.verify().ok and other.verify().ok
        with first.engine.connect() as conn:
            keys = conn.execute(sa.select(deals.c.deal_key)).scalars().all()
        assert {backend.deal_key, backend.deal_key + "-b"} <= set(keys)
        other.close()


def test_book_has_a_ledger_section_only_when_a_ledger_exists(sqlite_backend):
    from pipedeal.report.book import build_context, extra_sections
    from pipedeal.report.sections import ledger_section

    assert extra_sections()["ledger"] is ledger_section
    folder = sqlite_backend.deal_dir
    before = sorted(p.name for p in folder.iterdir())
    ctx = build_context(folder, as_of=dt.date(2004, 7, 1))
    assert ledger_section(ctx) is None
    assert not ledger_exists(folder)
    assert sorted(p.name for p in folder.iterdir()) == before  # no database created

    with init_ledger(folder) as ledger:
        ledger.record(ev.interest_paid(P1, DAY, "3287.67", dt.date(2004, 6, 30)))
    section = ledger_section(build_context(folder, as_of=dt.date(2004, 7, 1)))
    assert section["as_of"] == "2004-07-01"
    assert section["events_recorded"] == 4 and section["verify"]["ok"]
    assert section["totals"]["interest_paid"] == "3287.67"
    assert section["totals"]["outstanding_principal"] == "2500000.00"


def test_init_again_after_issues_recorded_by_hand(sqlite_backend):
    folder = sqlite_backend.deal_dir
    with init_ledger(folder, issue=False) as ledger:
        assert ledger.events() == ()
        ledger.record(ev.note_issued(P1, dt.date(2004, 6, 15), 1_000_000, 1_000_000))
    with init_ledger(folder) as ledger:  # issues the other two, not P1 again
        kinds = [(r.event.kind.value, r.event.purchaser) for r in ledger.events()]
        assert kinds == [
            ("note_issued", P1),
            ("note_issued", "Purchaser 2"),
            ("note_issued", "Purchaser 3"),
        ]


def test_bulk_import_is_all_or_nothing(sqlite_backend):
    from pipedeal.errors import UserError
    from pipedeal.ledger import RuleViolation

    with init_ledger(sqlite_backend.deal_dir) as ledger:
        assert ledger.record_many([ev.memo(DAY, f"m{i}") for i in range(10)]) == 10
        with pytest.raises(UserError, match="idempotency key .* is already used"):
            ledger.record_many([ev.memo(DAY, "new"), ev.memo(DAY, "m3")])
        with pytest.raises(RuleViolation, match="note.prepayment.max_notices"):
            ledger.record_many(
                [
                    ev.prepayment_notice(P1, dt.date(2004, 10, 4), 1),
                    ev.prepayment_notice(P1, dt.date(2004, 10, 5), 1),
                ]
            )
        assert len(ledger.events()) == 13 and ledger.verify().ok


def test_terms_changed_under_a_recorded_log(sqlite_backend):
    folder = sqlite_backend.deal_dir
    with init_ledger(folder) as ledger:
        ledger.record(ev.warrant_exercised("Purchaser 3", DAY, 100))
    toml = folder / "deal.toml"
    toml.write_text(toml.read_text().replace("partial_exercise = true", "partial_exercise = false"))
    runner = CliRunner()
    result = runner.invoke(app, ["ledger", "state", str(folder), "--as-of", "2004-07-01"])
    assert result.exit_code == 2
    assert "stored event 4 no longer passes the rules (warrant.partial_exercise:" in result.stderr
    result = runner.invoke(app, ["ledger", "verify", str(folder)])
    assert result.exit_code == 1
    assert "FAILED at event 4: event 4 breaks a rule on replay: warrant.partial_exercise" in (
        result.stdout
    )


def test_record_json_output_and_retry(sqlite_backend):
    d = str(sqlite_backend.deal_dir)
    runner = CliRunner()
    assert runner.invoke(app, ["ledger", "init", d]).exit_code == 0
    args = ["ledger", "record", "conversion", d, "-p", "Purchaser 2", "-d", "2004-12-15",
            "--principal", "400000", "-f", "json", "--by", "cfo"]  # fmt: skip
    first = json.loads(runner.invoke(app, args).stdout)
    assert first["schema_version"] == 1 and first["already_recorded"] is False
    assert first["record"]["seq"] == 4 and first["record"]["recorded_by"] == "cfo"
    assert first["record"]["event"] == {
        "kind": "conversion",
        "date": "2004-12-15",
        "instrument": "note:Purchaser 2",
        "payload": {"principal": "400000", "interest": "0"},
    }
    assert first["effect"] == {
        "outstanding_principal": "600000.00",
        "shares_issued": 283_687,
        "cash_paid": "0.00",
    }
    again = json.loads(runner.invoke(app, args).stdout)  # the same command, retried
    assert again["already_recorded"] is True and again["record"] == first["record"]
    history = runner.invoke(app, ["ledger", "history", d, "--instrument", "note:Purchaser 2",
                                  "-f", "json"])  # fmt: skip
    assert [e["event"]["kind"] for e in json.loads(history.stdout)["events"]] == [
        "note_issued",
        "conversion",
    ]


def test_book_captable_and_accounting_read_a_ledger_given_by_db(sqlite_backend, tmp_path):
    """A ledger outside the deal folder (``--db``) feeds every report, not just ``ledger``."""
    d = str(sqlite_backend.deal_dir)
    elsewhere = str(tmp_path / "books.db")
    runner = CliRunner()

    def cli(*args: str) -> dict:
        result = runner.invoke(app, [*args, "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    cli("ledger", "init", d, "--db", elsewhere)
    cli("ledger", "record", d, "conversion", "-p", P1, "-d", "2004-08-02", "--principal",
        "153000", "--db", elsewhere)  # fmt: skip
    cap = cli("captable", d, "--as-of", "2004-08-31", "--db", elsewhere)
    assert cap["positions_source"] == "ledger"
    held = {h["name"]: h["shares_held"] for h in cap["holders"]}
    assert held[P1] == 100_000  # $153,000 at $1.53
    assert cli("captable", d, "--as-of", "2004-08-31")["positions_source"] == "terms"
    acc = cli("accounting", d, "--purchaser", P1, "--db", elsewhere)
    assert acc["source"] == "ledger"
    book = cli("book", d, "--as-of", "2004-08-31", "--db", elsewhere)
    assert book["ledger"]["totals"]["shares_issued_on_conversion"] == 100_000
    assert book["captable"]["positions_source"] == "ledger"
    assert book["accounting"]["source"] == "ledger"
    assert cli("book", d)["ledger"] is None


def test_a_ledger_written_by_a_newer_pipedeal_is_one_line(sqlite_backend):
    ledger = init_ledger(sqlite_backend.deal_dir)
    url = ledger.url
    ledger.close()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    d = str(sqlite_backend.deal_dir)
    for args in (["ledger", "init", d], ["ledger", "state", d, "--as-of", "2004-07-01"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "schema revision 9999, newer than this pipedeal knows" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
