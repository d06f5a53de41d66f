"""Our models of the Open Cap Table Format objects pipedeal writes and reads (OCF 1.2.0).

Written for pipedeal from the published specification: the field names, the required fields
and the enum values are facts of the format (``docs/ocf.md`` lists them field by field); the
models are ours, not copies of the specification's schema files. Like the specification, every
object refuses fields it does not define (``extra="forbid"``), so an export that passes these
models carries nothing an OCF reader would reject for being unknown.

Fields pipedeal never writes nor reads (vesting schedules, share-number ranges, capitalization
definitions, contact details) are accepted as plain JSON on import, not checked deeper.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

OCF_VERSION = "1.2.0"
"""The version written in every manifest, and the one these models were checked against."""


def _iso_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if len(value) != 10:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    return value


def _iso_datetime(value: str) -> str:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date-time (ISO 8601)") from None
    return value


Date = Annotated[str, AfterValidator(_iso_date)]
DateTime = Annotated[str, AfterValidator(_iso_datetime)]
Numeric = Annotated[str, Field(pattern=r"^[+-]?[0-9]+(\.[0-9]{1,10})?$")]
"""A fixed-point number as text, at most 10 decimal places."""
Percentage = Annotated[str, Field(pattern=r"^0?(\.[0-9]{1,10})?$|^1(\.0{1,10})?$")]
"""A fraction between 0 and 1 as text (0.075 for 7.5%)."""
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
SubdivisionCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{1,3}$")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Md5 = Annotated[str, Field(pattern=r"^[a-fA-F0-9]{32}$")]
Json = dict[str, Any]


class OcfModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- types -------------------------------------------------------------------------------------


class Monetary(OcfModel):
    amount: Numeric
    currency: CurrencyCode


class Ratio(OcfModel):
    numerator: Numeric
    denominator: Numeric


class Name(OcfModel):
    legal_name: str
    first_name: str | None = None
    last_name: str | None = None


class Address(OcfModel):
    address_type: Literal["LEGAL", "CONTACT", "OTHER"]
    street_suite: str | None = None
    city: str | None = None
    country_subdivision: SubdivisionCode | None = None
    country: CountryCode
    postal_code: str | None = None


class TaxId(OcfModel):
    tax_id: str
    country: CountryCode


class Phone(OcfModel):
    phone_type: Literal["HOME", "MOBILE", "BUSINESS", "OTHER"]
    phone_number: Annotated[
        str, Field(pattern=r"^\+\d{1,3}\s\d{2,3}\s\d{2,3}\s\d{4}(\s(ext.|extension)\s\d+)?$")
    ]


class Email(OcfModel):
    email_type: Literal["PERSONAL", "BUSINESS", "OTHER"]
    email_address: str


class SecurityExemption(OcfModel):
    description: str
    jurisdiction: str


class InterestRate(OcfModel):
    rate: Percentage
    accrual_start_date: Date
    accrual_end_date: Date | None = None


class FileRef(OcfModel):
    filepath: str
    md5: Md5


# --- conversion mechanisms, rights and triggers ------------------------------------------------


class NoteConversionMechanism(OcfModel):
    type: Literal["CONVERTIBLE_NOTE_CONVERSION"]
    interest_rates: list[InterestRate]
    day_count_convention: Literal["ACTUAL_365", "30_360"]
    interest_payout: Literal["DEFERRED", "CASH"]
    interest_accrual_period: Literal["DAILY", "MONTHLY", "QUARTERLY", "SEMI_ANNUAL", "ANNUAL"]
    compounding_type: Literal["COMPOUNDING", "SIMPLE"]
    conversion_discount: Percentage | None = None
    conversion_valuation_cap: Monetary | None = None
    capitalization_definition: str | None = None
    capitalization_definition_rules: Json | None = None
    exit_multiple: Ratio | None = None
    conversion_mfn: bool | None = None


class CustomConversionMechanism(OcfModel):
    type: Literal["CUSTOM_CONVERSION"]
    custom_conversion_description: str


class FixedAmountConversionMechanism(OcfModel):
    type: Literal["FIXED_AMOUNT_CONVERSION"]
    converts_to_quantity: Numeric


class RatioConversionMechanism(OcfModel):
    type: Literal["RATIO_CONVERSION"]
    conversion_price: Monetary
    ratio: Ratio
    rounding_type: Literal["CEILING", "FLOOR", "NORMAL"]


class OtherConversionMechanism(BaseModel):
    """Mechanisms for future rounds (SAFE, percent of capitalization, valuation or price based):
    read, never written; their fields are not checked here."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: Literal[
        "SAFE_CONVERSION",
        "FIXED_PERCENT_OF_CAPITALIZATION_CONVERSION",
        "VALUATION_BASED_CONVERSION",
        "PPS_BASED_CONVERSION",
    ]


Mechanism = Annotated[
    NoteConversionMechanism
    | CustomConversionMechanism
    | FixedAmountConversionMechanism
    | RatioConversionMechanism
    | OtherConversionMechanism,
    Field(discriminator="type"),
]


class ConversionRight(OcfModel):
    # The specification leaves ``type`` optional; we require it: without it a convertible's
    # right and a warrant's right with the same mechanism cannot be told apart.
    type: Literal[
        "CONVERTIBLE_CONVERSION_RIGHT", "WARRANT_CONVERSION_RIGHT", "STOCK_CLASS_CONVERSION_RIGHT"
    ]
    conversion_mechanism: Mechanism
    converts_to_future_round: bool | None = None
    converts_to_stock_class_id: str | None = None


class _Trigger(OcfModel):
    trigger_id: str
    nickname: str | None = None
    trigger_description: str | None = None
    conversion_right: ConversionRight


class ElectiveAtWill(_Trigger):
    type: Literal["ELECTIVE_AT_WILL"]


class ElectiveInRange(_Trigger):
    type: Literal["ELECTIVE_IN_RANGE"]
    start_date: Date
    end_date: Date


class ElectiveOnCondition(_Trigger):
    type: Literal["ELECTIVE_ON_CONDITION"]
    trigger_condition: str


class AutomaticOnCondition(_Trigger):
    type: Literal["AUTOMATIC_ON_CONDITION"]
    trigger_condition: str


class AutomaticOnDate(_Trigger):
    type: Literal["AUTOMATIC_ON_DATE"]
    trigger_date: Date


class UnspecifiedTrigger(_Trigger):
    type: Literal["UNSPECIFIED"]


Trigger = Annotated[
    ElectiveAtWill
    | ElectiveInRange
    | ElectiveOnCondition
    | AutomaticOnCondition
    | AutomaticOnDate
    | UnspecifiedTrigger,
    Field(discriminator="type"),
]


# --- objects -----------------------------------------------------------------------------------


class _Object(OcfModel):
    id: str = Field(min_length=1)
    comments: list[str] | None = None


class Issuer(_Object):
    object_type: Literal["ISSUER"]
    legal_name: str
    dba: str | None = None
    formation_date: Date
    country_of_formation: CountryCode
    country_subdivision_of_formation: SubdivisionCode | None = None
    tax_ids: list[TaxId] | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Address | None = None
    initial_shares_authorized: Literal["NOT APPLICABLE", "UNLIMITED"] | Numeric | None = None


class Stakeholder(_Object):
    object_type: Literal["STAKEHOLDER"]
    name: Name
    stakeholder_type: Literal["INDIVIDUAL", "INSTITUTION"]
    issuer_assigned_id: str | None = None
    current_relationship: (
        Literal[
            "ADVISOR", "BOARD_MEMBER", "CONSULTANT", "EMPLOYEE", "EX_ADVISOR", "EX_CONSULTANT",
            "EX_EMPLOYEE", "EXECUTIVE", "FOUNDER", "INVESTOR", "NON_US_EMPLOYEE", "OFFICER",
            "OTHER",
        ]
        | None
    ) = None
    primary_contact: Json | None = None
    contact_info: Json | None = None
    addresses: list[Address] | None = None
    tax_ids: list[TaxId] | None = None


class StockClass(_Object):
    object_type: Literal["STOCK_CLASS"]
    name: str
    class_type: Literal["COMMON", "PREFERRED"]
    default_id_prefix: str
    initial_shares_authorized: Literal["NOT APPLICABLE", "UNLIMITED"] | Numeric
    board_approval_date: Date | None = None
    stockholder_approval_date: Date | None = None
    votes_per_share: Numeric
    par_value: Monetary | None = None
    price_per_share: Monetary | None = None
    seniority: Numeric
    conversion_rights: list[Json] | None = None
    liquidation_preference_multiple: Numeric | None = None
    participation_cap_multiple: Numeric | None = None


class _Transaction(_Object):
    date: Date


class _SecurityTransaction(_Transaction):
    security_id: str = Field(min_length=1)


class _Issuance(_SecurityTransaction):
    custom_id: str
    stakeholder_id: str
    board_approval_date: Date | None = None
    stockholder_approval_date: Date | None = None
    consideration_text: str | None = None
    security_law_exemptions: list[SecurityExemption]


class ConvertibleIssuance(_Issuance):
    object_type: Literal["TX_CONVERTIBLE_ISSUANCE"]
    investment_amount: Monetary
    convertible_type: Literal["NOTE", "SAFE", "CONVERTIBLE_SECURITY"]
    conversion_triggers: list[Trigger] = Field(min_length=1)
    pro_rata: Numeric | None = None
    seniority: int


class WarrantIssuance(_Issuance):
    object_type: Literal["TX_WARRANT_ISSUANCE"]
    quantity: Numeric | None = None
    exercise_price: Monetary | None = None
    purchase_price: Monetary
    exercise_triggers: list[Trigger]
    warrant_expiration_date: Date | None = None
    vesting_terms_id: str | None = None
    vestings: list[Json] | None = Field(None, min_length=1)
    quantity_source: (
        Literal[
            "HUMAN_ESTIMATED", "MACHINE_ESTIMATED", "UNSPECIFIED", "INSTRUMENT_FIXED",
            "INSTRUMENT_MAX", "INSTRUMENT_MIN",
        ]
        | None
    ) = None


class StockIssuance(_Issuance):
    object_type: Literal["TX_STOCK_ISSUANCE"]
    stock_class_id: str
    stock_plan_id: str | None = None
    share_numbers_issued: list[Json] | None = None
    share_price: Monetary
    quantity: Numeric
    vesting_terms_id: str | None = None
    vestings: list[Json] | None = Field(None, min_length=1)
    cost_basis: Monetary | None = None
    stock_legend_ids: list[str]
    issuance_type: Literal["RSA", "FOUNDERS_STOCK"] | None = None


class ConvertibleConversion(_SecurityTransaction):
    object_type: Literal["TX_CONVERTIBLE_CONVERSION"]
    reason_text: str
    quantity_converted: Numeric | None = None
    balance_security_id: str | None = None
    trigger_id: str
    capitalization_definition: Json | None = None
    resulting_security_ids: list[str]


class ConvertibleCancellation(_SecurityTransaction):
    object_type: Literal["TX_CONVERTIBLE_CANCELLATION"]
    amount: Monetary
    balance_security_id: str | None = None
    reason_text: str


class WarrantExercise(_SecurityTransaction):
    object_type: Literal["TX_WARRANT_EXERCISE"]
    trigger_id: str
    consideration_text: str | None = None
    resulting_security_ids: list[str]


class WarrantCancellation(_SecurityTransaction):
    object_type: Literal["TX_WARRANT_CANCELLATION"]
    quantity: Numeric
    balance_security_id: str | None = None
    reason_text: str


class StockClassSplit(_Transaction):
    object_type: Literal["TX_STOCK_CLASS_SPLIT"]
    stock_class_id: str
    split_ratio: Ratio


class OtherTransaction(BaseModel):
    """A transaction type pipedeal neither writes nor reads (vesting, transfers, stock plans...):
    kept as it is, its fields not checked here."""

    model_config = ConfigDict(extra="allow", frozen=True)
    object_type: Annotated[str, Field(pattern=r"^TX_[A-Z_]+$")]
    id: str


Transaction = (
    ConvertibleIssuance | WarrantIssuance | StockIssuance | ConvertibleConversion
    | ConvertibleCancellation | WarrantExercise | WarrantCancellation | StockClassSplit
)
"""A transaction pipedeal reads."""

MODELLED = {
    "TX_CONVERTIBLE_ISSUANCE": ConvertibleIssuance,
    "TX_WARRANT_ISSUANCE": WarrantIssuance,
    "TX_STOCK_ISSUANCE": StockIssuance,
    "TX_CONVERTIBLE_CONVERSION": ConvertibleConversion,
    "TX_CONVERTIBLE_CANCELLATION": ConvertibleCancellation,
    "TX_WARRANT_EXERCISE": WarrantExercise,
    "TX_WARRANT_CANCELLATION": WarrantCancellation,
    "TX_STOCK_CLASS_SPLIT": StockClassSplit,
}
"""The transaction types these models check, by ``object_type``."""


def _transaction_tag(value: object) -> str:
    kind = value.get("object_type") if isinstance(value, dict) else getattr(
        value, "object_type", None)
    return kind if isinstance(kind, str) and kind in MODELLED else "other"


TransactionItem = Annotated[
    Annotated[ConvertibleIssuance, Tag("TX_CONVERTIBLE_ISSUANCE")]
    | Annotated[WarrantIssuance, Tag("TX_WARRANT_ISSUANCE")]
    | Annotated[StockIssuance, Tag("TX_STOCK_ISSUANCE")]
    | Annotated[ConvertibleConversion, Tag("TX_CONVERTIBLE_CONVERSION")]
    | Annotated[ConvertibleCancellation, Tag("TX_CONVERTIBLE_CANCELLATION")]
    | Annotated[WarrantExercise, Tag("TX_WARRANT_EXERCISE")]
    | Annotated[WarrantCancellation, Tag("TX_WARRANT_CANCELLATION")]
    | Annotated[StockClassSplit, Tag("TX_STOCK_CLASS_SPLIT")]
    | Annotated[OtherTransaction, Tag("other")],
    Discriminator(_transaction_tag),
]


# --- files -------------------------------------------------------------------------------------


class Manifest(OcfModel):
    file_type: Literal["OCF_MANIFEST_FILE"]
    # we write 1.2.0; a package of another 1.x version is read against 1.2.0's objects
    ocf_version: Annotated[str, Field(pattern=r"^1\.\d+\.\d+$")]
    issuer: Issuer
    as_of: Date
    generated_at: DateTime
    comments: list[str] | None = None
    stock_plans_files: list[FileRef]
    stock_legend_templates_files: list[FileRef]
    stock_classes_files: list[FileRef]
    vesting_terms_files: list[FileRef]
    valuations_files: list[FileRef]
    transactions_files: list[FileRef]
    stakeholders_files: list[FileRef]
    financings_files: list[FileRef] | None = None
    documents_files: list[FileRef] | None = None


class StakeholdersFile(OcfModel):
    file_type: Literal["OCF_STAKEHOLDERS_FILE"]
    items: list[Stakeholder]


class StockClassesFile(OcfModel):
    file_type: Literal["OCF_STOCK_CLASSES_FILE"]
    items: list[StockClass]


class TransactionsFile(OcfModel):
    file_type: Literal["OCF_TRANSACTIONS_FILE"]
    items: list[TransactionItem]


FILE_MODELS: dict[str, type[OcfModel]] = {
    "OCF_MANIFEST_FILE": Manifest,
    "OCF_STAKEHOLDERS_FILE": StakeholdersFile,
    "OCF_STOCK_CLASSES_FILE": StockClassesFile,
    "OCF_TRANSACTIONS_FILE": TransactionsFile,
}
"""The file types pipedeal writes and reads, by ``file_type``."""
