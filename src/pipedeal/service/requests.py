"""Event requests: the JSON a client posts to record an event, read into a ledger ``Event``.

One model per event kind the service accepts (the ``kind`` field chooses it). Amounts are
decimal strings (``"1000000"``, ``"$1,000.50"``) or whole numbers, or ``"all"``/absent for the
figure the ledger's defaults give (``pipedeal.ledger.defaults``: the same figures as the CLI's
``ledger record`` commands); floats are refused (money is exact). The event itself is built by
``pipedeal.ledger.events``' constructors, and the rules decide whether it may be recorded.
Which role may post which kind is ``ISSUER_KINDS`` / ``HOLDER_KINDS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from pipedeal.errors import UserError
from pipedeal.instruments.deal import LoadedDeal
from pipedeal.ledger import defaults
from pipedeal.ledger import events as ev
from pipedeal.ledger.chain import RecordedEvent
from pipedeal.ledger.delivery_rules import check_settles, deliveries_of
from pipedeal.ledger.events import Event
from pipedeal.ledger.rules import Book

AmountIn = StrictStr | StrictInt


class _Req(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    kind: str


class _NoteReq(_Req):
    purchaser: StrictStr | None = None  # a holder's own purchaser when left out
    date: dt.date


class InterestPaidReq(_NoteReq):
    through: dt.date | None = None
    amount: AmountIn | None = None


class PrepaymentNoticeReq(_NoteReq):
    principal: AmountIn = "all"


class PrepaymentSettledReq(_NoteReq):
    principal: AmountIn = "all"
    interest: AmountIn | None = None


class MaturityRepaymentReq(_Req):
    purchaser: StrictStr | None = None
    date: dt.date | None = None
    principal: AmountIn = "all"
    interest: AmountIn = "all"


class ConversionReq(_NoteReq):
    principal: AmountIn = 0
    interest: AmountIn = 0


class ConversionElectionReq(_NoteReq):
    principal: AmountIn = "all"
    interest: AmountIn = "all"


class WarrantExercisedReq(_NoteReq):
    shares: StrictInt | Literal["all"] = "all"
    method: Literal["cash", "cashless"] = "cash"
    fair_market_value: StrictStr | StrictInt | None = None
    at: StrictStr | None = None


class SharesDeliveredReq(_NoteReq):
    instrument: Literal["note", "warrant"] = "note"  # the purchaser's note or warrant
    shares: StrictInt | Literal["all"] = "all"  # all: every share still undelivered
    settles: StrictInt | None = Field(None, gt=0)  # the conversion or exercise's sequence number


class StockSplitReq(_Req):
    date: dt.date
    new: StrictInt = Field(gt=0)
    old: StrictInt = Field(1, gt=0)


class StockDividendReq(_Req):
    date: dt.date
    percent: AmountIn


class RegistrationFiledReq(_Req):
    date: dt.date
    form: StrictStr = "S-3"
    file_number: StrictStr | None = None
    shares: StrictInt | None = None


class RegistrationEffectiveReq(_Req):
    date: dt.date
    file_number: StrictStr | None = None


class MemoReq(_Req):
    date: dt.date
    text: StrictStr
    instrument: StrictStr = ev.DEAL


class CorrectionReq(_Req):
    date: dt.date
    voids: StrictInt = Field(gt=0)
    reason: StrictStr


ISSUER_KINDS: dict[str, type[_Req]] = {
    "interest_paid": InterestPaidReq,
    "prepayment_notice": PrepaymentNoticeReq,
    "prepayment_settled": PrepaymentSettledReq,
    "maturity_repayment": MaturityRepaymentReq,
    "shares_delivered": SharesDeliveredReq,
    "stock_split": StockSplitReq,
    "stock_dividend": StockDividendReq,
    "registration_filed": RegistrationFiledReq,
    "registration_effective": RegistrationEffectiveReq,
    "memo": MemoReq,
    "correction": CorrectionReq,
}
HOLDER_KINDS: dict[str, type[_Req]] = {
    "conversion": ConversionReq,
    "conversion_election": ConversionElectionReq,
    "warrant_exercised": WarrantExercisedReq,
}
KINDS: dict[str, type[_Req]] = {**ISSUER_KINDS, **HOLDER_KINDS}


def first_error(exc: ValidationError) -> str:
    """The first validation error as one line: ``field: message``."""
    e = exc.errors()[0]
    loc = ".".join(str(x) for x in e["loc"] if x not in ("payload",)) or "body"
    msg = str(e["msg"]).removeprefix("Value error, ")
    return f"{loc}: {msg}"


def parse_request(data: Any) -> _Req:
    """The request model for ``data``'s kind; ``UserError`` naming the field otherwise."""
    if not isinstance(data, dict):
        raise UserError("body: expected a JSON object")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise UserError(f"kind: expected one of {', '.join(sorted(KINDS))}, not {kind!r}")
    try:
        return KINDS[kind].model_validate(data)
    except ValidationError as exc:
        raise UserError(first_error(exc)) from None


def _money(value: AmountIn, field: str) -> Decimal:
    text = str(value).replace(",", "").strip().lstrip("$")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise UserError(f"{field}: not an amount: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise UserError(f"{field}: not an amount: {value!r}")
    if amount != amount.quantize(Decimal("0.01")):
        raise UserError(f"{field}: amounts are in cents (at most 2 decimals): {value!r}")
    return amount


def _amount(value: AmountIn | None, field: str, default: Callable[[], Decimal]) -> Decimal:
    if value is None or (isinstance(value, str) and value.strip().lower() == "all"):
        return default()
    return _money(value, field)


def _make(factory: Callable[..., Event], *args: Any, **kwargs: Any) -> Event:
    try:
        return factory(*args, **kwargs)
    except ValidationError as exc:
        raise UserError(first_error(exc)) from None
    except ValueError as exc:
        if isinstance(exc, UserError):
            raise
        raise UserError(f"event: {exc}") from None


def build_event(
    req: _Req,
    purchaser: str | None,
    deal: LoadedDeal,
    book: Book,
    records: Sequence[RecordedEvent] = (),
) -> Event:
    """The ledger event ``req`` asks for, on ``purchaser``'s instruments where it has one (the
    caller has resolved and authorised the purchaser). Defaults come from the ledger's
    ``defaults`` against the running ``book``."""
    if purchaser is not None:
        deal.purchaser(purchaser)  # UserError naming an unknown purchaser
    match req:
        case InterestPaidReq():
            assert purchaser is not None
            end = req.through or defaults.default_interest_through(req.date)
            amount = _amount(
                req.amount, "amount",
                lambda: defaults.interest_payable(deal, book, purchaser, end),
            )
            if amount <= 0:
                raise UserError(f"note.interest: no unpaid interest through {end} ({purchaser})")
            return _make(ev.interest_paid, purchaser, req.date, amount, end)
        case PrepaymentNoticeReq():
            assert purchaser is not None
            value = _amount(
                req.principal, "principal",
                lambda: defaults.outstanding_principal(deal, book, purchaser),
            )
            if value <= 0:
                raise UserError(
                    f"note.prepayment: nothing to prepay ({purchaser} has no principal)"
                )
            return _make(ev.prepayment_notice, purchaser, req.date, value)
        case PrepaymentSettledReq():
            assert purchaser is not None
            p = _amount(
                req.principal, "principal",
                lambda: defaults.prepayment_to_settle(deal, book, purchaser),
            )
            day = req.date
            i = _amount(
                req.interest, "interest",
                lambda: defaults.prepayment_interest(deal, book, purchaser, day, p),
            )
            return _make(ev.prepayment_settled, purchaser, day, p, i)
        case MaturityRepaymentReq():
            assert purchaser is not None
            day = req.date or defaults.maturity_pay_date(deal, purchaser)
            p = _amount(
                req.principal, "principal",
                lambda: defaults.outstanding_principal(deal, book, purchaser),
            )
            i = _amount(
                req.interest, "interest",
                lambda: defaults.interest_payable(deal, book, purchaser, day),
            )
            return _make(ev.maturity_repayment, purchaser, day, p, i)
        case ConversionElectionReq():
            assert purchaser is not None
            day = req.date
            p = _amount(
                req.principal, "principal",
                lambda: defaults.elected_principal(deal, book, purchaser),
            )
            i = _amount(
                req.interest, "interest",
                lambda: defaults.conversion_interest(deal, book, purchaser, day),
            )
            return _make(ev.conversion_election, purchaser, day, p, i)
        case ConversionReq():
            assert purchaser is not None
            day = req.date
            p = _amount(
                req.principal, "principal",
                lambda: defaults.outstanding_principal(deal, book, purchaser),
            )
            i = _amount(
                req.interest, "interest",
                lambda: defaults.conversion_interest(deal, book, purchaser, day),
            )
            return _make(ev.conversion, purchaser, day, p, i)
        case WarrantExercisedReq():
            assert purchaser is not None
            shares = (
                defaults.warrant_shares_outstanding(deal, book, purchaser)
                if req.shares == "all"
                else int(req.shares)
            )
            if shares <= 0:
                raise UserError(f"shares: nothing to exercise ({shares})")
            fmv = None
            if req.fair_market_value is not None:
                fmv = _money(req.fair_market_value, "fair_market_value")
            return _make(
                ev.warrant_exercised, purchaser, req.date, shares, method=req.method,
                fair_market_value=fmv, at=_at(req.at, req.date, deal),
            )
        case SharesDeliveredReq():
            assert purchaser is not None
            instrument = f"{req.instrument}:{purchaser}"
            count = (
                deliveries_of(book, instrument).undelivered
                if req.shares == "all"
                else int(req.shares)
            )
            if count <= 0:
                raise UserError(f"shares: nothing to deliver on {instrument} ({count})")
            event = _make(ev.shares_delivered, instrument, req.date, count, req.settles)
            check_settles(records, event)
            return event
        case StockSplitReq():
            return _make(ev.stock_split, req.date, req.new, req.old)
        case StockDividendReq():
            return _make(ev.stock_dividend, req.date, _money(req.percent, "percent"))
        case RegistrationFiledReq():
            return _make(ev.registration_filed, req.date, req.form, req.file_number, req.shares)
        case RegistrationEffectiveReq():
            return _make(ev.registration_effective, req.date, req.file_number)
        case MemoReq():
            return _make(ev.memo, req.date, req.text, req.instrument)
        case CorrectionReq():
            target = next((r for r in records if r.seq == req.voids), None)
            if target is None:
                raise UserError(f"voids: there is no event {req.voids} in the ledger")
            return _make(ev.correction, req.date, req.voids, req.reason, target.event.instrument)
    raise UserError(f"kind: {req.kind!r} is not recorded by the service")


def _at(value: str | None, day: dt.date, deal: LoadedDeal) -> dt.datetime | None:
    """``at``: HH:MM on the event's date or an ISO date-time; without a zone, the warrant's."""
    if value is None:
        return None
    try:
        if "T" in value or " " in value.strip():
            stamp = dt.datetime.fromisoformat(value)
        else:
            stamp = dt.datetime.combine(day, dt.time.fromisoformat(value))
    except ValueError:
        raise UserError(
            f"at: not a time (HH:MM, or an ISO date-time with zone): {value!r}"
        ) from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=defaults.warrant_time_zone(deal))


def request_purchaser(req: _Req) -> str | None:
    """The purchaser a request names (None: a deal-wide event, or left to the holder's own)."""
    return getattr(req, "purchaser", None)


def needs_purchaser(req: _Req) -> bool:
    return hasattr(req, "purchaser")
