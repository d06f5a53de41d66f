"""Contract terms as frozen, validated data.

These models say *what* was agreed, never how it is valued. Every point the public record leaves
open (DESIGN.md, "open") is a named field with a documented default; ``docs/deal-file.md`` is the
user-facing description of the same fields.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

# --- input limits (docs/deal-file.md, "Limits") -------------------------------------------------

MAX_TEXT = 10_000
"""Longest free-text value (notes, events of default, document titles), in characters."""
MAX_NAME = 200
"""Longest name (the deal, the issuer, a purchaser): a name is also a ledger key."""
MAX_SHARES = 10**15
"""Largest share count anywhere in the terms."""
MAX_DAYS = 3650
"""Longest deadline in days."""
FIRST_DATE = dt.date(1990, 1, 1)
"""Earliest date in the terms: the trading calendars start in 1990."""
LAST_DATE = dt.date(2099, 12, 31)
"""Latest date in the terms."""
FIRST_CLOSING = dt.date(1991, 1, 1)
LAST_CLOSING = dt.date(dt.date.today().year + 29, 12, 31)
"""Closing dates lie where the trading calendars (1990 to 30 years ahead,
``market.calendars``) hold a price window before and after them."""

_CONTROL = {*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)} - {0x09, 0x0A, 0x0D}


def check_text(value: str, limit: int = MAX_TEXT) -> str:
    """``value`` if it has no control characters (tab and newlines allowed) and fits ``limit``."""
    if len(value) > limit:
        raise ValueError(f"text longer than {limit:,} characters ({len(value):,})")
    for i, ch in enumerate(value):
        if ord(ch) in _CONTROL:
            raise ValueError(
                f"control character U+{ord(ch):04X} at position {i + 1}; remove it"
            )
    return value


class Frozen(BaseModel):
    """Base for every term: immutable; an unknown key is an error, never a silent default.

    Every text is free of control characters and at most ``MAX_TEXT`` long; every date lies in
    ``FIRST_DATE``..``LAST_DATE``."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    # dates that are history, not deal events (an issuer's formation): only not in the future
    _HISTORIC_DATES: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            return check_text(value)
        if isinstance(value, dt.date) and info.field_name in cls._HISTORIC_DATES:
            if not dt.date(1600, 1, 1) <= value <= LAST_DATE:
                raise ValueError(f"date {value} is outside 1600-01-01 to {LAST_DATE}")
        elif isinstance(value, dt.date) and not FIRST_DATE <= value <= LAST_DATE:
            raise ValueError(f"date {value} is outside {FIRST_DATE} to {LAST_DATE}")
        if isinstance(value, tuple | list):
            for item in value:
                if isinstance(item, str):
                    check_text(item)
        if isinstance(value, dict):
            for key, item in value.items():
                check_text(str(key), MAX_NAME)
                check_text(str(item))
        return value


PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=6)]
NonNegativeMoney = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=6)]
Rate = Annotated[Decimal, Field(ge=0, le=1, decimal_places=10)]
Cents = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=2)]
"""A principal: dollars and cents (the ledger records cents)."""
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Shares = Annotated[int, Field(ge=0, le=MAX_SHARES)]


# --- price rules -------------------------------------------------------------------------------


class Statistic(StrEnum):
    """What is computed over the window of trading sessions."""

    AVERAGE_CLOSE = "average_close"
    VWAP = "vwap"  # volume-weighted average over the window (daily vwap, else close, by volume)
    AVERAGE_DAILY_VWAP = "average_daily_vwap"
    LOWEST_CLOSE = "lowest_close"
    LOWEST_DAILY_VWAP = "lowest_daily_vwap"


class WindowPosition(StrEnum):
    """Where the window of sessions sits relative to the anchor date."""

    BEFORE = "before"  # the N sessions immediately before the anchor date (anchor excluded)
    ENDING_ON = (
        "ending_on"  # the N sessions ending on the anchor date (anchor included; must trade)
    )


class RoundingMode(StrEnum):
    """decimal rounding modes by their plain names."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    DOWN = "down"  # toward zero: truncation
    UP = "up"
    FLOOR = "floor"
    CEILING = "ceiling"

    @property
    def decimal_mode(self) -> str:
        import decimal

        return {
            "half_up": decimal.ROUND_HALF_UP,
            "half_even": decimal.ROUND_HALF_EVEN,
            "down": decimal.ROUND_DOWN,
            "up": decimal.ROUND_UP,
            "floor": decimal.ROUND_FLOOR,
            "ceiling": decimal.ROUND_CEILING,
        }[self.value]


class PriceRule(Frozen):
    """statistic over a window of trading sessions × multiplier, rounded; optional cap and floor.

    The Innovo rule is "110% of the average closing price for the five trading days immediately
    prior to the date of issuance": ``statistic="average_close"``, ``window_sessions=5``,
    ``window="before"``, ``multiplier=1.10``, rounded to the cent half-up.
    """

    statistic: Statistic = Statistic.AVERAGE_CLOSE
    window_sessions: int = Field(5, ge=1, le=250)
    window: WindowPosition = WindowPosition.BEFORE
    anchor: Literal["issue_date"] = "issue_date"
    multiplier: Decimal = Field(Decimal("1"), ge=Decimal("0.1"), le=10, decimal_places=6)
    decimals: int = Field(2, ge=0, le=8, description="price rounded to this many places")
    rounding: RoundingMode = RoundingMode.HALF_UP
    fixed_price: PositiveMoney | None = Field(
        None, description="if set, the price is the lower of this and the formula"
    )
    floor: PositiveMoney | None = Field(None, description="the price is never below this")


    @model_validator(mode="before")
    @classmethod
    def _not_empty(cls, data: object) -> object:
        # An empty table would silently mean "average close, 5 sessions, ×1": say it instead.
        if isinstance(data, dict) and not data:
            raise ValueError(
                "empty price rule: give a formula (statistic, window_sessions, multiplier...) "
                "or a stated price (fixed = \"1.53\")"
            )
        return data


class FixedPrice(Frozen):
    """A price stated outright in the contract."""

    fixed: PositiveMoney


def _price_kind(value: object) -> str:
    # Choose the branch from the keys, so an error names the real field (``fixed = "FILL"`` is a
    # bad price, not an "unknown field" of the formula branch).
    if isinstance(value, str):
        return "Same"
    if isinstance(value, FixedPrice) or (isinstance(value, dict) and "fixed" in value):
        return "FixedPrice"
    return "PriceRule"


PriceTerm = Annotated[
    Annotated[PriceRule, Tag("PriceRule")] | Annotated[FixedPrice, Tag("FixedPrice")],
    Discriminator(_price_kind),
]
ExercisePriceTerm = Annotated[
    Annotated[PriceRule, Tag("PriceRule")]
    | Annotated[FixedPrice, Tag("FixedPrice")]
    | Annotated[Literal["conversion_price"], Tag("Same")],
    Discriminator(_price_kind),
]


# --- note --------------------------------------------------------------------------------------


class DayCount(StrEnum):
    ACT_365F = "ACT/365F"  # actual days / 365, also in leap years (the Innovo note: "365-day year")
    ACT_360 = "ACT/360"
    ACT_ACT = "ACT/ACT"  # actual days / days in the calendar year of each day


class AccrualStart(StrEnum):
    """Which end of the life accrues: interest runs over [issue, maturity) or (issue, maturity]."""

    ISSUE_DATE = "issue_date"  # the issue day accrues, the maturity day does not
    DAY_AFTER_ISSUE = "day_after_issue"  # the issue day does not accrue, the maturity day does


class InterestRounding(StrEnum):
    """How cents are settled across payments."""

    CUMULATIVE = "cumulative"  # pay round(accrued to date) − round(accrued to last payment)
    PER_PERIOD = "per_period"  # round each period's interest on its own


class BusinessDayConvention(StrEnum):
    FOLLOWING = "following"
    MODIFIED_FOLLOWING = "modified_following"
    PRECEDING = "preceding"
    UNADJUSTED = "unadjusted"


class DayType(StrEnum):
    CALENDAR = "calendar"
    BUSINESS = "business"


class InterestTerms(Frozen):
    rate: Rate = Field(description="simple annual rate on outstanding principal, e.g. 0.075")
    day_count: DayCount = DayCount.ACT_365F
    period_end: Literal["month_end"] = Field(
        "month_end", description="interest accrues through the last day of each month"
    )
    payment: Literal["first_business_day_next_month"] = "first_business_day_next_month"
    first_payment_date: dt.date | None = Field(
        None, description="stated first payment date; checked against the schedule if given"
    )
    accrual_start: AccrualStart = AccrualStart.ISSUE_DATE
    rounding: InterestRounding = InterestRounding.CUMULATIVE
    rounding_mode: RoundingMode = RoundingMode.HALF_UP
    interest_only: bool = True


class MaturityTerms(Frozen):
    months_after_issue: int = Field(12, ge=1, le=600)
    business_day_convention: BusinessDayConvention = Field(
        BusinessDayConvention.FOLLOWING,
        description="how the payment date moves when maturity falls on a non-business day",
    )
    accrue_to_adjusted_date: bool = Field(
        False, description="whether interest runs on to the adjusted payment date"
    )


class ConversionTerms(Frozen):
    price: PriceTerm
    any_time_from_issue: bool = True
    unpaid_interest_convertible: bool = Field(
        True, description="accrued unpaid interest converts together with principal"
    )
    fractional_shares: Literal["round_down", "round_half_up", "cash_in_lieu"] = "round_down"
    adjustment: Literal["proportional"] = Field(
        "proportional", description="splits and stock dividends scale price and shares"
    )
    beneficial_ownership_cap: Decimal | None = Field(
        None,
        gt=0,
        lt=1,
        decimal_places=10,
        description="a holder may not convert or exercise beyond this fraction of the "
        "outstanding common stock (4.99% → 0.0499); none in the Innovo notes",
    )
    delivery_business_days: int = Field(
        3,
        ge=0,
        le=60,
        description="business days after a conversion by which the shares must be delivered",
    )


class PrepaymentTerms(Frozen):
    allowed: bool = True
    earliest_months_after_issue: int = Field(3, ge=0, le=600)
    earliest_inclusive: bool = Field(
        False, description='"after three months": the day three months after issue is excluded'
    )
    max_notices: int = Field(1, ge=0, le=1000)
    partial_allowed: bool = True
    premium: Rate = Field(Decimal("0"), description="penalty as a fraction of principal prepaid")
    pays_accrued_interest: bool = True
    holder_election_days: int = Field(3, ge=0, le=90)
    election_day_type: DayType = Field(
        DayType.BUSINESS, description="whether the holder's window counts business or calendar days"
    )
    settlement: Literal["window_end", "next_business_day_after_window"] = Field(
        "next_business_day_after_window",
        description="the earliest date the prepayment may settle",
    )


class NoteTerms(Frozen):
    interest: InterestTerms
    maturity: MaturityTerms = MaturityTerms()
    conversion: ConversionTerms
    prepayment: PrepaymentTerms = PrepaymentTerms()
    default_interest_rate: Rate | None = None
    events_of_default: str | None = Field(None, description="free text; not in the public record")
    governing_law: str | None = None
    secured: bool = False


# --- warrant -----------------------------------------------------------------------------------


class WarrantTerms(Frozen):
    coverage_shares_per_dollar: Decimal = Field(
        gt=0,
        le=100,
        decimal_places=10,
        description="warrant shares per dollar of note principal (12.5% → 0.125)",
    )
    share_rounding: RoundingMode = RoundingMode.DOWN
    exercise_price: ExercisePriceTerm = "conversion_price"
    term_years: int = Field(5, ge=1, le=30)
    expiry_time: dt.time = dt.time(17, 0)
    expiry_timezone: str = "America/Los_Angeles"
    exercisable_from: Literal["issue_date"] = "issue_date"
    cashless_exercise: bool = False
    partial_exercise: bool = True
    adjustment: Literal["proportional"] = "proportional"
    exercise_place: str = "the Company's warrant office"
    delivery_business_days: int = Field(
        3,
        ge=0,
        le=60,
        description="business days after an exercise by which the shares must be delivered",
    )

    @model_validator(mode="after")
    def _zone_exists(self) -> WarrantTerms:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.expiry_timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a name too long
            raise ValueError(f"unknown time zone {self.expiry_timezone[:60]!r}") from exc
        return self


# --- registration rights -----------------------------------------------------------------------


class RegistrationTerms(Frozen):
    agreement_per_holder: bool = True
    registrable_securities: tuple[
        Literal["conversion_shares", "warrant_shares", "interest_shares"], ...
    ] = ("conversion_shares", "warrant_shares")
    share_rounding: RoundingMode = Field(
        RoundingMode.HALF_UP,
        description="rounding of registrable share counts (registration practice: the nearest "
        "share), apart from the rounding conversion delivers (note.conversion.fractional_shares)",
    )
    business_day_calendar: str = Field("SEC", description="'Business Day': a day the SEC is open")
    filing_deadline_days: int | None = Field(
        None, ge=0, le=MAX_DAYS, description="days after closing; open"
    )
    effectiveness_deadline_days: int | None = Field(None, ge=0, le=MAX_DAYS)
    deadline_day_type: DayType = DayType.CALENDAR
    penalty_pct_per_month: Rate | None = None


# --- parties and the deal ----------------------------------------------------------------------


class SharesOutstanding(Frozen):
    date: dt.date
    shares: Shares
    source: str | None = None


class OtherSecurity(Frozen):
    """A security of the issuer outside this deal that can become common stock (other
    warrants, options, convertibles, preferred): counted in the fully diluted share count."""

    kind: Literal["warrants", "options", "convertible_notes", "convertible_preferred", "other"]
    shares: Shares = Field(description="common shares it can become")
    price: PositiveMoney | None = Field(None, description="exercise or conversion price")
    as_of: dt.date | None = Field(None, description="the date the count was reported")
    expires: dt.date | None = Field(None, description="left out of counts from this date")
    source: str | None = None


class Issuer(Frozen):
    _HISTORIC_DATES: ClassVar[frozenset[str]] = frozenset({"formation_date"})

    name: Name
    state: str | None = None
    formation_date: dt.date | None = Field(
        None, description="date of incorporation (an OCF export needs it)"
    )
    commission_file_number: str | None = None
    irs_employer_number: str | None = None
    address: str | None = None
    zip: str | None = None
    phone: str | None = None
    ticker: str | None = None
    exchange: str | None = None
    par_value: NonNegativeMoney | None = None
    authorized_shares: Shares | None = None
    shares_outstanding: tuple[SharesOutstanding, ...] = ()
    other_securities: tuple[OtherSecurity, ...] = Field(
        (), max_length=1000, description="other dilutive securities, for the fully diluted count"
    )

    def shares_outstanding_on(self, date: dt.date) -> SharesOutstanding | None:
        """The latest reported count on or before ``date``."""
        known = [s for s in self.shares_outstanding if s.date <= date]
        return max(known, key=lambda s: s.date) if known else None


class Purchaser(Frozen):
    name: Name
    closing_date: dt.date
    principal: Cents
    cash_funded: Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=2)] | None = Field(
        None, description="cash actually received; below principal when costs are netted"
    )
    accredited: bool = True

    @property
    def funded(self) -> Decimal:
        return self.principal if self.cash_funded is None else self.cash_funded

    @field_validator("closing_date")
    @classmethod
    def _closing_in_calendar(cls, value: dt.date) -> dt.date:
        if not FIRST_CLOSING <= value <= LAST_CLOSING:
            raise ValueError(
                f"closing date {value} is outside {FIRST_CLOSING} to {LAST_CLOSING}, the range "
                "the trading calendars cover with a price window"
            )
        return value

    @model_validator(mode="after")
    def _funded_not_above_face(self) -> Purchaser:
        if self.cash_funded is not None and self.cash_funded > self.principal:
            raise ValueError("cash_funded exceeds principal")
        return self


class MarketSetup(Frozen):
    trading_calendar: str = Field("XNAS", description="exchange_calendars code for trading days")
    business_day_calendar: str = Field(
        "SEC", description="SEC (US federal government closures) | US-federal | an exchange code"
    )
    closes: str | None = Field("closes.csv", description="price file in the deal folder")

    @field_validator("closes")
    @classmethod
    def _inside_the_folder(cls, value: str | None) -> str | None:
        if value is not None:
            parts = value.replace("\\", "/").split("/")
            if value.startswith("/") or ".." in parts or not value.strip():
                raise ValueError("give a file name inside the deal folder (no '..', not absolute)")
        return value

    closes_are_illustrative: bool = False


class AccountingTerms(Frozen):
    """How the issuer books the financing: the US GAAP regime for convertible debt.

    ``regime`` left out is chosen from the issuer's filer status and fiscal year: ASU 2020-06
    applies to fiscal years beginning after December 15, 2021 for SEC filers other than smaller
    reporting companies, and after December 15, 2023 for everyone else (early adoption allowed
    for fiscal years beginning after December 15, 2020); the legacy regime (APB 14, EITF 98-5 /
    00-27: beneficial conversion features) before that.
    """

    regime: Literal["legacy", "asu-2020-06"] | None = Field(
        None, description="omit to choose from filer_status and the fiscal year of the closing"
    )
    filer_status: Literal["sec_filer", "smaller_reporting_company", "other"] = Field(
        "smaller_reporting_company",
        description="sec_filer: an SEC filer that is not a smaller reporting company",
    )
    fiscal_year_end: str = Field(
        "12-31", pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
        description="MM-DD of the issuer's fiscal year end",
    )
    early_adoption: bool = Field(
        False, description="ASU 2020-06 adopted early (fiscal years after 2020-12-15)"
    )
    fiscal_calendar: Literal["month-end", "52-53-week"] = Field(
        "month-end",
        description="month-end: quarters end three, six and nine months before fiscal_year_end; "
        "52-53-week: the year ends on fiscal_week_ends_on (fiscal_week_rule) and quarters "
        "are 13 weeks (the fourth takes the 53rd week)",
    )
    fiscal_week_ends_on: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = Field("saturday", description="the weekday a 52-53-week fiscal year ends on")
    fiscal_week_rule: Literal["last", "nearest"] = Field(
        "last",
        description="52-53-week: the year ends on the last such weekday on or before "
        "fiscal_year_end, or on the one nearest it",
    )

    @model_validator(mode="after")
    def _real_day(self) -> AccountingTerms:
        month, day = (int(x) for x in self.fiscal_year_end.split("-"))
        try:
            dt.date(2024, month, day)  # a leap year: 02-29 is a fiscal year end some years
        except ValueError:
            raise ValueError(f"fiscal_year_end {self.fiscal_year_end!r} is not a day of the "
                             "year (MM-DD)") from None
        return self


class Offering(Frozen):
    report_date: dt.date | None = None
    earliest_event_date: dt.date | None = None
    board_authorized_amount: PositiveMoney | None = None
    board_authorization_date: dt.date | None = None
    exemption: tuple[str, ...] = ("Rule 506 of Regulation D",)
    investor_status: str = "accredited investor (Rule 501(a) of Regulation D)"
    documents: dict[str, str] = Field(default_factory=dict, description="exhibit no. → title")


class StatedFigures(Frozen):
    """Figures the filing states, for the disclosure check. Omit what the filing does not say."""

    source: str | None = None
    aggregate_principal: PositiveMoney | None = None
    warrant_shares: Shares | None = None
    exercise_proceeds: NonNegativeMoney | None = None
    conversion_prices: tuple[PositiveMoney, ...] | None = None
    exercise_prices: tuple[PositiveMoney, ...] | None = None
    num_purchasers: int | None = Field(None, ge=1, le=10_000)


class Deal(Frozen):
    """A whole financing: who, what was agreed, and where its market data comes from."""

    schema_version: Literal[1] = 1
    name: Name
    notes: str | None = Field(None, description="free text: assumptions, sources")
    issuer: Issuer
    market: MarketSetup = MarketSetup()
    offering: Offering = Offering()
    note: NoteTerms
    warrant: WarrantTerms | None = None
    registration_rights: RegistrationTerms | None = RegistrationTerms()
    purchasers: tuple[Purchaser, ...] = Field(min_length=1, max_length=10_000)
    disclosure: StatedFigures | None = None
    accounting: AccountingTerms = AccountingTerms()

    @model_validator(mode="after")
    def _unique_names(self) -> Deal:
        names = [p.name for p in self.purchasers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"purchaser names must be unique; repeated: {', '.join(dupes)}")
        return self

    def purchaser(self, name: str) -> Purchaser:
        for p in self.purchasers:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def total_principal(self) -> Decimal:
        return sum((p.principal for p in self.purchasers), Decimal(0))
