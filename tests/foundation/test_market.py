"""Calendars and price files: real exchange sessions and named business-day calendars."""

from __future__ import annotations

import datetime as dt

import pytest

from pipedeal.errors import UserError
from pipedeal.market import business_calendar, load_closes, trading_calendar, trading_sessions


def test_nasdaq_was_closed_for_reagans_day_of_mourning():
    # XNAS closed 2004-06-11 (National Day of Mourning for President Reagan).
    days = trading_sessions("XNAS", dt.date(2004, 6, 7), dt.date(2004, 6, 15))
    assert dt.date(2004, 6, 11) not in days
    assert days == [dt.date(2004, 6, d) for d in (7, 8, 9, 10, 14, 15)]


def test_calendar_reaches_back_before_its_rolling_default():
    assert trading_calendar("XNAS").first_session.year <= 1990


def test_sec_business_days_include_executive_order_closures():
    sec = business_calendar("SEC")
    assert not sec.is_business_day(dt.date(2004, 6, 11))  # executive order: federal offices closed
    assert business_calendar("US-federal").is_business_day(dt.date(2004, 6, 11))
    assert not sec.is_business_day(dt.date(2004, 7, 5))  # Independence Day observed
    assert sec.first_business_day_of_month(2005, 1) == dt.date(2005, 1, 3)
    assert sec.first_business_day_of_month(2004, 11) == dt.date(2004, 11, 1)
    assert sec.add_business_days(dt.date(2004, 6, 10), 1) == dt.date(2004, 6, 14)


def test_exchange_code_as_business_calendar():
    xnys = business_calendar("XNYS")
    assert not xnys.is_business_day(dt.date(2004, 6, 11))
    assert xnys.is_business_day(dt.date(2004, 6, 14))


def test_unknown_calendars_are_user_errors():
    with pytest.raises(UserError, match="unknown trading calendar 'NOPE'"):
        trading_calendar("NOPE")
    with pytest.raises(UserError, match="unknown business-day calendar 'NOPE'"):
        business_calendar("NOPE")


def test_example_closes_load(example_dir):
    series = load_closes(example_dir / "closes.csv", "XNAS")
    assert series.bar(dt.date(2004, 7, 28)).close == __import__("decimal").Decimal("1.32")
    assert series.bar(dt.date(2004, 6, 11)) is None
    assert all(a.date < b.date for a, b in zip(series.bars, series.bars[1:], strict=False))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("close\n1.0\n", "missing column(s) date"),
        ("date,close,open\n2004-06-14,1.0,1.0\n", "unknown column(s) open"),
        ("date,close\n2004-06-15,1.0\n2004-06-14,1.0\n", "strictly ascending"),
        ("date,close\n14/06/2004,1.0\n", "prices.csv:2: date '14/06/2004' is not an ISO date"),
        ("# header\ndate,close\n2004-06-14,-1\n", "prices.csv:3: close must be a positive price"),
        ("date,close,volume\n2004-06-14,1.0,x\n", "volume 'x' is not a whole number"),
        ("date,close\n2004-06-12,1.0\n", "2004-06-12 is not a XNAS trading session"),
    ],
)
def test_price_file_errors(tmp_path, body, message):
    path = tmp_path / "prices.csv"
    path.write_text(body)
    with pytest.raises(UserError) as info:
        load_closes(path, "XNAS")
    assert message in str(info.value)
