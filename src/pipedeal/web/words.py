"""Display helpers of the pages: amounts, share counts, instants with their zone, and the deal's
terms in plain words (from the loaded deal's terms; no figure is computed here)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from pipedeal.instruments.deal import LoadedDeal


def money(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def shares(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def instant(value: Any, zone: str | None = None) -> str:
    """An ISO instant as ``YYYY-MM-DD HH:MM <zone>`` (times always carry their zone); in
    ``zone`` (an IANA name, shown after the abbreviation) when given."""
    if not value:
        return "—"
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    if zone:
        moment = moment.astimezone(ZoneInfo(zone))
        suffix = "" if zone == "UTC" else f" ({zone})"
        return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or "") + suffix
    name = moment.tzname() or ""
    return moment.strftime("%Y-%m-%d %H:%M ") + name


def label(kind: Any) -> str:
    return str(kind).replace("_", " ")


def terms_in_words(deal: LoadedDeal, purchaser: str | None) -> list[tuple[str, str]]:
    """The contract's main terms as (term, sentence) pairs; the conversion rule is the
    ``purchaser``'s note's (or the first purchaser's)."""
    terms = deal.terms
    note = terms.note
    out: list[tuple[str, str]] = [("Issuer", terms.issuer.name)]
    rate = note.interest.rate * 100
    out.append(("Interest", f"{rate:.2f}% a year, simple, counted {note.interest.day_count.value}"))
    out.append(("Maturity", f"{note.maturity.months_after_issue} months after each note's issue"))
    names = deal.names
    who = purchaser if purchaser in names else (names[0] if names else None)
    if who is not None:
        out.append(("Conversion price", deal.note(who).conversion_trace.rule))
    out.append((
        "Unpaid interest",
        "converts with the principal" if note.conversion.unpaid_interest_convertible
        else "is paid in cash; it does not convert",
    ))
    pre = note.prepayment
    if pre.allowed:
        after = "from" if pre.earliest_inclusive else "after"
        out.append((
            "Prepayment",
            f"the issuer may prepay {after} {pre.earliest_months_after_issue} months, with a "
            f"premium of {pre.premium * 100:.2f}%; the holder may elect to convert instead "
            f"within {pre.holder_election_days} {pre.election_day_type.value} days of the notice",
        ))
    else:
        out.append(("Prepayment", "not allowed"))
    w = terms.warrant
    if w is not None:
        out.append((
            "Warrants",
            f"{w.coverage_shares_per_dollar:g} shares per $1 of principal, for "
            f"{w.term_years} years; cashless exercise "
            f"{'allowed' if w.cashless_exercise else 'not allowed'}",
        ))
    return out


def price_traces(deal: LoadedDeal, purchasers: list[str]) -> list[dict[str, Any]]:
    """How each of ``purchasers``' conversion price was set: the library's ``PriceTrace`` of
    each note (the sessions and closes used, the statistic, the formula, rounding, caps)."""
    out = []
    for name in purchasers:
        t = deal.note(name).conversion_trace
        out.append({
            "purchaser": name, "rule": t.rule,
            "anchor": t.anchor.isoformat() if t.anchor else None,
            "sessions": [(b.date.isoformat(), f"${b.close}") for b in t.sessions],
            "statistic": t.statistic, "formula_price": t.formula_price,
            "rounded_price": t.rounded_price, "fixed_price": t.fixed_price, "floor": t.floor,
            "price": t.price, "limited_by": t.limited_by,
        })
    return out
