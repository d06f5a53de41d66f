"""A deal, and what its ledger recorded, as an OCF package.

The issuer, one stakeholder per purchaser, the common stock class, a ``TX_CONVERTIBLE_ISSUANCE``
per note and a ``TX_WARRANT_ISSUANCE`` per warrant come from the terms (``pipedeal.api``: the
deal loaded and priced once); conversions, exercises, prepayments, repayments at maturity,
expiries, splits and stock dividends from the ledger's events up to ``as_of``, each with the
state before and after it (``DealRecord.steps``: shares delivered, principal left). Every file is
checked against ``schema`` before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipedeal.errors import UserError
from pipedeal.instruments.deal import LoadedDeal
from pipedeal.interop.ocf import package as pkg
from pipedeal.interop.ocf import schema
from pipedeal.interop.ocf.extension import (
    CARRIED_FILES,
    COMMENT,
    EXTENSION_FILE,
    NAMESPACE,
    Extension,
)
from pipedeal.interop.ocf.places import US_STATES
from pipedeal.ledger.events import (
    Conversion,
    EventKind,
    MaturityRepayment,
    PrepaymentSettled,
    StockDividend,
    StockSplit,
    WarrantExercised,
)
from pipedeal.ledger.record import DealRecord, Step
from pipedeal.pricing.rules import describe_rule
from pipedeal.terms.models import DayCount, FixedPrice

COMMON = "common-stock"
ISSUER = "issuer"
PLACES = Decimal("0.0000000001")  # OCF numbers carry at most 10 places: prices round half-up


@dataclass(frozen=True)
class ExportResult:
    """What ``export_ocf`` wrote: the package, its as-of date and how many objects of each type."""

    out: Path
    as_of: dt.date
    objects: dict[str, int]
    events: int
    files: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "out": str(self.out),
            "ocf_version": schema.OCF_VERSION,
            "as_of": self.as_of.isoformat(),
            "objects": dict(self.objects),
            "ledger_events": self.events,
            "files": list(self.files),
        }


def _num(value: Decimal | Fraction | int) -> str:
    """An OCF Numeric: fixed point, at most 10 places, no exponent, no trailing zeros."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(Decimal(value).quantize(PLACES, rounding=ROUND_HALF_UP).normalize(), "f")
    return text if text != "-0" else "0"


def _usd(value: Decimal | Fraction | int) -> dict[str, str]:
    return {"amount": _num(value), "currency": "USD"}


def _rate(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _phone(text: str | None) -> str | None:
    """``(323) 725-5516`` → ``+1 323 725 5516`` (OCF wants ITU E.123); None if not a US number."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return None
    return f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}"


@dataclass
class _Builder:
    deal: LoadedDeal
    record: DealRecord
    as_of: dt.date
    transactions: list[tuple[dt.date, int, dict[str, Any]]] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    counter: int = 0
    stock_count: int = 0

    def add(self, date: dt.date, obj: dict[str, Any], ext: dict[str, Any] | None = None) -> None:
        self.counter += 1
        self.transactions.append((date, self.counter, obj))
        if ext:
            self.objects[obj["id"]] = ext

    @property
    def exemptions(self) -> list[dict[str, str]]:
        return [{"description": e, "jurisdiction": "US"} for e in
                self.deal.terms.offering.exemption]

    def index(self, name: str) -> int:
        return self.deal.names.index(name) + 1


# --- the parties and the stock class -----------------------------------------------------------


def _issuer(deal: LoadedDeal, formation_date: dt.date, country: str) -> dict[str, Any]:
    i = deal.terms.issuer
    obj: dict[str, Any] = {
        "object_type": "ISSUER",
        "id": ISSUER,
        "legal_name": i.name,
        "formation_date": formation_date.isoformat(),
        "country_of_formation": country,
    }
    comments = []
    code = US_STATES.get((i.state or "").strip().lower()) if country == "US" else None
    if code:
        obj["country_subdivision_of_formation"] = code
    elif i.state:
        comments.append(f"{COMMENT}state of incorporation {i.state}")
    if i.irs_employer_number:
        obj["tax_ids"] = [{"tax_id": i.irs_employer_number, "country": "US"}]
    phone = _phone(i.phone) if country == "US" else None
    if phone:
        obj["phone"] = {"phone_type": "BUSINESS", "phone_number": phone}
    elif i.phone:
        comments.append(f"{COMMENT}phone {i.phone}")
    if i.address:
        address = {"address_type": "CONTACT", "street_suite": i.address, "country": "US"}
        if i.zip:
            address["postal_code"] = i.zip
        obj["address"] = address
    if i.authorized_shares is not None:
        obj["initial_shares_authorized"] = str(i.authorized_shares)
    if i.ticker or i.exchange:
        comments.append(f"{COMMENT}common stock traded as {i.ticker or '?'} on "
                        f"{i.exchange or 'an exchange not named'}")
    if i.commission_file_number:
        comments.append(f"{COMMENT}SEC commission file number {i.commission_file_number}")
    for s in i.shares_outstanding:
        comments.append(f"{COMMENT}{s.shares:,} shares outstanding on {s.date}"
                        + (f" ({s.source})" if s.source else ""))
    if comments:
        obj["comments"] = comments
    return obj


def _stock_class(deal: LoadedDeal) -> dict[str, Any]:
    i = deal.terms.issuer
    obj: dict[str, Any] = {
        "object_type": "STOCK_CLASS",
        "id": COMMON,
        "name": "Common Stock",
        "class_type": "COMMON",
        "default_id_prefix": "CS-",
        "initial_shares_authorized": str(i.authorized_shares)
        if i.authorized_shares is not None else "NOT APPLICABLE",
        "votes_per_share": "1",
        "seniority": "1",
        "comments": [f"{COMMENT}the common stock the notes convert into and the warrants "
                     "are exercised for; votes per share (1) is OCF's required field, not a "
                     "term of the deal file"],
    }
    if i.authorized_shares is None:
        obj["comments"].append(f"{COMMENT}authorized shares are not in the deal file")
    if i.par_value is not None:
        obj["par_value"] = _usd(i.par_value)
    return obj


def _stakeholders(deal: LoadedDeal) -> list[dict[str, Any]]:
    return [
        {
            "object_type": "STAKEHOLDER",
            "id": f"stakeholder-{n}",
            "name": {"legal_name": p.name},
            "stakeholder_type": "INSTITUTION",
            "current_relationship": "INVESTOR",
            "comments": [f"{COMMENT}purchaser {n} of the deal; stakeholder_type is OCF's "
                         "required field, not a term of the deal file"
                         + ("" if p.accredited else "; not an accredited investor")],
        }
        for n, p in enumerate(deal.terms.purchasers, start=1)
    ]


# --- the note and the warrant at issue ---------------------------------------------------------


def _note_right(deal: LoadedDeal, name: str) -> dict[str, Any]:
    note = deal.notes[name]
    interest = deal.terms.note.interest
    return {
        "type": "CONVERTIBLE_CONVERSION_RIGHT",
        "converts_to_stock_class_id": COMMON,
        "conversion_mechanism": {
            "type": "CONVERTIBLE_NOTE_CONVERSION",
            "interest_rates": [{
                "rate": _rate(interest.rate),
                "accrual_start_date": note.first_accrual.isoformat(),
                "accrual_end_date": note.last_accrual.isoformat(),
            }],
            # OCF knows ACTUAL_365 and 30_360; ACT/360 and ACT/ACT are kept in the extension
            "day_count_convention": "ACTUAL_365",
            "interest_payout": "CASH",
            "interest_accrual_period": "MONTHLY",
            "compounding_type": "SIMPLE",
        },
    }


def _note(b: _Builder, name: str) -> None:
    deal, n = b.deal, b.index(name)
    note, terms = deal.notes[name], deal.terms.note
    p = note.purchaser
    price = note.base_conversion_price
    rule = terms.conversion.price
    rule_text = describe_rule(rule)
    fractions = terms.conversion.fractional_shares.replace("_", " ")
    what = "principal and accrued unpaid interest" if terms.conversion.unpaid_interest_convertible \
        else "principal"
    converts = (f"converts {what} into common stock at ${price} per share ({rule_text}), "
                f"fractional shares {fractions}; price and shares adjust proportionally on "
                "splits and stock dividends")
    triggers: list[dict[str, Any]] = [{
        "trigger_id": "at-will",
        "nickname": "Holder's conversion",
        "trigger_description": f"The holder may convert at any time while the note is "
        f"outstanding: {converts}.",
        "type": "ELECTIVE_AT_WILL" if terms.conversion.any_time_from_issue else "UNSPECIFIED",
        "conversion_right": _note_right(deal, name),
    }]
    pre = terms.prepayment
    if pre.allowed:
        days = f"{pre.holder_election_days} {pre.election_day_type.value} day" + (
            "s" if pre.holder_election_days != 1 else "")
        triggers.append({
            "trigger_id": "prepayment-election",
            "nickname": "Conversion instead of prepayment",
            "trigger_description": f"Within {days} of the issuer's prepayment notice the holder "
            f"may convert the principal named in it instead: {converts}.",
            "type": "ELECTIVE_ON_CONDITION",
            "trigger_condition": f"the issuer gives notice of prepayment (first notice on "
            f"{note.prepayment_from}); the holder elects within {days}",
            "conversion_right": _note_right(deal, name),
        })
    mat = note.maturity
    interest = terms.interest
    comments = [
        f"{COMMENT}{converts}",
        f"{COMMENT}matures {mat.date} (repaid {mat.pay_date}); interest "
        f"{(interest.rate * 100).normalize():f}% "
        f"simple, {interest.day_count.value}, accrued to each month end and paid in cash on the "
        "first business day of the next month",
    ]
    if interest.day_count is not DayCount.ACT_365F:
        comments.append(f"{COMMENT}day count {interest.day_count.value}: OCF's "
                        "day_count_convention has no such value; ACTUAL_365 is written")
    if pre.allowed:
        comments.append(
            f"{COMMENT}the issuer may prepay from {note.prepayment_from} "
            f"({'in part or ' if pre.partial_allowed else ''}in whole, premium "
            f"{(pre.premium * 100).normalize():f}% of principal, at most {pre.max_notices} "
            f"notice(s)); the holder may elect to convert within {pre.holder_election_days} "
            f"{pre.election_day_type.value} days of the notice")
    else:
        comments.append(f"{COMMENT}the issuer may not prepay")
    rr = deal.terms.registration_rights
    if rr is not None:
        comments.append(f"{COMMENT}registration rights for "
                        + ", ".join(s.replace("_", " ") for s in rr.registrable_securities))
    comments.append(f"{COMMENT}every term in {EXTENSION_FILE}, objects[\"tx-note-{n}\"] and deal")
    obj: dict[str, Any] = {
        "object_type": "TX_CONVERTIBLE_ISSUANCE",
        "id": f"tx-note-{n}",
        "security_id": f"note-{n}",
        "custom_id": f"CN-{n}",
        "date": p.closing_date.isoformat(),
        "stakeholder_id": f"stakeholder-{n}",
        "security_law_exemptions": b.exemptions,
        "consideration_text": f"cash ${p.funded:,}",
        "investment_amount": _usd(p.principal),
        "convertible_type": "NOTE",
        "conversion_triggers": triggers,
        "seniority": 1,
        "comments": comments,
    }
    if deal.terms.offering.board_authorization_date:
        obj["board_approval_date"] = deal.terms.offering.board_authorization_date.isoformat()
    ext = {
        "role": "note",
        "purchaser": name,
        "principal": str(p.principal),
        "cash_funded": str(p.funded),
        "conversion_price": str(price),
        "conversion_price_rule": rule_text,
        "conversion_price_fixed": isinstance(rule, FixedPrice),
        "day_count": interest.day_count.value,
        "maturity_date": mat.date.isoformat(),
        "maturity_pay_date": mat.pay_date.isoformat(),
        "interest_payments": [
            {"pay_date": q.pay_date.isoformat(), "period_end": q.period_end.isoformat(),
             "amount": str(q.amount)}
            for q in note.schedule.periods
        ],
        "prepayment": None if not pre.allowed else {
            "first_notice_date": note.prepayment_from.isoformat(),
            "premium": str(pre.premium),
            "holder_election_days": pre.holder_election_days,
            "election_day_type": pre.election_day_type.value,
            "settlement": pre.settlement,
        },
        "registration_rights": None if rr is None else rr.model_dump(mode="json"),
    }
    b.add(p.closing_date, obj, ext)


def _warrant_object(b: _Builder, name: str, ident: str, security: str, custom: str,
                    date: dt.date, shares: int, price: Fraction | Decimal,
                    comments: list[str], consideration: str | None = None) -> dict[str, Any]:
    warrant = b.deal.warrants[name]
    n = b.index(name)
    return {
        "object_type": "TX_WARRANT_ISSUANCE",
        "id": ident,
        "security_id": security,
        "custom_id": custom,
        "date": date.isoformat(),
        "stakeholder_id": f"stakeholder-{n}",
        "security_law_exemptions": b.exemptions,
        "consideration_text": consideration
        or f"issued with convertible note CN-{n}; no separate price",
        "quantity": str(shares),
        "quantity_source": "INSTRUMENT_FIXED",
        "exercise_price": _usd(price),
        "purchase_price": _usd(0),
        "warrant_expiration_date": warrant.expiry_date.isoformat(),
        "exercise_triggers": [{
            "trigger_id": "exercise-period",
            "nickname": "Holder's exercise",
            "trigger_description": f"Exercisable from issue until "
            f"{warrant.expires_at.isoformat()} ({warrant.terms.expiry_timezone}).",
            "type": "ELECTIVE_IN_RANGE",
            "start_date": warrant.issue_date.isoformat(),
            "end_date": warrant.expiry_date.isoformat(),
            "conversion_right": {
                "type": "WARRANT_CONVERSION_RIGHT",
                "converts_to_stock_class_id": COMMON,
                "conversion_mechanism": {"type": "FIXED_AMOUNT_CONVERSION",
                                         "converts_to_quantity": str(shares)},
            },
        }],
        "comments": comments,
    }


def _warrant(b: _Builder, name: str) -> None:
    warrant = b.deal.warrants.get(name)
    if warrant is None:
        return
    n = b.index(name)
    t = warrant.terms
    rule_text = "the note's conversion price" if t.exercise_price == "conversion_price" \
        else describe_rule(t.exercise_price)
    comments = [
        f"{COMMENT}{t.coverage_shares_per_dollar} shares per dollar of note principal "
        f"(rounded {t.share_rounding.value}); exercise price ${warrant.base_exercise_price} "
        f"({rule_text})",
        f"{COMMENT}expires {warrant.expires_at.isoformat()} ({t.expiry_timezone}); "
        f"{'cashless exercise allowed' if t.cashless_exercise else 'cash exercise only'}"
        f"{', partial exercise allowed' if t.partial_exercise else ''}; shares and price "
        "adjust proportionally on splits and stock dividends",
        f"{COMMENT}every term in {EXTENSION_FILE}, objects[\"tx-warrant-{n}\"] and deal",
    ]
    obj = _warrant_object(b, name, f"tx-warrant-{n}", f"warrant-{n}", f"W-{n}",
                          warrant.issue_date, warrant.shares, warrant.base_exercise_price,
                          comments)
    ext = {
        "role": "warrant",
        "purchaser": name,
        "shares": warrant.shares,
        "exercise_price": str(warrant.base_exercise_price),
        "exercise_price_rule": rule_text,
        "expires_at": warrant.expires_at.isoformat(),
        "expiry_timezone": t.expiry_timezone,
        "cashless_exercise": t.cashless_exercise,
        "partial_exercise": t.partial_exercise,
    }
    b.add(warrant.issue_date, obj, ext)


# --- what the ledger recorded ------------------------------------------------------------------


@dataclass
class _Securities:
    """The OCF security that holds each note's and warrant's balance now."""

    note: dict[str, str] = field(default_factory=dict)
    warrant: dict[str, str] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)

    def next_balance(self, security: str) -> str:
        base = security.split(".")[0]
        k = self.balances.get(base, 0) + 1
        self.balances[base] = k
        return f"{base}.{k}"


def _stock(b: _Builder, step: Step, name: str, shares: int, price: Fraction,
           consideration: str) -> str:
    b.stock_count += 1
    k = b.stock_count
    n = b.index(name)
    b.add(step.event.date, {
        "object_type": "TX_STOCK_ISSUANCE",
        "id": f"tx-stock-{k}",
        "security_id": f"stock-{k}",
        "custom_id": f"CS-{k}",
        "date": step.event.date.isoformat(),
        "stakeholder_id": f"stakeholder-{n}",
        "security_law_exemptions": b.exemptions,
        "stock_class_id": COMMON,
        "share_price": _usd(price),
        "quantity": str(shares),
        "stock_legend_ids": [],
        "consideration_text": consideration,
    }, {"role": "shares", "purchaser": name, "event_seq": step.recorded.seq})
    return f"stock-{k}"


def _note_balance(b: _Builder, step: Step, name: str, sec: _Securities, left: Decimal) -> str:
    """A new convertible security for what is left of a note after a partial conversion,
    prepayment or repayment (OCF's way: the old security ends, the balance is a new one)."""
    n = b.index(name)
    original = next(o for _, _, o in b.transactions if o["id"] == f"tx-note-{n}")
    balance = sec.next_balance(sec.note[name])
    obj = {**original, "id": f"tx-{balance}", "security_id": balance,
           "custom_id": f"CN-{balance.removeprefix('note-')}",
           "date": step.event.date.isoformat(), "investment_amount": _usd(left),
           "consideration_text": f"balance of {sec.note[name]} after the transaction of "
           f"{step.event.date}",
           "comments": [f"{COMMENT}the ${left:,} of principal left of {sec.note[name]}; same "
                        f"terms as CN-{n}"]}
    obj.pop("board_approval_date", None)
    b.add(step.event.date, obj, {"role": "note_balance", "purchaser": name,
                                 "event_seq": step.recorded.seq})
    return balance


def _conversion(b: _Builder, step: Step, sec: _Securities) -> None:
    """A conversion (or an election instead of a prepayment): the shares, then the conversion
    of the note's security, with a balance security for principal left."""
    e, p, name = step.event, step.event.payload, _holder(step)
    assert isinstance(p, Conversion)
    before, after = step.before.notes[name], step.after.notes[name]
    shares = after.shares_issued - before.shares_issued
    price = b.deal.notes[name].conversion_price(step.before.factor)
    old = sec.note[name]
    stock = _stock(b, step, name, shares, price, f"conversion of ${p.principal:,} principal "
                   f"and ${p.interest:,} interest of {old}")
    elected = e.kind is EventKind.CONVERSION_ELECTION
    obj: dict[str, Any] = {
        "object_type": "TX_CONVERTIBLE_CONVERSION", "id": f"tx-event-{step.recorded.seq}",
        "security_id": old, "date": e.date.isoformat(),
        "trigger_id": "prepayment-election" if elected else "at-will",
        "reason_text": "holder's election to convert instead of the notified prepayment"
        if elected else "holder's conversion",
        "quantity_converted": _num(p.principal + p.interest),
        "resulting_security_ids": [stock],
    }
    if after.principal > 0:
        obj["balance_security_id"] = sec.note[name] = _note_balance(
            b, step, name, sec, after.principal)
    b.add(e.date, obj, {"event_seq": step.recorded.seq, "security": old,
                        "principal": str(p.principal), "interest": str(p.interest),
                        "shares": shares,
                        "cash_in_lieu": str(after.cash_in_lieu - before.cash_in_lieu)})


def _repayment(b: _Builder, step: Step, sec: _Securities) -> None:
    """Principal paid in cash (a prepayment settled, the repayment at maturity): the note's
    security is cancelled for that amount, with a balance security for principal left."""
    e, p, name = step.event, step.event.payload, _holder(step)
    assert isinstance(p, PrepaymentSettled | MaturityRepayment)
    if p.principal <= 0:
        return
    old = sec.note[name]
    why = "prepaid by the issuer" if e.kind is EventKind.PREPAYMENT_SETTLED \
        else "repaid at maturity"
    obj: dict[str, Any] = {
        "object_type": "TX_CONVERTIBLE_CANCELLATION", "id": f"tx-event-{step.recorded.seq}",
        "security_id": old, "date": e.date.isoformat(), "amount": _usd(p.principal),
        "reason_text": f"{why} (principal ${p.principal:,}, interest ${p.interest:,})",
    }
    left = step.after.notes[name].principal
    if left > 0:
        obj["balance_security_id"] = sec.note[name] = _note_balance(b, step, name, sec, left)
    b.add(e.date, obj, {"event_seq": step.recorded.seq, "security": old,
                        "principal": str(p.principal), "interest": str(p.interest)})


def _exercise(b: _Builder, step: Step, sec: _Securities) -> None:
    """A warrant exercise: the shares delivered, the exercise, and a new warrant security for
    the shares left (OCF 1.2.0's exercise has no balance field)."""
    e, p, name = step.event, step.event.payload, _holder(step)
    assert isinstance(p, WarrantExercised)
    before, after = step.before.warrants[name], step.after.warrants[name]
    delivered = after.delivered - before.delivered
    warrant = b.deal.warrants[name]
    cash = after.cash_received - before.cash_received
    how = (f"cash ${cash:,}" if p.method == "cash" else f"cashless (net) exercise of "
           f"{p.shares:,} shares at fair market value ${p.fair_market_value}")
    old = sec.warrant[name]
    stock = _stock(b, step, name, delivered, warrant.exercise_price(step.before.factor),
                   f"exercise of {old}: {how}")
    obj: dict[str, Any] = {
        "object_type": "TX_WARRANT_EXERCISE", "id": f"tx-event-{step.recorded.seq}",
        "security_id": old, "date": e.date.isoformat(), "trigger_id": "exercise-period",
        "consideration_text": how, "resulting_security_ids": [stock],
    }
    ext = {"event_seq": step.recorded.seq, "security": old, "shares_exercised": p.shares,
           "method": p.method, "shares_delivered": delivered}
    if after.outstanding <= 0:
        b.add(e.date, obj, ext)
        return
    balance = sec.warrant[name] = sec.next_balance(old)
    obj["comments"] = [f"{COMMENT}{after.outstanding:,} warrant shares left: security {balance}"]
    b.add(e.date, obj, ext)
    n = b.index(name)
    b.add(e.date, _warrant_object(
        b, name, f"tx-{balance}", balance, f"W-{balance.removeprefix('warrant-')}", e.date,
        after.outstanding, warrant.exercise_price(step.after.factor),
        [f"{COMMENT}the {after.outstanding:,} shares left of {old} after a partial exercise; "
         f"same terms as W-{n}"],
        f"balance of {old} after the exercise of {e.date}"),
        {"role": "warrant_balance", "purchaser": name, "event_seq": step.recorded.seq})


def _expiry(b: _Builder, step: Step, sec: _Securities) -> None:
    name = _holder(step)
    left = step.before.warrants[name].outstanding
    if left > 0:
        b.add(step.event.date, {
            "object_type": "TX_WARRANT_CANCELLATION", "id": f"tx-event-{step.recorded.seq}",
            "security_id": sec.warrant[name], "date": step.event.date.isoformat(),
            "quantity": str(left), "reason_text": "expired unexercised",
        }, {"event_seq": step.recorded.seq, "security": sec.warrant[name]})


def _split(b: _Builder, step: Step, sec: _Securities) -> None:
    """A split, or a stock dividend written as one (OCF 1.2.0 has no stock dividend)."""
    e, p = step.event, step.event.payload
    if isinstance(p, StockSplit):
        ratio = {"numerator": str(p.new), "denominator": str(p.old)}
        reason = f"{p.new}-for-{p.old} stock split"
    else:
        assert isinstance(p, StockDividend)
        ratio = {"numerator": _num(100 + p.percent), "denominator": "100"}
        reason = (f"{p.percent.normalize():f}% stock dividend, written as a split "
                  "(OCF 1.2.0 has no stock dividend transaction)")
    b.add(e.date, {
        "object_type": "TX_STOCK_CLASS_SPLIT", "id": f"tx-event-{step.recorded.seq}",
        "stock_class_id": COMMON, "date": e.date.isoformat(), "split_ratio": ratio,
        "comments": [f"{COMMENT}{reason}; the notes' conversion prices and the warrants' "
                     "exercise prices divide, warrant shares multiply, by the same ratio"],
    }, {"event_seq": step.recorded.seq, "kind": e.kind.value})


def _holder(step: Step) -> str:
    name = step.event.purchaser
    assert name is not None  # the event's kind is about a note or a warrant
    return name


_BY_KIND: dict[EventKind, Callable[[_Builder, Step, _Securities], None]] = {
    EventKind.CONVERSION: _conversion,
    EventKind.CONVERSION_ELECTION: _conversion,
    EventKind.PREPAYMENT_SETTLED: _repayment,
    EventKind.MATURITY_REPAYMENT: _repayment,
    EventKind.WARRANT_EXERCISED: _exercise,
    EventKind.WARRANT_EXPIRED: _expiry,
    EventKind.STOCK_SPLIT: _split,
    EventKind.STOCK_DIVIDEND: _split,
}
"""The events that become OCF transactions; the others stay in the extension's events."""


def _ledger(b: _Builder) -> int:
    """The OCF transactions of every ledger event up to ``as_of``; how many events there were."""
    sec = _Securities(note={nm: f"note-{b.index(nm)}" for nm in b.deal.names},
                      warrant={nm: f"warrant-{b.index(nm)}" for nm in b.deal.warrants})
    steps = b.record.steps(b.as_of) if b.record.recorded else ()
    for step in steps:
        handler = _BY_KIND.get(step.event.kind)
        if handler is not None:
            handler(b, step, sec)
    return len(steps)


# --- the package -------------------------------------------------------------------------------


def _extension(b: _Builder) -> dict[str, Any]:
    deal = b.deal
    files: dict[str, str] = {}
    for name in CARRIED_FILES:
        if deal.folder is None:
            break
        target = deal.terms.market.closes if name == "closes.csv" else name
        if target is None:
            continue
        path = deal.folder / target
        if path.is_file():
            try:
                files[name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UserError(f"{path}: cannot read: {exc}") from None
    events = [
        {"event": r.event.to_json(), "idempotency_key": r.idempotency_key}
        for r in b.record.recorded or () if r.event.date <= b.as_of
    ]
    return {
        "namespace": NAMESPACE,
        "extension_version": 1,
        "deal": deal.terms.model_dump(mode="json", exclude_none=True),
        "files": files,
        "objects": b.objects,
        "events": events,
    }


def build_package(
    deal: LoadedDeal, record: DealRecord, *, formation_date: dt.date, country: str = "US",
    as_of: dt.date | None = None, generated_at: dt.datetime | None = None,
) -> tuple[dict[str, bytes], ExportResult]:
    """The package's files (name → bytes), each checked against ``schema``, and a summary."""
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise UserError(f"--country: {country!r} is not an ISO 3166-1 alpha-2 code (e.g. US)")
    last = max([p.closing_date for p in deal.terms.purchasers]
               + [r.event.date for r in record.recorded or ()])
    day = as_of or last
    b = _Builder(deal, record, day)
    for name in deal.names:
        if deal.purchaser(name).closing_date <= day:
            _note(b, name)
            _warrant(b, name)
    events = _ledger(b)
    b.transactions.sort(key=lambda t: (t[0], t[1]))
    items = [o for _, _, o in b.transactions]
    files: dict[str, Any] = {
        pkg.STAKEHOLDERS_FILE: {"file_type": "OCF_STAKEHOLDERS_FILE",
                                "items": _stakeholders(deal)},
        pkg.STOCK_CLASSES_FILE: {"file_type": "OCF_STOCK_CLASSES_FILE",
                                 "items": [_stock_class(deal)]},
        pkg.TRANSACTIONS_FILE: {"file_type": "OCF_TRANSACTIONS_FILE", "items": items},
    }
    out = {name: pkg.to_bytes(data) for name, data in files.items()}
    when = generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0)
    manifest = {
        "file_type": "OCF_MANIFEST_FILE",
        "ocf_version": schema.OCF_VERSION,
        "issuer": _issuer(deal, formation_date, country),
        "as_of": day.isoformat(),
        "generated_at": when.isoformat(),
        "comments": [f"{COMMENT}{deal.terms.name}; written by pipedeal export-ocf from the deal "
                     f"file and {'its ledger' if record.recorded else 'its terms (no ledger)'}; "
                     f"what OCF cannot express is in {EXTENSION_FILE}"],
        "stock_plans_files": [],
        "stock_legend_templates_files": [],
        "stock_classes_files": [_ref(pkg.STOCK_CLASSES_FILE, out)],
        "vesting_terms_files": [],
        "valuations_files": [],
        "transactions_files": [_ref(pkg.TRANSACTIONS_FILE, out)],
        "stakeholders_files": [_ref(pkg.STAKEHOLDERS_FILE, out)],
    }
    extension = _extension(b)
    # every file checked by our models before anything is written (a failure names the field)
    pkg.check(schema.Manifest, manifest, f"export {pkg.MANIFEST_FILE}")
    for name, data in files.items():
        pkg.check(schema.FILE_MODELS[data["file_type"]], data, f"export {name}")
    pkg.check(Extension, extension, f"export {EXTENSION_FILE}")
    out = {pkg.MANIFEST_FILE: pkg.to_bytes(manifest), **out,
           EXTENSION_FILE: pkg.to_bytes(extension)}
    counts: dict[str, int] = {"STAKEHOLDER": len(files[pkg.STAKEHOLDERS_FILE]["items"]),
                              "STOCK_CLASS": 1}
    for item in items:
        counts[item["object_type"]] = counts.get(item["object_type"], 0) + 1
    return out, ExportResult(Path("."), day, counts, events, tuple(out))


def _ref(name: str, files: dict[str, bytes]) -> dict[str, str]:
    return {"filepath": name, "md5": pkg.md5(files[name])}


def export_ocf(
    deal_dir: Path | str, out: Path | str, *, formation_date: dt.date | None = None,
    country: str = "US", as_of: dt.date | None = None, db: str | None = None,
    deal_key: str | None = None, force: bool = False,
) -> ExportResult:
    """Write the deal folder ``deal_dir`` (and its ledger, if any) as an OCF package at ``out``:
    a ``.zip`` when the name ends so, else a folder. ``formation_date``: the issuer's (OCF
    requires one), default ``issuer.formation_date`` of deal.toml. Nothing is written on any
    error."""
    from pipedeal.api import deal_record
    from pipedeal.market.calendars import check_in_range
    from pipedeal.outfiles import check_target, deal_inputs

    target = Path(out)
    protect = deal_inputs(deal_dir, db)
    if target.suffix.lower() == ".zip":
        check_target(target, "OUT", protect=protect)
    if as_of is not None:
        check_in_range(as_of, "--as-of")
    record = deal_record(deal_dir, db, deal_key=deal_key)
    formation_date = formation_date or record.deal.terms.issuer.formation_date
    if formation_date is None:
        raise UserError("--formation-date: OCF requires the issuer's date of formation; give "
                        "it, or set issuer.formation_date in deal.toml")
    files, result = build_package(record.deal, record, formation_date=formation_date,
                                  country=country, as_of=as_of)
    pkg.write_package(files, target, force=force, protect=protect)
    return ExportResult(target, result.as_of, result.objects, result.events, result.files)


__all__ = ["ExportResult", "build_package", "export_ocf"]
