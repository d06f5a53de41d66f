"""What the ledger accepts before it writes anything: dates, sizes and characters.

An event is a fact that has happened, so its date may not be after the moment it is recorded
(the latest calendar date anywhere on earth: UTC + 14 hours), nor before the start of the
calendars the rules use (``market.calendars.CALENDAR_START``). Amounts and prices are limited by
the payload types (``events.Money``: at most 18 digits before the point and 2 after; ``Price``:
at most 20 digits, 8 after the point; shares at most ``MAX_SHARES``). Text stored in a column is
limited to the same length on SQLite and PostgreSQL (SQLite does not enforce a column's length)
and may not hold NUL (PostgreSQL refuses it). Each failure is one ``RuleViolation`` naming the
field; nothing is written.

The clock is injected: ``Ledger(..., clock=...)`` (or ``init_ledger``/``open_ledger``'s
``clock=``); the default is ``utc_now``, looked up when called (tests may replace it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pipedeal.ledger.events import Event, InterestPaid
from pipedeal.ledger.registry import RuleViolation

Clock = Callable[[], dt.datetime]

# market.calendars.CALENDAR_START: the first day the trading and business calendars cover
EARLIEST_DATE = dt.date(1990, 1, 2)
# the latest time zone is UTC+14: an event dated "today" somewhere is at most this far ahead
LATEST_ZONE = dt.timedelta(hours=14)
# a recorded time (``at``) may be this far ahead of the recorder's clock (clock skew)
CLOCK_SKEW = dt.timedelta(minutes=5)

MAX_KEY = 200  # idempotency key (ledger_events.idempotency_key)
MAX_BY = 200  # who recorded (ledger_events.recorded_by, ledger_deals.created_by)
MAX_DEAL_KEY = 300  # ledger_deals.deal_key
MAX_INSTRUMENT = 300  # ledger_events.instrument (also Event.instrument's max_length)


def utc_now() -> dt.datetime:
    """The default clock: now, in UTC."""
    return dt.datetime.now(dt.UTC)


def latest_date(now: dt.datetime) -> dt.date:
    """The latest date an event recorded at ``now`` may carry (today somewhere on earth)."""
    return (now.astimezone(dt.UTC) + LATEST_ZONE).date()


def check_text(field: str, value: str, limit: int) -> None:
    """``value`` fits its column on both databases: 1 to ``limit`` characters, no NUL."""
    if not value:
        raise RuleViolation(field, "may not be empty")
    if len(value) > limit:
        raise RuleViolation(field, f"at most {limit} characters (got {len(value):,})")
    if "\x00" in value:
        raise RuleViolation(field, "may not contain a NUL character")


def check_date(field: str, day: dt.date, now: dt.datetime) -> None:
    if day < EARLIEST_DATE:
        raise RuleViolation(
            field,
            f"{day.isoformat()} is before {EARLIEST_DATE.isoformat()}, the first day the "
            "ledger's calendars cover",
        )
    latest = latest_date(now)
    if day > latest:
        stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        raise RuleViolation(
            field,
            f"{day.isoformat()} is in the future (recorded at {stamp} UTC): an event is a fact "
            "that has happened; record it on or after its date",
        )


def check_event(event: Event, key: str, by: str, now: dt.datetime) -> None:
    """Everything about ``event`` (recorded at ``now`` under ``key`` by ``by``) that does not
    depend on the log: the bounds above. The rules (``rules.apply``) check the rest."""
    check_date("date", event.date, now)
    payload = event.payload
    if isinstance(payload, InterestPaid):
        check_date("through", payload.through, now)
    if event.at is not None and event.at > now + CLOCK_SKEW:
        raise RuleViolation(
            "at", f"{event.at.isoformat()} is in the future: an event is a fact that has happened"
        )
    check_text("instrument", event.instrument, MAX_INSTRUMENT)
    check_text("idempotency key", key, MAX_KEY)
    check_text("recorded_by", by, MAX_BY)
    text = getattr(payload, "text", None)
    if isinstance(text, str) and "\x00" in text:
        raise RuleViolation("text", "may not contain a NUL character")
    for name in ("form", "file_number"):
        value = getattr(payload, name, None)
        if isinstance(value, str) and "\x00" in value:
            raise RuleViolation(name, "may not contain a NUL character")
