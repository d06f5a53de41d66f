"""``pipedeal ledger record DEAL_DIR <kind>``: one command per event kind.

Each command reads its own options, asks ``pipedeal.ledger.defaults`` for the figures left out
(the interest a payment covers, the principal a settlement pays, ...), builds the event and
records it. The options every command shares (``DEAL_DIR``, ``--db``, ``--deal-key``, ``--key``,
``--by``, ``--format``) are added by ``with_record_options`` and arrive as one ``RecordOptions``.
Rejected events are not stored.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from typer.core import TyperGroup
from typer.models import OptionInfo

from pipedeal.cli.ledger_common import (
    RecordOptions,
    amount_or_default,
    first_error,
    make_event,
    parse_date,
    tip,
    with_record_options,
)
from pipedeal.cli.options import EventDate, Purchaser, date_option
from pipedeal.errors import UserError
from pipedeal.ledger import defaults
from pipedeal.ledger import events as ev
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.delivery_rules import check_settles, deliveries_of
from pipedeal.ledger.events import DEAL
from pipedeal.ledger.store import Ledger


class _DealDirFirst(TyperGroup):
    """``record DEAL_DIR <kind> ...`` (as documented) and ``record <kind> DEAL_DIR ...`` both work.

    Click wants the subcommand name first; a deal folder in front of it is moved behind it, where
    each event command takes it as its argument.
    """

    # ctx: click's Context (typer >= 0.2x vendors click, so its class depends on the version)
    def parse_args(self, ctx, args: list[str]) -> list[str]:  # noqa: ANN001
        if len(args) >= 2 and args[0] not in self.commands and args[1] in self.commands:
            args = [args[1], args[0], *args[2:]]
        return super().parse_args(ctx, args)


record_app = typer.Typer(
    cls=_DealDirFirst,
    help="Record one event: pipedeal ledger record DEAL_DIR <kind> [options]. "
    "Rejected events are not stored.",
    no_args_is_help=True,
)


# NEW-for-OLD (2-for-1, 1 for 10), NEW:OLD or NEW/OLD: unsigned whole numbers only, so that a
# sign is refused rather than dropped (-1-for-10 is not 1-for-10)
_RATIO = re.compile(r"(?P<new>[0-9]{1,9})\s*(?:-?\s*for\s*-?|:|/)\s*(?P<old>[0-9]{1,9})")


def _option(name: str, help: str | None = None) -> OptionInfo:
    """A text option of one command (parsed by the command)."""
    return typer.Option(name, help=help)


# --- notes -------------------------------------------------------------------------------------


@record_app.command("note-issued")
@with_record_options
def rec_note_issued(
    opts: RecordOptions,
    purchaser: Purchaser,
    date: Annotated[str | None, date_option("default: the closing date")] = None,
    principal: Annotated[str | None, _option("--principal", "default: from deal.toml")] = None,
    cash: Annotated[str | None, _option("--cash", "cash received (default: cash_funded)")] = None,
) -> None:
    """The note (and its warrant) issued at closing."""
    ledger = opts.open()
    p = ledger.contract.purchaser(purchaser)
    event = make_event(
        ev.note_issued,
        purchaser,
        parse_date(date, "--date") if date else p.closing_date,
        amount_or_default(principal, "--principal", lambda: p.principal),
        amount_or_default(cash, "--cash", lambda: p.funded),
    )
    opts.record(ledger, event)


@record_app.command("interest-paid")
@with_record_options
def rec_interest_paid(
    opts: RecordOptions,
    purchaser: Purchaser,
    date: EventDate,
    through: Annotated[
        str | None,
        _option("--through", "last day covered (default: end of the previous month)"),
    ] = None,
    amount: Annotated[
        str | None,
        _option("--amount", "amount paid (default: all unpaid interest through --through)"),
    ] = None,
) -> None:
    """A payment of interest in cash."""
    day = parse_date(date, "--date")
    end = parse_date(through, "--through") if through else defaults.default_interest_through(day)
    ledger = opts.open()
    contract, book = tip(ledger, purchaser)
    value = amount_or_default(
        amount, "--amount", lambda: defaults.interest_payable(contract, book, purchaser, end)
    )
    if value <= 0:
        raise UserError(f"note.interest: no unpaid interest through {end} ({purchaser})")
    opts.record(ledger, make_event(ev.interest_paid, purchaser, day, value, end))


@record_app.command("conversion")
@with_record_options
def rec_conversion(
    opts: RecordOptions,
    purchaser: Purchaser,
    date: EventDate,
    principal: Annotated[str, _option("--principal", "principal converted, or 'all'")] = "0",
    interest: Annotated[
        str, _option("--interest", "accrued unpaid interest converted, or 'all'")
    ] = "0",
) -> None:
    """The holder converts principal and/or accrued interest at the (adjusted) conversion price."""
    day = parse_date(date, "--date")
    ledger = opts.open()
    contract, book = tip(ledger, purchaser)
    p = amount_or_default(
        principal,
        "--principal",
        lambda: defaults.outstanding_principal(contract, book, purchaser),
    )
    i = amount_or_default(
        interest, "--interest", lambda: defaults.conversion_interest(contract, book, purchaser, day)
    )
    opts.record(ledger, make_event(ev.conversion, purchaser, day, p, i))


@record_app.command("prepayment-notice")
@with_record_options
def rec_prepayment_notice(
    opts: RecordOptions,
    purchaser: Purchaser,
    date: EventDate,
    principal: Annotated[str, _option("--principal", "principal to prepay, or 'all'")] = "all",
) -> None:
    """The company's written notice to prepay (opens the holder's election window)."""
    day = parse_date(date, "--date")
    ledger = opts.open()
    contract, book = tip(ledger, purchaser)
    value = amount_or_default(
        principal,
        "--principal",
        lambda: defaults.outstanding_principal(contract, book, purchaser),
    )
    if value <= 0:
        raise UserError(f"note.prepayment: nothing to prepay ({purchaser} has no principal)")
    opts.record(ledger, make_event(ev.prepayment_notice, purchaser, day, value))


@record_app.command("conversion-election")
@with_record_options
def rec_conversion_election(
    opts: RecordOptions,
    purchaser: Purchaser,
    date: EventDate,
    principal: Annotated[
        str,
        _option("--principal", "principal converted instead of prepaid (default: the notice)"),
    ] = "all",
    interest: Annotated[
        str,
        _option("--interest", "accrued unpaid interest converted (default: all, if allowed)"),
    ] = "all",
) -> None:
    """The holder elects, inside the window, to convert instead of being prepaid."""
    day = parse_date(date, "--date")
    ledger = opts.open()
    contract, book = tip(ledger, purchaser)
    p = amount_or_default(
        principal, "--principal", lambda: defaults.elected_principal(contract, book, purchaser)
    )
    i = amount_or_default(
        interest, "--interest", lambda: defaults.conversion_interest(contract, book, purchaser, day)
    )
    opts.record(ledger, make_event(ev.conversion_election, purchaser, day, p, i))


@record_app.command("prepayment-settled")
@with_record_options
def rec_prepayment_settled(
    opts: RecordOptions,
    purchaser: Purchaser,
    date: EventDate,
    principal: Annotated[
        str,
        _option("--principal", "principal prepaid (default: what the notice left to settle)"),
    ] = "all",
    interest: Annotated[
        str | None,
        _option(
            "--interest",
            "accrued interest paid with it (default: all unpaid interest, pro rata if partial)",
        ),
    ] = None,
) -> None:
    """The prepayment paid, after the holder's election window."""
    day = parse_date(date, "--date")
    ledger = opts.open()
    contract, book = tip(ledger, purchaser)
    p = amount_or_default(
        principal, "--principal", lambda: defaults.prepayment_to_settle(contract, book, purchaser)
    )
    i = amount_or_default(
        interest,
        "--interest",
        lambda: defaults.prepayment_interest(contract, book, purchaser, day, p),
    )
    opts.record(ledger, make_event(ev.prepayment_settled, purchaser, day, p, i))


@record_app.command("election-lapsed")
@with_record_options
def rec_election_lapsed(
    opts: RecordOptions,
    purchaser: Purchaser,
    date: EventDate,
) -> None:
    """The holder's election window closed without an election."""
    ledger = opts.open()
    event = make_event(ev.election_lapsed, purchaser, parse_date(date, "--date"))
    opts.record(ledger, event)


@record_app.command("maturity-repayment")
@with_record_options
def rec_maturity_repayment(
    opts: RecordOptions,
    purchaser: Purchaser,
    date: Annotated[str | None, date_option("default: the maturity pay date")] = None,
    principal: Annotated[str, _option("--principal", "default: all outstanding")] = "all",
    interest: Annotated[str, _option("--interest", "default: all unpaid interest")] = "all",
) -> None:
    """Principal plus unpaid interest repaid at maturity."""
    ledger = opts.open()
    contract, book = tip(ledger, purchaser)
    day = parse_date(date, "--date") if date else defaults.maturity_pay_date(contract, purchaser)
    p = amount_or_default(
        principal,
        "--principal",
        lambda: defaults.outstanding_principal(contract, book, purchaser),
    )
    i = amount_or_default(
        interest, "--interest", lambda: defaults.interest_payable(contract, book, purchaser, day)
    )
    opts.record(ledger, make_event(ev.maturity_repayment, purchaser, day, p, i))


# --- warrants ----------------------------------------------------------------------------------


def _at(value: str | None, day: dt.date, contract: Contract) -> dt.datetime | None:
    """``--at``: a time of day on ``day`` or an ISO date-time; without a zone, the warrant's."""
    if value is None:
        return None
    try:
        if "T" in value or " " in value.strip():
            stamp = dt.datetime.fromisoformat(value)
        else:
            stamp = dt.datetime.combine(day, dt.time.fromisoformat(value))
    except ValueError:
        raise UserError(
            f"--at: not a time (HH:MM, or an ISO date-time with zone): {value!r}"
        ) from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=defaults.warrant_time_zone(contract))


def _shares(value: str, ledger: Ledger, purchaser: str) -> int:
    """``--shares``: a whole number, or ``all`` (the warrant shares still outstanding)."""
    if value.strip().lower() == "all":
        return defaults.warrant_shares_outstanding(ledger.contract, ledger.tip(), purchaser)
    try:
        return int(value.replace(",", ""))
    except ValueError:
        raise UserError(f"--shares: not a whole number of shares: {value!r}") from None


@record_app.command("warrant-exercised")
@with_record_options
def rec_warrant_exercised(
    opts: RecordOptions,
    purchaser: Purchaser,
    date: EventDate,
    shares: Annotated[str, _option("--shares", "warrant shares exercised, or 'all'")] = "all",
    cashless: Annotated[bool, typer.Option("--cashless", help="net (cashless) exercise")] = False,
    fmv: Annotated[str | None, _option("--fmv", "fair market value per share (cashless)")] = None,
    at: Annotated[
        str | None,
        _option(
            "--at",
            "time of exercise: HH:MM in the warrant's time zone, or ISO date-time with zone "
            "(required on the expiry date)",
        ),
    ] = None,
) -> None:
    """Warrant shares exercised for cash (or net, where the warrant allows it)."""
    day = parse_date(date, "--date")
    ledger = opts.open()
    contract = ledger.contract
    contract.purchaser(purchaser)
    count = _shares(shares, ledger, purchaser)
    if count <= 0:
        raise UserError(f"--shares: nothing to exercise ({count})")
    fmv_value = None
    if fmv is not None:
        try:
            fmv_value = Decimal(fmv.lstrip("$"))
        except InvalidOperation:
            raise UserError(f"--fmv: not a price: {fmv!r}") from None
    try:
        event = make_event(
            ev.warrant_exercised,
            purchaser,
            day,
            count,
            method="cashless" if cashless else "cash",
            fair_market_value=fmv_value,
            at=_at(at, day, contract),
        )
    except ValueError as exc:
        raise UserError(first_error(exc)) from None
    opts.record(ledger, event)


@record_app.command("warrant-expired")
@with_record_options
def rec_warrant_expired(
    opts: RecordOptions,
    purchaser: Purchaser,
    date: Annotated[str | None, date_option("default: the expiry date")] = None,
) -> None:
    """The unexercised warrant shares expired."""
    ledger = opts.open()
    expiry = defaults.warrant_expiry_date(ledger.contract, purchaser)
    day = parse_date(date, "--date") if date else expiry
    opts.record(ledger, make_event(ev.warrant_expired, purchaser, day))


@record_app.command("shares-delivered")
@with_record_options
def rec_shares_delivered(
    opts: RecordOptions,
    instrument: Annotated[str, _option("--instrument", "note:NAME or warrant:NAME")],
    date: EventDate,
    shares: Annotated[str, _option("--shares", "shares delivered, or 'all' (undelivered)")] = "all",
    settles: Annotated[
        int | None,
        typer.Option("--settles", min=1, help="sequence number of the conversion or exercise"),
    ] = None,
) -> None:
    """The transfer agent delivered shares issued on a conversion or exercise."""
    ledger = opts.open()
    try:
        kind, name = ev.split_instrument(instrument)
    except ValueError as exc:
        raise UserError(f"--instrument: {exc}") from None
    if name is None:
        raise UserError("--instrument: note:NAME or warrant:NAME, not 'deal'")
    ledger.contract.purchaser(name)
    if shares.strip().lower() == "all":
        count = deliveries_of(ledger.tip(), instrument).undelivered
    else:
        try:
            count = int(shares.replace(",", ""))
        except ValueError:
            raise UserError(f"--shares: not a whole number of shares: {shares!r}") from None
    if count <= 0:
        raise UserError(f"--shares: nothing to deliver on {instrument} ({count})")
    event = make_event(ev.shares_delivered, instrument, parse_date(date, "--date"), count, settles)
    check_settles(ledger.events(), event)
    opts.record(ledger, event)


# --- deal-wide events --------------------------------------------------------------------------


@record_app.command("stock-split")
@with_record_options
def rec_stock_split(
    opts: RecordOptions,
    date: EventDate,
    ratio: Annotated[str, _option("--ratio", "NEW-for-OLD, e.g. 2-for-1 or 1-for-10")],
) -> None:
    """A stock split: prices divide and warrant shares multiply by NEW/OLD."""
    match = _RATIO.fullmatch(ratio.strip().lower())
    if match is None:
        raise UserError(
            f"--ratio: expected NEW-for-OLD with two positive whole numbers, such as 2-for-1 or "
            f"1-for-10: {ratio!r}"
        )
    new, old = int(match["new"]), int(match["old"])
    if new <= 0 or old <= 0:
        raise UserError(f"--ratio: both numbers must be positive: {ratio!r}")
    event = make_event(ev.stock_split, parse_date(date, "--date"), new, old)
    opts.record(opts.open(), event)


@record_app.command("stock-dividend")
@with_record_options
def rec_stock_dividend(
    opts: RecordOptions,
    date: EventDate,
    percent: Annotated[str, _option("--percent", "new shares per 100 held, e.g. 10")],
) -> None:
    """A stock dividend: prices and warrant shares adjust by (100 + percent)/100."""
    try:
        value = Decimal(percent.rstrip("%"))
        if not value > 0:
            raise ValueError
        event = make_event(ev.stock_dividend, parse_date(date, "--date"), value)
    except (ValueError, InvalidOperation) as exc:
        if isinstance(exc, UserError):
            raise
        raise UserError(f"--percent: expected a positive percentage: {percent!r}") from None
    opts.record(opts.open(), event)


@record_app.command("registration-filed")
@with_record_options
def rec_registration_filed(
    opts: RecordOptions,
    date: EventDate,
    form: Annotated[str, _option("--form")] = "S-3",
    file_number: Annotated[str | None, _option("--file-number", "e.g. 333-117756")] = None,
    shares: Annotated[int | None, typer.Option("--shares", min=0, help="shares registered")] = None,
) -> None:
    """A resale registration statement filed."""
    event = make_event(ev.registration_filed, parse_date(date, "--date"), form, file_number, shares)
    opts.record(opts.open(), event)


@record_app.command("registration-effective")
@with_record_options
def rec_registration_effective(
    opts: RecordOptions,
    date: EventDate,
    file_number: Annotated[str | None, _option("--file-number")] = None,
) -> None:
    """A registration statement declared effective."""
    event = make_event(ev.registration_effective, parse_date(date, "--date"), file_number)
    opts.record(opts.open(), event)


@record_app.command("memo")
@with_record_options
def rec_memo(
    opts: RecordOptions,
    date: EventDate,
    text: Annotated[str, _option("--text", "the note for the audit trail")],
    instrument: Annotated[str, _option("--instrument", "note:NAME, warrant:NAME or deal")] = DEAL,
) -> None:
    """A free-form note for the audit trail."""
    try:
        event = make_event(ev.memo, parse_date(date, "--date"), text, instrument)
    except ValueError as exc:
        if isinstance(exc, UserError):
            raise
        raise UserError(first_error(exc)) from None
    opts.record(opts.open(), event)


@record_app.command("correction")
@with_record_options
def rec_correction(
    opts: RecordOptions,
    date: EventDate,
    voids: Annotated[
        int, typer.Option("--voids", min=1, help="sequence number of the event recorded by mistake")
    ],
    reason: Annotated[str, _option("--reason", "why the event is voided (kept in the log)")],
) -> None:
    """Void an event recorded by mistake: states, journal and cap table replay without it;
    the log keeps both and history shows the pair."""
    ledger = opts.open()
    target = next((r for r in ledger.events() if r.seq == voids), None)
    if target is None:
        raise UserError(f"--voids: there is no event {voids} in the ledger")
    try:
        event = ev.correction(parse_date(date, "--date"), voids, reason, target.event.instrument)
    except ValueError as exc:
        if isinstance(exc, UserError):
            raise
        raise UserError(first_error(exc)) from None
    opts.record(ledger, event)
