"""Stored books: the running ``Book`` kept in the database every so many events, so that opening
a long ledger reads the newest stored book and the events after it instead of folding the whole
log (table ``ledger_snapshots``, revision 0004).

A stored book is a shortcut, never the record: the events are. It is used only when all of
these hold, else it is ignored and the log is folded from the first event (and a fresh book is
stored at the next append):

- the event it names (``seq``) is still on the chain with the ``hash`` it names, and the chain
  carries the terms fingerprint of today's deal.toml at that event;
- it was folded by this very code (``version``: a digest of the package's source, so a change
  to a rule can never be hidden by a book an older rule folded);
- its ``digest`` (over the deal, the event, the terms, the version and the book) matches, and
  the book reads back into the shape today's ``Book`` has, with the deal's purchasers.

An edit of ``book_json`` that also recomputes the digest passes these checks (the digest is no
signature); ``verify`` re-folds the whole log and compares every stored book with it, so such an
edit is reported there, as an edit of an event row is. The encoding is JSON with a tag for each
type that JSON lacks (decimals, fractions, dates, tuples, mappings, and the dataclasses of
``ledger.state``), so a book reads back exactly: same decimals, same exponents, same order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipedeal.ledger import state
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.schema import events, snapshots
from pipedeal.ledger.state import Book

EVERY = 1000  # a book is stored when an append crosses a multiple of this many events


# --- encoding ----------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | str) or type(value) is int:
        return value
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, Fraction):
        return {"$frac": [value.numerator, value.denominator]}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return {"$list": [_encode(v) for v in value]}
    if isinstance(value, Mapping):
        return {"$map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    cls = type(value)
    if dataclasses.is_dataclass(value) and getattr(state, cls.__name__, None) is cls:
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(cls)}
        return {"$obj": cls.__name__, "fields": fields}
    raise TypeError(f"a book holds a {cls.__name__}, which stored books cannot encode")


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        if isinstance(value, list | float):
            raise ValueError("a bare list or float")
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$dec":
            return Decimal(_text(inner))
        if tag == "$frac":
            num, den = inner
            if type(num) is not int or type(den) is not int or den <= 0:
                raise ValueError("a fraction")
            return Fraction(num, den)
        if tag == "$datetime":
            return dt.datetime.fromisoformat(_text(inner))
        if tag == "$date":
            return dt.date.fromisoformat(_text(inner))
        if tag == "$tuple":
            return tuple(_decode(v) for v in _list(inner))
        if tag == "$list":
            return [_decode(v) for v in _list(inner)]
        if tag == "$map":
            return {_decode(k): _decode(v) for k, v in _list(inner)}
    if value.keys() == {"$obj", "fields"}:
        cls = getattr(state, _text(value["$obj"]), None)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise ValueError(f"no state type {value['$obj']!r}")
        raw = value["fields"]
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(raw, dict) or raw.keys() != names:
            raise ValueError(f"{cls.__name__}'s fields differ")
        obj = object.__new__(cls)  # frozen: no __init__ (these types have no checks)
        obj.__dict__.update({k: _decode(v) for k, v in raw.items()})
        return obj
    raise ValueError("an untagged object")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def book_json(book: Book) -> str:
    """The book as stored (deterministic: the same book gives the same text)."""
    return json.dumps(_encode(book), separators=(",", ":"), ensure_ascii=False)


def read_book(text: str, contract: Contract) -> Book:
    """The book ``book_json`` wrote; ``ValueError`` when the text is not one for this deal."""
    try:
        book = _decode(json.loads(text))
    except (TypeError, KeyError, AttributeError, ArithmeticError, RecursionError) as exc:
        raise ValueError(f"unreadable ({type(exc).__name__})") from None
    if type(book) is not Book or list(book.notes) != list(contract.names):
        raise ValueError("not a book of this deal")
    return book


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the package's Python source: books folded by other code are not used."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _digest(
    deal_key: str, seq: int, event_hash: str, terms_seq: int, version: str, text: str
) -> str:
    data = json.dumps([deal_key, seq, event_hash, terms_seq, version, text], ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


# --- reading and writing -----------------------------------------------------------------------


class Opened(NamedTuple):
    """A stored book that passed every check: the book after event ``seq``."""

    seq: int
    hash: str
    terms: str
    terms_seq: int
    book: Book


_NEWEST = (
    sa.select(snapshots)
    .where(snapshots.c.deal_id == sa.bindparam("deal"), snapshots.c.seq <= sa.bindparam("head"))
    .order_by(snapshots.c.seq.desc())
    .limit(1)
)
_EVENT = sa.select(events.c.hash, events.c.terms_hash).where(
    events.c.deal_id == sa.bindparam("deal"), events.c.seq == sa.bindparam("seq")
)


def newest(
    conn: Connection, deal_id: int, deal_key: str, head_seq: int, contract: Contract
) -> Opened | None:
    """The newest stored book at or before ``head_seq`` that passes every check, else None
    (then the caller folds the log)."""
    row = conn.execute(_NEWEST, {"deal": deal_id, "head": head_seq}).first()
    if row is None or row.version != code_version():
        return None
    if row.digest != _digest(
        deal_key, row.seq, row.hash, row.terms_seq, row.version, row.book_json
    ):
        return None
    on_chain = conn.execute(_EVENT, {"deal": deal_id, "seq": row.seq}).first()
    fingerprint = contract.fingerprint()
    if on_chain is None or on_chain.hash != row.hash or on_chain.terms_hash != fingerprint:
        return None
    if not 1 <= row.terms_seq <= row.seq:
        return None
    try:
        book = read_book(row.book_json, contract)
    except ValueError:
        return None
    return Opened(row.seq, row.hash, fingerprint, row.terms_seq, book)


def store(
    conn: Connection,
    deal_id: int,
    deal_key: str,
    seq: int,
    event_hash: str,
    terms_seq: int,
    book: Book,
) -> bool:
    """Keep ``book`` as the state after event ``seq`` (in the caller's transaction, which writes
    that event). A row at or beyond ``seq`` can only be left over from outside the ledger: it
    is replaced. A book holding a type this module cannot encode is not stored (False): a stored
    book is a shortcut, and its absence must never stop an append."""
    try:
        text = book_json(book)
    except TypeError:
        return False
    version = code_version()
    conn.execute(snapshots.delete().where(snapshots.c.deal_id == deal_id, snapshots.c.seq >= seq))
    conn.execute(
        snapshots.insert().values(
            deal_id=deal_id,
            seq=seq,
            hash=event_hash,
            terms_seq=terms_seq,
            version=version,
            book_json=text,
            digest=_digest(deal_key, seq, event_hash, terms_seq, version, text),
        )
    )
    return True


Check = Callable[[Book, str], "str | None"]


def checks(conn: Connection, deal_id: int, deal_key: str) -> tuple[dict[int, Check], int | None]:
    """For ``verify``: per stored book, a check of the re-folded book and the event's hash after
    its event (what is wrong, or None); and the first stored book beyond the chain, if any
    is (the caller compares it with the head). Books folded by other code are not compared
    (they are never used either); every other row must match the log exactly."""
    out: dict[int, Check] = {}
    version = code_version()
    rows = conn.execute(
        sa.select(snapshots).where(snapshots.c.deal_id == deal_id).order_by(snapshots.c.seq)
    ).all()
    for row in rows:
        if row.version != version:
            continue
        out[row.seq] = _check_one(deal_key, row)
    return out, (rows[-1].seq if rows else None)


def _check_one(deal_key: str, row: Any) -> Check:
    seq = row.seq
    what = f"the stored book after event {seq} (ledger_snapshots)"

    def check(book: Book, event_hash: str) -> str | None:
        digest = _digest(deal_key, seq, row.hash, row.terms_seq, row.version, row.book_json)
        if row.digest != digest:
            return f"{what} was altered: it does not match its digest"
        if row.hash != event_hash:
            return f"{what} names a different hash for event {seq}"
        if row.book_json != book_json(book):
            return f"{what} differs from the book the events give: it was altered"
        return None

    return check
