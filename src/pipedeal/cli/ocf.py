"""``pipedeal export-ocf`` / ``import-ocf``: the deal as an Open Cap Table Format package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipedeal.cli.app import app
from pipedeal.cli.options import Db, DealDir, DealKey, FormatOpt, optional_date
from pipedeal.cli.output import Format, emit_json
from pipedeal.errors import UserError
from pipedeal.outfiles import plain


@app.command("export-ocf")
def export_ocf(
    deal_dir: DealDir,
    out: Annotated[Path, typer.Argument(help="the package: a folder, or a .zip file",
                                        show_default=False)],
    formation_date: Annotated[str | None, typer.Option(
        "--formation-date", help="the issuer's date of formation, YYYY-MM-DD (OCF requires "
        "it; default: issuer.formation_date of deal.toml)")] = None,
    country: Annotated[str, typer.Option(
        "--country", help="the issuer's country of formation, ISO 3166-1 alpha-2")] = "US",
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="ledger events up to this date (default: the latest event or closing)"
    )] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="replace an existing package")] = False,
    db: Db = None,
    deal_key: DealKey = None,
    format: FormatOpt = Format.text,
) -> None:
    """Write the deal (and its ledger, if any) as an Open Cap Table Format 1.2.0 package."""
    from pipedeal.interop.ocf import export_ocf as run

    formed = optional_date(formation_date, "--formation-date", calendar_range=False)
    day = optional_date(as_of, "--as-of")
    if out.suffix.lower() != ".zip" and out.exists() and not force and not out.is_dir():
        raise UserError(f"OUT {out}: exists and is not a folder")
    result = run(deal_dir, out, formation_date=formed, country=country, as_of=day, db=db,
                 deal_key=deal_key, force=force)
    if format is Format.json:
        emit_json(result.to_json())
        return
    counts = ", ".join(f"{n} {k}" for k, n in result.objects.items())
    print(plain(f"OCF {result.to_json()['ocf_version']} package written: {result.out} "
                f"(as of {result.as_of}; {counts}; {result.events} ledger events kept in the "
                "pipedeal extension)"))


@app.command("import-ocf")
def import_ocf(
    package: Annotated[Path, typer.Argument(help="an OCF package: a folder or a .zip file",
                                            show_default=False)],
    out_dir: Annotated[Path, typer.Argument(help="the new deal folder (must not exist, or be "
                                            "empty)", show_default=False)],
    format: FormatOpt = Format.text,
) -> None:
    """Read an OCF package into a deal folder: the exact deal if pipedeal wrote it, else a
    draft deal.toml with FILL marks."""
    from pipedeal.interop.ocf import import_ocf as run

    result = run(package, out_dir)
    if format is Format.json:
        emit_json(result.to_json())
        return
    print(plain(f"deal folder written: {result.out} ({', '.join(result.files)})"))
    if result.mode == "draft":
        print(plain(f"drafted: {len(result.fill)} FILL marks to fill in deal.toml"))
    if result.events:
        print(plain(f"{result.events} ledger events in ledger-events.jsonl: run `pipedeal "
                    f"ledger init {result.out}` then `pipedeal ledger import {result.out} "
                    f"{result.out / 'ledger-events.jsonl'}`"))
    for item in result.skipped:
        print(plain(f"skipped: {item}"))
