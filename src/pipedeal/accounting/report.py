"""The accounting of a deal folder as JSON-ready data (``pipedeal accounting`` and the book).

Fair values come, in order of preference, from the user (``--note-fair-value``,
``--warrant-fair-value``), else from the valuation engine on the deal folder's ``market.toml``
(when ``pipedeal.valuation`` offers per-purchaser fair values). A user value is one of:

* ``950000``: dollars, for the one note selected with ``--purchaser`` (or a one-note deal);
* ``95%``: percent of each note's principal (notes) or of each note's principal too (warrants);
* ``0.48/share``: dollars per warrant share (warrants) or per conversion share (notes).

The commitment-date share price is ``--commitment-price`` (dollars per share, every selected
note) or the close on or before each closing date in the closes file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pipedeal.accounting.allocation import Allocation, Regime
from pipedeal.accounting.amortization import schedule_json
from pipedeal.accounting.deal import (
    NoteAccounting,
    NoteInputs,
    Sourced,
    commitment_close,
    note_accounting,
)
from pipedeal.accounting.events import (
    LedgerJournal,
    RollForward,
    WarrantJournal,
    ledger_journal,
)
from pipedeal.accounting.journal import (
    JournalEntry,
    balances,
    cents,
    entry_json,
    trial_balance,
)
from pipedeal.accounting.periods import fiscal_quarter_ends
from pipedeal.errors import UserError
from pipedeal.jsonfmt import money_json
from pipedeal.market.closes import PriceSeries
from pipedeal.pricing.figures import DealFigures, PurchaserFigures
from pipedeal.schedule.interest import NoteSchedule
from pipedeal.terms.models import Deal

ACCOUNTING_SCHEMA_VERSION = 1
_VALUE = re.compile(r"^\s*\$?([0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)\s*(%|/\s*share)?\s*$")

ValueRule = Callable[[PurchaserFigures], Decimal]


@dataclass(frozen=True)
class FairValue:
    """A fair value given by the user: dollars for one note, a percent of each note's principal,
    or dollars per share (conversion shares for a note, warrant shares for a warrant)."""

    amount: Decimal
    unit: Literal["dollars", "percent", "per_share"] = "dollars"

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise UserError(f"fair value: must be greater than zero, got {self.amount}")

    @classmethod
    def dollars(cls, amount: Decimal | int | str) -> FairValue:
        return cls(Decimal(amount), "dollars")

    @classmethod
    def percent(cls, amount: Decimal | int | str) -> FairValue:
        return cls(Decimal(amount), "percent")

    @classmethod
    def per_share(cls, amount: Decimal | int | str) -> FairValue:
        return cls(Decimal(amount), "per_share")

    def text(self) -> str:
        """The command line's form of the value (``950000``, ``95%``, ``0.48/share``)."""
        suffix = {"dollars": "", "percent": "%", "per_share": "/share"}[self.unit]
        return f"{self.amount:f}{suffix}"


def parse_value(text: str, option: str, *, single_note: bool) -> tuple[ValueRule, str]:
    """A user-given fair value or price: dollars, ``N%`` of principal or ``N/share``."""
    m = _VALUE.match(text or "")
    if m is None:
        if re.match(r"^\s*-", text or ""):
            raise UserError(f"{option}: must be greater than zero, got {text.strip()}")
        raise UserError(f"{option}: {text!r} is not an amount (e.g. 950000, 95% or 0.48/share)")
    try:
        number = Decimal(m.group(1).replace(",", ""))
    except InvalidOperation:
        raise UserError(f"{option}: {text!r} is not a number") from None
    if number <= 0:
        raise UserError(f"{option}: must be greater than zero, got {text.strip()}")
    unit = (m.group(2) or "").replace(" ", "")
    source = f"user ({option} {text.strip()})"
    if unit == "%":
        return (lambda f: number / 100 * f.purchaser.principal), source
    if unit == "/share":
        if option.startswith("--warrant"):
            return (lambda f: number * f.warrant_shares), source
        return (lambda f: number * f.purchaser.principal / f.conversion_price), source
    if not single_note:
        raise UserError(
            f"{option}: a dollar amount applies to one note; add --purchaser, or give it as a "
            "percent of principal (95%) or per share (0.48/share)"
        )
    return (lambda f: number), source


def engine_fair_values(
    deal_dir: Path,
    deal: Deal,
    prices: PriceSeries | None,
    figures: DealFigures,
    schedules: tuple[NoteSchedule, ...],
    selected: list[PurchaserFigures],
    market: Any = None,
) -> dict[str, tuple[Decimal, Decimal, str]]:
    """Per-purchaser (note, warrant) fair values at issuance from the valuation engine.

    Each note is valued on its closing date as ``pipedeal.valuation.deal.value_deal`` does, with the
    folder's ``market.toml`` inputs (model, volatility, rate, credit spread...), the spot price
    replaced by the close on or before the closing date from the closes file (the market.toml
    spot is used only when its ``as_of`` is the closing date). Values are rounded to the cent.
    Returns {} when there is no ``market.toml`` or the valuation package is absent; a purchaser
    with no spot for its closing date is left out (the user must give its values).
    """
    from pipedeal.market.inputs import load_market

    market = market if market is not None else load_market(Path(deal_dir))
    if market is None:
        return {}
    by_name = {s.purchaser: s for s in schedules}
    out: dict[str, tuple[Decimal, Decimal, str]] = {}
    for f in selected:
        day = f.purchaser.closing_date
        close = commitment_close(prices, day)
        if close is not None:
            spot, spot_source = float(close.value), close.source
        elif market.as_of == day:
            spot, spot_source = market.spot, "market.toml spot"
        else:
            continue
        at_issue = market.model_copy(update={"spot": spot, "as_of": day})
        note, warrant = _value_at_issue(deal, f, by_name[f.purchaser.name], at_issue, figures)
        label = "illustrative " if market.illustrative else ""
        out[f.purchaser.name] = (
            cents(Decimal(repr(note))),
            cents(Decimal(repr(warrant))),
            f"valuation engine ({market.model}, {market.steps} steps, {label}market.toml "
            f"inputs, spot {spot} = {spot_source}) on {day}",
        )
    return out


def _value_at_issue(
    deal: Deal, f: PurchaserFigures, sched: NoteSchedule, market: Any, figures: DealFigures
) -> tuple[float, float]:
    """Note and warrant value on ``market.as_of`` exactly as ``value_deal`` computes them (its
    ``note.value`` and ``warrant.value``) for the note and warrant as issued, without the Greeks
    it also computes."""
    from pipedeal.instruments.deal import LoadedDeal
    from pipedeal.valuation.convertible import price
    from pipedeal.valuation.dated import to_spec
    from pipedeal.valuation.deal import (
        dated_note,
        market_inputs,
        shares_outstanding,
        warrant_valuation,
    )

    loaded = LoadedDeal.from_figures(deal, figures)
    name = f.purchaser.name
    day = market.as_of
    spec = to_spec(dated_note(loaded.notes[name])[0], day)
    note = price(
        spec, market_inputs(market, day), model=market.model, steps=market.steps, tree=market.tree
    )
    warrant = 0.0
    w = loaded.warrants.get(name)
    if w is not None and w.shares:
        n, _ = shares_outstanding(deal, market, day)
        warrant = warrant_valuation(
            w, w.shares, w.base_exercise_price, day, market, n, figures.warrant_shares
        ).value
    return note, warrant


def resolve_inputs(
    deal_dir: Path,
    deal: Deal,
    prices: PriceSeries | None,
    selected: list[PurchaserFigures],
    *,
    figures: DealFigures | None = None,
    schedules: tuple[NoteSchedule, ...] = (),
    note_fair_value: str | None = None,
    warrant_fair_value: str | None = None,
    commitment_price: str | None = None,
    market: Any = None,
) -> dict[str, NoteInputs]:
    single = len(selected) == 1
    note_rule = warrant_rule = price_rule = None
    if note_fair_value is not None:
        note_rule = parse_value(note_fair_value, "--note-fair-value", single_note=single)
    if warrant_fair_value is not None:
        warrant_rule = parse_value(warrant_fair_value, "--warrant-fair-value", single_note=single)
    if commitment_price is not None:
        price_rule = parse_value(commitment_price, "--commitment-price", single_note=True)
        if "%" in commitment_price or "/" in commitment_price:
            raise UserError("--commitment-price: give dollars per share, e.g. 1.25")
    engine = {} if (note_rule and warrant_rule) or figures is None else engine_fair_values(
        deal_dir, deal, prices, figures, schedules, selected, market
    )
    out: dict[str, NoteInputs] = {}
    for f in selected:
        name = f.purchaser.name
        from_engine = engine.get(name)
        note: Sourced | None = None
        warrant: Sourced | None = None
        price: Sourced | None
        if note_rule is not None:
            note = Sourced(note_rule[0](f), note_rule[1])
        elif from_engine is not None:
            note = Sourced(from_engine[0], from_engine[2])
        if warrant_rule is not None:
            warrant = Sourced(warrant_rule[0](f), warrant_rule[1])
        elif from_engine is not None:
            warrant = Sourced(from_engine[1], from_engine[2])
        if price_rule is not None:
            price = Sourced(price_rule[0](f), price_rule[1])
        else:
            price = commitment_close(prices, f.purchaser.closing_date)
        out[name] = NoteInputs(note, warrant, price)
    return out


def select(figures: DealFigures, purchaser: str | None) -> list[PurchaserFigures]:
    if purchaser is None:
        return list(figures.purchasers)
    try:
        return [figures.for_purchaser(purchaser)]
    except KeyError:
        names = ", ".join(f.purchaser.name for f in figures.purchasers)
        raise UserError(f"--purchaser: no purchaser named {purchaser!r} (have: {names})") from None


def deal_accounting(
    deal_dir: Path,
    deal: Deal,
    prices: PriceSeries | None,
    figures: DealFigures,
    schedules: tuple[NoteSchedule, ...],
    *,
    regime: Regime | str = Regime.LEGACY,
    purchaser: str | None = None,
    note_fair_value: str | None = None,
    warrant_fair_value: str | None = None,
    commitment_price: str | None = None,
    market: Any = None,
) -> list[NoteAccounting]:
    selected = select(figures, purchaser)
    inputs = resolve_inputs(
        deal_dir, deal, prices, selected, figures=figures, schedules=schedules,
        note_fair_value=note_fair_value,
        warrant_fair_value=warrant_fair_value, commitment_price=commitment_price, market=market,
    )
    by_name = {s.purchaser: s for s in schedules}
    return [
        note_accounting(f, by_name[f.purchaser.name], inputs[f.purchaser.name], regime)
        for f in selected
    ]


def _d(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


_NO_WARRANT = WarrantJournal("", (), Decimal(0), 0, Decimal(0))


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _d(v) if isinstance(v, Decimal) else v for k, v in d.items()}


def _roll_json(r: RollForward) -> dict[str, Any]:
    return {
        "opening_carrying": _d(r.opening_carrying),
        "amortization": _d(r.amortization),
        "converted_carrying": _d(r.converted_carrying),
        "extinguished_carrying": _d(r.extinguished_carrying),
        "repaid": _d(r.repaid),
        "closing_carrying": _d(r.closing_carrying),
        "notes_payable": _d(r.notes_payable),
        "ledger_outstanding_principal": _d(r.ledger_outstanding_principal),
        "interest_payable": _d(r.interest_payable),
        "ledger_accrued_interest": _d(r.ledger_accrued_interest),
        "ties_out": r.ties_out,
    }


def allocation_json(a: Allocation) -> dict[str, Any]:
    return {
        "regime": a.regime.value,
        "principal": money_json(a.principal),
        "proceeds": money_json(a.proceeds),
        "note_fair_value": _d(a.note_fair_value),
        "warrant_fair_value": _d(a.warrant_fair_value),
        "allocated_to_note": _d(a.allocated_to_note),
        "allocated_to_warrants": _d(a.allocated_to_warrants),
        "conversion_price": _d(a.conversion_price),
        "conversion_shares": _d(a.conversion_shares.quantize(Decimal("0.0001"))),
        "effective_conversion_price": _d(a.effective_conversion_price_rounded),
        "commitment_price": _d(a.commitment_price),
        "intrinsic_value": _d(a.intrinsic_value),
        "bcf": _d(a.bcf),
        "bcf_capped": a.bcf_capped,
        "carrying_amount": _d(a.carrying_amount),
        "discount": _d(a.discount),
    }


def notes_json(
    notes: list[NoteAccounting], regime: Regime | str, ledger: LedgerJournal | None = None
) -> dict[str, Any]:
    """JSON-ready accounting; with ``ledger`` the entries are those the ledger's events give."""
    by_note = {n.purchaser: n for n in ledger.notes} if ledger else {}
    by_warrant = {w.purchaser: w for w in ledger.warrants} if ledger else {}

    def entries_of(n: NoteAccounting) -> list[JournalEntry]:
        if ledger is None:
            return list(n.entries)
        return [*by_note[n.purchaser].entries, *by_warrant.get(n.purchaser, _NO_WARRANT).entries]

    all_entries = [e for n in notes for e in entries_of(n)]
    debits, credits = trial_balance(all_entries)
    return {
        "schema_version": ACCOUNTING_SCHEMA_VERSION,
        "regime": Regime(regime).value,
        "source": "ledger" if ledger else "terms (held to maturity)",
        "as_of": ledger.as_of.isoformat() if ledger else None,
        "notes": [
            {
                "purchaser": n.purchaser,
                "issue_date": n.issue_date.isoformat(),
                "inputs": {
                    key: None if v is None else {"value": _d(v.value), "source": v.source}
                    for key, v in (
                        ("note_fair_value", n.inputs.note_fair_value),
                        ("warrant_fair_value", n.inputs.warrant_fair_value),
                        ("commitment_price", n.inputs.commitment_price),
                    )
                },
                "allocation": allocation_json(n.allocation),
                "amortization": schedule_json(n.amortization),
                "entries": [entry_json(e) for e in sorted(entries_of(n), key=lambda e: e.date)],
                "roll_forward": _roll_json(by_note[n.purchaser].roll_forward) if ledger else None,
            }
            for n in notes
        ],
        "equity_roll_forward": (
            _jsonable(ledger.equity_roll_forward()) if ledger else None
        ),
        "journal": {
            "debits": _d(debits),
            "credits": _d(credits),
            "balanced": debits == credits,
            "closing_balances": {k: _d(v) for k, v in sorted(balances(all_entries).items())},
        },
    }


def accounting_data(
    deal_dir: Path,
    deal: Deal,
    prices: PriceSeries | None,
    figures: DealFigures,
    schedules: tuple[NoteSchedule, ...],
    *,
    regime: Regime | str | None = None,
    purchaser: str | None = None,
    note_fair_value: str | None = None,
    warrant_fair_value: str | None = None,
    commitment_price: str | None = None,
    as_of: dt.date | None = None,
    view: Any = None,
    market: Any = None,
) -> dict[str, Any]:
    """``pipedeal accounting --format json``: see docs/accounting.md. ``market``: the deal's
    ``market.toml`` inputs when already loaded (else read from the folder).

    With a ledger in the deal folder (or ``view``), entries follow the recorded events up to
    ``as_of`` (default: the later of the last event and the last maturity payment date).
    ``regime`` None: the deal's (``accounting.regime.deal_regime``), said with its reason.
    """
    from pipedeal.accounting.regime import deal_regime
    from pipedeal.ledger.reading import ledger_view

    regime, reason = deal_regime(deal, regime)
    notes = deal_accounting(
        deal_dir, deal, prices, figures, schedules, regime=regime, purchaser=purchaser,
        note_fair_value=note_fair_value, warrant_fair_value=warrant_fair_value,
        commitment_price=commitment_price, market=market,
    )
    view = view if view is not None else ledger_view(deal_dir)
    if view is None:
        if as_of is not None:
            raise UserError("--as-of applies to a deal with a ledger; this deal folder has none")
        return {**notes_json(notes, regime), "regime_reason": reason}
    if as_of is None:
        last_event = max(view.event_dates(), default=None)
        last_pay = max(s.maturity.pay_date for s in schedules)
        as_of = max(last_pay, last_event) if last_event else last_pay
    first = min(p.closing_date for p in deal.purchasers)
    if as_of < first:
        raise UserError(f"--as-of {as_of} is before the first closing ({first})")
    notes = [n for n in notes if n.issue_date <= as_of]
    journal = ledger_journal(
        notes, {f.purchaser.name: f for f in figures.purchasers}, view, as_of,
        par_value=deal.issuer.par_value or Decimal(0),
        with_warrants=deal.warrant is not None,
        period_ends=fiscal_quarter_ends(deal.accounting, first, as_of),
    )
    return {**notes_json(notes, regime, journal), "regime_reason": reason}
