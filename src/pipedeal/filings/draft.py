"""A draft ``deal.toml`` from extracted terms.

Everything the filing states goes in as data; everything it does not (or states only in part) is
either left to its documented default or given a placeholder, and each such line carries a
``# FILL:`` comment saying what is missing. Once the user fills those lines,
``pipedeal.terms.load_deal`` accepts the folder.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w

from pipedeal.errors import UserError
from pipedeal.filings.numbers import DATE_RE, MONEY_RE, parse_date, parse_money
from pipedeal.terms.loader import DEAL_FILE

FILL = "# FILL:"

_STATISTICS = {
    "average close": ("average_close", None),
    "average daily VWAP": ("average_daily_vwap", None),
    "lowest daily VWAP": ("lowest_daily_vwap", None),
    "lowest close": ("lowest_close", None),
    "VWAP": ("vwap", None),
    "average closing bid": ("average_close", "the filing says closing bid; modelled as close"),
    "lowest trading price": ("lowest_close", "the filing says lowest trading price; modelled as "
                             "lowest close"),
}
_FORMULA = re.compile(
    r"(?:lower of \$([\d.,]+) and )?([\d.]+)% of (.+?) over (\d+) trading days "
    r"(before|ending on) (issuance|conversion)")
_KEEP_UPPER = {"LLC", "LP", "L.P.", "USA", "U.S.A.", "II", "III", "IV", "N.A.", "PLC", "NV",
               "N.V.", "AG", "SA", "S.A.", "US", "U.S."}


def tidy_name(name: str) -> str:
    """``INNOVO GROUP INC.`` → ``Innovo Group Inc.``; mixed-case names are kept."""
    if not name.isupper():
        return name
    words = []
    for w in name.split():
        core = w.rstrip(",")
        words.append(w if core in _KEEP_UPPER else w.capitalize())
    return " ".join(words)


class DraftToml:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.fill: list[str] = []
        self.table = ""

    def comment(self, text: str) -> None:
        self.lines.append(f"# {text}" if text else "#")

    def blank(self) -> None:
        self.lines.append("")

    def header(self, name: str, array: bool = False, note: str | None = None) -> None:
        self.table = name
        h = f"[[{name}]]" if array else f"[{name}]"
        self.lines.append(h + (f"   # {note}" if note else ""))

    def kv(self, key: str, value: Any, note: str | None = None, fill: str | None = None) -> None:
        if isinstance(value, dict):  # an inline table keeps the current table open
            inner = ", ".join(tomli_w.dumps({k: x}).strip() for k, x in value.items())
            line = f"{tomli_w.dumps({key: 0}).split('=')[0].strip()} = {{ {inner} }}"
        else:
            line = tomli_w.dumps({key: value}).strip()
        if fill:
            line += f"   {FILL} {fill}"
            self.fill.append(f"{self.table}.{key}: {fill}" if self.table else f"{key}: {fill}")
        elif note:
            line += f"   # {note}"
        self.lines.append(line)

    def missing(self, key: str, what: str) -> None:
        """A term the deal file needs but the filing does not give, left commented out."""
        self.lines.append(f"# {key} = ...   {FILL} {what}")
        self.fill.append(f"{self.table}.{key}: {what}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _dec(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def _values(terms: dict[str, Any]) -> dict[str, Any]:
    return {k: (v["value"] if isinstance(v, dict) else v) for k, v in terms.items()}


_DEAL_VERB = re.compile(r"\b(?:executed|entered\s+into|closed|sold|issued|completed)\b", re.I)


def _closing_dates(data: dict[str, Any], n: int | None) -> list[dt.date]:
    """One date per purchaser from the first deal sentence that lists exactly ``n`` dates
    ("On June 15, 2004, June 18, 2004 and June 22, 2004, we executed agreements ...")."""
    if not n or n < 2:
        return []
    for item in data["filing"]["items"]:
        flat = " ".join(item["text"].split())
        for sentence in re.split(r"(?<=[a-z0-9)])\.\s+(?=[A-Z])", flat):
            if not _DEAL_VERB.search(sentence):
                continue
            dates = [d for d in (parse_date(m.group(0)) for m in DATE_RE.finditer(sentence)) if d]
            if len(dates) == n and len(set(dates)) == n:
                return dates
    return []


def _exercise_proceeds(data: dict[str, Any]) -> Decimal | None:
    for item in data["filing"]["items"]:
        flat = " ".join(item["text"].split())
        for m in MONEY_RE.finditer(flat):
            after = flat[m.end(): m.end() + 90]
            if re.match(r"\s+(?:in\s+)?(?:aggregate\s+)?(?:gross\s+)?proceeds[^.]{0,40}?upon\s+"
                        r"(?:the\s+)?(?:full\s+)?exercise\s+of\s+the\s+warrants", after, re.I):
                return parse_money(m.group(0))
    return None


def draft_share_count_and_market(t: DraftToml, source: str) -> None:
    """The FILL-marked share count and ``[market]`` table of a drafted deal (``source``: what
    the draft was read from, which states neither)."""
    t.lines.append("# [[issuer.shares_outstanding]]")
    t.lines.append(f"# date = YYYY-MM-DD   {FILL} shares outstanding on a date (the issuer's "
                   "10-Q/10-K cover), with shares = N and source = \"...\"")
    t.fill.append("issuer.shares_outstanding: shares outstanding on a date (10-Q/10-K cover); "
                  "the cap table needs one")
    t.blank()

    t.header("market")
    t.kv("trading_calendar", "XNAS",
         fill=f"exchange_calendars code of the issuer's market (not in {source}; Nasdaq "
         "assumed)")
    t.kv("business_day_calendar", "SEC")
    t.kv("closes", "closes.csv",
         fill="closing prices around each closing (date, close[, volume, vwap]) in closes.csv")
    t.blank()


def draft_toml(data: dict[str, Any], source_name: str | None = None) -> tuple[str, list[str]]:
    """The draft deal file's text and the list of FILL marks, from an ``extract`` result."""
    v = _values(data["terms"])
    reg = data["registrant"]
    filing = data["filing"]
    t = DraftToml()
    source = source_name or Path(data.get("source", "filing")).name
    issuer_raw = reg.get("name") or v.get("issuer_name")
    issuer = tidy_name(issuer_raw) if issuer_raw else None
    event = parse_date(v["event_date"]) if v.get("event_date") else None
    instrument = v.get("instrument_type") or "convertible note"

    t.comment(f"Draft deal file written by `pipedeal extract --deal-out` from {source}.")
    t.comment("Values below are what the filing states. Lines marked FILL are terms it does not")
    t.comment("give (or gives only in part): fill or confirm them, then run `pipedeal book`.")
    t.comment("Every other term takes its documented default (docs/deal-file.md).")
    t.blank()
    t.kv("schema_version", 1)
    when = f" {event:%B %Y}" if event else ""
    warrants = " and warrants" if v.get("warrant_shares") or v.get("warrant_coverage_pct") else ""
    t.kv("name", f"{issuer or 'Issuer'}{when} {instrument}s{warrants}")
    t.kv("notes", f"Drafted from {source} by pipedeal extract; see FILL marks.")
    t.blank()

    t.header("issuer")
    if issuer:
        t.kv("name", issuer, note=f"as registered: {issuer_raw}" if issuer != issuer_raw else None)
    else:
        t.kv("name", "Issuer", fill="the issuer's name is not in the filing")
    for key in ("state", "commission_file_number", "irs_employer_number", "address", "zip",
                "phone"):
        if reg.get(key):
            t.kv(key, reg[key])
    t.blank()
    # the cap table and the 20% test need a share count; an 8-K rarely gives one
    draft_share_count_and_market(t, "the filing")

    t.header("offering")
    if filing.get("report_date"):
        t.kv("report_date", dt.date.fromisoformat(filing["report_date"]))
    if filing.get("earliest_event_date"):
        t.kv("earliest_event_date", dt.date.fromisoformat(filing["earliest_event_date"]))
    if v.get("exemption"):
        t.kv("exemption", list(v["exemption"]))
    else:
        t.kv("exemption", ["Rule 506 of Regulation D"], fill="the filing names no exemption")
    t.blank()
    if filing.get("exhibits"):
        t.header("offering.documents")
        for e in filing["exhibits"]:
            t.kv(e["number"], e["description"])
        t.blank()

    _note(t, v)
    _warrant(t, v, data["terms"])
    _registration(t, v)
    _purchasers(t, v, data)
    _disclosure(t, v, data, source, filing)
    return t.text(), t.fill


def _note(t: DraftToml, v: dict[str, Any]) -> None:
    t.header("note.interest")
    if v.get("interest_rate_pct") is not None:
        t.kv("rate", _dec(Decimal(str(v["interest_rate_pct"])) / 100),
             note=f"{v['interest_rate_pct']}% per annum")
    else:
        t.kv("rate", "0", fill="the filing states no interest rate")
    t.kv("day_count", "ACT/365F", fill="day count not in the filing (ACT/365F assumed)")
    freq = v.get("interest_payment_frequency")
    if freq not in (None, "monthly"):
        t.kv("payment", "first_business_day_next_month",
             fill=f"the filing says interest is paid {freq}; deal files model monthly payment")
    else:
        t.kv("payment", "first_business_day_next_month",
             fill="payment dates not in the filing (monthly, first business day, assumed)"
             if freq is None else None)
    t.blank()

    t.header("note.maturity")
    if v.get("maturity_term_months"):
        t.kv("months_after_issue", int(v["maturity_term_months"]))
    elif v.get("maturity_date"):
        t.kv("months_after_issue", 12,
             fill=f"the filing gives the maturity date {v['maturity_date']}, not a term")
    else:
        t.kv("months_after_issue", 12, fill="the filing states no maturity")
    t.blank()

    cap = v.get("beneficial_ownership_cap_pct")
    if cap is not None:
        t.header("note.conversion")
        t.kv("beneficial_ownership_cap", _dec(Decimal(str(cap)) / 100),
             note=f"{cap}% beneficial ownership limitation")
        t.blank()

    t.header("note.conversion.price")
    formula = v.get("conversion_price_formula")
    prices = v.get("conversion_price_usd")
    m = _FORMULA.fullmatch(formula) if formula else None
    if m and m.group(6) == "issuance":
        stat, caveat = _STATISTICS.get(m.group(3), ("average_close", "unknown statistic"))
        t.kv("statistic", stat, fill=caveat)
        t.kv("window_sessions", int(m.group(4)), note=formula)
        t.kv("window", "before" if m.group(5) == "before" else "ending_on")
        t.kv("multiplier", _dec(Decimal(m.group(2)) / 100))
        t.kv("decimals", 2, fill="rounding of the price not in the filing (to the cent assumed)")
        t.kv("rounding", "half_up", fill="rounding mode not in the filing (half-up assumed)")
        if m.group(1):
            t.kv("fixed_price", _dec(m.group(1).replace(",", "")))
        if v.get("conversion_floor_price_usd") is not None:
            t.kv("floor", _dec(v["conversion_floor_price_usd"]))
    elif isinstance(prices, (int, float)):
        t.kv("fixed", _dec(prices), note="fixed conversion price")
    else:
        what = (f"the formula ({formula}) is set at conversion, which deal files do not model; "
                "give a fixed price" if formula else "the filing gives no conversion price")
        # a placeholder that fails loading: an empty table would validate as the default rule
        t.kv("fixed", "FILL", fill=what)
    t.blank()

    prepay = v.get("prepayment_terms")
    t.header("note.prepayment")
    if prepay:
        low = prepay.lower()
        t.kv("allowed", True, note="per the filing's prepayment sentence")
        months = re.search(r"after\s+(\w+)\s+months", low)
        if months:
            from pipedeal.filings.numbers import parse_number

            n = parse_number(months.group(1))
            if n is not None:
                t.kv("earliest_months_after_issue", int(n))
        else:
            t.kv("earliest_months_after_issue", 0, fill="earliest prepayment date not stated")
        if re.search(r"\bone\s+prepayment|\bonce\b", low):
            t.kv("max_notices", 1)
        t.kv("partial_allowed", "in part" in low)
        if "without penalty" in low or "without premium" in low:
            t.kv("premium", "0")
        else:
            prem = re.search(r"(\d+(?:\.\d+)?)%\s+of\s+the\s+(?:outstanding\s+)?principal", low)
            if prem:
                t.kv("premium", _dec((Decimal(prem.group(1)) - 100) / 100),
                     note=f"prepaid at {prem.group(1)}% of principal")
            else:
                t.kv("premium", "0", fill="prepayment premium not stated")
        days = re.search(r"within\s+(\w+)\s+days", low)
        if days:
            from pipedeal.filings.numbers import parse_number

            n = parse_number(days.group(1))
            if n is not None:
                t.kv("holder_election_days", int(n))
                t.kv("election_day_type", "business",
                     fill="business or calendar days for the holder's window not stated")
    else:
        t.kv("allowed", False, fill="the filing does not describe prepayment")
    t.blank()

    extra: list[tuple[str, str | bool]] = []
    if v.get("default_interest_rate_pct") is not None:
        extra.append(("default_interest_rate",
                      _dec(Decimal(str(v["default_interest_rate_pct"])) / 100)))
    if v.get("secured") is not None:
        extra.append(("secured", bool(v["secured"])))
    if extra:
        t.header("note")
        for key, value in extra:
            t.kv(key, value)
        t.blank()


def _warrant(t: DraftToml, v: dict[str, Any], terms: dict[str, Any]) -> None:
    if v.get("warrant_shares") is None and v.get("warrant_coverage_pct") is None:
        t.comment("No warrants found in the filing; add a [warrant] table if there are any.")
        t.blank()
        return
    t.header("warrant")
    cov = v.get("warrant_coverage_pct")
    principal = v.get("principal_amount_usd")
    said = ((terms.get("warrant_coverage_pct") or {}).get("sentence") or "").lower()
    on_shares = re.search(r"%\s+of\s+(?:the\s+)?(?:number\s+of\s+)?(?:conversion\s+)?shares",
                          said)
    if cov is not None and not on_shares:
        t.kv("coverage_shares_per_dollar", _dec(Decimal(str(cov)) / 100),
             note=f"{cov}% of the note's principal amount")
    elif v.get("warrant_shares") and principal:
        per = Decimal(v["warrant_shares"]) / Decimal(str(principal))
        t.kv("coverage_shares_per_dollar", _dec(per.quantize(Decimal("1e-6"))),
             fill=f"derived: {v['warrant_shares']:,} shares / ${principal:,} principal; confirm")
    else:
        t.kv("coverage_shares_per_dollar", "0.1", fill="warrant shares per dollar not stated")
    ex = v.get("warrant_exercise_price_usd")
    if ex is not None and ex == v.get("conversion_price_usd") and isinstance(ex, list):
        t.kv("exercise_price", "conversion_price", note="the filing's prices equal the note's")
    elif isinstance(ex, (int, float)):
        t.kv("exercise_price", {"fixed": _dec(ex)})
    else:
        t.kv("exercise_price", "conversion_price", fill="exercise price not stated")
    if v.get("warrant_term_years") is not None and float(v["warrant_term_years"]).is_integer():
        t.kv("term_years", int(v["warrant_term_years"]))
    elif v.get("warrant_expiration_date"):
        t.kv("term_years", 5,
             fill=f"the filing gives the expiry date {v['warrant_expiration_date']}")
    else:
        t.kv("term_years", 5, fill="warrant term not stated")
    t.missing("expiry_time", "expiry time of day not in the filing (default 17:00)")
    t.missing("expiry_timezone", "expiry time zone not in the filing (default "
              "America/Los_Angeles)")
    t.blank()


def _registration(t: DraftToml, v: dict[str, Any]) -> None:
    if v.get("registration_rights") is None:
        t.comment("The filing does not mention registration rights.")
        t.blank()
        return
    t.header("registration_rights")
    if v.get("registration_filing_deadline_days") is not None:
        t.kv("filing_deadline_days", int(v["registration_filing_deadline_days"]))
    else:
        t.missing("filing_deadline_days", "filing deadline (days after closing) not in the filing")
    if v.get("registration_effectiveness_deadline_days") is not None:
        t.kv("effectiveness_deadline_days", int(v["registration_effectiveness_deadline_days"]))
    else:
        t.missing("effectiveness_deadline_days", "effectiveness deadline not in the filing")
    t.blank()


def _prices(value: Any, n: int) -> list[Decimal] | None:
    """One price per purchaser from an extracted price (a list, or one price for all)."""
    if value is None:
        return None
    values = value if isinstance(value, list) else [value] * n
    return [Decimal(str(x)) for x in values] if len(values) == n else None


def split_constraints(
    total: Decimal, prices: list[Decimal], coverage: Decimal, proceeds: Decimal
) -> str:
    """The linear constraint the exercise figure puts on the split, in whole numbers:
    Σ (p_i − p_n)·P_i = proceeds / coverage − p_n·total over i < n (e.g. 3·P1 + P2 = 4,000,000)."""
    last = prices[-1]
    coefficients = [p - last for p in prices[:-1]]
    rhs = proceeds / coverage - last * total
    places = max(_places(c) for c in (*coefficients, rhs))
    ints = [int(c * 10**places) for c in coefficients]
    rhs_int = int(rhs * 10**places)
    g = math.gcd(*(abs(x) for x in ints), abs(rhs_int)) or 1
    terms = [f"{'' if x // g == 1 else f'{x // g:,}·'}P{i + 1}" for i, x in enumerate(ints) if x]
    return f"{' + '.join(terms) or '0'} = {rhs_int // g:,}"


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def solve_split(
    total: Decimal, prices: list[Decimal], coverage: Decimal, proceeds: Decimal
) -> list[Decimal] | None:
    """Per-purchaser principals that give the aggregate ``total`` and, with warrant shares =
    ``coverage`` × principal (rounded down) at each purchaser's price, the stated exercise
    ``proceeds`` exactly: the unique such split in the coarsest round unit that has one
    ($500,000 down to $1,000), or None. Two purchasers: the two equations decide it."""
    n = len(prices)
    if n < 2 or n > 4:
        return None

    def proceeds_of(split: list[Decimal]) -> Decimal:
        return sum(((coverage * p).to_integral_value(rounding="ROUND_FLOOR") * price
                    for p, price in zip(split, prices, strict=True)), Decimal(0))

    for unit in (Decimal(500_000), Decimal(250_000), Decimal(100_000), Decimal(50_000),
                 Decimal(25_000), Decimal(10_000), Decimal(5_000), Decimal(1_000)):
        steps = int(total // unit)
        if steps * unit != total or steps > 5_000:
            continue
        found: list[list[Decimal]] = []
        for head in itertools.product(range(1, steps), repeat=n - 1):
            rest = steps - sum(head)
            if rest < 1:
                continue
            split = [unit * k for k in (*head, rest)]
            if proceeds_of(split) == proceeds:
                found.append(split)
                if len(found) > 1:
                    break
        if len(found) == 1:
            return found[0]
        if found:
            return None  # several round splits fit: the filing does not decide
    return None


def _purchasers(t: DraftToml, v: dict[str, Any], data: dict[str, Any]) -> None:
    names = v.get("purchaser_names") or []
    n = v.get("num_purchasers") or (len(names) if names else None)
    principal = v.get("principal_amount_usd")
    dates = _closing_dates(data, n)
    event = v.get("event_date")
    count = n or 1
    split: list[Decimal] | None = None
    constraint = ""
    prices = _prices(v.get("warrant_exercise_price_usd") or v.get("conversion_price_usd"), count)
    proceeds = _exercise_proceeds(data)
    coverage = v.get("warrant_coverage_pct")
    if principal and count > 1 and prices and proceeds and coverage:
        total, cov = Decimal(str(principal)), Decimal(str(coverage)) / 100
        split = solve_split(total, prices, cov, proceeds)
        linear = split_constraints(total, prices, cov, proceeds)
        constraint = (f"P1 + ... + P{count} = {total:,} and {linear} (from the ${proceeds:,} "
                      "exercise figure)")
    for i in range(count):
        t.header("purchasers", array=True)
        if i < len(names):
            t.kv("name", names[i])
        else:
            t.kv("name", f"Purchaser {i + 1}", fill="purchaser names are not in the filing")
        if dates:
            t.kv("closing_date", dates[i], note="closing dates in the order the filing gives them")
        elif event:
            t.kv("closing_date", dt.date.fromisoformat(event),
                 fill="the filing gives one event date; confirm this purchaser's closing")
        else:
            t.kv("closing_date", dt.date(2000, 1, 1), fill="closing date not in the filing")
        if principal and count == 1:
            t.kv("principal", _dec(principal))
        elif principal and split is not None:
            t.kv("principal", _dec(split[i]),
                 fill=f"the filing gives only the aggregate; this split is the one in round "
                 f"amounts that fits {constraint}; confirm")
        elif principal:
            share = (Decimal(str(principal)) / count).quantize(Decimal("0.01"))
            t.kv("principal", _dec(share),
                 fill=f"the filing gives only the aggregate ${principal:,}; equal split assumed"
                 + (f"; the split must satisfy {constraint}" if constraint else ""))
        else:
            t.kv("principal", "1", fill="principal not in the filing")
        if v.get("purchase_price_usd") and principal and v["purchase_price_usd"] < principal \
                and count == 1:
            t.kv("cash_funded", _dec(v["purchase_price_usd"]), note="purchase price below face")
        t.blank()


def _disclosure(t: DraftToml, v: dict[str, Any], data: dict[str, Any], source: str,
                filing: dict[str, Any]) -> None:
    t.header("disclosure", note="what the filing states, checked against the computed figures")
    items = ", ".join(f"Item {i['number']}" for i in filing.get("items", [])
                      if i["number"] not in ("7", "9.01"))
    dated = f"Form {filing.get('form_type') or '8-K'} dated {filing.get('report_date')}"
    t.kv("source", f"{source} ({dated}{', ' + items if items else ''})")
    if v.get("num_purchasers"):
        t.kv("num_purchasers", int(v["num_purchasers"]))
    if v.get("principal_amount_usd"):
        t.kv("aggregate_principal", _dec(v["principal_amount_usd"]))
    if v.get("warrant_shares"):
        t.kv("warrant_shares", int(v["warrant_shares"]))
    proceeds = _exercise_proceeds(data)
    if proceeds is not None:
        t.kv("exercise_proceeds", _dec(proceeds))
    for key, name in (("conversion_price_usd", "conversion_prices"),
                      ("warrant_exercise_price_usd", "exercise_prices")):
        value = v.get(key)
        if value is not None:
            values = value if isinstance(value, list) else [value]
            t.kv(name, [_dec(x) for x in values])


def write_draft(data: dict[str, Any], out_dir: Path | str, *, force: bool = False
                ) -> tuple[Path, list[str]]:
    """Write ``out_dir/deal.toml``; an existing one is a ``UserError`` unless ``force``."""
    out_dir = Path(out_dir)
    path = out_dir / DEAL_FILE
    if path.exists() and not force:
        raise UserError(f"{path}: already exists; pass --force to overwrite it")
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir}: not a folder")
    text, fill = draft_toml(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path, fill
