"""View models for the HTML deal book: one ``Section`` per part of the book.

Each builder takes the book dict (``report.book.book_data``) and returns a ``Section`` holding
ready-to-print strings, tables and chart SVG, or a ``missing`` reason when the data does not exist
for this deal. Sections added by other packages (ledger, valuation, cap table, accounting, filing
check) are read defensively: a shape this renderer does not know becomes a plain table, never an
error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from markupsafe import Markup

from pipedeal.market.closes import PriceSeries
from pipedeal.report.html.svg import Band, Chart, Point, Rule, Series, day_number

# How many calendar days of closes the price-window chart shows around each closing.
WINDOW_DAYS_BEFORE = 35
WINDOW_DAYS_AFTER = 21


# ---- formatting --------------------------------------------------------------------------
def dec(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money(value: Any, places: int = 2) -> str:
    d = dec(value)
    if d is None:
        return "—"
    sign = "−" if d < 0 else ""
    return f"{sign}${abs(d):,.{places}f}"


def price(value: Any) -> str:
    d = dec(value)
    if d is None:
        return "—"
    exp = d.normalize().as_tuple().exponent
    places = min(max(2, -exp if isinstance(exp, int) else 2), 6)
    return f"${d:,.{places}f}"


def shares(value: Any) -> str:
    if value is None:
        return "—"
    d = dec(value)
    return str(value) if d is None else f"{d:,.0f}" if d == d.to_integral() else f"{d:,}"


def pct(value: Any, places: int = 2) -> str:
    d = dec(value)
    return "—" if d is None else f"{d:.{places}f}%"


def cell(value: Any) -> str:
    """Any JSON value as table text."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {cell(v)}" for k, v in value.items())
    return str(value)


def humanize(key: str) -> str:
    return key.replace("_", " ")


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    d = dec(value)
    return None if d is None else float(d)


# ---- structures ----------------------------------------------------------------------------
@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric: list[bool] = field(default_factory=list)
    foot: list[list[str]] = field(default_factory=list)
    row_classes: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list, init=False)
    wide: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = [_looks_numeric(c, self.rows, i) for i, c in enumerate(self.columns)]
        self.classes = [
            "num" if self.numeric[i] else
            "short" if all(len(r[i]) <= 14 for r in self.rows if i < len(r)) else
            "long" if any(len(r[i]) > 60 for r in self.rows if i < len(r)) else ""
            for i in range(len(self.columns))
        ]
        self.wide = len(self.columns) > 8


def _looks_numeric(_col: str, rows: list[list[str]], i: int) -> bool:
    vals = [r[i] for r in rows if i < len(r) and r[i] not in ("", "—")]
    return bool(vals) and all(
        v.lstrip("−-$").replace(",", "").replace(".", "", 1).rstrip("%").isdigit() for v in vals
    )


@dataclass
class Figure:
    svg: Markup
    caption: str
    chart_id: str


@dataclass
class Block:
    """A titled part of a section: text paragraphs, figures and tables, in that order."""

    title: str = ""
    paragraphs: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # "not available" notes inside a section


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    missing: str | None = None
    status: str = ""  # e.g. "all match" / "MISMATCH" for the checks


def figure(chart: Chart, caption: str) -> Figure:
    return Figure(chart.svg(), caption, chart.chart_id)


# ---- deal summary --------------------------------------------------------------------------
def summary_section(data: dict[str, Any]) -> Section:
    deal, issuer, terms, totals = data["deal"], data["issuer"], data["terms"], data["totals"]
    facts = [
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


# ---- price-setting window --------------------------------------------------------------------
def pricing_section(data: dict[str, Any], prices: PriceSeries | None) -> Section:
    sec = Section("pricing", "Price-setting window per closing")
    closes_file = data["deal"].get("closes_file")
    illustrative = " (illustrative prices)" if data["deal"].get("closes_are_illustrative") else ""
    for i, p in enumerate(data["purchasers"]):
        tr = p["conversion_trace"]
        block = Block(f"{p['name']} — closing {p['closing_date']}")
        block.facts = _trace_facts(p, tr)
        sessions = tr.get("sessions") or []
        if sessions:
            block.tables.append(Table(
                ["session", "close", "volume", "vwap"],
                [[s["date"], price(s.get("close")), shares(s.get("volume")), price(s.get("vwap"))]
                 for s in sessions],
                caption=f"Window sessions used by the rule: {tr.get('rule')}",
            ))
        if prices is None or not prices.bars:
            why = ("the deal folder has no price file (market.closes)" if not closes_file
                   else f"the closes of {closes_file} were not given to the renderer"
                   if prices is None else f"the price file {closes_file} has no closes")
            block.notes.append(f"Price chart not available: {why}.")
        else:
            chart = _window_chart(f"price-window-{i + 1}", p, tr, prices)
            if chart is None:
                block.notes.append(
                    f"Price chart not available: {closes_file} has no closes within "
                    f"{WINDOW_DAYS_BEFORE} days before to {WINDOW_DAYS_AFTER} days after "
                    f"{p['closing_date']}."
                )
            else:
                block.figures.append(figure(chart, (
                    f"Daily closes of the issuer's stock from {closes_file}{illustrative}, "
                    f"{WINDOW_DAYS_BEFORE} days before to {WINDOW_DAYS_AFTER} days after "
                    f"{p['name']}'s closing on {p['closing_date']}. Shaded: the "
                    f"{len(sessions)} sessions of the price window ({tr.get('rule')}); dashed "
                    f"lines: the window statistic ({price(_q(tr.get('statistic')))}) and the "
                    f"resulting conversion price {price(tr.get('price'))} and exercise price "
                    f"{price(p.get('exercise_price'))}; vertical line: the closing date."
                )))
        sec.blocks.append(block)
    if not data["purchasers"]:
        sec.missing = "the deal has no purchasers"
    return sec


def _q(value: Any, places: int = 4) -> str | None:
    d = dec(value)
    return None if d is None else format(d.quantize(Decimal(1).scaleb(-places)), "f")


def _trace_facts(p: Mapping[str, Any], tr: Mapping[str, Any]) -> list[tuple[str, str]]:
    facts = [("Rule", tr.get("rule") or "—"), ("Anchor", tr.get("anchor") or "—")]
    if tr.get("statistic") is not None:
        facts.append(("Window statistic", _q(tr["statistic"], 6) or "—"))
    if tr.get("formula_price") is not None:
        facts.append(("× multiplier", _q(tr["formula_price"], 6) or "—"))
    if tr.get("rounded_price") is not None:
        facts.append(("Rounded", price(tr["rounded_price"])))
    if tr.get("fixed_price") is not None:
        facts.append(("Fixed price", price(tr["fixed_price"])))
    if tr.get("floor") is not None:
        facts.append(("Floor", price(tr["floor"])))
    limited = f" (limited by {tr['limited_by']})" if tr.get("limited_by") else ""
    facts.append(("Conversion price", price(tr.get("price")) + limited))
    facts.append(("Exercise price", price(p.get("exercise_price"))))
    return facts


def _window_chart(chart_id: str, p: Mapping[str, Any], tr: Mapping[str, Any],
                  prices: PriceSeries) -> Chart | None:
    anchor = parse_date(tr.get("anchor")) or parse_date(p["closing_date"])
    if anchor is None:  # no date to centre the window on: no chart
        return None
    start = anchor - dt.timedelta(days=WINDOW_DAYS_BEFORE)
    end = anchor + dt.timedelta(days=WINDOW_DAYS_AFTER)
    dates = [parse_date(d) for d in p.get("price_window") or []]
    dates += [parse_date(s["date"]) for s in tr.get("sessions") or []]
    window = {d for d in dates if d is not None}
    bars = [b for b in prices.bars if start <= b.date <= end or b.date in window]
    if not bars:
        return None
    chart = Chart(chart_id, f"Closes around {p['name']}'s closing", "trading session",
                  "close ($)", y_format=lambda v: f"${v:,.2f}")
    chart.add(Series(
        "close",
        [Point(day_number(b.date), float(b.close),
               f"{b.date.isoformat()}: close {price(b.close)}"
               + (f", volume {b.volume:,}" if b.volume is not None else "")
               + (" — in the price window" if b.date in window else ""))
         for b in bars],
        highlight=[b.date in window for b in bars],
    ))
    if window:
        lo, hi = min(window), max(window)
        chart.bands.append(Band(day_number(lo), day_number(hi), "price window",
                                f"price window: {len(window)} sessions {lo} to {hi}"))
    chart.rules.append(Rule(day_number(anchor), f"closing {anchor}", axis="x",
                            tip=f"closing / issue date {anchor}"))
    stat = num(tr.get("statistic"))
    if stat is not None:
        chart.rules.append(Rule(stat, f"window statistic {price(_q(tr['statistic']))}",
                                tip=f"window statistic: {_q(tr['statistic'], 6)}"))
    conv = num(tr.get("price"))
    if conv is not None:
        chart.rules.append(Rule(conv, f"conversion price {price(tr['price'])}",
                                tip=f"conversion price {price(tr['price'])}"))
    ex = num(p.get("exercise_price"))
    if ex is not None and ex != conv:
        chart.rules.append(Rule(ex, f"exercise price {price(p['exercise_price'])}",
                                tip=f"exercise price {price(p['exercise_price'])}"))
    return chart


# ---- cash flows ------------------------------------------------------------------------------
def cashflow_section(data: dict[str, Any]) -> Section:
    sec = Section("cashflows", "Interest and maturity cash flows")
    purchasers = data["purchasers"]
    if not purchasers:
        sec.missing = "the deal has no notes"
        return sec
    names = [p["name"] for p in purchasers]
    by_date: dict[str, dict[str, tuple[Decimal, Decimal]]] = {}
    for p in purchasers:
        for r in p.get("interest_schedule") or []:
            cur = by_date.setdefault(r["pay_date"], {}).get(p["name"], (Decimal(0), Decimal(0)))
            by_date[r["pay_date"]][p["name"]] = (cur[0] + (dec(r["amount"]) or 0), cur[1])
        m = p.get("maturity_payment") or {}
        if m.get("date"):
            cur = by_date.setdefault(m["date"], {}).get(p["name"], (Decimal(0), Decimal(0)))
            by_date[m["date"]][p["name"]] = (cur[0], cur[1] + (dec(m.get("principal")) or 0))
    dates = sorted(by_date)
    rate = dec(data["terms"].get("interest_rate"))
    inputs = (f"{rate * 100:.2f}% simple interest, {data['terms'].get('day_count')}, "
              f"on {money(data['totals'].get('principal'), 0)} of principal"
              if rate is not None else "the notes' interest terms")
    # stacked interest bars
    bars = Chart("cashflow-interest", "Interest paid on each pay date", "pay date",
                 "interest ($)", y_format=lambda v: f"${v:,.0f}", y_from_zero=True,
                 bar_width_days=8)
    base = {d: Decimal(0) for d in dates}
    for n in names:
        pts = []
        for d in dates:
            amt = by_date[d].get(n, (Decimal(0), Decimal(0)))[0]
            if amt:
                pts.append(Point(day_number(dt.date.fromisoformat(d)), float(base[d] + amt),
                                 f"{d}: {n} interest {money(amt)}", y0=float(base[d])))
                base[d] += amt
        bars.add(Series(n, pts, kind="bars"))
    # cumulative interest, with the maturity payments shaded
    cum = Chart("cashflow-cumulative", "Cumulative interest paid, and the maturity payments",
                "pay date", "cumulative interest paid ($)", y_format=_short_money,
                y_from_zero=True)
    running_total = Decimal(0)
    running = dict.fromkeys(names, Decimal(0))
    series_pts: dict[str, list[Point]] = {n: [] for n in names + ["all notes"]}
    for d in dates:
        x = day_number(dt.date.fromisoformat(d))
        for n in names:
            i = by_date[d].get(n, (Decimal(0), Decimal(0)))[0]
            if i:
                running[n] += i
                running_total += i
                series_pts[n].append(Point(x, float(running[n]),
                                           f"{d}: {n} interest {money(i)}, to date "
                                           f"{money(running[n])}"))
        series_pts["all notes"].append(Point(x, float(running_total),
                                             f"{d}: all notes, interest paid to date "
                                             f"{money(running_total)}"))
    for n in names + ["all notes"]:
        cum.add(Series(n, series_pts[n], kind="step"))
    maturities = [(p["name"], p["maturity_payment"]) for p in purchasers
                  if (p.get("maturity_payment") or {}).get("date")]
    if maturities:
        days = [dt.date.fromisoformat(m["date"]) for _, m in maturities]
        cum.bands.append(Band(
            day_number(min(days)), day_number(max(days)), "maturity",
            "maturity payments: " + "; ".join(
                f"{n} {m['date']} principal {money(m.get('principal'))} + interest "
                f"{money(m.get('final_interest'))} = {money(m.get('total'))}"
                for n, m in maturities),
            kind="maturity"))
    rows = []
    for d in dates:
        row = [d]
        tot = Decimal(0)
        for n in names:
            i, pr = by_date[d].get(n, (Decimal(0), Decimal(0)))
            row.append(money(i) if i else "")
            tot += i + pr
        princ = sum((v[1] for v in by_date[d].values()), Decimal(0))
        row += [money(princ) if princ else "", money(tot)]
        rows.append(row)
    total_interest = dec(data["totals"].get("interest")) or Decimal(0)
    foot = [["Total"] + [money(p.get("total_interest")) for p in purchasers]
            + [money(data["totals"].get("principal")),
               money(total_interest + (dec(data["totals"].get("principal")) or 0))]]
    table = Table(["pay date"] + [f"{n} interest" for n in names] + ["principal", "total paid"],
                  rows, caption="Payments by pay date (interest in arrears; principal and the "
                                "final interest stub at maturity)", foot=foot)
    mat = Table(
        ["purchaser", "issue date", "maturity", "paid on", "principal", "final interest",
         "total at maturity", "total interest"],
        [[p["name"], p.get("issue_date") or p["closing_date"], p.get("maturity_date") or "—",
          (p.get("maturity_payment") or {}).get("date") or "—",
          money((p.get("maturity_payment") or {}).get("principal")),
          money((p.get("maturity_payment") or {}).get("final_interest")),
          money((p.get("maturity_payment") or {}).get("total")), money(p.get("total_interest"))]
         for p in purchasers],
        caption="Maturity payments",
    )
    figs = []
    if bars.has_data():
        figs.append(figure(bars, f"Interest each note pays on each pay date, stacked by "
                                 f"purchaser; from the contract schedule ({inputs}, rounding "
                                 f"{purchasers[0].get('rounding')}). Principal is repaid on "
                                 f"the maturity pay dates (shaded in the next chart; amounts "
                                 f"in the tables)."))
    if cum.has_data():
        figs.append(figure(cum, f"Cumulative interest paid to each holder and in all, by pay "
                                f"date, if no note is converted or prepaid ({inputs}); shaded: "
                                f"the maturity pay dates, when principal "
                                f"{money(data['totals'].get('principal'))} is repaid with the "
                                f"final interest (hover the band for each note)."))
    sec.blocks.append(Block(figures=figs, tables=[table, mat]))
    return sec


def _short_money(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"${v / 1e6:,.2f}M"
    if a >= 1e3:
        return f"${v / 1e3:,.0f}k"
    return f"${v:,.0f}"


# ---- disclosure check ------------------------------------------------------------------------
def disclosure_section(data: dict[str, Any]) -> Section:
    chk = data.get("disclosure_check") or {}
    sec = Section("disclosure", "8-K disclosure check")
    lines = chk.get("lines") or []
    block = Block()
    if not lines:
        block.notes.append("Disclosure check not available: the deal file states no figures to "
                           "check ([disclosure] in deal.toml).")
    else:
        sec.status = "all match" if chk.get("all_match") else "MISMATCH"
        block.paragraphs.append(
            f"Figures stated in {chk.get('source') or 'the filing'} against the figures computed "
            f"from the terms: {sec.status}."
        )
        block.tables.append(Table(
            ["figure", "stated", "computed", "result"],
            [[ln["figure"], cell(ln.get("stated")), cell(ln.get("computed")),
              "match" if ln.get("matches") else "MISMATCH"] for ln in lines],
            caption="Stated vs computed",
            row_classes=["row-ok" if ln.get("matches") else "row-bad" for ln in lines],
        ))
    sec.blocks.append(block)
    fc = data.get("filing_check")
    if fc is None:
        block2 = Block("Filing check")
        block2.notes.append("Filing check not available: " + missing_reason(data, "filing_check"))
        sec.blocks.append(block2)
    else:
        from pipedeal.report.html.extras import filing_check_block

        sec.blocks.append(filing_check_block(fc) if isinstance(fc, Mapping)
                          else generic_block("Filing check", fc))
        if isinstance(fc, Mapping) and fc.get("all_match") is False:
            sec.status = "MISMATCH"
    return sec


# ---- reasons ---------------------------------------------------------------------------------
def missing_reason(data: dict[str, Any], key: str) -> str:
    folder = Path(data["deal"].get("folder") or ".")
    if key not in data:
        return f"this build of pipedeal does not produce the {humanize(key)} section."
    if key == "ledger":
        return ("the deal folder has no ledger (no events recorded; start one with "
                "`pipedeal ledger init` and record events).")
    if key == "valuation":
        if not (folder / "market.toml").exists():
            return "the deal folder has no market.toml (valuation inputs: volatility, rates...)."
        return "the valuation engine produced no values for this deal."
    if key == "accounting":
        if not (folder / "market.toml").exists():
            return ("no fair values for the allocation: the deal folder has no market.toml for "
                    "the valuation engine and none were given (pipedeal accounting "
                    "--note-fair-value/--warrant-fair-value books them from your values).")
        return ("a fair value or the commitment-date price is missing (see pipedeal "
                "accounting).")
    if key == "captable":
        return "the deal file gives no shares-outstanding count ([[issuer.shares_outstanding]])."
    if key == "filing_check":
        return ("no filing in the deal folder to read the terms from (the [disclosure] source "
                "file, or an 8-K*.txt / .htm / .html file).")
    return "no data."


# ---- generic renderer (unknown shapes) --------------------------------------------------------
def records_table(rows: list[Mapping[str, Any]], caption: str = "",
                  columns: list[str] | None = None) -> Table:
    cols = columns or list(dict.fromkeys(k for r in rows for k in r))
    return Table([humanize(c) for c in cols], [[cell(r.get(c)) for c in cols] for r in rows],
                 caption=caption)


def generic_block(title: str, value: Any) -> Block:
    """A block for data whose shape this renderer does not know: facts and tables."""
    block = Block(title)
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k == "schema_version":
                continue
            if isinstance(v, list) and v and all(isinstance(r, Mapping) for r in v):
                block.tables.append(records_table(v, humanize(k)))
            elif isinstance(v, Mapping) and v and all(isinstance(r, Mapping)
                                                      for r in v.values()):
                block.tables.append(records_table(
                    [{"name": name, **r} for name, r in v.items()], humanize(k)))
            else:
                block.facts.append((humanize(k), cell(v)))
    elif isinstance(value, list) and value and all(isinstance(r, Mapping) for r in value):
        block.tables.append(records_table(value))
    else:
        block.facts.append((title, cell(value)))
    return block


def walk(value: Any) -> Iterable[Any]:
    yield value
    if isinstance(value, Mapping):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


SectionBuilder = Callable[[dict[str, Any]], Section]
