"""``pipedeal ledger head``, ``keygen`` and ``checkpoint``: values to keep outside the database.

``head --export`` prints ``SEQ:HASH`` (for ``verify --expect-head``); ``keygen FILE`` makes an
Ed25519 key pair (FILE, mode 0600, and FILE.pub); ``checkpoint --key FILE`` prints a signed
checkpoint of the head (for ``verify --checkpoint FILE --public-key FILE.pub``). Both verify the
whole chain first and refuse a broken ledger (exit status 1): a value kept from a tampered
ledger would vouch for the tampering.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipedeal.cli.ledger import ledger_app
from pipedeal.cli.ledger_common import closing, open_for_command
from pipedeal.cli.options import Db, DealDir, DealKey, FormatOpt
from pipedeal.cli.output import Format, emit_json
from pipedeal.ledger import views
from pipedeal.ledger.anchors import export_head, generate_key, sign_checkpoint, write_new
from pipedeal.ledger.ledger import Ledger


def _verified_head(ledger: Ledger) -> tuple[int, str]:
    report = ledger.verify()
    if not report.ok:
        where = f" at event {report.first_bad_seq}" if report.first_bad_seq is not None else ""
        print(f"FAILED{where}: {report.problem}")
        sys.exit(1)
    return report.head_seq, report.head_hash


@ledger_app.command("head")
@closing
def head(
    deal_dir: DealDir,
    db: Db = None,
    deal_key: DealKey = None,
    export: Annotated[
        bool,
        typer.Option("--export", help="print only the value to keep: SEQ:HASH"),
    ] = False,
    format: FormatOpt = Format.text,
) -> None:
    """The chain head (after verifying the chain): keep it elsewhere, check it with
    `ledger verify --expect-head`."""
    with open_for_command(deal_dir, db, deal_key) as ledger:
        seq, digest = _verified_head(ledger)
    value = export_head(seq, digest)
    if format is Format.json:
        emit_json(
            {"schema_version": views.SCHEMA_VERSION, "seq": seq, "hash": digest, "value": value}
        )
    elif export:
        print(value)
    else:
        print(f"head: event {seq}, hash {digest} (chain verified); keep: {value}")


@ledger_app.command("keygen")
def keygen(
    key_file: Annotated[
        Path, typer.Argument(help="private key file to create (the public key goes to FILE.pub)")
    ],
) -> None:
    """Create an Ed25519 key pair for signed checkpoints (keep the private key away from the
    database; existing files are never overwritten)."""
    public = generate_key(key_file)
    print(f"private key {key_file} (mode 0600), public key {public}")


@ledger_app.command("checkpoint")
@closing
def checkpoint(
    deal_dir: DealDir,
    key: Annotated[Path, typer.Option("--key", help="Ed25519 private key file (ledger keygen)")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="write it to this new file (never replaced; default: stdout)"),
    ] = None,
    db: Db = None,
    deal_key: DealKey = None,
) -> None:
    """A checkpoint of the verified head signed with --key (JSON; keep it elsewhere and check it
    with `ledger verify --checkpoint FILE --public-key FILE.pub`)."""
    with open_for_command(deal_dir, db, deal_key) as ledger:
        seq, digest = _verified_head(ledger)
        terms = ledger.events()[-1].terms_hash if seq else None
        signed = sign_checkpoint(
            key,
            deal_key=ledger.deal_key,
            seq=seq,
            digest=digest,
            terms_hash=terms,
            signed_at=ledger.now().isoformat(timespec="seconds"),
        )
    text = json.dumps(signed, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        write_new(out, text.encode(), 0o644)
        print(f"checkpoint of event {seq} signed into {out}")
