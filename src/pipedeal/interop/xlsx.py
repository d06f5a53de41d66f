"""The deal book as an Excel workbook (``pipedeal book --xlsx``), written with openpyxl.

The workbook is drawn from the book's JSON dict (``pipedeal.report.book.book_data``, what
``book --format json`` prints), never recomputed: each block of a sheet is one object or list of
that dict, and its title row names the JSON path it shows (``purchasers[0].interest_schedule``),
so a reviewer can trace every cell. Cell values are typed: decimal strings become numbers
(Excel keeps 15 significant digits; money and prices are far inside that), ISO dates become
dates, true/false booleans; each number gets a format by what it is (money, price, shares, rate,
percent). Text the book quotes (filing sentences, stated figures, hashes) stays text.

One column is a formula on purpose: each schedule's interest is computed in the sheet from the
row's principal, rate and days by the note's day count and cent rounding, so a reviewer can audit
it in Excel; its result equals the schedule's amount (tests check both). Layout:
``docs/interop.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from pipedeal.report.book import BookContext

SOURCE_PREFIX = "book JSON: "
"""The row under each block's title: where in ``book --format json`` the block comes from."""
HISTORY_PREFIX = "ledger history JSON: "
"""...or in ``ledger history --as-of BOOK_DATE --format json`` (the Ledger sheet's events)."""
NONE_ROW = "(none)"
"""The one row of a block whose list is empty."""

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# a local time with its zone: "2009-06-15T17:00:00-07:00", "2009-06-15T17:00:00 America/Los_Angeles"
_LOCAL_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?: ([A-Za-z_/+-]+)|([+-]\d{2}:\d{2}))"
)
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
# Strings kept as text although they may look like numbers or dates: quoted figures of a filing
# or a disclosure check, identifiers and hashes.
TEXT_KEYS = frozenset(
    {
        "commission_file_number", "irs_employer_number", "ticker", "name", "purchaser",
        "memo", "detail", "source", "sentence", "filing", "deal", "stated", "computed",
        "term", "figure", "location", "head_hash", "event", "items", "kind", "status",
        "hash", "prev_hash", "idempotency_key", "recorded_by", "recorded_at",
    }
)  # fmt: skip

MONEY = "#,##0.00"
PRICE = "#,##0.00######"
SHARES = "#,##0"
FRACTIONAL_SHARES = "#,##0.0000"
RATE = "0.0000%"
PERCENT_NUMBER = "0.0000"  # the book's *_pct figures are already in percent (2.5045 = 2.5045%)
RATIO = "#,##0.000000"
DATE = "yyyy-mm-dd"
BOOLEAN = '"TRUE";"TRUE";"FALSE"'  # LibreOffice shows a General boolean as 1 in some columns
_RATES = {"volatility", "dividend_yield", "credit_spread", "recovery", "hazard", "premium"}
_PRICES = {"close", "vwap", "statistic", "spot", "floor", "last_close", "five_day_average"}
_RATIOS = {
    "delta", "gamma", "vega", "theta", "rho", "credit_spread_sensitivity", "eta",
    "years_to_expiry", "value_per_warrant", "value_per_100", "coverage_shares_per_dollar",
    "split_factor", "split_factor_decimal",
}  # fmt: skip


# --- typed cells -------------------------------------------------------------------------------


def number_format(key: str, value: int | float | Decimal) -> str:
    """The display format of a number by its JSON key (the last part of a dotted key)."""
    k = key.rsplit(".", 1)[-1]
    if k.endswith("_pct") or k == "percent":
        return PERCENT_NUMBER
    if "shares" in k:
        return SHARES if isinstance(value, int) else FRACTIONAL_SHARES
    if isinstance(value, int):
        return SHARES  # counts: events, days, steps
    if k in _RATIOS:
        return RATIO
    if "rate" in k or k in _RATES:
        return RATE
    if "price" in k or k in _PRICES:
        return PRICE
    return MONEY


def cell_value(key: str, value: Any) -> tuple[Any, str | None]:
    """``value`` of the book as a typed cell value, with its number format (None: text)."""
    if value is None:
        return value, None
    if isinstance(value, bool):
        return value, BOOLEAN
    if isinstance(value, int | float):
        return value, number_format(key, value)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value), None
    text = str(value)
    if key.rsplit(".", 1)[-1] in TEXT_KEYS:
        return text, None
    if _DATE.fullmatch(text):
        return dt.date.fromisoformat(text), DATE
    when = _LOCAL_TIME.fullmatch(text)
    if when:  # Excel has no zones: the local wall time, its zone in the display format
        zone = when.group(2) or when.group(3)
        return dt.datetime.fromisoformat(when.group(1)), f'yyyy-mm-dd hh:mm "{zone}"'
    if _DECIMAL.fullmatch(text):
        number = Decimal(text)
        return number, number_format(key, number)
    return text, None


# --- flattening the book's dicts ---------------------------------------------------------------

# lists of plain values in the book (an empty one is a value, not an empty table)
_SCALAR_LISTS = {"price_window", "exemption", "fully_diluted_includes", "items", "rate_curve"}


Leaves = list[tuple[str, Any]]


def flatten(obj: dict[str, Any], prefix: str = "") -> tuple[Leaves, list[tuple[str, list]]]:
    """``obj``'s leaves as ``(dotted key, value)`` (nested dicts followed, lists of plain values
    kept whole), and its lists of objects as ``(dotted key, list)`` for tables of their own."""
    leaves: list[tuple[str, Any]] = []
    tables: list[tuple[str, list]] = []
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            inner, inner_tables = flatten(value, f"{name}.")
            leaves += inner
            tables += inner_tables
        elif isinstance(value, list) and (
            any(isinstance(v, dict) for v in value) or (not value and key not in _SCALAR_LISTS)
        ):
            tables.append((name, value))  # a list of objects (or an empty one): a table
        else:
            leaves.append((name, value))
    return leaves, tables



def join(path: str, key: str) -> str:
    if not path:
        return key
    return f"{path}{key}" if key.startswith("[") else f"{path}.{key}"


def _shown_width(value: Any) -> int:
    """About how many characters a cell shows (for the column's width)."""
    if value is None:
        return 0
    if isinstance(value, dt.date):
        return 11
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return len(f"{float(value):,.2f}")
    return len(str(value))


# --- sheets made of blocks ---------------------------------------------------------------------


WIDE, FEW = 12, 10
"""A table of more than ``WIDE`` columns and at most ``FEW`` rows is written transposed."""


class _Sheet:
    """Blocks written one under the other: a title row, the JSON path it shows, a header row,
    the rows."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.row = 1
        self.widths: dict[int, int] = {}

    def _put(self, column: int, key: str, value: Any, *, bold: bool = False) -> None:
        typed, fmt = cell_value(key, value)
        cell = self.ws.cell(row=self.row, column=column, value=typed)
        if fmt:
            cell.number_format = fmt
        if bold:
            cell.font = Font(bold=True)
        shown = len(value) if isinstance(typed, dt.datetime) else _shown_width(typed)  # + zone
        self.widths[column] = max(self.widths.get(column, 8), min(shown + 2, 60))

    def title(self, label: str, path: str, source: str = SOURCE_PREFIX) -> None:
        if self.row > 1:
            self.row += 1  # a blank row between blocks
        self.ws.cell(row=self.row, column=1, value=label).font = Font(bold=True, size=12)
        self.row += 1
        source = source + (path or "(top level)")
        self.ws.cell(row=self.row, column=1, value=source).font = Font(italic=True, color="666666")
        self.row += 1

    def header(self, names: Sequence[str]) -> None:
        for i, name in enumerate(names, start=1):
            self.ws.cell(row=self.row, column=i, value=name).font = Font(bold=True)
            self.widths[i] = max(self.widths.get(i, 8), min(len(name) + 2, 60))
        if self.ws.freeze_panes is None:
            self.ws.freeze_panes = self.ws.cell(row=self.row + 1, column=1).coordinate
        self.row += 1

    def fields(self, label: str, path: str, leaves: Iterable[tuple[str, Any]]) -> None:
        """A block of ``field | value`` rows (fields relative to ``path``)."""
        self.title(label, path)
        self.header(("field", "value"))
        for key, value in leaves:
            self.ws.cell(row=self.row, column=1, value=key)
            self.widths[1] = max(self.widths.get(1, 8), min(len(key) + 2, 60))
            self._put(2, key, value)
            self.row += 1

    def table(
        self,
        label: str,
        path: str,
        rows: list[dict[str, Any]],
        columns: Sequence[str] | None = None,
        source: str = SOURCE_PREFIX,
        transpose: bool = True,
    ) -> tuple[int, list[str]]:
        """A block with one row per object of ``rows`` and one column per (dotted) key; the first
        data row's number and the columns."""
        self.title(label, path, source)
        flat = [dict(flatten(r)[0]) for r in rows]
        if columns is None:
            names: list[str] = []
            for r in flat:
                names += [k for k in r if k not in names]
            # a key that is an object in some rows and null in others: its parts are the columns
            columns = [k for k in names if not any(n.startswith(k + ".") for n in names)]
        if transpose and len(columns) > WIDE and len(rows) <= FEW:
            self._transposed(flat, columns)
            return self.row, list(columns)
        if columns:
            self.header(columns)
        first = self.row
        if not rows:
            self.ws.cell(row=self.row, column=1, value=NONE_ROW)
            self.row += 1
        for r in flat:
            for i, key in enumerate(columns, start=1):
                self._put(i, key, r.get(key))
            self.row += 1
        return first, list(columns)

    def _transposed(self, flat: list[dict[str, Any]], columns: Sequence[str]) -> None:
        """Few objects of many fields: one row per field, one column per object (named by its
        ``name`` or ``purchaser``), so the block reads down the page like the fields blocks."""
        labels = [str(r.get("name") or r.get("purchaser") or f"#{n}") for n, r in enumerate(flat)]
        self.header(("field", *labels))
        for key in columns:
            self.ws.cell(row=self.row, column=1, value=key)
            self.widths[1] = max(self.widths.get(1, 8), min(len(key) + 2, 60))
            for i, r in enumerate(flat, start=2):
                self._put(i, key, r.get(key))
            self.row += 1

    def section(self, label: str, path: str, obj: dict[str, Any], skip: Iterable[str] = ()) -> None:
        """An object as a fields block, then a table for each of its lists of objects."""
        leaves, tables = flatten(obj)
        skipped = set(skip)
        self.fields(label, path, [(k, v) for k, v in leaves if k.split(".")[0] not in skipped])
        for key, rows in tables:
            if key.split(".")[0] in skipped:
                continue
            self.table(f"{label}: {key.replace('.', ' ').replace('_', ' ')}", join(path, key), rows)

    def note(self, text: str) -> None:
        self.ws.cell(row=self.row, column=1, value=text).font = Font(italic=True)
        self.row += 1

    def finish(self) -> None:
        for column, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(column)].width = width
        # printed (or a PDF): landscape, every column on the page's width
        self.ws.page_setup.orientation = "landscape"
        self.ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0


# --- the schedule's interest as formulas -------------------------------------------------------

_ROUND = {"half_up": "ROUND", "down": "ROUNDDOWN", "up": "ROUNDUP"}
_BASIS = {"ACT/365F": 365, "ACT/360": 360}


def interest_formula(
    row: int, first: int, rounding: str, day_count: str, cols: dict[str, str]
) -> str | None:
    """The Excel formula of the interest paid on sheet row ``row`` (``first``: the schedule's
    first row), or None where Excel has no exact equivalent (half-even cents, ACT/ACT).

    The schedule's rule (``pipedeal.schedule.interest``): interest = principal × rate × days /
    basis; ``cumulative`` pays round(accrued to this period's end) − round(accrued to the last
    one's), ``per_period`` rounds each period on its own. Excel's ROUND rounds half away from
    zero, which is half-up for these positive amounts.
    """
    settle, _, mode = rounding.partition(", ")
    function = _ROUND.get(mode.removesuffix(" to the cent"))
    basis = _BASIS.get(day_count)
    if function is None or basis is None or settle not in ("cumulative", "per_period"):
        return None
    p, r, d = f"{cols['principal']}{row}", f"{cols['interest_rate']}{row}", cols["days"]
    if settle == "per_period" or row == first:
        return f"={function}({p}*{r}*{d}{row}/{basis},2)"
    to_date = f"SUM({d}${first}:{d}{row})"
    before = f"SUM({d}${first}:{d}{row - 1})"
    return f"={function}({p}*{r}*{to_date}/{basis},2)-{function}({p}*{r}*{before}/{basis},2)"


SCHEDULE_COLUMNS = (
    "period_start", "period_end", "pay_date", "days", "principal", "interest_rate", "amount",
    "at_maturity",
)  # fmt: skip


def _schedules(sheet: _Sheet, data: dict[str, Any]) -> None:
    terms = data["terms"]
    cols = {name: get_column_letter(i) for i, name in enumerate(SCHEDULE_COLUMNS, start=1)}
    for i, p in enumerate(data["purchasers"]):
        path = f"purchasers[{i}]"
        keys = ("issue_date", "maturity_date", "rounding", "principal", "total_interest")
        leaves = [(k, p[k]) for k in keys] + flatten(p["maturity_payment"], "maturity_payment.")[0]
        sheet.fields(f"{p['name']}: note", path, leaves)
        rows = [
            {**row, "principal": p["principal"], "interest_rate": terms["interest_rate"]}
            for row in p["interest_schedule"]
        ]
        first, _ = sheet.table(
            f"{p['name']}: interest schedule (amount = formula of principal, rate, days; "
            f"{terms['day_count']}, {p['rounding']})",
            f"{path}.interest_schedule",
            rows,
            SCHEDULE_COLUMNS,
        )
        for n in range(len(rows)):
            formula = interest_formula(first + n, first, p["rounding"], terms["day_count"], cols)
            if formula is not None:
                sheet.ws[f"{cols['amount']}{first + n}"] = formula
                sheet.ws[f"{cols['amount']}{first + n}"].number_format = MONEY
        if rows and interest_formula(first, first, p["rounding"], terms["day_count"], cols) is None:
            sheet.note("amounts as computed: Excel has no formula for this day count or rounding")


# --- the workbook ------------------------------------------------------------------------------

SHEETS = (
    "Summary", "Pricing", "Schedules", "Ledger", "Cap table", "Accounting", "Journal",
    "Amortization", "Valuation",
)  # fmt: skip


def ledger_history(ctx: BookContext) -> dict[str, Any] | None:
    """The ledger's events to the book's date, as ``ledger history --as-of`` lists them (from
    the book's one read of the ledger); None when the deal has no ledger."""
    from pipedeal.ledger.corrections import voided_by
    from pipedeal.ledger.views import history_json

    recorded = ctx.record.recorded
    if recorded is None:
        return None
    day = ctx.book_as_of
    return history_json(tuple(r for r in recorded if r.event.date <= day), voided_by(recorded))


def _history_columns(rows: list[dict[str, Any]]) -> list[str]:
    """The event's sequence, kind, date and instrument first, then its payload, then the chain."""
    names: list[str] = []
    for r in rows:
        names += [k for k, _ in flatten(r)[0] if k not in names]
    first = ("seq", "event.kind", "event.date", "event.instrument")
    payload = [n for n in names if n.startswith("event.payload.")]
    rest = [n for n in names if n not in first and n not in payload and n != "event.payload"]
    return [n for n in first if n in names] + payload + rest


def book_workbook(data: dict[str, Any], history: dict[str, Any] | None = None) -> Workbook:
    """The workbook of a book dict (``book --format json``): one sheet per section, and on the
    Ledger sheet the ledger's events (``history``: ``ledger history --format json``)."""
    wb = Workbook()
    sheets = {}
    for i, name in enumerate(SHEETS):
        ws = wb.active if i == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = name
        sheets[name] = _Sheet(ws)

    summary_keys = ("schema_version", "as_of", "as_of_rule", "overdue", "deal", "issuer", "terms",
                    "totals", "disclosure_check", "filing_check", "registration")  # fmt: skip
    sheets["Summary"].section(
        data["deal"]["name"], "", {k: data[k] for k in summary_keys if data.get(k) is not None}
    )

    pricing = sheets["Pricing"]
    price_columns = ("name", "closing_date", "principal", "cash_funded", "conversion_price",
                     "conversion_shares", "warrant_shares", "exercise_price",
                     "exercise_proceeds", "warrant_expiry", "price_window")  # fmt: skip
    pricing.table("Purchasers and prices", "purchasers", data["purchasers"], price_columns)
    for i, p in enumerate(data["purchasers"]):
        trace = p["conversion_trace"]
        path = f"purchasers[{i}].conversion_trace"
        pricing.section(f"{p['name']}: conversion price", path, trace)

    _schedules(sheets["Schedules"], data)

    ledger = sheets["Ledger"]
    if data.get("ledger") is None:
        ledger.title("No ledger recorded for this deal (pipedeal ledger init)", "ledger")
    else:
        ledger.section(f"Ledger state on {data['ledger']['as_of']}", "ledger", data["ledger"])
    if history is not None:
        events = history["events"]
        ledger.table(
            f"Ledger history to {data['as_of']}", "events", events, _history_columns(events),
            source=HISTORY_PREFIX, transpose=False,  # a log reads down, one event a row
        )  # fmt: skip

    captable = sheets["Cap table"]
    if data.get("captable") is None:
        captable.title("No cap table for this deal", "captable")
    else:
        captable.section("Cap table", "captable", data["captable"])

    _accounting(sheets["Accounting"], sheets["Journal"], sheets["Amortization"], data)

    valuation = sheets["Valuation"]
    if data.get("valuation") is None:
        valuation.title("No valuation (the deal has no market.toml)", "valuation")
    else:
        valuation.section("Valuation", "valuation", data["valuation"])
    for sheet in sheets.values():
        sheet.finish()
    return wb


JOURNAL_COLUMNS = (
    "date", "kind", "purchaser", "account", "debit", "credit", "memo", "event.seq", "event.hash",
)  # fmt: skip


def _accounting(acc: _Sheet, journal: _Sheet, amort: _Sheet, data: dict[str, Any]) -> None:
    a = data.get("accounting")
    if a is None:
        for sheet in (acc, journal, amort):
            sheet.title("No accounting for this deal", "accounting")
        return
    acc.section(f"Accounting ({a['regime']})", "accounting", a, skip=("notes",))
    # each note's inputs, allocation and amortization terms, side by side
    acc.table("Notes", "accounting.notes", a["notes"])
    for i, n in enumerate(a["notes"]):
        path = f"accounting.notes[{i}]"
        amortization = n.get("amortization")
        if amortization is not None:
            rows = amortization.get("rows") or []
            amort.table(f"{n['purchaser']}: amortization", f"{path}.amortization.rows", rows)
        # one row per journal line, the entry's date, kind and memo repeated on each
        lines = [
            {**{k: v for k, v in e.items() if k != "lines"}, **line}
            for e in n.get("entries") or ()
            for line in e.get("lines") or ()
        ]
        journal.table(
            f"{n['purchaser']}: journal (one row per line of each entry)",
            f"{path}.entries",
            lines,
            JOURNAL_COLUMNS,
        )


def write_book_xlsx(
    data: dict[str, Any],
    path: Path | str,
    *,
    history: dict[str, Any] | None = None,
    protect: Iterable[Path | str] = (),
    follow_symlinks: bool = False,
) -> None:
    """Write the workbook of ``data`` to ``path`` whole or not at all (``outfiles`` rules)."""
    from pipedeal.outfiles import atomic_path

    wb = book_workbook(data, history)
    with atomic_path(path, "--xlsx", protect=protect, follow_symlinks=follow_symlinks) as tmp:
        wb.save(tmp)
