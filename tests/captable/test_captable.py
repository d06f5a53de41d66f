"""Cap table, 20% rule, dilution grid and diluted EPS on the Innovo example (terms only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from pipedeal.captable import (
    cap_table,
    diluted_eps,
    parse_price_range,
    positions_from_terms,
    price_grid,
    treasury_shares,
    twenty_percent_test,
)
from pipedeal.captable.report import captable_data
from pipedeal.errors import UserError
from pipedeal.report.book import build_context

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "innovo-2004"
JULY_13 = dt.date(2004, 7, 13)


@pytest.fixture(scope="module")
def ctx():
    return build_context(EXAMPLE)


def _positions(ctx, day=JULY_13):
    return positions_from_terms(ctx.deal, ctx.figures, ctx.schedules, day)


def test_innovo_fully_diluted_as_of_2004_07_13(ctx):
    """29,090,390 shares on 2004-07-13 (10-Q cover); notes convert principal plus July 1-13
    accrued interest (13 days at 7.5%/365) at $1.53 / $1.41 / $1.35, rounded down; warrants
    12.5% of principal."""
    t = cap_table(ctx.deal, _positions(ctx))
    assert t.shares_outstanding == 29_090_390
    by = {r.name: r for r in t.holders}
    # 1,000,000 × 0.075 × 13 / 365 = 2,671.2329 → 2,671.23
    assert by["Purchaser 1"].accrued_interest == D("2671.23")
    assert by["Purchaser 1"].note_shares_principal == 653_594  # 1,000,000 / 1.53
    assert by["Purchaser 1"].note_shares_interest == 655_340 - 653_594  # 1,002,671.23 / 1.53
    assert by["Purchaser 2"].note_shares_principal == 709_219  # 1,000,000 / 1.41
    assert by["Purchaser 3"].note_shares_principal == 370_370  # 500,000 / 1.35
    assert [r.warrant_shares for r in t.holders] == [125_000, 125_000, 62_500]
    assert t.potential_note_shares == 1_733_183
    assert t.potential_warrant_shares == 312_500
    assert t.fully_diluted == 29_090_390 + 1_733_183 + t.potential_interest_shares + 312_500
    for r in t.holders:
        assert r.basic_pct == 0
        assert r.fully_diluted_pct == (D(r.fully_diluted_shares) * 100 / t.fully_diluted).quantize(
            D("0.0001"))
        assert r.beneficial_pct == (
            D(r.fully_diluted_shares) * 100 / (t.shares_outstanding + r.potential_shares)
        ).quantize(D("0.0001"))
    assert t.authorized_headroom is None  # the deal file gives no authorized shares


def test_ownership_cap_check(ctx):
    t = cap_table(ctx.deal, _positions(ctx), ownership_cap=D("0.0275"))
    flags = {r.name: r.cap_exceeded for r in t.holders}
    assert flags == {"Purchaser 1": False, "Purchaser 2": True, "Purchaser 3": False}
    with pytest.raises(UserError, match="ownership-cap"):
        cap_table(ctx.deal, _positions(ctx), ownership_cap=D("4.99"))


def test_the_deal_files_cap_is_the_default(ctx):
    conversion = ctx.deal.note.conversion.model_copy(
        update={"beneficial_ownership_cap": D("0.0275")}
    )
    deal = ctx.deal.model_copy(
        update={"note": ctx.deal.note.model_copy(update={"conversion": conversion})}
    )
    t = cap_table(deal, _positions(ctx))
    assert t.ownership_cap == D("0.0275")
    assert [r.cap_exceeded for r in t.holders] == [False, True, False]
    # an explicit cap (the CLI's --ownership-cap) wins over the deal's
    t = cap_table(deal, _positions(ctx), ownership_cap=D("0.02"))
    assert [r.cap_exceeded for r in t.holders] == [True, True, False]


def test_between_closings_only_closed_notes_count(ctx):
    t = cap_table(ctx.deal, _positions(ctx, dt.date(2004, 6, 16)))
    assert [r.name for r in t.holders] == ["Purchaser 1"]
    assert t.shares_outstanding == 29_082_593  # the 2004-04-11 count


def test_after_maturity_and_expiry(ctx):
    t = cap_table(ctx.deal, _positions(ctx, dt.date(2005, 7, 1)))
    assert t.potential_note_shares == 0 and t.potential_interest_shares == 0
    assert t.potential_warrant_shares == 312_500
    t = cap_table(ctx.deal, _positions(ctx, dt.date(2009, 6, 23)))
    assert t.potential_shares == 0


def test_as_of_before_closing_is_a_user_error(ctx):
    with pytest.raises(UserError, match="before the first closing"):
        _positions(ctx, dt.date(2004, 6, 14))


def test_twenty_percent_rule_innovo(ctx):
    """Pre-deal outstanding: the 2004-04-11 count (29,082,593). Issuable: 1,733,183 conversion
    + 312,500 warrant shares = 2,045,683 = 7.0340%; every price above the prior close."""
    r = twenty_percent_test(ctx.deal, ctx.figures, ctx.schedules, ctx.prices)
    assert r.pre_deal_outstanding == 29_082_593
    assert r.shares_issuable == 2_045_683
    assert r.percent == D("7.0340")
    assert [t.market_date for t in r.prices] == [
        dt.date(2004, 6, 14), dt.date(2004, 6, 17), dt.date(2004, 6, 21)]
    assert [t.market_price for t in r.prices] == [D("1.36"), D("1.20"), D("1.23")]
    assert not any(t.below_market for t in r.prices)
    assert r.verdict == "approval not required"


def test_twenty_percent_rule_triggers(ctx):
    """A deal issuing over 20% below market needs approval: shrink the share count."""
    from pipedeal.terms.models import SharesOutstanding

    issuer = ctx.deal.issuer.model_copy(update={"shares_outstanding": (
        SharesOutstanding(date=dt.date(2004, 4, 11), shares=9_000_000),)})
    deal = ctx.deal.model_copy(update={"issuer": issuer})
    r = twenty_percent_test(deal, ctx.figures, ctx.schedules, ctx.prices)
    assert r.percent >= 20
    assert r.verdict == "approval not required"  # priced above market
    cheap = [t for t in twenty_percent_test(deal, ctx.figures, ctx.schedules, ctx.prices,
                                            market_basis="minimum_price").prices]
    assert all(t.market_price <= t.last_close for t in cheap)
    from dataclasses import replace

    from pipedeal.market.closes import PriceBar

    high = replace(ctx.prices, bars=tuple(
        PriceBar(b.date, b.close * 2, b.volume, b.vwap) for b in ctx.prices.bars))
    r = twenty_percent_test(deal, ctx.figures, ctx.schedules, high)
    assert r.verdict == "approval required"


def test_treasury_stock_method():
    assert treasury_shares(125_000, D("1.53"), D("1.53")) == 0
    assert treasury_shares(125_000, D("1.53"), D("3.06")) == 62_500
    assert treasury_shares(100, D("1"), D("3")) == 66  # 66.67 rounded down


def test_price_grid(ctx):
    grid = price_grid(ctx.deal, _positions(ctx), parse_price_range("1.00:2.00:0.50"))
    assert [g.price for g in grid] == [D("1.00"), D("1.50"), D("2.00")]
    assert [g.notes_in_the_money for g in grid] == [0, 2, 3]
    assert grid[0].warrant_shares_treasury == 0
    # at $2: 125,000×0.47/2 + 125,000×0.59/2 + 62,500×0.65/2 (each rounded down)
    assert grid[2].warrant_shares_treasury == 29_375 + 36_875 + 20_312
    diluted = [g.diluted_shares for g in grid]
    assert diluted == sorted(diluted)


@pytest.mark.parametrize("bad", ["1:2", "2:1:0.5", "0:1:0.1", "a:b:c", "1:2:0"])
def test_bad_price_range(bad):
    with pytest.raises(UserError, match="--prices"):
        parse_price_range(bad)


def test_diluted_eps_sequencing(ctx):
    pos = _positions(ctx)
    r = diluted_eps(ctx.deal, pos, net_income=D("10000000"), weighted_shares=D("29000000"),
                    average_price=D("2.00"))
    # basic 0.3448; each note adds 75,000 / ~655k ≈ 0.11 a share < basic → dilutive
    assert r.basic_eps == D("0.34")
    assert all(c.included for c in r.components)
    assert r.diluted_shares == D(29_000_000 + 1_737_813 + 29_375 + 36_875 + 20_312)
    assert r.diluted_numerator == D("10187500.00")
    small = diluted_eps(ctx.deal, pos, net_income=D("1000000"), weighted_shares=D("29000000"),
                        average_price=D("2.00"))
    assert not any(c.included for c in small.components if c.method == "if-converted")
    assert all(c.included for c in small.components if c.method == "treasury-stock")
    assert small.diluted_eps <= small.basic_eps
    loss = diluted_eps(ctx.deal, pos, net_income=D("-1000000"), weighted_shares=D("29000000"),
                       average_price=D("2.00"))
    assert loss.diluted_eps == loss.basic_eps and not any(c.included for c in loss.components)


def test_captable_data_json_shape(ctx):
    d = captable_data(ctx.deal_dir, ctx.deal, ctx.prices, ctx.figures, ctx.schedules,
                      as_of=JULY_13, grid_prices=[D("1.5")], grid_dates=[dt.date(2004, 9, 1)])
    assert d["shares_outstanding"]["as_of"] == 29_090_390
    assert d["twenty_percent_rule"]["verdict"] == "approval not required"
    assert [row["as_of"] for row in d["dilution"]] == ["2004-07-13", "2004-09-01"]
    import json

    json.dumps(d)
