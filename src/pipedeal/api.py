"""The public Python API: what every face (the CLI, the service, the web pages, batches) calls.

A deal is loaded once (``load_deal``); what happened to it is in its ledger (``open_ledger`` to
record, ``deal_state`` to read the state at a date); every view is a function of the loaded deal
and the state on its date, and returns a frozen result whose ``.to_json()`` is exactly what the
CLI prints with ``--format json``. Documented with runnable examples in ``docs/api.md``.

(The accounting view is ``accounting_report``: ``pipedeal.accounting`` is the engine's package.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipedeal.accounting.allocation import Regime
from pipedeal.accounting.report import FairValue
from pipedeal.errors import UserError
from pipedeal.instruments.deal import LoadedDeal, load
from pipedeal.ledger.ledger import Ledger
from pipedeal.ledger.record import DealRecord
from pipedeal.ledger.rules import LedgerState
from pipedeal.valuation.deal import DealValuation


@dataclass(frozen=True)
class Report:
    """A JSON document computed by an engine (cap table, accounting, the book), frozen.

    ``as_of`` is the date it describes; ``data`` the document (keys in ``docs/json.md`` and the
    page of each command); ``.to_json()`` returns a copy of it.
    """

    kind: str
    as_of: dt.date | None
    data: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        import copy

        return copy.deepcopy(dict(self.data))

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


def load_deal(path: Path | str) -> LoadedDeal:
    """Load, validate and price the deal folder ``path`` once (``deal.toml``, ``closes.csv``,
    ``market.toml``). A bad file or field raises ``UserError`` naming it."""
    return load(path)


def _loaded(deal: LoadedDeal | Path | str) -> LoadedDeal:
    return deal if isinstance(deal, LoadedDeal) else load(deal)


def _in_range(day: dt.date | None) -> dt.date | None:
    """A view date the calendars cover (a user error naming ``--as-of`` otherwise)."""
    from pipedeal.market.calendars import check_in_range

    return None if day is None else check_in_range(day, "--as-of")


def open_ledger(
    deal: LoadedDeal, db: str | None = None, *, create: bool = False, deal_key: str | None = None
) -> Ledger:
    """The deal's ledger (SQLite in the deal folder unless ``db`` or ``$PIPEDEAL_DB`` names
    another database; a ``postgresql+psycopg://`` URL for a server). ``create=True`` creates it
    (recording each closing) when it does not exist yet. Use it as a context manager."""
    from pipedeal.ledger.opening import init_ledger, ledger_exists
    from pipedeal.ledger.opening import open_ledger as _open

    if deal.folder is None:
        raise UserError("open_ledger: the deal was not loaded from a folder")
    if create and not ledger_exists(
        deal.folder, db, deal_key=deal_key, deal_name=deal.terms.name
    ):
        return init_ledger(deal.folder, db, deal_key=deal_key, contract=deal)
    return _open(deal.folder, db, deal_key=deal_key, contract=deal)


def deal_record(
    deal: LoadedDeal | Path | str, db: str | None = None, *, deal_key: str | None = None
) -> DealRecord:
    """The deal with its ledger's events read once (``DealRecord.state(as_of)`` for any date);
    the terms' own state when the deal has no ledger. ``deal_key``: the deal's key in a
    database holding several deals (default: the deal's name)."""
    from pipedeal.ledger.record import deal_record as _record

    return _record(_loaded(deal), db, deal_key=deal_key)


def deal_state(
    deal: LoadedDeal | Path | str, as_of: dt.date, db: str | None = None,
    *, deal_key: str | None = None,
) -> LedgerState:
    """The state at the end of ``as_of``: from the ledger when there is one, else on the terms
    alone (issued at closing, interest paid on schedule, repaid at maturity)."""
    day = _in_range(as_of)
    assert day is not None
    return deal_record(deal, db, deal_key=deal_key).state(day)


def value(
    deal: LoadedDeal | Path | str,
    state: LedgerState | None = None,
    *,
    as_of: dt.date | None = None,
    model: str | None = None,
    steps: int | None = None,
    db: str | None = None,
    deal_key: str | None = None,
    engine: str | None = None,
    greeks_check: bool = False,
) -> DealValuation:
    """Fair value and Greeks of every note and warrant as they stand on the valuation date
    (``as_of``, default ``market.toml``'s): ``state`` (default: the ledger's, or the terms')
    says what is outstanding, at which prices. ``engine``: ``lattice`` or ``pde`` (default
    ``market.toml``'s); ``greeks_check``: each Greek's move at twice the resolution too."""
    from pipedeal.market.inputs import market_file
    from pipedeal.valuation.deal import value_deal

    loaded = _loaded(deal)
    if loaded.market is None:
        where = market_file(loaded.folder) if loaded.folder else "market.toml"
        raise UserError(f"{where}: no such file (valuation inputs)")
    day = _in_range(as_of) or (state.as_of if state is not None else loaded.market.as_of)
    source = "given"
    if state is None:
        record = deal_record(loaded, db, deal_key=deal_key)
        state, source = record.state(day), record.source
    elif state.as_of != day:
        raise UserError(f"--as-of: the state is as of {state.as_of}, not {day}")
    return value_deal(
        loaded, state, loaded.market, as_of=day, model=model, steps=steps,
        source=str(market_file(loaded.folder)) if loaded.folder else None, state_source=source,
        engine=engine, greeks_check=greeks_check,
    )


def cap_table(
    deal: LoadedDeal | Path | str,
    *,
    as_of: dt.date | None = None,
    db: str | None = None,
    ownership_cap: Decimal | None = None,
    grid_prices: list[Decimal] | None = None,
    grid_dates: list[dt.date] | None = None,
    market_basis: str = "last_close",
    eps: dict[str, Any] | None = None,
    deal_key: str | None = None,
) -> Report:
    """Shares outstanding, the deal's potential shares, dilution and the 20% test on ``as_of``
    (default: the first share count after the last closing), following the ledger when there
    is one."""
    from pipedeal.captable.report import captable_data

    as_of = _in_range(as_of)
    record = deal_record(deal, db, deal_key=deal_key)
    loaded = record.deal
    assert loaded.folder is not None
    data = captable_data(
        loaded.folder, loaded.terms, loaded.prices, loaded.figures, loaded.schedules,
        as_of=as_of, grid_prices=grid_prices, grid_dates=grid_dates,
        ownership_cap=ownership_cap, market_basis=market_basis,  # type: ignore[arg-type]
        eps=eps, view=record if record.recorded else None,
    )
    return Report("captable", dt.date.fromisoformat(data["as_of"]), data)


def accounting_report(
    deal: LoadedDeal | Path | str,
    *,
    regime: Regime | str | None = None,
    purchaser: str | None = None,
    note_fair_value: FairValue | str | None = None,
    warrant_fair_value: FairValue | str | None = None,
    commitment_price: Decimal | str | None = None,
    as_of: dt.date | None = None,
    db: str | None = None,
    deal_key: str | None = None,
) -> Report:
    """Allocation of proceeds, beneficial conversion feature, amortization and the journal,
    following the ledger's events when there is one, under the deal's regime unless ``regime``
    says otherwise (``[accounting]`` in deal.toml; the JSON's ``regime_reason`` says why). Fair
    values are ``FairValue`` (dollars,
    percent of principal or per share) or, as on the command line, text such as ``"95%"``;
    without them the valuation engine values the note and warrant at issue."""
    from pipedeal.accounting.report import accounting_data

    as_of = _in_range(as_of)
    record = deal_record(deal, db, deal_key=deal_key)
    loaded = record.deal
    assert loaded.folder is not None

    def text(v: FairValue | Decimal | str | None) -> str | None:
        if v is None or isinstance(v, str):
            return v
        return v.text() if isinstance(v, FairValue) else format(v, "f")

    data = accounting_data(
        loaded.folder, loaded.terms, loaded.prices, loaded.figures, loaded.schedules,
        regime=regime, purchaser=purchaser, note_fair_value=text(note_fair_value),
        warrant_fair_value=text(warrant_fair_value), commitment_price=text(commitment_price),
        as_of=as_of, view=record if record.recorded else None, market=loaded.market,
    )
    day = data.get("as_of")
    return Report("accounting", dt.date.fromisoformat(day) if day else None, data)


def book(
    deal: LoadedDeal | Path | str,
    *,
    as_of: dt.date | None = None,
    db: str | None = None,
    **options: Any,
) -> Report:
    """The deal book: terms, prices, schedules, checks, ledger, cap table, accounting and
    valuation, from one load of the deal and one read of its ledger."""
    from pipedeal.report.book import book_data, build_context

    ctx = build_context(_loaded(deal), as_of=_in_range(as_of), db=db, **options)
    return Report("book", as_of, book_data(ctx))


def disclosure(deal: LoadedDeal | Path | str, *, style: str = "current") -> str:
    """The Form 8-K narrative of the financing, written from the terms and the prices fixed at
    issue (``style``: ``current`` — Items 1.01, 2.03, 3.02, 9.01 — or ``2004`` — Items 5, 7)."""
    from pipedeal.filings.disclose import render

    loaded = _loaded(deal)
    if style not in ("current", "2004"):
        raise UserError(f"--style: use current or 2004, got {style!r}")
    return render(loaded.terms, loaded.figures, style)


def extract_filing(path: Path | str) -> Report:
    """A filing (text, HTML or EDGAR .txt) read into its structure, registrant and the deal's
    terms, each with the span of text it came from (``docs/filings.md``)."""
    from pipedeal.filings.extract import extract_file

    data = extract_file(path)
    return Report("extract", None, data)


__all__ = [
    "DealRecord",
    "DealValuation",
    "FairValue",
    "LedgerState",
    "LoadedDeal",
    "Report",
    "accounting_report",
    "book",
    "cap_table",
    "deal_record",
    "deal_state",
    "disclosure",
    "extract_filing",
    "load_deal",
    "open_ledger",
    "value",
]
