"""Price setting on real trading sessions, with its trace."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pipedeal.errors import UserError
from pipedeal.market import PriceBar, PriceSeries, load_closes, trading_sessions
from pipedeal.pricing import deal_figures, describe_rule, disclosure_check, evaluate
from pipedeal.terms import FixedPrice, PriceRule, load_deal

D = Decimal


def test_innovo_prices_and_windows(example_dir):
    """8-K of 2004-06-23, Item 5: $1.53, $1.41 and $1.35; 312,500 warrant shares; $451,875."""
    deal = load_deal(example_dir)
    prices = load_closes(example_dir / "closes.csv", "XNAS")
    figs = deal_figures(deal, prices)
    assert [f.conversion_price for f in figs.purchasers] == [D("1.53"), D("1.41"), D("1.35")]
    assert [f.exercise_price for f in figs.purchasers] == [D("1.53"), D("1.41"), D("1.35")]
    first = figs.purchasers[0].conversion
    # The 2004-06-15 window skips the 2004-06-11 market closure.
    assert first.window_dates == [dt.date(2004, 6, d) for d in (7, 8, 9, 10, 14)]
    assert first.statistic == D("1.392") and first.formula_price == D("1.5312")
    assert figs.purchasers[1].conversion.window_dates[0] == dt.date(2004, 6, 10)
    assert figs.purchasers[2].conversion.window_dates[-1] == dt.date(2004, 6, 21)
    assert [f.warrant_shares for f in figs.purchasers] == [125_000, 125_000, 62_500]
    assert figs.warrant_shares == 312_500
    assert figs.exercise_proceeds == D("451875")
    assert [f.conversion_shares for f in figs.purchasers] == [653_594, 709_219, 370_370]
    checks = disclosure_check(deal, figs)
    assert checks and all(c.matches for c in checks)


def test_disclosure_check_flags_a_mismatch(example_dir):
    deal = load_deal(example_dir)
    prices = load_closes(example_dir / "closes.csv", "XNAS")
    wrong = deal.model_copy(
        update={"disclosure": deal.disclosure.model_copy(update={"warrant_shares": 300_000})}
    )
    checks = {c.figure: c for c in disclosure_check(wrong, deal_figures(wrong, prices))}
    assert not checks["warrant shares"].matches
    assert checks["warrant shares"].computed == "312,500"
    assert checks["aggregate principal"].matches


def _series(values: dict[str, tuple[str, int, str]]) -> PriceSeries:
    bars = tuple(
        PriceBar(dt.date.fromisoformat(d), D(c), v, D(w)) for d, (c, v, w) in sorted(values.items())
    )
    return PriceSeries("XNAS", bars, "test")


SERIES = _series(
    {
        "2004-06-07": ("1.00", 100, "1.10"),
        "2004-06-08": ("2.00", 300, "1.90"),
        "2004-06-09": ("3.00", 100, "3.10"),
        "2004-06-10": ("4.00", 100, "3.90"),
        "2004-06-14": ("5.00", 400, "5.10"),
        "2004-06-15": ("6.00", 100, "6.00"),
    }
)


@pytest.mark.parametrize(
    ("rule", "anchor", "expected"),
    [
        (PriceRule(statistic="average_close", window_sessions=5), "2004-06-15", "3.00"),
        (PriceRule(statistic="lowest_close", window_sessions=3), "2004-06-15", "3.00"),
        (PriceRule(statistic="lowest_daily_vwap", window_sessions=3), "2004-06-15", "3.10"),
        (PriceRule(statistic="average_daily_vwap", window_sessions=2), "2004-06-15", "4.50"),
        # VWAP: (1.9*300 + 3.1*100) / 400 = 2.20
        (PriceRule(statistic="vwap", window_sessions=2, window="ending_on"), "2004-06-09", "2.20"),
        (
            PriceRule(statistic="average_close", window_sessions=2, window="ending_on"),
            "2004-06-15",
            "5.50",
        ),
        # 90% of 3.00 = 2.70, lower of 2.50 and that
        (PriceRule(multiplier="0.9", fixed_price="2.50"), "2004-06-15", "2.50"),
        (PriceRule(multiplier="0.5", floor="2.00"), "2004-06-15", "2.00"),
        (PriceRule(multiplier="0.333", decimals=3, rounding="down"), "2004-06-15", "0.999"),
        (FixedPrice(fixed="1.25"), "2004-06-15", "1.25"),
    ],
)
def test_statistics_windows_caps_floors(rule, anchor, expected):
    trace = evaluate(rule, dt.date.fromisoformat(anchor), SERIES, "XNAS")
    assert trace.price == D(expected)


def test_anchor_on_a_holiday_uses_the_sessions_before_it():
    trace = evaluate(PriceRule(window_sessions=2), dt.date(2004, 6, 11), SERIES, "XNAS")
    assert trace.window_dates == [dt.date(2004, 6, 9), dt.date(2004, 6, 10)]


def test_window_outside_the_data_is_a_clear_error():
    with pytest.raises(UserError, match=r"2004-06-04..2004-06-10; test lacks 2004-06-04$"):
        evaluate(PriceRule(window_sessions=5), dt.date(2004, 6, 14), SERIES, "XNAS")
    with pytest.raises(UserError, match="no price file"):
        evaluate(PriceRule(statistic="average_close"), dt.date(2004, 6, 14), None, "XNAS")
    with pytest.raises(UserError, match="not a XNAS session"):
        evaluate(PriceRule(window="ending_on"), dt.date(2004, 6, 11), SERIES, "XNAS")


def test_vwap_needs_volume():
    bars = tuple(
        PriceBar(d, D("1"))
        for d in trading_sessions("XNAS", dt.date(2004, 6, 7), dt.date(2004, 6, 10))
    )
    with pytest.raises(UserError, match="needs volume"):
        evaluate(
            PriceRule(statistic="vwap", window_sessions=2),
            dt.date(2004, 6, 10),
            PriceSeries("XNAS", bars),
            "XNAS",
        )


def test_rule_descriptions():
    assert describe_rule(PriceRule(multiplier="1.10")) == (
        "110% of average close over 5 trading days before issuance"
    )
    assert describe_rule(
        PriceRule(
            statistic="lowest_daily_vwap", window_sessions=3, multiplier="0.9", fixed_price="0.50"
        )
    ) == ("lower of $0.50 and 90% of lowest daily VWAP over 3 trading days before issuance")
