"""What the ``pipedeal ledger`` commands share: reading dates and amounts, opening (and always
closing) the ledger, the options of every ``record`` command (``with_record_options``), building
an event, recording it and printing what it changed."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pipedeal.cli.options import (  # noqa: F401 - parse_date: the ledger commands import it here
    By,
    Db,
    DealDir,
    DealKey,
    FormatOpt,
    IdempotencyKey,
    parse_date,
)
from pipedeal.cli.output import Format, emit_json
from pipedeal.errors import UserError
from pipedeal.ledger import views
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.events import Event
from pipedeal.ledger.rules import Book
from pipedeal.ledger.snapshot import event_effect
from pipedeal.ledger.store import Ledger, open_ledger

P = ParamSpec("P")
R = TypeVar("R")


# --- reading the command line ------------------------------------------------------------------


# the calendars' range is market.calendars.check_in_range's; an event may not be dated after
# the moment it is recorded (the ledger checks that, with its clock)
MONEY_DIGITS = 18  # digits before the point (events.Money: 20 digits, 2 after the point)


def parse_money(value: str, option: str) -> Decimal:
    """An amount in dollars and cents (``$1,000.50`` or ``1000.5``), or a user error."""
    text = value.replace(",", "").strip().lstrip("$")
    if len(text) > 64:
        raise UserError(f"{option}: not an amount (too long): {value[:40]!r}...")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise UserError(f"{option}: not an amount: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise UserError(f"{option}: not an amount: {value!r}")
    if amount and amount.adjusted() >= MONEY_DIGITS:
        raise UserError(
            f"{option}: at most {MONEY_DIGITS} digits before the decimal point: {value!r}"
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise UserError(f"{option}: amounts are in cents (at most 2 decimals): {value!r}")
    return amount


def amount_or_default(value: str | None, option: str, default: Callable[[], Decimal]) -> Decimal:
    """The amount given, or (left out or ``all``) ``default()``: asked only when needed."""
    if value is None or value.strip().lower() == "all":
        return default()
    return parse_money(value, option)


# --- the ledger: opened by a command, closed when it ends --------------------------------------

_opened: list[Ledger] = []


def open_for_command(deal_dir: Path, db: str | None, deal_key: str | None) -> Ledger:
    """Open the deal's ledger; a command decorated with ``closing`` closes it when it ends."""
    ledger = open_ledger(deal_dir, db, deal_key=deal_key)
    _opened.append(ledger)
    return ledger


def closing(command: Callable[P, R]) -> Callable[P, R]:
    """Close every ledger the command opened, whatever happens (no -wal/-shm left behind)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        finally:
            _close_opened()

    return run


def _close_opened() -> None:
    while _opened:
        _opened.pop().close()


# --- the options of every ``record`` command ---------------------------------------------------


@dataclass(frozen=True)
class RecordOptions:
    """What every ``ledger record`` command takes besides its own options: the deal folder (its
    argument), where the ledger is, the idempotency key, who records and the output format."""

    deal_dir: Path
    db: str | None
    deal_key: str | None
    key: str | None
    by: str | None
    format: Format

    def open(self) -> Ledger:
        """The deal's ledger, closed when the command ends."""
        return open_for_command(self.deal_dir, self.db, self.deal_key)

    def record(self, ledger: Ledger, event: Event) -> None:
        """Record ``event`` with this command's key and recorder; print it in its format."""
        record(ledger, event, self.key, self.by, self.format)


_P = inspect.Parameter.POSITIONAL_OR_KEYWORD
# typer reads a command's options from its signature: the deal folder first, the command's own
# options, then these (the order of ``--help``).
_FIRST = (inspect.Parameter("deal_dir", _P, annotation=DealDir),)
_LAST = (
    inspect.Parameter("db", _P, default=None, annotation=Db),
    inspect.Parameter("deal_key", _P, default=None, annotation=DealKey),
    inspect.Parameter("key", _P, default=None, annotation=IdempotencyKey),
    inspect.Parameter("by", _P, default=None, annotation=By),
    inspect.Parameter("format", _P, default=Format.text, annotation=FormatOpt),
)
_SHARED = tuple(f.name for f in fields(RecordOptions))
assert {p.name for p in (*_FIRST, *_LAST)} == set(_SHARED)


def with_record_options(command: Callable[..., None]) -> Callable[..., None]:
    """A ``record`` command written as ``command(opts: RecordOptions, <its own options>)``
    becomes a typer command taking ``DEAL_DIR``, its own options and the shared ones; every
    ledger it opened is closed when it ends."""
    own = tuple(inspect.signature(command, eval_str=True).parameters.values())[1:]
    signature = inspect.Signature([*_FIRST, *own, *_LAST], return_annotation=None)

    @functools.wraps(command)
    def run(**kwargs: Any) -> None:
        opts = RecordOptions(**{name: kwargs.pop(name) for name in _SHARED})
        try:
            command(opts, **kwargs)
        finally:
            _close_opened()

    run.__signature__ = signature  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    return run


def tip(ledger: Ledger, purchaser: str) -> tuple[Contract, Book]:
    """The contract and the running book, after checking that ``purchaser`` is in the deal."""
    ledger.contract.purchaser(purchaser)
    return ledger.contract, ledger.tip()


# --- events ------------------------------------------------------------------------------------


def make_event(factory: Callable[..., Event], *args: Any, **kwargs: Any) -> Event:
    """Build an event; a field the event model rejects becomes a one-line user error."""
    try:
        return factory(*args, **kwargs)
    except ValueError as exc:
        if isinstance(exc, UserError):
            raise
        raise UserError(first_error(exc)) from None


def first_error(exc: ValueError) -> str:
    """The first validation error of ``exc`` as ``field: message``."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        e = errors()[0]
        loc = ".".join(str(x) for x in e["loc"] if x not in ("payload",)) or "event"
        msg = e["msg"].removeprefix("Value error, ")
        return f"{loc}: {msg}"
    return str(exc)


def record(ledger: Ledger, event: Event, key: str | None, by: str | None, format: Format) -> None:
    """Record ``event`` and print the record and what it changed (text or JSON)."""
    with ledger:
        before = ledger.tip()
        rec = ledger.record(event, key=key, by=by)
        effect = event_effect(before, ledger.tip(), event)
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

