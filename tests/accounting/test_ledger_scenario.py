"""Cap table and journal after the ledger's Innovo scenario (tests/ledger/test_scenario.py):
monthly interest, Purchaser 1's conversion election on 2004-10-06 (principal + accrued interest
at $1.53), Purchaser 2's conversion of $400,000 at $1.41 on 2004-12-15, a 2-for-1 split on
2005-01-14, Purchaser 3's warrant exercise (125,000 post-split shares at $0.675) and repayment of
the rest at maturity — recorded in a real SQLite ledger in a copy of the example folder."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN
from decimal import Decimal as D

import pytest
from tests.ledger.test_scenario import run_scenario

from pipedeal.accounting.report import accounting_data
from pipedeal.captable.report import captable_data
from pipedeal.ledger import init_ledger
from pipedeal.report.book import build_context

END = dt.date(2005, 7, 1)


@pytest.fixture(scope="module")
def lived(tmp_path_factory):
    import shutil

    from tests.conftest import EXAMPLE

    deal = tmp_path_factory.mktemp("scenario") / "innovo-2004"
    shutil.copytree(EXAMPLE, deal)
    ledger = init_ledger(deal)
    try:
        figures = run_scenario(ledger)
    finally:
        ledger.close()
    return build_context(deal), figures


def test_cap_table_after_the_scenario(lived):
    ctx, figs = lived
    d = captable_data(ctx.deal_dir, ctx.deal, ctx.prices, ctx.figures, ctx.schedules, as_of=END)
    assert d["positions_source"] == "ledger"
    p1_shares = int(((D(1_000_000) + figs["p1_interest"]) / D("1.53")).to_integral_value(
        rounding=ROUND_DOWN))
    p2_shares = 283_687  # 400,000 / 1.41, rounded down
    # count of 2004-10-08 (after P1's conversion, so it holds those shares); then P2's
    # conversion, the split (×2) and the post-split exercise
    assert d["shares_outstanding"]["count_date"] == "2004-10-08"
    assert d["shares_outstanding"]["as_of"] == (29_189_390 + p2_shares) * 2 + 125_000
    held = {h["name"]: h["shares_held"] for h in d["holders"]}
    assert held == {"Purchaser 1": 2 * p1_shares, "Purchaser 2": 2 * p2_shares,
                    "Purchaser 3": 125_000}
    warrants = {h["name"]: h["warrant_shares"] for h in d["holders"]}
    assert warrants == {"Purchaser 1": 250_000, "Purchaser 2": 250_000, "Purchaser 3": 0}
    assert d["potential"]["note_shares_principal"] == 0
    assert d["fully_diluted"] == d["shares_outstanding"]["as_of"] + 500_000


@pytest.mark.parametrize("regime", ["legacy", "asu-2020-06"])
@pytest.mark.parametrize("as_of", [dt.date(2004, 12, 31), END])
def test_journal_after_the_scenario(lived, regime, as_of):
    ctx, figs = lived
    data = accounting_data(
        ctx.deal_dir, ctx.deal, ctx.prices, ctx.figures, ctx.schedules, regime=regime,
        note_fair_value="95%", warrant_fair_value="0.45/share", commitment_price="1.60",
        as_of=as_of)
    assert data["source"] == "ledger"
    j = data["journal"]
    assert j["balanced"] and j["debits"] == j["credits"]
    for n in data["notes"]:
        assert n["roll_forward"]["ties_out"], (n["purchaser"], n["roll_forward"])
    eq = data["equity_roll_forward"]
    assert eq["ties_out"], eq
    bal = {k: D(v) for k, v in j["closing_balances"].items()}
    if as_of == END:
        p1_shares = int((D(1_000_000) + figs["p1_interest"]) / D("1.53"))
        assert eq["shares_issued"] == p1_shares + 283_687 + 125_000
        assert bal["Convertible notes payable"] == 0
        assert bal["Debt discount"] == 0
        assert bal["Interest payable"] == 0
        # 2,500,000 in; 125,000 × $0.675 warrant cash in; 1,100,000 repaid; interest paid out
        paid = sum(figs["paid"].values())
        assert bal["Cash"] == D("2500000") + D("84375.00") - D("1100000") - paid
    else:
        assert bal["Convertible notes payable"] == -D("600000") - D("500000")
