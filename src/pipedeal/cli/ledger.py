"""``pipedeal ledger``: init, record <event>, state, history, due, verify."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from typer.core import TyperGroup

from pipedeal.cli.app import app
from pipedeal.cli.output import emit_json, stdout_console
from pipedeal.errors import UserError
from pipedeal.ledger import events as ev
from pipedeal.ledger import views
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.events import DEAL, Event
from pipedeal.ledger.rules import ONE_DAY, Book, payable_interest
from pipedeal.ledger.store import Ledger, init_ledger, open_ledger


class Format(StrEnum):
    text = "text"
    json = "json"


ledger_app = typer.Typer(
    help="The lifecycle ledger: record events, replay state, what is due, verify the chain.",
    no_args_is_help=True,
)
class _DealDirFirst(TyperGroup):
    """``record DEAL_DIR <kind> ...`` (as documented) and ``record <kind> DEAL_DIR ...`` both work.

    Click wants the subcommand name first; a deal folder in front of it is moved behind it, where
    each event command takes it as its argument.
    """

    def parse_args(self, ctx, args: list[str]) -> list[str]:  # noqa: ANN001 - click.Context
        if len(args) >= 2 and args[0] not in self.commands and args[1] in self.commands:
            args = [args[1], args[0], *args[2:]]
        return super().parse_args(ctx, args)


record_app = typer.Typer(
    cls=_DealDirFirst,
    help="Record one event: pipedeal ledger record DEAL_DIR <kind> [options]. "
    "Rejected events are not stored.",
    no_args_is_help=True,
)
ledger_app.add_typer(record_app, name="record")
app.add_typer(ledger_app, name="ledger")

DealDir = typer.Argument(..., help="deal folder (holds deal.toml)", show_default=False)
DbOpt = typer.Option(
    None,
    "--db",
    help="database URL or SQLite file (default $PIPEDEAL_DB, else DEAL_DIR/ledger.sqlite)",
)
KeyOpt = typer.Option(
    None, "--deal-key", help="the deal's key in a shared database (default: the deal's name)"
)
FormatOpt = typer.Option(Format.text, "--format", "-f", help="text or json")
PurchaserOpt = typer.Option(..., "--purchaser", "-p", help="purchaser name, as in deal.toml")
DateOpt = typer.Option(..., "--date", "-d", help="event date, YYYY-MM-DD")
IdemOpt = typer.Option(
    None,
    "--key",
    help="idempotency key (default: a digest of the event; a retried command applies once)",
)
ByOpt = typer.Option(None, "--by", help="who records it (default $PIPEDEAL_USER, else user@host)")


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option}: not a date (YYYY-MM-DD): {value!r}") from None


def _money(value: str, option: str) -> Decimal:
    try:
        amount = Decimal(value.replace(",", "").lstrip("$"))
    except InvalidOperation:
        raise UserError(f"{option}: not an amount: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise UserError(f"{option}: not an amount: {value!r}")
    if amount != amount.quantize(Decimal("0.01")):
        raise UserError(f"{option}: amounts are in cents (at most 2 decimals): {value!r}")
    return amount


def _amount(value: str | None, option: str, all_value: Callable[[], Decimal]) -> Decimal:
    if value is None or value.strip().lower() == "all":
        return all_value()
    return _money(value, option)


def _open(deal_dir: Path, db: str | None, deal_key: str | None) -> Ledger:
    ledger = open_ledger(deal_dir, db, deal_key=deal_key)
    _opened.append(ledger)
    return ledger


_opened: list[Ledger] = []


def _closing(command: Callable) -> Callable:
    """Close every ledger the command opened, whatever happens (no -wal/-shm left behind)."""

    @functools.wraps(command)
    def run(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        try:
            return command(*args, **kwargs)
        finally:
            while _opened:
                _opened.pop().close()

    return run


def _tip(ledger: Ledger, purchaser: str):
    ledger.contract.purchaser(purchaser)
    book: Book = ledger.tip()
    return ledger.contract, book, book.notes[purchaser]


def _record(ledger: Ledger, event: Event, key: str | None, by: str | None, format: Format) -> None:
    with ledger:
        before = ledger.tip()
        rec = ledger.record(event, key=key, by=by)
        effect = _effect(ledger.contract, before, ledger.tip(), event)
        if format is Format.json:
            emit_json(
                {
                    "schema_version": views.SCHEMA_VERSION,
                    "already_recorded": rec.already_recorded,
                    "record": rec.to_json(),
                    "effect": effect,
                }
            )
            return
        what = "already recorded as" if rec.already_recorded else "recorded"
        line = (
            f"{what} event {rec.seq}: {event.kind.value} {event.instrument} on {event.date} "
            f"(hash {rec.hash[:12]})"
        )
        print(line)
        if effect and not rec.already_recorded:
            print("  " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in effect.items()))


def _effect(contract: Contract, before: Book, after: Book, event: Event) -> dict:
    """What the event changed on its instrument (for the record command's output)."""
    name = event.purchaser
    if name is None or before is after:
        return {}
    if event.instrument_type == "note":
        a, b = before.notes[name], after.notes[name]
        out = {
            "outstanding_principal": format(b.principal, "f"),
            "shares_issued": b.shares_issued - a.shares_issued,
            "cash_paid": format(b.cash_paid - a.cash_paid, "f"),
        }
        if b.window is not None:
            out["election_window_closes"] = b.window.closes.isoformat()
            out["settle_from"] = b.window.settle_from.isoformat()
        return out
    a, b = before.warrants[name], after.warrants[name]
    return {
        "shares_outstanding": b.outstanding,
        "shares_delivered": b.delivered - a.delivered,
        "cash_received": format(b.cash_received - a.cash_received, "f"),
    }


# --- commands ----------------------------------------------------------------------------------


@ledger_app.command("init")
@_closing
def init(
    deal_dir: Path = DealDir,
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    issue: bool = typer.Option(
        True, "--issue/--no-issue", help="record each purchaser's note issue at its closing"
    ),
    by: str | None = ByOpt,
    accept_terms: bool = typer.Option(
        False,
        "--accept-terms",
        help="deal.toml's contract terms were amended: record the amendment (a memo with the "
        "old and new terms fingerprints) and replay under the new terms",
    ),
    format: Format = FormatOpt,
) -> None:
    """Create the ledger database (or migrate it) and record the closings; safe to re-run."""
    with init_ledger(
        deal_dir, db, deal_key=deal_key, issue=issue, by=by, accept_terms=accept_terms
    ) as ledger:
        n = len(ledger.events())
        if format is Format.json:
            emit_json(
                {
                    "schema_version": views.SCHEMA_VERSION,
                    "location": ledger.location,
                    "deal_key": ledger.deal_key,
                    "events": n,
                }
            )
        else:
            print(f"ledger ready at {ledger.location} (deal {ledger.deal_key!r}, {n} events)")


@ledger_app.command("state")
@_closing
def state(
    deal_dir: Path = DealDir,
    as_of: str = typer.Option(None, "--as-of", help="date (default today)"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    format: Format = FormatOpt,
) -> None:
    """Every note and warrant as of a date: a pure replay of the log."""
    day = _date(as_of, "--as-of") if as_of else dt.date.today()
    with _open(deal_dir, db, deal_key) as ledger:
        data = views.state_json(ledger.state(day))
    if format is Format.json:
        emit_json(data)
    else:
        views.render_state(data, stdout_console())


@ledger_app.command("history")
@_closing
def history(
    deal_dir: Path = DealDir,
    as_of: str = typer.Option(None, "--as-of", help="only events dated on or before"),
    instrument: str = typer.Option(None, "--instrument", help="note:NAME, warrant:NAME or deal"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    format: Format = FormatOpt,
) -> None:
    """The recorded events in sequence order, with who recorded them and when."""
    day = _date(as_of, "--as-of") if as_of else None
    with _open(deal_dir, db, deal_key) as ledger:
        records = ledger.events(day)
    if instrument:
        records = tuple(r for r in records if r.event.instrument == instrument)
    data = views.history_json(records)
    if format is Format.json:
        emit_json(data)
    else:
        views.render_history(data, stdout_console())


@ledger_app.command("due")
@_closing
def due(
    deal_dir: Path = DealDir,
    as_of: str = typer.Option(..., "--as-of", help="date, YYYY-MM-DD"),
    days: int = typer.Option(30, "--days", min=0, max=3660, help="look ahead this many days"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    format: Format = FormatOpt,
) -> None:
    """Interest due, election windows closing, maturities, expiries, registration deadlines."""
    day = _date(as_of, "--as-of")
    with _open(deal_dir, db, deal_key) as ledger:
        items = ledger.due(day, days)
    data = views.due_json(day, days, items)
    if format is Format.json:
        emit_json(data)
    else:
        views.render_due(data, stdout_console())


@ledger_app.command("verify")
@_closing
def verify(
    deal_dir: Path = DealDir,
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    format: Format = FormatOpt,
) -> None:
    """Walk the hash chain; report the first altered or missing event (exit status 1)."""
    with _open(deal_dir, db, deal_key) as ledger:
        report = ledger.verify()
    if format is Format.json:
        emit_json(views.verify_json(report))
    elif report.ok:
        print(f"ok: {report.events} events, chain intact, head {report.head_hash}")
    else:
        print(f"FAILED at event {report.first_bad_seq}: {report.problem}")
    if not report.ok:
        sys.exit(1)


# --- record <kind> -----------------------------------------------------------------------------


@record_app.command("note-issued")
@_closing
def rec_note_issued(
    deal_dir: Path = DealDir,
    purchaser: str = PurchaserOpt,
    date: str = typer.Option(None, "--date", "-d", help="default: the closing date"),
    principal: str = typer.Option(None, "--principal", help="default: from deal.toml"),
    cash: str = typer.Option(None, "--cash", help="cash received (default: cash_funded)"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """The note (and its warrant) issued at closing."""
    ledger = _open(deal_dir, db, deal_key)
    p = ledger.contract.purchaser(purchaser)
    event = _mk(
        ev.note_issued,
        purchaser,
        _date(date, "--date") if date else p.closing_date,
        _amount(principal, "--principal", lambda: p.principal),
        _amount(cash, "--cash", lambda: p.funded),
    )
    _record(ledger, event, key, by, format)


@record_app.command("interest-paid")
@_closing
def rec_interest_paid(
    deal_dir: Path = DealDir,
    purchaser: str = PurchaserOpt,
    date: str = DateOpt,
    through: str = typer.Option(
        None, "--through", help="last day covered (default: end of the previous month)"
    ),
    amount: str = typer.Option(
        None, "--amount", help="amount paid (default: all unpaid interest through --through)"
    ),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """A payment of interest in cash."""
    day = _date(date, "--date")
    end = _date(through, "--through") if through else day.replace(day=1) - ONE_DAY
    ledger = _open(deal_dir, db, deal_key)
    contract, _, note = _tip(ledger, purchaser)
    value = _amount(
        amount, "--amount", lambda: payable_interest(contract, purchaser, note, end + ONE_DAY)
    )
    if value <= 0:
        raise UserError(f"note.interest: no unpaid interest through {end} ({purchaser})")
    _record(ledger, _mk(ev.interest_paid, purchaser, day, value, end), key, by, format)


def _conversion_defaults(
    ledger: Ledger,
    purchaser: str,
    day: dt.date,
    principal: str | None,
    interest: str | None,
    principal_default: Callable[[], Decimal],
) -> tuple[Decimal, Decimal]:
    contract, _, note = _tip(ledger, purchaser)
    p = _amount(principal, "--principal", principal_default)
    convertible = contract.deal.note.conversion.unpaid_interest_convertible

    def all_interest() -> Decimal:
        if not convertible:
            return Decimal(0)
        upto = day + dt.timedelta(days=contract.accrual_shift)
        return payable_interest(contract, purchaser, note, upto)

    i = _amount(interest, "--interest", all_interest)
    return p, i


@record_app.command("conversion")
@_closing
def rec_conversion(
    deal_dir: Path = DealDir,
    purchaser: str = PurchaserOpt,
    date: str = DateOpt,
    principal: str = typer.Option("0", "--principal", help="principal converted, or 'all'"),
    interest: str = typer.Option(
        "0", "--interest", help="accrued unpaid interest converted, or 'all'"
    ),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """The holder converts principal and/or accrued interest at the (adjusted) conversion price."""
    day = _date(date, "--date")
    ledger = _open(deal_dir, db, deal_key)
    note = _tip(ledger, purchaser)[2]
    p, i = _conversion_defaults(ledger, purchaser, day, principal, interest, lambda: note.principal)
    _record(ledger, _mk(ev.conversion, purchaser, day, p, i), key, by, format)


@record_app.command("prepayment-notice")
@_closing
def rec_prepayment_notice(
    deal_dir: Path = DealDir,
    purchaser: str = PurchaserOpt,
    date: str = DateOpt,
    principal: str = typer.Option("all", "--principal", help="principal to prepay, or 'all'"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """The company's written notice to prepay (opens the holder's election window)."""
    day = _date(date, "--date")
    ledger = _open(deal_dir, db, deal_key)
    note = _tip(ledger, purchaser)[2]
    value = _amount(principal, "--principal", lambda: note.principal)
    if value <= 0:
        raise UserError(f"note.prepayment: nothing to prepay ({purchaser} has no principal)")
    _record(ledger, _mk(ev.prepayment_notice, purchaser, day, value), key, by, format)


@record_app.command("conversion-election")
@_closing
def rec_conversion_election(
    deal_dir: Path = DealDir,
    purchaser: str = PurchaserOpt,
    date: str = DateOpt,
    principal: str = typer.Option(
        "all", "--principal", help="principal converted instead of prepaid (default: the notice)"
    ),
    interest: str = typer.Option(
        "all", "--interest", help="accrued unpaid interest converted (default: all, if allowed)"
    ),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """The holder elects, inside the window, to convert instead of being prepaid."""
    day = _date(date, "--date")
    ledger = _open(deal_dir, db, deal_key)
    note = _tip(ledger, purchaser)[2]

    def noticed() -> Decimal:
        w = note.window
        if w is None or w.status == "settled":
            raise UserError("note.prepayment.holder_election_days: no pending prepayment notice")
        return min(w.to_settle, note.principal)

    p, i = _conversion_defaults(ledger, purchaser, day, principal, interest, noticed)
    _record(ledger, _mk(ev.conversion_election, purchaser, day, p, i), key, by, format)


@record_app.command("prepayment-settled")
@_closing
def rec_prepayment_settled(
    deal_dir: Path = DealDir,
    purchaser: str = PurchaserOpt,
    date: str = DateOpt,
    principal: str = typer.Option(
        "all", "--principal", help="principal prepaid (default: what the notice left to settle)"
    ),
    interest: str = typer.Option(
        None,
        "--interest",
        help="accrued interest paid with it (default: all unpaid interest, pro rata if partial)",
    ),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """The prepayment paid, after the holder's election window."""
    day = _date(date, "--date")
    ledger = _open(deal_dir, db, deal_key)
    contract, _, note = _tip(ledger, purchaser)

    def remaining() -> Decimal:
        w = note.window
        return Decimal(0) if w is None else min(w.to_settle, note.principal)

    p = _amount(principal, "--principal", remaining)

    def interest_default() -> Decimal:
        if not contract.deal.note.prepayment.pays_accrued_interest or note.principal <= 0:
            return Decimal(0)
        upto = day + dt.timedelta(days=contract.accrual_shift)
        accrued = payable_interest(contract, purchaser, note, upto)
        return (accrued * p / note.principal).quantize(Decimal("0.01"))

    i = _amount(interest, "--interest", interest_default)
    _record(ledger, _mk(ev.prepayment_settled, purchaser, day, p, i), key, by, format)


@record_app.command("election-lapsed")
@_closing
def rec_election_lapsed(
    deal_dir: Path = DealDir,
    purchaser: str = PurchaserOpt,
    date: str = DateOpt,
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """The holder's election window closed without an election."""
    ledger = _open(deal_dir, db, deal_key)
    _record(ledger, _mk(ev.election_lapsed, purchaser, _date(date, "--date")), key, by, format)


@record_app.command("maturity-repayment")
@_closing
def rec_maturity_repayment(
    deal_dir: Path = DealDir,
    purchaser: str = PurchaserOpt,
    date: str = typer.Option(None, "--date", "-d", help="default: the maturity pay date"),
    principal: str = typer.Option("all", "--principal", help="default: all outstanding"),
    interest: str = typer.Option("all", "--interest", help="default: all unpaid interest"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """Principal plus unpaid interest repaid at maturity."""
    ledger = _open(deal_dir, db, deal_key)
    contract, _, note = _tip(ledger, purchaser)
    day = _date(date, "--date") if date else contract.dates(purchaser).maturity.pay_date
    p = _amount(principal, "--principal", lambda: note.principal)
    i = _amount(
        interest, "--interest", lambda: payable_interest(contract, purchaser, note, day + ONE_DAY)
    )
    _record(ledger, _mk(ev.maturity_repayment, purchaser, day, p, i), key, by, format)


def _at(value: str | None, day: dt.date, contract: Contract) -> dt.datetime | None:
    if value is None:
        return None
    zone = ZoneInfo(contract.deal.warrant.expiry_timezone) if contract.deal.warrant else dt.UTC
    try:
        if "T" in value or " " in value.strip():
            stamp = dt.datetime.fromisoformat(value)
        else:
            stamp = dt.datetime.combine(day, dt.time.fromisoformat(value))
    except ValueError:
        raise UserError(
            f"--at: not a time (HH:MM, or an ISO date-time with zone): {value!r}"
        ) from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=zone)


@record_app.command("warrant-exercised")
@_closing
def rec_warrant_exercised(
    deal_dir: Path = DealDir,
    purchaser: str = PurchaserOpt,
    date: str = DateOpt,
    shares: str = typer.Option("all", "--shares", help="warrant shares exercised, or 'all'"),
    cashless: bool = typer.Option(False, "--cashless", help="net (cashless) exercise"),
    fmv: str = typer.Option(None, "--fmv", help="fair market value per share (cashless)"),
    at: str = typer.Option(
        None,
        "--at",
        help="time of exercise: HH:MM in the warrant's time zone, or ISO date-time with zone "
        "(required on the expiry date)",
    ),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """Warrant shares exercised for cash (or net, where the warrant allows it)."""
    day = _date(date, "--date")
    ledger = _open(deal_dir, db, deal_key)
    contract = ledger.contract
    contract.purchaser(purchaser)
    if shares.strip().lower() == "all":
        w = ledger.tip().warrants.get(purchaser)
        count = w.outstanding if w else 0
    else:
        try:
            count = int(shares.replace(",", ""))
        except ValueError:
            raise UserError(f"--shares: not a whole number of shares: {shares!r}") from None
    if count <= 0:
        raise UserError(f"--shares: nothing to exercise ({count})")
    fmv_value = None
    if fmv is not None:
        try:
            fmv_value = Decimal(fmv.lstrip("$"))
        except InvalidOperation:
            raise UserError(f"--fmv: not a price: {fmv!r}") from None
    try:
        event = _mk(
            ev.warrant_exercised,
            purchaser,
            day,
            count,
            method="cashless" if cashless else "cash",
            fair_market_value=fmv_value,
            at=_at(at, day, contract),
        )
    except ValueError as exc:
        raise UserError(_first_error(exc)) from None
    _record(ledger, event, key, by, format)


@record_app.command("warrant-expired")
@_closing
def rec_warrant_expired(
    deal_dir: Path = DealDir,
    purchaser: str = PurchaserOpt,
    date: str = typer.Option(None, "--date", "-d", help="default: the expiry date"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """The unexercised warrant shares expired."""
    ledger = _open(deal_dir, db, deal_key)
    contract = ledger.contract
    expiry = contract.dates(purchaser).warrant_expiry
    if expiry is None:
        raise UserError("warrant: this deal has no warrants")
    day = _date(date, "--date") if date else expiry.date()
    _record(ledger, _mk(ev.warrant_expired, purchaser, day), key, by, format)


@record_app.command("stock-split")
@_closing
def rec_stock_split(
    deal_dir: Path = DealDir,
    date: str = DateOpt,
    ratio: str = typer.Option(..., "--ratio", help="NEW-for-OLD, e.g. 2-for-1 or 1-for-10"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """A stock split: prices divide and warrant shares multiply by NEW/OLD."""
    text = ratio.lower().replace(" ", "").replace("for", ":").replace("-", "")
    try:
        new, old = (int(x) for x in text.split(":"))
        if new <= 0 or old <= 0:
            raise ValueError
        event = _mk(ev.stock_split, _date(date, "--date"), new, old)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, UserError):
            raise
        raise UserError(f"--ratio: expected NEW-for-OLD such as 2-for-1: {ratio!r}") from None
    _record(_open(deal_dir, db, deal_key), event, key, by, format)


@record_app.command("stock-dividend")
@_closing
def rec_stock_dividend(
    deal_dir: Path = DealDir,
    date: str = DateOpt,
    percent: str = typer.Option(..., "--percent", help="new shares per 100 held, e.g. 10"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """A stock dividend: prices and warrant shares adjust by (100 + percent)/100."""
    try:
        value = Decimal(percent.rstrip("%"))
        if not value > 0:
            raise ValueError
        event = _mk(ev.stock_dividend, _date(date, "--date"), value)
    except (ValueError, InvalidOperation) as exc:
        if isinstance(exc, UserError):
            raise
        raise UserError(f"--percent: expected a positive percentage: {percent!r}") from None
    _record(_open(deal_dir, db, deal_key), event, key, by, format)


@record_app.command("registration-filed")
@_closing
def rec_registration_filed(
    deal_dir: Path = DealDir,
    date: str = DateOpt,
    form: str = typer.Option("S-3", "--form"),
    file_number: str = typer.Option(None, "--file-number", help="e.g. 333-117756"),
    shares: int = typer.Option(None, "--shares", min=0, help="shares registered"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """A resale registration statement filed."""
    event = _mk(ev.registration_filed, _date(date, "--date"), form, file_number, shares)
    _record(_open(deal_dir, db, deal_key), event, key, by, format)


@record_app.command("registration-effective")
@_closing
def rec_registration_effective(
    deal_dir: Path = DealDir,
    date: str = DateOpt,
    file_number: str = typer.Option(None, "--file-number"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """A registration statement declared effective."""
    event = _mk(ev.registration_effective, _date(date, "--date"), file_number)
    _record(_open(deal_dir, db, deal_key), event, key, by, format)


@record_app.command("memo")
@_closing
def rec_memo(
    deal_dir: Path = DealDir,
    date: str = DateOpt,
    text: str = typer.Option(..., "--text", help="the note for the audit trail"),
    instrument: str = typer.Option(DEAL, "--instrument", help="note:NAME, warrant:NAME or deal"),
    db: str | None = DbOpt,
    deal_key: str | None = KeyOpt,
    key: str | None = IdemOpt,
    by: str | None = ByOpt,
    format: Format = FormatOpt,
) -> None:
    """A free-form note for the audit trail."""
    try:
        event = _mk(ev.memo, _date(date, "--date"), text, instrument)
    except ValueError as exc:
        if isinstance(exc, UserError):
            raise
        raise UserError(_first_error(exc)) from None
    _record(_open(deal_dir, db, deal_key), event, key, by, format)


def _mk(factory: Callable[..., Event], *args, **kwargs) -> Event:
    """Build an event; a field the event model rejects becomes a one-line user error."""
    try:
        return factory(*args, **kwargs)
    except ValueError as exc:
        if isinstance(exc, UserError):
            raise
        raise UserError(_first_error(exc)) from None


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        e = errors()[0]
        loc = ".".join(str(x) for x in e["loc"] if x not in ("payload",)) or "event"
        msg = e["msg"].removeprefix("Value error, ")
        return f"{loc}: {msg}"
    return str(exc)
