"""Ledger events: immutable, dated facts about one instrument.

An ``Event`` has a ``date``, an ``instrument`` (``note:<purchaser>``, ``warrant:<purchaser>`` or
``deal``), a ``kind`` and a kind-specific ``payload``; ``at`` (a time-zone aware timestamp) is
carried where the contract names a time of day (warrant exercise on the expiry date). Events say
what happened; derived figures (shares issued, cash paid) come from the rules in ``rules``.

The helpers at the bottom (``conversion(...)``, ``interest_paid(...)`` ...) build events with the
right instrument and kind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import typing
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Money = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=2)]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=2)]
Price = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=8)]

DEAL = "deal"
MAX_SHARES = 10**15  # shares in one event (exercised, registered)

# what the constructors below accept for an amount (passed through Decimal(...))
Amount = Decimal | int | str


class EventKind(StrEnum):
    NOTE_ISSUED = "note_issued"
    INTEREST_PAID = "interest_paid"
    CONVERSION = "conversion"
    PREPAYMENT_NOTICE = "prepayment_notice"
    CONVERSION_ELECTION = "conversion_election"
    PREPAYMENT_SETTLED = "prepayment_settled"
    ELECTION_LAPSED = "election_lapsed"
    MATURITY_REPAYMENT = "maturity_repayment"
    WARRANT_EXERCISED = "warrant_exercised"
    WARRANT_EXPIRED = "warrant_expired"
    SHARES_DELIVERED = "shares_delivered"
    STOCK_SPLIT = "stock_split"
    STOCK_DIVIDEND = "stock_dividend"
    REGISTRATION_FILED = "registration_filed"
    REGISTRATION_EFFECTIVE = "registration_effective"
    MEMO = "memo"
    CORRECTION = "correction"


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class NoteIssued(_Payload):
    principal: PositiveMoney
    cash_received: Money


class InterestPaid(_Payload):
    amount: PositiveMoney
    through: dt.date = Field(description="last day of accrual this payment covers")


class Conversion(_Payload):
    principal: Money = Decimal(0)
    interest: Money = Decimal(0)

    @model_validator(mode="after")
    def _something(self) -> Conversion:
        if self.principal + self.interest <= 0:
            raise ValueError("a conversion converts a positive amount of principal or interest")
        return self


class PrepaymentNotice(_Payload):
    principal: PositiveMoney


class ConversionElection(Conversion):
    pass


class PrepaymentSettled(_Payload):
    principal: Money
    interest: Money = Decimal(0)


class Empty(_Payload):
    pass


class MaturityRepayment(_Payload):
    principal: Money
    interest: Money = Decimal(0)


class WarrantExercised(_Payload):
    shares: int = Field(gt=0, le=MAX_SHARES)
    method: Literal["cash", "cashless"] = "cash"
    fair_market_value: Price | None = Field(
        None, description="price per share used for a cashless (net) exercise"
    )

    @model_validator(mode="after")
    def _fmv(self) -> WarrantExercised:
        if self.method == "cashless" and self.fair_market_value is None:
            raise ValueError("a cashless exercise needs fair_market_value")
        if self.method == "cash" and self.fair_market_value is not None:
            raise ValueError("fair_market_value applies to a cashless exercise only")
        return self


class SharesDelivered(_Payload):
    """The transfer agent delivered ``shares`` issued on a conversion or an exercise."""

    shares: int = Field(gt=0, le=MAX_SHARES)
    settles: int | None = Field(
        None, ge=1, le=2**62, description="sequence number of the conversion or exercise settled"
    )


class StockSplit(_Payload):
    new: int = Field(gt=0, le=1_000_000, description="shares after, per `old` shares before")
    old: int = Field(gt=0, le=1_000_000)

    @model_validator(mode="after")
    def _not_identity(self) -> StockSplit:
        if self.new == self.old:
            raise ValueError("a split changes the number of shares (new != old)")
        return self


class StockDividend(_Payload):
    percent: Annotated[Decimal, Field(gt=0, le=10_000, decimal_places=6)] = Field(
        description="new shares per 100 shares held"
    )


class RegistrationFiled(_Payload):
    form: str = Field("S-3", min_length=1, max_length=20)
    file_number: str | None = Field(None, max_length=40)
    shares: int | None = Field(None, ge=0, le=MAX_SHARES)


class RegistrationEffective(_Payload):
    file_number: str | None = Field(None, max_length=40)


class Memo(_Payload):
    text: str = Field(min_length=1, max_length=10_000)


class Correction(_Payload):
    """Voids an earlier event (by sequence number): the state replays without it, the chain
    keeps both (``pipedeal.ledger.corrections``)."""

    voids: int = Field(ge=1, le=2**62, description="sequence number of the event voided")
    reason: str = Field(min_length=1, max_length=2_000)


PAYLOADS: dict[EventKind, type[_Payload]] = {
    EventKind.NOTE_ISSUED: NoteIssued,
    EventKind.INTEREST_PAID: InterestPaid,
    EventKind.CONVERSION: Conversion,
    EventKind.PREPAYMENT_NOTICE: PrepaymentNotice,
    EventKind.CONVERSION_ELECTION: ConversionElection,
    EventKind.PREPAYMENT_SETTLED: PrepaymentSettled,
    EventKind.ELECTION_LAPSED: Empty,
    EventKind.MATURITY_REPAYMENT: MaturityRepayment,
    EventKind.WARRANT_EXERCISED: WarrantExercised,
    EventKind.WARRANT_EXPIRED: Empty,
    EventKind.SHARES_DELIVERED: SharesDelivered,
    EventKind.STOCK_SPLIT: StockSplit,
    EventKind.STOCK_DIVIDEND: StockDividend,
    EventKind.REGISTRATION_FILED: RegistrationFiled,
    EventKind.REGISTRATION_EFFECTIVE: RegistrationEffective,
    EventKind.MEMO: Memo,
    EventKind.CORRECTION: Correction,
}

# Which instrument each kind is about ("any" = note, warrant or the deal).
INSTRUMENT_TYPE: dict[EventKind, str] = {
    EventKind.NOTE_ISSUED: "note",
    EventKind.INTEREST_PAID: "note",
    EventKind.CONVERSION: "note",
    EventKind.PREPAYMENT_NOTICE: "note",
    EventKind.CONVERSION_ELECTION: "note",
    EventKind.PREPAYMENT_SETTLED: "note",
    EventKind.ELECTION_LAPSED: "note",
    EventKind.MATURITY_REPAYMENT: "note",
    EventKind.WARRANT_EXERCISED: "warrant",
    EventKind.WARRANT_EXPIRED: "warrant",
    EventKind.SHARES_DELIVERED: "any",  # a note or a warrant (_check_consistent)
    EventKind.STOCK_SPLIT: "deal",
    EventKind.STOCK_DIVIDEND: "deal",
    EventKind.REGISTRATION_FILED: "deal",
    EventKind.REGISTRATION_EFFECTIVE: "deal",
    EventKind.MEMO: "any",
    EventKind.CORRECTION: "any",
}

AnyPayload = (
    NoteIssued
    | InterestPaid
    | ConversionElection
    | Conversion
    | PrepaymentNotice
    | PrepaymentSettled
    | MaturityRepayment
    | WarrantExercised
    | SharesDelivered
    | StockSplit
    | StockDividend
    | RegistrationFiled
    | RegistrationEffective
    | Memo
    | Correction
    | Empty
)


def split_instrument(instrument: str) -> tuple[str, str | None]:
    """``"note:Purchaser 1"`` → ``("note", "Purchaser 1")``; ``"deal"`` → ``("deal", None)``."""
    if instrument == DEAL:
        return DEAL, None
    kind, sep, purchaser = instrument.partition(":")
    if not sep or kind not in ("note", "warrant") or not purchaser.strip():
        raise ValueError(
            f"instrument {instrument!r} must be 'note:<purchaser>', 'warrant:<purchaser>' or 'deal'"
        )
    return kind, purchaser


def _check_consistent(kind: EventKind, instrument: str, at: dt.datetime | None) -> None:
    """The event-level checks: the instrument fits the kind, ``at`` has a time zone."""
    itype, _ = split_instrument(instrument)
    want = INSTRUMENT_TYPE[kind]
    if want != "any" and itype != want:
        raise ValueError(
            f"a {kind.value} event is about {'the deal' if want == DEAL else 'a ' + want}"
            f", not {instrument!r}"
        )
    if kind is EventKind.SHARES_DELIVERED and itype == DEAL:
        raise ValueError(
            "a shares_delivered event is about a note or a warrant (the shares it issued), "
            "not 'deal'"
        )
    if at is not None and at.tzinfo is None:
        raise ValueError("at: the timestamp needs a time zone")


class Event(BaseModel):
    """One fact about one instrument, on one date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EventKind
    date: dt.date
    instrument: str = Field(min_length=1, max_length=300)
    at: dt.datetime | None = Field(None, description="time-zone aware timestamp, where needed")
    payload: AnyPayload

    @model_validator(mode="before")
    @classmethod
    def _typed_payload(cls, data: Any) -> Any:
        if isinstance(data, dict) and "kind" in data:
            try:
                kind = EventKind(data["kind"])
            except ValueError:
                return data  # the field validator reports the bad kind
            model = PAYLOADS[kind]
            payload = data.get("payload", {})
            if not isinstance(payload, model):
                if isinstance(payload, BaseModel):
                    payload = payload.model_dump()
                payload = model.model_validate(payload if payload is not None else {})
            data = {**data, "payload": payload}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Event:
        if type(self.payload) is not PAYLOADS[self.kind]:
            raise ValueError(f"payload does not match kind {self.kind.value}")
        _check_consistent(self.kind, self.instrument, self.at)
        return self

    @property
    def purchaser(self) -> str | None:
        return split_instrument(self.instrument)[1]

    @property
    def instrument_type(self) -> str:
        return split_instrument(self.instrument)[0]

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if data["at"] is None:
            del data["at"]
        return data

    def canonical(self) -> str:
        """The stored form: compact JSON with sorted keys (hashed into the chain)."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))

    def content_key(self) -> str:
        """Default idempotency key: a digest of the event's content."""
        return "sha256:" + hashlib.sha256(self.canonical().encode()).hexdigest()[:32]

    @classmethod
    def from_json(cls, text: str) -> Event:
        return cls.model_validate_json(text)


# --- constructors ------------------------------------------------------------------------------


def note_of(purchaser: str) -> str:
    return f"note:{purchaser}"


def warrant_of(purchaser: str) -> str:
    return f"warrant:{purchaser}"


def _ev(
    kind: EventKind,
    date: dt.date,
    instrument: str,
    at: dt.datetime | None = None,
    **payload: Any,
) -> Event:
    return Event.model_validate(
        {"kind": kind, "date": date, "instrument": instrument, "at": at, "payload": payload}
    )


def note_issued(purchaser: str, date: dt.date, principal: Amount, cash_received: Amount) -> Event:
    return _ev(
        EventKind.NOTE_ISSUED,
        date,
        note_of(purchaser),
        principal=Decimal(principal),
        cash_received=Decimal(cash_received),
    )


def interest_paid(purchaser: str, date: dt.date, amount: Amount, through: dt.date) -> Event:
    return _ev(
        EventKind.INTEREST_PAID, date, note_of(purchaser), amount=Decimal(amount), through=through
    )


def conversion(purchaser: str, date: dt.date, principal: Amount = 0, interest: Amount = 0) -> Event:
    return _ev(
        EventKind.CONVERSION,
        date,
        note_of(purchaser),
        principal=Decimal(principal),
        interest=Decimal(interest),
    )


def prepayment_notice(purchaser: str, date: dt.date, principal: Amount) -> Event:
    return _ev(EventKind.PREPAYMENT_NOTICE, date, note_of(purchaser), principal=Decimal(principal))


def conversion_election(
    purchaser: str, date: dt.date, principal: Amount = 0, interest: Amount = 0
) -> Event:
    return _ev(
        EventKind.CONVERSION_ELECTION,
        date,
        note_of(purchaser),
        principal=Decimal(principal),
        interest=Decimal(interest),
    )


def prepayment_settled(
    purchaser: str, date: dt.date, principal: Amount, interest: Amount = 0
) -> Event:
    return _ev(
        EventKind.PREPAYMENT_SETTLED,
        date,
        note_of(purchaser),
        principal=Decimal(principal),
        interest=Decimal(interest),
    )


def election_lapsed(purchaser: str, date: dt.date) -> Event:
    return _ev(EventKind.ELECTION_LAPSED, date, note_of(purchaser))


def maturity_repayment(
    purchaser: str, date: dt.date, principal: Amount, interest: Amount = 0
) -> Event:
    return _ev(
        EventKind.MATURITY_REPAYMENT,
        date,
        note_of(purchaser),
        principal=Decimal(principal),
        interest=Decimal(interest),
    )


def warrant_exercised(
    purchaser: str,
    date: dt.date,
    shares: int,
    *,
    method: str = "cash",
    fair_market_value: Amount | None = None,
    at: dt.datetime | None = None,
) -> Event:
    fmv = None if fair_market_value is None else Decimal(fair_market_value)
    return _ev(
        EventKind.WARRANT_EXERCISED,
        date,
        warrant_of(purchaser),
        at=at,
        shares=shares,
        method=method,
        fair_market_value=fmv,
    )


def warrant_expired(purchaser: str, date: dt.date, at: dt.datetime | None = None) -> Event:
    return _ev(EventKind.WARRANT_EXPIRED, date, warrant_of(purchaser), at=at)


def shares_delivered(
    instrument: str, date: dt.date, shares: int, settles: int | None = None
) -> Event:
    """The transfer agent delivered ``shares`` issued on ``instrument`` (``note:NAME`` or
    ``warrant:NAME``); ``settles``: the sequence number of the conversion or exercise."""
    return _ev(EventKind.SHARES_DELIVERED, date, instrument, shares=shares, settles=settles)


def stock_split(date: dt.date, new: int, old: int = 1) -> Event:
    return _ev(EventKind.STOCK_SPLIT, date, DEAL, new=new, old=old)


def stock_dividend(date: dt.date, percent: Amount) -> Event:
    return _ev(EventKind.STOCK_DIVIDEND, date, DEAL, percent=Decimal(percent))


def registration_filed(
    date: dt.date, form: str = "S-3", file_number: str | None = None, shares: int | None = None
) -> Event:
    return _ev(
        EventKind.REGISTRATION_FILED, date, DEAL, form=form, file_number=file_number, shares=shares
    )


def registration_effective(date: dt.date, file_number: str | None = None) -> Event:
    return _ev(EventKind.REGISTRATION_EFFECTIVE, date, DEAL, file_number=file_number)


def correction(date: dt.date, voids: int, reason: str, instrument: str = DEAL) -> Event:
    """Void event ``voids`` (same instrument) for ``reason``."""
    return _ev(EventKind.CORRECTION, date, instrument, voids=voids, reason=reason)


def memo(date: dt.date, text: str, instrument: str = DEAL) -> Event:
    return _ev(EventKind.MEMO, date, instrument, text=text)


# --- reading stored events ---------------------------------------------------------------------

_EVENT_KEYS = frozenset({"kind", "date", "instrument", "payload", "at"})


def _converter(annotation: Any) -> Callable[[Any], Any]:
    """How a payload field's JSON value (as ``Event.canonical`` wrote it) becomes its type."""
    args = typing.get_args(annotation)
    nullable = type(None) in args
    inner = [a for a in args if a is not type(None)]
    base = annotation if not nullable else inner[0]
    while typing.get_origin(base) is Annotated:
        base = typing.get_args(base)[0]

    def check(kind: type, convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def run(value: Any) -> Any:
            if value is None and nullable:
                return None
            if not isinstance(value, kind) or isinstance(value, bool):
                raise TypeError(value)
            return convert(value)

        return run

    if base is Decimal:
        return check(str, Decimal)
    if base is dt.date:
        return check(str, dt.date.fromisoformat)
    if base is int:
        return check(int, int)
    return check(str, str)  # str, Literal[...] of strings


_CONVERTERS: dict[EventKind, tuple[type[_Payload], dict[str, Callable[[Any], Any]]]] = {
    kind: (model, {n: _converter(f.annotation) for n, f in model.model_fields.items()})
    for kind, model in PAYLOADS.items()
}


_setattr = object.__setattr__


def _built(model: type[BaseModel], values: dict[str, Any], given: set[str]) -> Any:
    """An instance of ``model`` holding ``values`` (every field; ``given``: those the JSON
    named), built as ``model_construct`` builds one without its per-field default handling."""
    obj = model.__new__(model)
    _setattr(obj, "__dict__", values)
    _setattr(obj, "__pydantic_fields_set__", given)
    _setattr(obj, "__pydantic_extra__", None)
    _setattr(obj, "__pydantic_private__", None)
    return obj


def load_stored(text: str) -> Event:
    """An event from the canonical JSON the ledger stored (``Event.canonical``), built without
    re-running validation when the text has exactly the stored shape (every field, JSON types
    as written); anything else goes through ``Event.from_json`` (``ValueError`` if invalid).

    For reading a log whose rows the ledger wrote: the full validation stays with ``verify``,
    which re-parses every body with ``from_json`` after checking its hash."""
    try:
        data = json.loads(text)
        model, convert = _CONVERTERS[EventKind(data["kind"])]
        raw = data["payload"]
        if raw.keys() != convert.keys() or not _EVENT_KEYS.issuperset(data):
            raise ValueError(text)
        payload = _built(model, {k: f(raw[k]) for k, f in convert.items()}, set(raw))
        at = data.get("at")
        instrument = data["instrument"]
        if not isinstance(instrument, str):
            raise TypeError(instrument)
        event: Event = _built(
            Event,
            {
                "kind": EventKind(data["kind"]),
                "date": dt.date.fromisoformat(data["date"]),
                "instrument": instrument,
                "at": None if at is None else dt.datetime.fromisoformat(at),
                "payload": payload,
            },
            set(data),
        )
        return event
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return Event.from_json(text)


def validate_stored(text: str) -> Event:
    """``Event.from_json(text)`` (every field and constraint validated; ``ValueError`` if the text
    is not a valid event), faster for the stored shape: the payload is validated by its own model
    and the event-level checks run directly, instead of through the event model's union of
    payload types. Anything not in the stored shape goes through ``from_json``. ``verify`` uses
    it on every body."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return Event.from_json(text)
    if not (
        isinstance(data, dict)
        and _EVENT_KEYS.issuperset(data)
        and isinstance(data.get("payload"), dict)
        and isinstance(data.get("instrument"), str)
        and 1 <= len(data["instrument"]) <= 300
        and isinstance(data.get("date"), str)
        and len(data["date"]) == 10
        and data["date"][4] == data["date"][7] == "-"
        and isinstance(data.get("kind"), str)
        and data["kind"] in _KINDS
        and isinstance(data.get("at"), str | None)
    ):
        return Event.from_json(text)
    kind = EventKind(data["kind"])
    payload = PAYLOADS[kind].model_validate(data["payload"])  # ValidationError: a ValueError
    at_text = data.get("at")
    at = None if at_text is None else dt.datetime.fromisoformat(at_text)
    instrument: str = data["instrument"]
    _check_consistent(kind, instrument, at)
    event: Event = _built(
        Event,
        {
            "kind": kind,
            "date": dt.date.fromisoformat(data["date"]),
            "instrument": instrument,
            "at": at,
            "payload": payload,
        },
        set(data),
    )
    return event


_KINDS = frozenset(k.value for k in EventKind)
