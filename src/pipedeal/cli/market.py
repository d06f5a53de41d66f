"""``pipedeal market ...``: daily prices from vendors' CSV files into the deal's closes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from pipedeal.cli.app import app
from pipedeal.cli.options import FormatOpt
from pipedeal.cli.output import Format, emit_json

market_app = typer.Typer(
    help="Market data: import a vendor's daily prices into a deal's closes file.",
    no_args_is_help=True,
)
app.add_typer(market_app, name="market")

DealOpt = Annotated[
    Path, typer.Option("--deal", help="deal folder (holds deal.toml); its closes file is replaced")
]


@market_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="a daily-price CSV (date, close, volume...)")],
    deal: DealOpt,
    adjusted: Annotated[
        bool,
        typer.Option("--adjusted", help="take the adjusted close column (default: the close)"),
    ] = False,
    format: FormatOpt = Format.text,
) -> None:
    """Replace the deal's closes with a vendor's CSV, checked against the exchange calendar."""
    from pipedeal.market.importer import import_closes

    prices = import_closes(file, deal, adjusted=adjusted)
    for line in prices.changed_prices:  # a ledger recorded under the old ones no longer verifies
        typer.echo(
            f"changed: {line} (a ledger recorded under the old price: ledger init --accept-terms)",
            err=True,
        )
    data = prices.to_json()
    if format is Format.json:
        emit_json(data)
    else:
        print(
            f"imported {data['sessions']} {data['calendar']} sessions {data['first']} to "
            f"{data['last']} (column {data['close_column']!r}) into {deal}"
        )


@market_app.command("fetch")
def fetch(
    ticker: Annotated[str, typer.Argument(help="the ticker, as Yahoo! Finance spells it")],
    deal: DealOpt,
    start: Annotated[str, typer.Option("--start", help="first date, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last date, YYYY-MM-DD")],
    adjusted: Annotated[
        bool,
        typer.Option("--adjusted", help="take the adjusted close (default: the close)"),
    ] = False,
    format: FormatOpt = Format.text,
) -> None:
    """Download daily prices with yfinance (pip install 'pipedeal[market]') into the deal."""
    from pipedeal.cli.ledger_common import parse_date
    from pipedeal.market.importer import fetch_closes

    first: dt.date = parse_date(start, "--start")
    last: dt.date = parse_date(end, "--end")
    prices = fetch_closes(ticker, deal, first, last, adjusted=adjusted)
    data = prices.to_json()
    if format is Format.json:
        emit_json(data)
    else:
        print(
            f"fetched {data['sessions']} {data['calendar']} sessions {data['first']} to "
            f"{data['last']} of {ticker} into {deal}"
        )
