"""``pipedeal captable`` and ``pipedeal accounting``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum

import typer

from pipedeal.cli.app import app
from pipedeal.cli.options import DealDir, FormatOpt, optional_date, parse_date
from pipedeal.cli.output import Format, emit_json, slow_work_notice, stdout_console
from pipedeal.errors import UserError


class RegimeOption(StrEnum):
    legacy = "legacy"
    asu_2020_06 = "asu-2020-06"


class MarketBasisOption(StrEnum):
    last_close = "last_close"
    minimum_price = "minimum_price"


def _fraction(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    raw = text.strip()
    try:
        value = Decimal(raw.rstrip("%"))
    except InvalidOperation:
        raise UserError(f"{option}: {text!r} is not a number (e.g. 4.99% or 0.0499)") from None
    if raw.endswith("%"):
        value /= 100
    if not (0 < value < 1):
        raise UserError(f"{option}: must be between 0 and 100%, got {text!r}")
    return value


def _number(text: str | None, option: str) -> Decimal:
    try:
        value = Decimal((text or "").replace(",", "").strip())
    except InvalidOperation:
        raise UserError(f"{option}: {text!r} is not a number") from None
    if not value.is_finite():
        raise UserError(f"{option}: {text!r} is not a finite number")
    return value


@app.command()
def captable(
    deal_dir: DealDir,
    as_of: str | None = typer.Option(
        None, "--as-of", help="date (YYYY-MM-DD); default: the first share count after closing"
    ),
    prices: str | None = typer.Option(
        None, "--prices", help="dilution grid over stock prices A:B:STEP, e.g. 0.50:3.00:0.25"
    ),
    dates: str | None = typer.Option(
        None, "--dates", help="more dates for the dilution grid, comma-separated"
    ),
    ownership_cap: str | None = typer.Option(
        None, "--ownership-cap", help="beneficial-ownership cap to check, e.g. 4.99%"
    ),
    market_basis: MarketBasisOption = typer.Option(
        MarketBasisOption.last_close, "--market-basis",
        help="20% rule market value: last close before signing, or the Nasdaq minimum price",
    ),
    net_income: str | None = typer.Option(
        None, "--net-income", help="diluted EPS: net income for the period ending --as-of"
    ),
    weighted_shares: str | None = typer.Option(
        None, "--weighted-shares", help="diluted EPS: weighted average basic shares"
    ),
    average_price: str | None = typer.Option(
        None, "--average-price", help="diluted EPS: average share price (treasury-stock method)"
    ),
    tax_rate: str = typer.Option("0", "--tax-rate", help="diluted EPS: tax rate, e.g. 0.35"),
    period_days: int = typer.Option(365, "--period-days", help="diluted EPS: days in the period"),
    db: str | None = typer.Option(
        None, "--db", help="the ledger's database URL or SQLite file (default $PIPEDEAL_DB, else "
        "DEAL_DIR/ledger.sqlite)",
    ),
    format: FormatOpt = Format.text,
) -> None:
    """Cap table as of a date: fully diluted shares, ownership, the 20% rule and dilution."""
    import pipedeal
    from pipedeal.captable.dilution import parse_price_range
    from pipedeal.captable.render import render_captable

    day = optional_date(as_of, "--as-of")
    grid = parse_price_range(prices) if prices else None
    grid_dates = [parse_date(d, "--dates") for d in dates.split(",")] if dates else None
    if grid_dates and not grid:
        raise UserError("--dates: give --prices too (the grid is prices × dates)")
    cap = _fraction(ownership_cap, "--ownership-cap")
    eps = None
    given = [v is not None for v in (net_income, weighted_shares, average_price)]
    if any(given):
        if not all(given):
            raise UserError("diluted EPS needs --net-income, --weighted-shares and --average-price")
        if period_days <= 0:
            raise UserError("--period-days must be a positive number of days")
        eps = {
            "net_income": _number(net_income, "--net-income"),
            "weighted_shares": _number(weighted_shares, "--weighted-shares"),
            "average_price": _number(average_price, "--average-price"),
            "tax_rate": _number(tax_rate, "--tax-rate"),
            "period_days": period_days,
        }
    data = pipedeal.cap_table(
        deal_dir, as_of=day, db=db, ownership_cap=cap, grid_prices=grid, grid_dates=grid_dates,
        market_basis=market_basis.value, eps=eps,
    ).to_json()
    if format is Format.json:
        emit_json(data)
        return
    render_captable(data, stdout_console())


@app.command()
def accounting(
    deal_dir: DealDir,
    regime: RegimeOption | None = typer.Option(
        None, "--regime", help="legacy (APB 14 / EITF 98-5, 00-27) or asu-2020-06 (default: the "
        "deal's [accounting] regime, else chosen from the filer status and fiscal year)",
    ),
    purchaser: str | None = typer.Option(None, "--purchaser", help="only this purchaser's note"),
    note_fair_value: str | None = typer.Option(
        None, "--note-fair-value",
        help="note's standalone fair value: dollars (one note), N% of principal, or N/share",
    ),
    warrant_fair_value: str | None = typer.Option(
        None, "--warrant-fair-value",
        help="warrants' fair value: dollars (one note), N% of principal, or N/share",
    ),
    commitment_price: str | None = typer.Option(
        None, "--commitment-price",
        help="share price on the commitment date (legacy); default: close on the closing date",
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="with a ledger: entries through this date (default: the end)"
    ),
    db: str | None = typer.Option(
        None, "--db", help="the ledger's database URL or SQLite file (default $PIPEDEAL_DB, else "
        "DEAL_DIR/ledger.sqlite)",
    ),
    format: FormatOpt = Format.text,
) -> None:
    """Allocation, BCF, amortization and journal entries of the notes and warrants."""
    import pipedeal
    from pipedeal.accounting.render import render_accounting

    with slow_work_notice():  # fair values from the engine: the first run compiles
        data = pipedeal.accounting_report(
            deal_dir, regime=regime.value if regime else None, purchaser=purchaser,
            note_fair_value=note_fair_value,
            warrant_fair_value=warrant_fair_value, commitment_price=commitment_price,
            as_of=optional_date(as_of, "--as-of"), db=db,
        ).to_json()
    if format is Format.json:
        emit_json(data)
        return
    render_accounting(data, stdout_console())
