"""The book's sections beyond terms, prices and schedules: one builder each, over the
``BookContext`` (the deal loaded once, its ledger read once).

Each returns a JSON-ready value, or ``None`` when its data does not exist for the deal (no
ledger, no ``market.toml``, no share count...). The engines they call take the loaded deal and
the state; none of them reads the deal folder again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipedeal.errors import UserError

if TYPE_CHECKING:
    from pipedeal.report.book import BookContext


def _ledger_view(ctx: BookContext) -> Any:
    """The record as a ledger view for the cap table and accounting, or None when nothing was
    recorded (they then work from the terms)."""
    return ctx.record if ctx.record.recorded else None


def ledger_section(ctx: BookContext) -> dict[str, Any] | None:
    """The ledger's state on the book's date, its event count, location and chain check;
    ``None`` when the deal has no ledger."""
    from pipedeal.ledger.views import state_json

    record = ctx.record
    if record.recorded is None or record.verify is None:
        return None
    data = state_json(record.state(ctx.book_as_of))
    data["events_recorded"] = len(record.recorded)
    data["location"] = record.location
    data["verify"] = record.verify.to_json()
    return data


def valuation_section(ctx: BookContext) -> dict[str, Any] | None:
    """The deal valued with its ``market.toml`` (None without one), on the market file's date,
    for the instruments as the state on that date has them.

    The valuation date is the market file's ``as_of``, not the book's ``--as-of``: the spot and
    curves are observed on that day, and moving the date alone would value stale data. Each
    note's Greeks are checked at twice the steps (a Greek moving more than 1% is flagged).
    """
    from pipedeal.market.inputs import market_file
    from pipedeal.valuation.deal import value_deal

    loaded = ctx.loaded
    market = loaded.market
    if market is None:
        return None
    opts = ctx.options
    return value_deal(
        loaded, ctx.record.state(market.as_of), market, model=opts.get("model"),
        steps=opts.get("steps"), source=str(market_file(ctx.deal_dir)),
        state_source=ctx.record.source, engine=opts.get("engine"), greeks_check=True,
    ).to_json()


def captable_section(ctx: BookContext) -> dict[str, Any] | None:
    """The cap table on the book's date, or None when the deal gives no shares-outstanding
    count on or before that date."""
    from pipedeal.captable.report import captable_data

    if not ctx.deal.issuer.shares_outstanding:
        return None
    try:
        return captable_data(
            ctx.deal_dir, ctx.deal, ctx.prices, ctx.figures, ctx.schedules,
            as_of=ctx.book_as_of, ownership_cap=ctx.options.get("ownership_cap"),
            view=_ledger_view(ctx),
        )
    except UserError:  # no share count on or before the date, a date before closing...
        return None


def accounting_section(ctx: BookContext) -> dict[str, Any] | None:
    """Accounting under the deal's regime (``[accounting]`` in deal.toml, or the ASU 2020-06
    effective dates) unless ``ctx.options["regime"]`` (``--regime``) says otherwise; fair values
    from ``ctx.options`` (``note_fair_value``, ``warrant_fair_value``, ``commitment_price``, as
    on the command line) or the valuation engine. None when a fair value or the commitment price
    is missing."""
    from pipedeal.accounting.report import accounting_data

    opts = ctx.options
    view = _ledger_view(ctx)
    try:
        return accounting_data(
            ctx.deal_dir, ctx.deal, ctx.prices, ctx.figures, ctx.schedules,
            regime=opts.get("regime"),
            note_fair_value=opts.get("note_fair_value"),
            warrant_fair_value=opts.get("warrant_fair_value"),
            commitment_price=opts.get("commitment_price"),
            as_of=ctx.book_as_of if view is not None else None,
            view=view,
            market=ctx.loaded.market,
        )
    except UserError:
        return None


def disclosure_section(ctx: BookContext) -> dict[str, Any] | None:
    """``filing_check``: the folder's 8-K, extracted, against the deal's figures (None when the
    folder holds no filing)."""
    from pipedeal.filings.disclose import filing_check

    return filing_check(ctx.deal_dir, ctx.deal, ctx.figures)


def registration_section(ctx: BookContext) -> dict[str, Any] | None:
    """Registrable securities per holder and in total (the registration rounding rule and what
    conversion delivers), and each registration statement the ledger recorded by the book's
    date with whether its share count covers them; None without registration rights."""
    from pipedeal.instruments.registration import registrable_securities

    registrable = registrable_securities(ctx.loaded)
    if registrable is None:
        return None
    data = registrable.to_json()
    state = ctx.record.state(ctx.book_as_of) if ctx.record.recorded else None
    data["registrations"] = [
        {
            "form": r.form,
            "file_number": r.file_number,
            "filed": r.filed.isoformat(),
            "effective": None if r.effective is None else r.effective.isoformat(),
            "shares": r.shares,
            "covers_registrable": None if r.shares is None else r.shares >= registrable.total,
            "other_shares": None if r.shares is None else r.shares - registrable.total,
        }
        for r in (state.registrations if state is not None else ())
    ]
    return data
