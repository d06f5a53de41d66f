"""The Form 8-K narrative for a financing, written from a deal; and the book's filing check.

``disclosure_text`` writes the 2004 style (Item 5 "Other Events", Item 7 exhibits) or the current
style (Items 1.01, 2.03, 3.02 and 9.01 with the exhibit index) from the deal's terms and the
figures ``pipedeal.pricing.deal_figures`` computes. The wording is chosen so that ``extract``
reads the same terms back (a round trip the tests check).

``disclosure_section`` is the deal book's ``filing_check`` section: the terms extracted from the
deal folder's own 8-K against the deal's computed figures.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipedeal.filings.numbers import (
    format_date,
    format_money,
    format_percent,
    number_words,
    plain,
)
from pipedeal.pricing.figures import DealFigures
from pipedeal.pricing.rules import describe_rule
from pipedeal.terms.models import (
    Deal,
    FixedPrice,
    PrepaymentTerms,
    PriceRule,
    Statistic,
    WindowPosition,
)

STYLES = ("2004", "current")

_STAT_WORDS = {
    Statistic.AVERAGE_CLOSE: "the average of the closing price of our common stock",
    Statistic.VWAP: "the volume weighted average price of our common stock",
    Statistic.AVERAGE_DAILY_VWAP:
        "the average of the daily volume weighted average price (VWAP) of our common stock",
    Statistic.LOWEST_CLOSE: "the lowest closing price of our common stock",
    Statistic.LOWEST_DAILY_VWAP:
        "the lowest daily volume weighted average price (VWAP) of our common stock",
}


def _counted(n: int, noun: str) -> str:
    """``five (5) trading days``."""
    return f"{number_words(n)} ({n}) {noun}"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    if len(parts) == 2:
        return f"{parts[0]} and {parts[1]}"
    return ", ".join(parts[:-1]) + f" and {parts[-1]}"


def _rule_words(rule: PriceRule, anchor: str) -> str:
    pct = format_percent(rule.multiplier * 100)
    where = ("immediately prior to" if rule.window is WindowPosition.BEFORE
             else "ending on (and including)")
    text = (f"{pct} of {_STAT_WORDS[rule.statistic]} for the "
            f"{_counted(rule.window_sessions, 'trading days')} {where} {anchor}")
    if rule.fixed_price is not None:
        text = f"the lower of (i) {format_money(rule.fixed_price)} and (ii) {text}"
    return text


def _prices(values: list[Decimal], noun: str) -> str:
    if len(set(values)) == 1:
        return f"a{'n' if noun[0] in 'aeiou' else ''} {noun} of {format_money(values[0])} per share"
    return f"a{'n' if noun[0] in 'aeiou' else ''} {noun} of " \
           f"{_join([format_money(v) for v in values])}, respectively"


def narrative(deal: Deal, figs: DealFigures) -> list[str]:
    """The paragraphs that describe the financing (Item 5, or Item 1.01)."""
    note, warrant = deal.note, deal.warrant
    closings = sorted({p.closing_date for p in deal.purchasers})
    n = len(deal.purchasers)
    what = "convertible promissory notes" + (" and common stock purchase warrants" if warrant
                                             else "")
    paras: list[str] = []

    first = (f"On {_join([format_date(d) for d in closings])}, we executed agreements for the "
             f"sale of {what} which resulted in aggregate gross proceeds to us of "
             f"{format_money(figs.cash_funded)}")
    if warrant is not None and figs.exercise_proceeds:
        first += (f" and an additional {format_money(figs.exercise_proceeds)} in aggregate gross "
                  "proceeds to us upon exercise of the warrants")
    first += "."
    sold = f"The convertible promissory notes in the aggregate principal amount of " \
           f"{format_money(figs.principal)}"
    if warrant is not None:
        sold += (f", together with common stock purchase warrants to purchase an aggregate of "
                 f"{figs.warrant_shares:,} shares of our common stock,")
    named = [p.name for p in deal.purchasers if not re.fullmatch(r"Purchaser \d+", p.name)]
    investors = "accredited investor" if n == 1 else "accredited investors"
    sold += (f" were sold to {number_words(n)} ({n}) \"{investors},\" as defined in Regulation D "
             "promulgated under the Securities Act of 1933, as amended, or the Securities Act.")
    if len(named) == n:
        sold += f" The purchasers are {_join(named)}." if n > 1 else \
            f" The purchaser is {named[0]}."
    docs = sorted(deal.offering.documents) or []
    if docs:
        sold += (" The transaction documents executed with each purchaser were substantially "
                 "similar and are attached hereto and incorporated herein as Exhibits "
                 f"{_join(docs)}, respectively.")
    if figs.cash_funded < figs.principal:
        sold += (f" The aggregate purchase price of the notes was {format_money(figs.cash_funded)}"
                 f", below their principal amount.")
    paras += [first + " " + sold]

    rate = format_percent(note.interest.rate * 100)
    months = note.maturity.months_after_issue
    p2 = (f"The convertible promissory note issued to each purchaser bears interest at a rate of "
          f"{rate} per annum, payable monthly, and has a maturity date "
          f"{_counted(months, 'months')} from the date of issuance.")
    if note.secured:
        p2 += " The notes are secured by a security interest in our assets."
    if note.default_interest_rate is not None:
        p2 += (" Upon an event of default, the notes bear interest at a default rate of "
               f"{format_percent(note.default_interest_rate * 100)} per annum.")
    conv = [f.conversion_price for f in figs.purchasers]
    rule = note.conversion.price
    if isinstance(rule, FixedPrice):
        p2 += (" The convertible note is convertible at any time from the date of issuance into "
               f"shares of our common stock at a conversion price of {format_money(rule.fixed)} "
               "per share.")
    else:
        p2 += (" The convertible note is convertible at any time from the date of issuance into "
               "shares of our common stock at a price per share equal to "
               f"{_rule_words(rule, 'the date of issuance')}, which for each purchaser results "
               f"in {_prices(conv, 'conversion price')}.")
        if rule.floor is not None:
            p2 += (" In no event shall the conversion price be less than "
                   f"{format_money(rule.floor)} per share.")
    if note.interest.interest_only:
        p2 += (" We will pay interest only payments until the maturity date of the convertible "
               "note, unless it is converted or prepaid.")
    pre = note.prepayment
    if pre.allowed:
        times = "one prepayment" if pre.max_notices == 1 else "prepayments"
        part = ", in whole or in part," if pre.partial_allowed else " in whole"
        cost = " without penalty" if pre.premium == 0 else \
            f" at a premium of {format_percent(pre.premium * 100)} of the principal prepaid"
        after = pre.earliest_months_after_issue
        when = (f" at any time after {number_words(after)} months" if after else " at any time")
        p2 += f" We have an option to make {times} of the note{part}{cost}{when}."
        if pre.holder_election_days:
            p2 += (" However, in the event that we elect to prepay the convertible note, the "
                   f"purchaser may elect within {pre.holder_election_days} days to convert the "
                   "note in accordance with its terms.")
    else:
        p2 += " The convertible notes may not be prepaid."
    paras.append(p2)

    if warrant is not None:
        coverage = format_percent(warrant.coverage_shares_per_dollar * 100)
        ex = [f.exercise_price for f in figs.purchasers if f.exercise_price is not None]
        if warrant.exercise_price == "conversion_price":
            basis = ("the conversion price of the convertible note" if isinstance(rule, FixedPrice)
                     else _rule_words(rule, "the date of issuance of the warrant"))
        elif isinstance(warrant.exercise_price, FixedPrice):
            basis = format_money(warrant.exercise_price.fixed)
        else:
            basis = _rule_words(warrant.exercise_price, "the date of issuance of the warrant")
        p3 = ("Each purchaser was also issued corresponding warrants to purchase shares of common "
              "stock. The number of shares that the purchaser will be eligible to purchase is "
              f"equal to {coverage} of the aggregate principal amount of the convertible "
              "promissory note and the exercise price of the warrants on a per share basis is "
              f"equal to {basis}, which for each purchaser results in "
              f"{_prices(ex, 'exercise price')}.")
        p3 += (f" The warrants expire {_counted(warrant.term_years, 'years')} from the date of "
               "issuance and are exercisable immediately.")
        paras.append(p3)
    reg = deal.registration_rights
    if reg is not None:
        with_ = "both the convertible notes and the warrants" if warrant else \
            "the convertible notes"
        p4 = (f"In connection with {with_}, we entered into a registration rights agreement with "
              f"{'each of the purchasers' if n > 1 else 'the purchaser'}")
        parts = []
        if reg.filing_deadline_days is not None:
            parts.append(f"to file a registration statement covering the resale of the shares "
                         f"within {reg.filing_deadline_days} days after the closing")
        if reg.effectiveness_deadline_days is not None:
            parts.append("to cause it to be declared effective within "
                         f"{reg.effectiveness_deadline_days} days after the closing")
        if parts:
            p4 += ", under which we agreed " + " and ".join(parts)
        paras.append(p4 + ".")
    return paras


def exemption_paragraph(deal: Deal) -> str:
    what = "convertible notes and warrants" if deal.warrant else "convertible notes"
    return ("Each purchaser represented to us that it is an \"accredited investor,\" as that term "
            "is defined in Rule 501(a) of Regulation D under the Securities Act. The "
            f"{what} were offered and sold to each purchaser in reliance upon an exemption from "
            f"registration under {_join(list(deal.offering.exemption))} under the Securities Act.")


def _documents(deal: Deal) -> dict[str, str]:
    if deal.offering.documents:
        return dict(deal.offering.documents)
    docs = {"4.1": "Form of Convertible Promissory Note"}
    if deal.warrant is not None:
        docs["4.2"] = "Form of Common Stock Purchase Warrant"
    if deal.registration_rights is not None:
        docs[f"4.{len(docs) + 1}"] = "Form of Registration Rights Agreement"
    return docs


def _cover(deal: Deal) -> list[str]:
    i = deal.issuer
    closings = [p.closing_date for p in deal.purchasers]
    report = deal.offering.report_date or max(closings)
    earliest = deal.offering.earliest_event_date or min(closings)
    dates = format_date(report) + (f" ({format_date(earliest)})" if earliest != report else "")
    return [
        "UNITED STATES",
        "SECURITIES AND EXCHANGE COMMISSION",
        "Washington, D.C. 20549",
        "",
        "FORM 8-K",
        "CURRENT REPORT",
        "Pursuant to Section 13 or 15(d) of the Securities Exchange Act of 1934",
        "",
        f"Date of Report (Date of Earliest Event Reported): {dates}",
        "",
        i.name.upper(),
        "(Exact name of registrant as specified in its charter)",
        "",
        f"{i.state or '[state]'}    {i.commission_file_number or '[file no.]'}    "
        f"{i.irs_employer_number or '[IRS no.]'}",
        "(State or other jurisdiction of incorporation)    (Commission File Number)    "
        "(IRS Employer Identification No.)",
        "",
        f"{i.address or '[address]'}    {i.zip or ''}".rstrip(),
        "(Address of principal executive offices)    (Zip Code)",
        "",
        f"Registrant's telephone number, including area code: {i.phone or '[phone]'}",
        "",
    ]


def _exhibit_lines(deal: Deal) -> list[str]:
    lines = ["Exhibit Number    Description", ""]
    for number, title in sorted(_documents(deal).items(),
                                key=lambda kv: [int(x) for x in kv[0].split(".") if x.isdigit()]):
        lines.append(f"{number}    {title}")
    return lines


def _signature(deal: Deal, report: dt.date) -> list[str]:
    return [
        "SIGNATURES",
        "",
        "Pursuant to the requirements of the Securities Exchange Act of 1934, the registrant has "
        "duly caused this report to be signed on its behalf by the undersigned hereunto duly "
        "authorized.",
        "",
        deal.issuer.name.upper(),
        "",
        f"Date: {format_date(report)}    By: ______________________________",
        "Name: [to be completed]",
        "Title: [to be completed]",
    ]


def render(deal: Deal, figs: DealFigures, style: str = "current") -> str:
    """The 8-K text for ``deal`` in ``style`` ("2004" or "current")."""
    if style not in STYLES:
        from pipedeal.errors import UserError

        raise UserError(f"--style: {style!r} is not one of {', '.join(STYLES)}")
    lines = _cover(deal)
    story = narrative(deal, figs)
    exemption = exemption_paragraph(deal)
    if style == "2004":
        lines += ["Item 5. Other Events and Required FD Disclosure", "", "Financing Transactions",
                  ""]
        for p in [*story, exemption]:
            lines += [p, ""]
        lines += ["Item 7. Financial Statements and Exhibits", "", "(c) Exhibits", ""]
        lines += _exhibit_lines(deal)
    else:
        lines += ["Item 1.01 Entry into a Material Definitive Agreement.", ""]
        for p in story:
            lines += [p, ""]
        lines += [
            "Item 2.03 Creation of a Direct Financial Obligation or an Obligation under an "
            "Off-Balance Sheet Arrangement of a Registrant.", "",
            "The information set forth in Item 1.01 of this Current Report on Form 8-K regarding "
            "the convertible promissory notes is incorporated into this Item 2.03 by reference.",
            "",
            "Item 3.02 Unregistered Sales of Equity Securities.", "",
            "The information set forth in Item 1.01 of this Current Report on Form 8-K is "
            "incorporated into this Item 3.02 by reference.", "",
            exemption, "",
            "Item 9.01 Financial Statements and Exhibits.", "",
            "(d) Exhibits.", "",
        ]
        lines += _exhibit_lines(deal)
    closings = [p.closing_date for p in deal.purchasers]
    report = deal.offering.report_date or max(closings)
    lines += ["", ""] + _signature(deal, report)
    return "\n".join(lines) + "\n"


def disclosure_text(deal_dir: Path | str, style: str = "current") -> str:
    """The 8-K narrative for the deal in ``deal_dir`` (``pipedeal.disclosure``)."""
    from pipedeal.instruments import load

    loaded = load(deal_dir)
    return render(loaded.terms, loaded.figures, style)


# --- the book's filing check ---------------------------------------------------------------------

FILING_PATTERNS = ("8-K*.txt", "8-K*.htm", "8-K*.html", "8k*.txt", "8k*.htm")


def filing_of(deal_dir: Path, deal: Deal) -> Path | None:
    """The deal folder's 8-K: ``[disclosure] source``'s first token, else an ``8-K*`` file."""
    if deal.disclosure is not None and deal.disclosure.source:
        name = deal.disclosure.source.split()[0]
        path = deal_dir / name
        if path.is_file():
            return path
    for pattern in FILING_PATTERNS:
        found = sorted(deal_dir.glob(pattern))
        if found:
            return found[0]
    return None


def _same_money(a: Any, b: Any) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        la = a if isinstance(a, list) else [a]
        lb = b if isinstance(b, list) else [b]
        return len(la) == len(lb) and all(_same_money(x, y) for x, y in zip(la, lb, strict=True))
    if a is None or b is None:
        return a is b
    return Decimal(str(a)) == Decimal(str(b))


def _money_words(text: str) -> str:
    return re.sub(r"\$([\d,]+(?:\.\d+)?)",
                  lambda m: "$" + format(Decimal(m.group(1).replace(",", "")).normalize(), "f"),
                  text)


def _same_name(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", s.lower())
    return norm(a) == norm(b)


def compare_terms(terms: dict[str, Any], deal: Deal, figs: DealFigures) -> list[dict[str, Any]]:
    """One line per term the filing states: what it says, what the deal gives, whether equal."""
    lines: list[dict[str, Any]] = []

    def add(key: str, deal_value: Any, same: bool) -> None:
        t = terms[key]
        lines.append({"term": key, "filing": t["value"], "deal": deal_value, "matches": same,
                      "sentence": t["sentence"]})

    def said(key: str) -> Any:
        return terms[key]["value"]

    note, warrant = deal.note, deal.warrant
    conv = [plain(f.conversion_price) for f in figs.purchasers]
    if said("issuer_name") is not None:
        add("issuer_name", deal.issuer.name, _same_name(said("issuer_name"), deal.issuer.name))
    if said("event_date") is not None:
        first = deal.offering.earliest_event_date or min(p.closing_date for p in deal.purchasers)
        add("event_date", first.isoformat(), said("event_date") == first.isoformat())
    if said("num_purchasers") is not None:
        add("num_purchasers", len(deal.purchasers), said("num_purchasers") == len(deal.purchasers))
    if said("principal_amount_usd") is not None:
        add("principal_amount_usd", plain(figs.principal),
            _same_money(said("principal_amount_usd"), figs.principal))
    if said("interest_rate_pct") is not None:
        rate = note.interest.rate * 100
        add("interest_rate_pct", plain(rate), _same_money(said("interest_rate_pct"), rate))
    if said("maturity_term_months") is not None:
        months = note.maturity.months_after_issue
        add("maturity_term_months", months, said("maturity_term_months") == months)
    if said("conversion_price_usd") is not None:
        value = conv if isinstance(said("conversion_price_usd"), list) else conv[0]
        add("conversion_price_usd", value, _same_money(said("conversion_price_usd"), value))
    if said("conversion_price_formula") is not None:
        rule = note.conversion.price
        mine = describe_rule(rule).split(", floor")[0]
        add("conversion_price_formula", mine,
            _money_words(said("conversion_price_formula")) == _money_words(mine))
    if said("conversion_floor_price_usd") is not None:
        floor = getattr(note.conversion.price, "floor", None)
        add("conversion_floor_price_usd", plain(floor),
            _same_money(said("conversion_floor_price_usd"), floor))
    if warrant is not None or said("warrant_shares") is not None:
        if said("warrant_shares") is not None:
            add("warrant_shares", figs.warrant_shares,
                said("warrant_shares") == figs.warrant_shares)
        if said("warrant_coverage_pct") is not None and warrant is not None:
            cov = warrant.coverage_shares_per_dollar * 100
            add("warrant_coverage_pct", plain(cov), _same_money(said("warrant_coverage_pct"), cov))
        if said("warrant_exercise_price_usd") is not None:
            ex = [plain(f.exercise_price or 0) for f in figs.purchasers]
            value = ex if isinstance(said("warrant_exercise_price_usd"), list) else ex[0]
            add("warrant_exercise_price_usd", value,
                _same_money(said("warrant_exercise_price_usd"), value))
        if said("warrant_term_years") is not None:
            years = warrant.term_years if warrant else None
            add("warrant_term_years", years, _same_money(said("warrant_term_years"), years))
    if said("prepayment_terms") is not None:
        lines += _prepayment_lines(terms["prepayment_terms"], note.prepayment)
    if said("registration_rights") is not None:
        has = deal.registration_rights is not None
        add("registration_rights", has, said("registration_rights") == has)
    reg = deal.registration_rights
    for key, attr in (("registration_filing_deadline_days", "filing_deadline_days"),
                      ("registration_effectiveness_deadline_days", "effectiveness_deadline_days")):
        if said(key) is not None:
            deadline = getattr(reg, attr) if reg else None
            add(key, deadline, said(key) == deadline)
    if said("exemption") is not None:
        ours = list(deal.offering.exemption)
        same = all(any(_same_name(x, y) or _same_name(x, y.split(" of ")[0]) or
                       x.lower() in y.lower() for y in ours) for x in said("exemption"))
        add("exemption", ours, same)
    return lines


def _prepayment_lines(stated: dict[str, Any], terms: PrepaymentTerms) -> list[dict[str, Any]]:
    """One line per fact the filing's prepayment passage states, against ``note.prepayment``."""
    from pipedeal.filings.prepayment_terms import prepayment_facts

    facts = prepayment_facts(stated["value"])
    ours: dict[str, Any] = {
        "max_notices": terms.max_notices if terms.allowed else 0,
        "partial_allowed": terms.partial_allowed,
        "premium_pct": plain(terms.premium * 100),
        "earliest_months_after_issue": terms.earliest_months_after_issue,
        "earliest_inclusive": terms.earliest_inclusive,
        "holder_election_days": terms.holder_election_days,
        "election_day_type": terms.election_day_type.value,
    }
    out = []
    for key, value in facts.items():
        said = plain(value) if isinstance(value, Decimal) else value
        out.append({"term": f"prepayment.{key}", "filing": said, "deal": ours[key],
                    "matches": said == ours[key], "sentence": stated["sentence"]})
    return out


def filing_check(deal_dir: Path, deal: Deal, figures: DealFigures) -> dict[str, Any] | None:
    """The book's ``filing_check``: the folder's 8-K, extracted, against the deal's figures;
    ``None`` when the folder holds no filing."""
    from pipedeal.filings.extract import extract_file

    path = filing_of(Path(deal_dir), deal)
    if path is None:
        return None
    data = extract_file(path)
    lines = compare_terms(data["terms"], deal, figures)
    return {
        "source": path.name,
        "form_type": data["filing"]["form_type"],
        "report_date": data["filing"]["report_date"],
        "items": [i["number"] for i in data["filing"]["items"]],
        "all_match": all(line["matches"] for line in lines) if lines else None,
        "lines": [{**line, "source": path.name} for line in lines],
    }


def disclosure_section(ctx: Any) -> dict[str, Any] | None:
    """``filing_check`` for a ``pipedeal.report.book.BookContext`` (kept for callers of the
    book's section; the book itself calls ``report.sections``)."""
    return filing_check(ctx.deal_dir, ctx.deal, ctx.figures)


def render_filing_check(data: dict[str, Any], console: Any) -> None:
    """Print the book's ``filing_check`` section: one row per term the filing states."""
    from rich.table import Table

    items = ", ".join(data["items"]) or "none found"
    table = Table(
        title=f"Filing check — {data['source']} (Form {data['form_type']} dated "
        f"{data['report_date']}, items {items}), extracted terms against the deal"
    )
    for col in ("term", "filing says", "deal gives", "result"):
        table.add_column(col)

    def show(value: Any) -> str:
        if isinstance(value, list):
            return ", ".join(show(v) for v in value)
        return "—" if value is None else str(value)

    for line in data["lines"]:
        table.add_row(
            line["term"],
            show(line["filing"]),
            show(line["deal"]),
            "match" if line["matches"] else "[bold red]MISMATCH[/]",
        )
    console.print(table)
    if not data["lines"]:
        console.print("The filing states none of the terms the extractor reads.")
