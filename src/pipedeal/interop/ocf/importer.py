"""An OCF package read back into a deal folder.

A package pipedeal wrote carries its extension (``extension``): the deal's full terms, the closes
and the ledger's events. The deal is rebuilt from them, with the values OCF holds natively taking
precedence (the issuer's legal name, each purchaser's name, closing date and principal, the
notes' interest rate), so an edit made in a cap-table tool comes back; the folder is loaded
before it is put in place, and the round trip gives an equal deal.

Any other package is drafted (``draft``): what OCF states goes in as data, everything else is
a line marked ``# FILL:`` (the convention of ``pipedeal extract --deal-out``), and the folder
loads once those lines are filled.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from pipedeal.errors import UserError
from pipedeal.interop.ocf import schema
from pipedeal.interop.ocf.extension import EXTENSION_FILE, Extension
from pipedeal.interop.ocf.package import Package, read_package
from pipedeal.ledger.events import Event
from pipedeal.terms.loader import DEAL_FILE, validate
from pipedeal.terms.models import Deal

EVENTS_FILE = "ledger-events.jsonl"
"""The ledger's events, for ``pipedeal ledger init`` then ``pipedeal ledger import``."""


@dataclass(frozen=True)
class ImportResult:
    """What ``import_ocf`` wrote: ``mode`` is ``exact`` (a pipedeal package) or ``draft``."""

    out: Path
    mode: str
    files: tuple[str, ...]
    fill: tuple[str, ...]
    events: int
    skipped: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "out": str(self.out),
            "mode": self.mode,
            "files": list(self.files),
            "fill": list(self.fill),
            "ledger_events": self.events,
            "skipped": list(self.skipped),
        }


def _toml_ready(value: Any) -> Any:
    """Python values of a dumped ``Deal`` as ``tomli_w`` writes them (money as text)."""
    if isinstance(value, dict):
        return {k: _toml_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_toml_ready(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return value.value
    return value


def deal_toml(deal: Deal, source: str) -> str:
    """``deal.toml`` text for ``deal``: every term written out, defaults included."""
    head = (f"# Deal file written by `pipedeal import-ocf` from {source}.\n"
            "# Every term is written out, defaults included (docs/deal-file.md).\n\n")
    return head + tomli_w.dumps(_toml_ready(deal.model_dump(mode="python", exclude_none=True)))


# --- a package pipedeal wrote ------------------------------------------------------------------


def _amount(money: schema.Monetary, where: str) -> str:
    if money.currency != "USD":
        raise UserError(f"{where}: currency {money.currency}: pipedeal's deals are in USD")
    return money.amount


def read_deal(package: Package) -> tuple[Deal, list[dict[str, Any]]]:
    """The deal and its ledger events (as ``ledger import`` reads them) from a package with the
    pipedeal extension, OCF's own values taking precedence where OCF holds them."""
    ext = package.extension
    assert ext is not None
    where = f"{package.source}:{EXTENSION_FILE}"
    data = json.loads(json.dumps(ext.deal))  # a deep copy
    data.setdefault("issuer", {})["name"] = package.manifest.issuer.legal_name
    renames: dict[str, str] = {}
    rates: set[str] = set()
    by_name = {p.get("name"): p for p in data.get("purchasers", []) if isinstance(p, dict)}
    for tx in package.transactions:
        fields = ext.objects.get(tx.id, {})
        if not isinstance(tx, schema.ConvertibleIssuance) or fields.get("role") != "note":
            continue
        old = fields.get("purchaser")
        purchaser = by_name.get(old)
        if purchaser is None:
            raise UserError(f"{where}: field objects.{tx.id}.purchaser: no purchaser {old!r} "
                            "in deal.purchasers")
        new = package.stakeholder(tx.stakeholder_id).name.legal_name
        if new != old:
            renames[str(old)] = new
        purchaser.update(name=new, closing_date=tx.date,
                         principal=_amount(tx.investment_amount, f"{package.source}: object "
                                           f"{tx.id}: field investment_amount"))
        for trig in tx.conversion_triggers:
            mech = trig.conversion_right.conversion_mechanism
            if isinstance(mech, schema.NoteConversionMechanism) and mech.interest_rates:
                rates.add(mech.interest_rates[0].rate)
    if len(rates) > 1:
        raise UserError(f"{package.source}: TX_CONVERTIBLE_ISSUANCE interest_rates differ "
                        f"({', '.join(sorted(rates))}); a deal's notes share one rate")
    if rates:
        data.setdefault("note", {}).setdefault("interest", {})["rate"] = rates.pop()
    deal = validate(Deal, data, Path(where))
    events = []
    for i, item in enumerate(ext.events):
        event = dict(item.event)
        kind, _, name = str(event.get("instrument", "")).partition(":")
        if name in renames:
            event["instrument"] = f"{kind}:{renames[name]}"
        try:  # checked here, so that a bad event is named now, not at ledger import
            Event.model_validate(event)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = [str(x) for x in first["loc"]]
            if loc and loc[0] not in Event.model_fields:  # checked by the payload's model
                loc.insert(0, "payload")
            field = ".".join(loc) or "(top level)"
            raise UserError(f"{where}: field events[{i}].event.{field}: {first['msg']}"
                            ) from None
        events.append({"event": event, "idempotency_key": item.idempotency_key})
    return deal, events


# --- any other package: a draft ----------------------------------------------------------------


def _months_between(start: dt.date, end: dt.date) -> int | None:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if months > 0 and end.day == start.day else None


def _dec(text: str) -> str:
    try:
        return format(Decimal(text).normalize(), "f")
    except InvalidOperation:  # pragma: no cover - Numeric's pattern admits only numbers
        return text


def draft_toml(package: Package) -> tuple[str, list[str], list[str]]:
    """A draft ``deal.toml`` for a package without pipedeal's extension: its text, the FILL
    marks and what was left out."""
    from pipedeal.filings.draft import DraftToml, draft_share_count_and_market
    from pipedeal.interop.ocf.places import STATE_NAMES

    iss = package.manifest.issuer
    source = Path(package.source).name
    notes = [t for t in package.transactions if isinstance(t, schema.ConvertibleIssuance)]
    skipped: list[str] = [f"{s}: not read (pipedeal reads notes, warrants, stock)"
                          for s in package.skipped]
    kept = []
    for tx in notes:
        if tx.convertible_type != "NOTE":
            skipped.append(f"{tx.id}: a {tx.convertible_type} is not a note; left out")
        else:
            kept.append(tx)
    notes = kept
    if not notes:
        raise UserError(f"{package.source}: no TX_CONVERTIBLE_ISSUANCE of convertible_type NOTE; "
                        "a pipedeal deal is a financing of convertible notes")
    holders = {t.stakeholder_id for t in notes}
    warrants = [w for w in package.transactions if isinstance(w, schema.WarrantIssuance)
                and w.stakeholder_id in holders]
    skipped += [f"{w.id}: a warrant of a stakeholder without a note; left out"
                for w in package.transactions
                if isinstance(w, schema.WarrantIssuance) and w.stakeholder_id not in holders]
    for x in package.transactions:
        if isinstance(x, schema.StockIssuance):
            skipped.append(f"{x.object_type} {x.id}: stock outside the financing; left out")
        elif not isinstance(x, (schema.ConvertibleIssuance, schema.WarrantIssuance)):
            skipped.append(f"{x.object_type} {x.id}: not turned into a ledger event (record "
                           "it with pipedeal ledger record)")
    common = next((c for c in package.stock_classes if c.class_type == "COMMON"), None)

    t = DraftToml()
    t.comment(f"Draft deal file written by `pipedeal import-ocf` from {source} "
              f"(OCF {package.manifest.ocf_version}, as of {package.manifest.as_of}).")
    t.comment("Values below are what the package states. Lines marked FILL are terms OCF does")
    t.comment("not carry (or carries only in part): fill or confirm them, then run")
    t.comment("`pipedeal book`.")
    t.comment("Every other term takes its documented default (docs/deal-file.md).")
    t.blank()
    t.kv("schema_version", 1)
    t.kv("name", f"{iss.legal_name} convertible notes" + (" and warrants" if warrants else ""))
    t.kv("notes", f"Drafted from the OCF package {source} by pipedeal import-ocf; see FILL marks.")
    t.blank()

    t.header("issuer")
    t.kv("name", iss.legal_name)
    t.kv("formation_date", iss.formation_date)
    sub = iss.country_subdivision_of_formation
    if iss.country_of_formation == "US" and sub in STATE_NAMES:
        t.kv("state", STATE_NAMES[sub])
    elif sub:
        t.kv("state", f"{iss.country_of_formation}-{sub}")
    tax = next((x.tax_id for x in iss.tax_ids or () if x.country == "US"), None)
    if tax:
        t.kv("irs_employer_number", tax)
    if iss.address and (iss.address.street_suite or iss.address.city):
        t.kv("address", ", ".join(x for x in (iss.address.street_suite, iss.address.city) if x))
        if iss.address.postal_code:
            t.kv("zip", iss.address.postal_code)
    if iss.phone:
        t.kv("phone", iss.phone.phone_number)
    if common and common.par_value and common.par_value.currency == "USD":
        t.kv("par_value", _dec(common.par_value.amount))
    authorized = common.initial_shares_authorized if common else iss.initial_shares_authorized
    if authorized and authorized not in ("NOT APPLICABLE", "UNLIMITED"):
        t.kv("authorized_shares", int(Decimal(authorized)))
    t.blank()
    draft_share_count_and_market(t, "OCF")

    exemptions = sorted({e.description for n in notes for e in n.security_law_exemptions})
    t.header("offering")
    if exemptions:
        t.kv("exemption", exemptions)
    else:
        t.kv("exemption", ["Rule 506 of Regulation D"], fill="the package names no exemption")
    approvals = sorted({n.board_approval_date for n in notes if n.board_approval_date})
    if approvals:
        t.kv("board_authorization_date", dt.date.fromisoformat(approvals[0]))
    t.blank()

    _draft_note(t, notes)
    _draft_warrant(t, notes, warrants)
    t.header("registration_rights")
    t.missing("filing_deadline_days", "registration rights are not in OCF: filing deadline "
              "(days after closing)")
    t.missing("effectiveness_deadline_days", "effectiveness deadline not in OCF")
    t.blank()
    names = [package.stakeholder(n.stakeholder_id).name.legal_name for n in notes]
    for n, name in zip(notes, names, strict=True):
        t.header("purchasers", array=True)
        if names.count(name) > 1:  # purchaser names are keys: one note each
            t.kv("name", f"{name} ({n.custom_id})",
                 fill=f"{name} holds {names.count(name)} notes; each purchaser is one note")
        else:
            t.kv("name", name)
        t.kv("closing_date", dt.date.fromisoformat(n.date))
        if n.investment_amount.currency == "USD":
            t.kv("principal", _dec(n.investment_amount.amount))
        else:
            t.kv("principal", _dec(n.investment_amount.amount),
                 fill=f"the package states {n.investment_amount.currency}; deal files are in USD")
        t.blank()
    return t.text(), t.fill, skipped


def _mechanisms(note: schema.ConvertibleIssuance) -> list[schema.NoteConversionMechanism]:
    return [m for trig in note.conversion_triggers
            if isinstance(m := trig.conversion_right.conversion_mechanism,
                          schema.NoteConversionMechanism)]


def _draft_note(t: Any, notes: list[schema.ConvertibleIssuance]) -> None:
    mechs = [m for n in notes for m in _mechanisms(n)[:1]]
    first = mechs[0] if mechs else None
    t.header("note.interest")
    rates = {m.interest_rates[0].rate for m in mechs if m.interest_rates}
    if first is None or not rates:
        t.kv("rate", "0", fill="the package gives no note conversion mechanism with a rate")
    elif len(rates) > 1:
        t.kv("rate", _dec(sorted(rates)[0]),
             fill=f"the notes' rates differ ({', '.join(sorted(rates))}); a deal's notes "
             "share one")
    else:
        rate = rates.pop()
        t.kv("rate", _dec(rate), note=f"{Decimal(rate) * 100:f}% per annum",
             fill="the package says interest compounds; deal files model simple interest"
             if first.compounding_type == "COMPOUNDING" else None)
    if first is not None and first.day_count_convention == "ACTUAL_365":
        t.kv("day_count", "ACT/365F", note="OCF ACTUAL_365")
    else:
        t.kv("day_count", "ACT/365F", fill="the package's day count is not ACTUAL_365 "
             "(ACT/365F assumed)")
    if first is not None and first.interest_payout == "CASH" and \
            first.interest_accrual_period == "MONTHLY":
        t.kv("payment", "first_business_day_next_month",
             fill="pay dates are not in OCF (the first business day of the next month assumed)")
    else:
        what = "no mechanism" if first is None else \
            f"{first.interest_payout} interest, {first.interest_accrual_period} accrual"
        t.kv("payment", "first_business_day_next_month",
             fill=f"the package says {what}; deal files model monthly cash payment")
    t.blank()

    t.header("note.maturity")
    ends = [(dt.date.fromisoformat(n.date), m.interest_rates[0].accrual_end_date)
            for n, m in zip(notes, mechs, strict=False) if m.interest_rates]
    dated = [trig for trig in notes[0].conversion_triggers
             if isinstance(trig, schema.AutomaticOnDate)]
    months = None
    if dated:
        months = _months_between(dt.date.fromisoformat(notes[0].date),
                                 dt.date.fromisoformat(dated[0].trigger_date))
    elif ends and ends[0][1]:
        end = dt.date.fromisoformat(ends[0][1]) + dt.timedelta(days=1)
        months = _months_between(ends[0][0], end)
    if months:
        t.kv("months_after_issue", months,
             fill="derived from the package's maturity conversion or accrual end date; confirm")
    else:
        t.kv("months_after_issue", 12, fill="OCF does not carry the note's maturity")
    t.blank()

    t.header("note.conversion.price")
    described = [trig.trigger_description for trig in notes[0].conversion_triggers
                 if trig.trigger_description]
    hint = f" (the package says: {described[0][:160]})" if described else ""
    # a placeholder that fails loading: an empty table would validate as the default rule
    t.kv("fixed", "FILL", fill="OCF's note conversion mechanism carries no conversion price; "
         f"give the fixed price or the formula{hint}")
    t.blank()

    t.header("note.prepayment")
    t.kv("allowed", False, fill="OCF does not carry prepayment terms")
    t.blank()


def _draft_warrant(t: Any, notes: list[schema.ConvertibleIssuance],
                   warrants: list[schema.WarrantIssuance]) -> None:
    if not warrants:
        t.comment("No warrants in the package; add a [warrant] table if there are any.")
        t.blank()
        return
    t.header("warrant")
    principal = {n.stakeholder_id: Decimal(n.investment_amount.amount) for n in notes}
    w = warrants[0]
    if w.quantity is not None and principal.get(w.stakeholder_id):
        per = Decimal(w.quantity) / principal[w.stakeholder_id]
        t.kv("coverage_shares_per_dollar", _dec(str(per.quantize(Decimal("1e-6")))),
             fill=f"derived: {Decimal(w.quantity):,} warrant shares / "
             f"${principal[w.stakeholder_id]:,} principal; confirm")
    else:
        t.kv("coverage_shares_per_dollar", "0.1", fill="warrant shares not in the package")
    prices = {x.exercise_price.amount for x in warrants if x.exercise_price}
    if len(prices) == 1 and all(x.exercise_price and x.exercise_price.currency == "USD"
                                for x in warrants):
        t.kv("exercise_price", {"fixed": _dec(prices.pop())})
    else:
        t.kv("exercise_price", "conversion_price",
             fill="the warrants' exercise prices differ or are missing; give the rule")
    expiry = w.warrant_expiration_date or next(
        (trig.end_date for trig in w.exercise_triggers
         if isinstance(trig, schema.ElectiveInRange)), None)
    months = _months_between(dt.date.fromisoformat(w.date),
                             dt.date.fromisoformat(expiry)) if expiry else None
    if months and months % 12 == 0:
        t.kv("term_years", months // 12)
    else:
        t.kv("term_years", 5, fill=f"the package gives the expiry {expiry or '(none)'}, not a "
             "whole number of years")
    t.missing("expiry_time", "expiry time of day not in OCF (default 17:00)")
    t.missing("expiry_timezone", "expiry time zone not in OCF (default America/Los_Angeles)")
    t.blank()


# --- writing the folder ------------------------------------------------------------------------


def import_ocf(package_path: Path | str, out_dir: Path | str) -> ImportResult:
    """Read the OCF package at ``package_path`` into the new deal folder ``out_dir`` (it must
    not exist, or be empty). Nothing is written on any error."""
    package = read_package(package_path)
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"OUT_DIR {out}: exists and is not an empty folder")
    parent = out.parent
    if not parent.is_dir():
        raise UserError(f"OUT_DIR {out}: no such folder {parent}")
    files: dict[str, str] = {}
    fill: list[str] = []
    skipped: list[str] = []
    events: list[dict[str, Any]] = []
    source = Path(package.source).name
    if package.extension is not None:
        mode = "exact"
        deal, events = read_deal(package)
        files[DEAL_FILE] = deal_toml(deal, source)
        ext: Extension = package.extension
        for carried, text in ext.files.items():
            target = deal.market.closes if carried == "closes.csv" else carried
            if target:
                files[target] = text
        if events:
            files[EVENTS_FILE] = "".join(json.dumps(e, ensure_ascii=False) + "\n"
                                         for e in events)
        skipped = [f"{s}: not read" for s in package.skipped]
    else:
        mode = "draft"
        text, fill, skipped = draft_toml(package)
        files[DEAL_FILE] = text
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    try:
        for name, text in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if mode == "exact":
            from pipedeal.instruments.deal import load

            load(tmp)  # the folder must load as it is, or nothing is put in place
        if out.exists():
            out.rmdir()
        os.rename(tmp, out)
    except UserError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(exc.message.replace(str(tmp), str(out))) from None
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"OUT_DIR {out}: cannot write: {exc.strerror or exc}") from None
    return ImportResult(out, mode, tuple(files), tuple(fill), len(events), tuple(skipped))
