"""Market data: exchange trading calendars, named business-day calendars and closing-price files.

Trading days come from ``exchange_calendars`` (XNAS by default); business days from a named
holiday calendar (``SEC``: weekdays the US federal government, hence the SEC, is open), never
from "weekday". Imports ``terms`` and ``errors`` only.
"""

from pipedeal.market.calendars import (
    BusinessCalendar,
    business_calendar,
    trading_calendar,
    trading_sessions,
)
from pipedeal.market.closes import PriceBar, PriceSeries, load_closes, load_deal_closes

__all__ = [
    "BusinessCalendar",
    "PriceBar",
    "PriceSeries",
    "business_calendar",
    "load_closes",
    "load_deal_closes",
    "trading_calendar",
    "trading_sessions",
]
