"""The book's first section: the deal summary and its parties.

Built from the deal file alone (``data["deal"]``, ``["issuer"]``, ``["terms"]``, ``["totals"]``,
``["purchasers"]``): the issuer's facts, the note and warrant terms in words (interest, maturity,
conversion rule, prepayment, warrant coverage and expiry) with the deal totals, one row per
purchaser, and the issuer's reported shares outstanding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipedeal.report.html.sections.formatting import (
    cell,
    dec,
    money,
    pct,
    price,
    shares,
)
from pipedeal.report.html.sections.model import (
    Block,
    Section,
    Table,
)


# ---- deal summary --------------------------------------------------------------------------
def summary_section(data: dict[str, Any]) -> Section:
    deal, issuer, terms, totals = data["deal"], data["issuer"], data["terms"], data["totals"]
    facts = [
        ("Book as of", f"{data.get('as_of') or '—'} ({data.get('as_of_rule') or ''})"),
        ("Overdue", "; ".join(f"{i['kind']} {i['instrument']} since {i['date']}"
                              for i in data.get("overdue") or ()) or "nothing"),
        ("Issuer", issuer.get("name") or "—"),
        ("State", issuer.get("state") or "—"),
        ("Ticker / exchange", f"{issuer.get('ticker') or '—'} / {issuer.get('exchange') or '—'}"),
        ("Commission File No.", issuer.get("commission_file_number") or "—"),
        ("IRS Employer No.", issuer.get("irs_employer_number") or "—"),
        ("Par value", price(issuer.get("par_value"))),
    ]
    rate = dec(terms.get("interest_rate"))
    deal_facts = [
        ("Interest", f"{rate * 100:.2f}% simple, {terms.get('day_count')}" if rate is not None
         else "—"),
        ("Maturity", f"{terms.get('maturity_months')} months after issue"),
        ("Conversion price", terms.get("conversion_price_rule") or "—"),
        ("Unpaid interest convertible", cell(terms.get("unpaid_interest_convertible"))),
        ("Exemption", ", ".join(terms.get("exemption") or []) or "—"),
        ("Principal", money(totals.get("principal"))),
        ("Cash funded", money(totals.get("cash_funded"))),
        ("Conversion shares (full principal)", shares(totals.get("conversion_shares"))),
        ("Warrant shares", shares(totals.get("warrant_shares"))),
        ("Proceeds on full exercise", money(totals.get("exercise_proceeds"))),
        ("Contract interest", money(totals.get("interest"))),
        ("Calendars", f"trading {deal.get('trading_calendar')}, business days "
                      f"{deal.get('business_day_calendar')}"),
    ]
    prep = terms.get("prepayment") or {}
    if prep:
        deal_facts.append(("Prepayment", _prepayment_text(prep)))
    w = terms.get("warrant")
    if w:
        deal_facts.append(
            ("Warrants", f"{dec(w.get('coverage_shares_per_dollar')) or 0:g} shares per $1 of "
                         f"principal, exercise price = {w.get('exercise_price')}, "
                         f"{w.get('term_years')} years, expiring "
                         f"{w.get('expiry_time')} {w.get('expiry_timezone')}; cashless exercise "
                         f"{cell(w.get('cashless_exercise'))}")
        )
    paragraphs = []
    if deal.get("notes"):
        paragraphs.append(deal["notes"])
    rows = [
        [
            p["name"], p["closing_date"], money(p.get("principal")), money(p.get("cash_funded")),
            price(p.get("conversion_price")), shares(p.get("conversion_shares")),
            shares(p.get("warrant_shares")), price(p.get("exercise_price")),
            money(p.get("exercise_proceeds")), p.get("maturity_date") or "—",
            (p.get("warrant_expiry") or "—").replace("T", " ").replace(":00 ", " "),
        ]
        for p in data["purchasers"]
    ]
    parties = Table(
        ["purchaser", "closing", "principal", "cash funded", "conversion price",
         "conversion shares", "warrant shares", "exercise price", "exercise proceeds",
         "maturity", "warrant expiry"],
        rows,
        caption="Parties: one note and one warrant per purchaser",
        foot=[["Total", "", money(totals.get("principal")), money(totals.get("cash_funded")),
               "", shares(totals.get("conversion_shares")), shares(totals.get("warrant_shares")),
               "", money(totals.get("exercise_proceeds")), "", ""]],
    )
    so = Table(
        ["date", "shares outstanding", "source"],
        [[s["date"], shares(s["shares"]), s.get("source") or ""]
         for s in issuer.get("shares_outstanding") or []],
        caption="Issuer's shares outstanding as reported",
    )
    blocks = [
        Block("Issuer", paragraphs=paragraphs, facts=facts),
        Block("Terms and totals", facts=deal_facts),
        Block("Purchasers", tables=[parties] + ([so] if so.rows else [])),
    ]
    return Section("summary", "Deal summary and parties", blocks)


def _prepayment_text(p: Mapping[str, Any]) -> str:
    if not p.get("allowed"):
        return "not allowed"
    after = "after" if not p.get("earliest_inclusive") else "from"
    return (
        f"allowed {after} {p.get('earliest_months_after_issue')} months, at most "
        f"{p.get('max_notices')} notice(s), premium {pct((dec(p.get('premium')) or 0) * 100)}; "
        f"holder may elect to convert within {p.get('holder_election_days')} "
        f"{p.get('election_day_type')} days"
    )
