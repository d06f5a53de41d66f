"""The interest and maturity cash-flow section of the HTML book.

From each purchaser's contract interest schedule and maturity payment it builds a stacked bar
chart of the interest paid on each pay date, a step chart of cumulative interest with the maturity
pay dates shaded, the payments table by pay date (interest per holder, principal, total) and the
maturity payments table. Everything is the contract schedule assuming no conversion or prepayment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pipedeal.report.html.sections.formatting import (
    dec,
    money,
)
from pipedeal.report.html.sections.model import (
    Block,
    Section,
    Table,
    figure,
)
from pipedeal.report.html.svg import Band, Chart, Point, Series, day_number


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
