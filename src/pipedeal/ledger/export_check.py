"""Checking an auditor's export offline: the deal room's ``/deals/{deal}/export`` file, without
the database.

The export holds every event as the ledger stored it (sequence number, event, idempotency key,
who and when, previous hash, hash and the terms fingerprint it was recorded under), the head
(sequence number and hash) and the deal's terms fingerprint. ``check_export`` re-hashes each
event with the chain's own encoding (``chain.chain_hash``, ``chain.genesis_hash``) and walks
the links to the head: an edited figure, a deleted or inserted event, a changed head or a
fingerprint that is not the chain's is reported as the first problem found. Given the deal
(``contract``), the export's fingerprint must be that deal's, and the events are replayed
through the ledger's own verification (``chain.verify_rows``: every rule again).

``export_document`` writes the export (the service's endpoint serves it), ``load_export`` reads
the file; a file that is not an export is a ``UserError`` naming the
field (exit status 2 on the command line), a tampered one a failed ``VerifyReport`` (1).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipedeal.errors import UserError
from pipedeal.ledger import views
from pipedeal.ledger.chain import VerifyReport, chain_hash, genesis_hash, verify_rows
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.events import validate_stored
from pipedeal.ledger.ledger import Ledger


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class ExportedEvent(_Strict):
    seq: int = Field(ge=1)
    event: dict[str, Any]
    idempotency_key: str
    recorded_by: str
    recorded_at: str
    prev_hash: str
    hash: str
    terms_hash: str | None


class Head(_Strict):
    seq: int = Field(ge=0)
    hash: str


class Export(_Strict):
    deal: str = Field(min_length=1)
    terms_fingerprint: str
    head: Head
    events: list[ExportedEvent]


class Row(NamedTuple):
    """An exported event as ``verify_rows`` reads a stored row (``chain.VERIFY_COLUMNS``)."""

    seq: int
    event_date: dt.date
    instrument: str
    kind: str
    body: str
    idempotency_key: str
    recorded_by: str
    recorded_at: str
    prev_hash: str
    hash: str
    terms_hash: str | None


def export_document(ledger: Ledger, as_of: dt.date, exported_at: str) -> dict[str, Any]:
    """The export of ``ledger``: every event with its chain hashes and terms fingerprint, the
    head of those events, the deal's terms fingerprint, the chain's verification and the state
    at the end of ``as_of`` (``docs/service.md``)."""
    records = ledger.events()
    report = ledger.verify()
    events = views.history_json(records)["events"]
    for row, rec in zip(events, records, strict=True):
        row["terms_hash"] = rec.terms_hash  # hashed into the chain: the check needs it
    last = records[-1] if records else None
    return {
        "schema_version": views.SCHEMA_VERSION,
        "deal": ledger.deal_key,  # the chain's first link is hashed from it
        "exported_at": exported_at,
        "terms_fingerprint": ledger.contract.fingerprint(),
        # the head of the events listed (verify may have read a later one)
        "head": {
            "seq": last.seq if last else 0,
            "hash": last.hash if last else genesis_hash(ledger.deal_key),
        },
        "verify": views.verify_json(report),
        "events": events,
        "state": views.state_json(ledger.state(as_of)),
    }


def load_export(path: Path) -> Export:
    """The export in ``path``; ``UserError`` (one line naming the file and field) otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the export ({exc.__class__.__name__})") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise UserError(f"{path}: not JSON") from None
    try:
        return Export.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "export"
        raise UserError(f"{path}: {where}: {err['msg']}") from None


def body_of(exported: ExportedEvent) -> str:
    """The event's stored text (``Event.canonical``: compact JSON, sorted keys)."""
    return json.dumps(exported.event, sort_keys=True, separators=(",", ":"))


def check_export(export: Export, contract: Contract | None = None) -> VerifyReport:
    """The first problem in ``export``'s hash chain (or ``ok``), as ``ledger verify`` reports
    it; with ``contract`` (the deal folder's terms) also its fingerprint and every rule."""
    head = export.head
    rows: list[Row] = []
    prev = genesis_hash(export.deal)

    def bad(seq: int | None, problem: str) -> VerifyReport:
        return VerifyReport(False, len(rows), head.seq, head.hash, seq, problem)

    terms: str | None = None
    for e in export.events:
        expected = len(rows) + 1
        if e.seq != expected:
            return bad(
                expected,
                f"event {expected} is missing (the sequence goes from {expected - 1} to {e.seq})",
            )
        body = body_of(e)
        digest = chain_hash(
            e.prev_hash, e.seq, e.idempotency_key, e.recorded_by, e.recorded_at, body,
            e.terms_hash,
        )
        if digest != e.hash:
            return bad(e.seq, f"event {e.seq} was altered: its content does not match its hash")
        if e.prev_hash != prev:
            return bad(
                e.seq - 1,
                f"event {e.seq - 1} was altered or replaced: event {e.seq} links to a "
                "different hash",
            )
        try:
            event = validate_stored(body)
        except ValueError:
            return bad(e.seq, f"event {e.seq} is unreadable")
        terms = e.terms_hash or terms
        rows.append(
            Row(e.seq, event.date, event.instrument, event.kind.value, body, e.idempotency_key,
                e.recorded_by, e.recorded_at, e.prev_hash, e.hash, e.terms_hash)
        )
        prev = e.hash
    last = len(rows)
    if head.seq != last:
        return bad(
            min(head.seq, last) + 1,
            f"the export's head is at event {head.seq} but it holds {last} events",
        )
    if head.hash != prev:
        return bad(last, f"event {last} was altered: the export's head holds a different hash")
    if terms is not None and terms != export.terms_fingerprint:
        return bad(
            last,
            f"the export's terms fingerprint ({export.terms_fingerprint[:12]}) is not the one "
            f"in the hash chain ({terms[:12]})",
        )
    if contract is not None:
        if contract.fingerprint() != export.terms_fingerprint:
            return bad(
                None,
                f"the deal folder's terms fingerprint ({contract.fingerprint()[:12]}) is not "
                f"the export's ({export.terms_fingerprint[:12]})",
            )
        stored: Any = rows  # read as the database's rows are (chain.VERIFY_COLUMNS)
        return verify_rows(
            contract, export.deal, head.seq, head.hash, stored,
            stored_terms=export.terms_fingerprint,
        )
    return VerifyReport(True, last, head.seq, head.hash)
