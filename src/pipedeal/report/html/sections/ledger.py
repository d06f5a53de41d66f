"""The ledger timeline section of the HTML book.

Reads the book's ``ledger`` key (the state as of a date, see ``docs/ledger.md``) and, when the
state carries no event list, the recorded events the caller passes in. It draws every dated event
on one row per instrument with the holders' election windows shaded, lists the events, and shows
the state: hash-chain check, totals, a table of notes and of warrants, registration statements,
and any keys it does not know as plain tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipedeal.report.html.sections.formatting import (
    cell,
    humanize,
    money,
    parse_date,
    price,
    shares,
)
from pipedeal.report.html.sections.model import (
    Block,
    Section,
    Table,
    figure,
    generic_block,
    mark_missing,
    records_table,
)
from pipedeal.report.html.svg import Band, Chart, Point, Series, day_number


# ---- ledger ---------------------------------------------------------------------------------
def _events(ledger: Any) -> list[Mapping[str, Any]]:
    """Event records wherever the ledger JSON keeps them (``events`` list of dated kinds)."""
    if isinstance(ledger, Mapping):
        for key in ("events", "log", "applied_events"):
            v = ledger.get(key)
            if isinstance(v, list) and all(isinstance(e, Mapping) for e in v):
                return [e.get("event", e) if isinstance(e.get("event"), Mapping) else e
                        for e in v]
    return []


def _windows(ledger: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """Election windows anywhere in the ledger JSON: dicts with ``notice_date`` and ``closes``."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    seen: set[tuple] = set()

    def visit(value: Any, owner: str) -> None:
        if isinstance(value, Mapping):
            purchaser = value.get("purchaser")
            name = purchaser if isinstance(purchaser, str) else owner
            if "notice_date" in value and "closes" in value:
                key = (name, value.get("notice_date"), value.get("closes"))
                if key not in seen:
                    seen.add(key)
                    found.append((name, value))
            for k, v in value.items():
                visit(v, name or k)
        elif isinstance(value, list):
            for v in value:
                visit(v, owner)

    visit(ledger, "")
    return found


def _lane(e: Mapping[str, Any]) -> str:
    inst = e.get("instrument")
    if isinstance(inst, str):
        return inst
    if e.get("purchaser"):
        return str(e["purchaser"])
    return "deal"


def _event_text(e: Mapping[str, Any]) -> str:
    payload = e.get("payload")
    if not isinstance(payload, Mapping):
        payload = {}
    details = ", ".join(f"{humanize(k)} {cell(v)}" for k, v in payload.items())
    return f"{e.get('date')}: {_lane(e)} {humanize(str(e.get('kind', 'event')))}" + (
        f" ({details})" if details else "")


def ledger_section(data: dict[str, Any], history: list[Mapping[str, Any]] | None = None,
                   history_note: str = "") -> Section:
    """``history``: the recorded events (``pipedeal ledger history`` records), when the book's
    ledger section carries only the state."""
    sec = Section("ledger", "Ledger timeline")
    ledger = data.get("ledger")
    if ledger is None:
        return mark_missing(sec, data, "ledger")
    source = history if history is not None else ledger
    events = [e for e in _events({"events": source} if isinstance(source, list) else source)
              if parse_date(e.get("date"))]
    if history is None and not events and history_note:
        sec.blocks.append(Block(notes=[f"Event list not available: {history_note}"]))
    windows = _windows(ledger)
    block = Block()
    as_of = ledger.get("as_of") if isinstance(ledger, Mapping) else None
    if as_of:
        block.facts.append(("As of", cell(as_of)))
    if events or windows:
        lanes = list(dict.fromkeys([_lane(e) for e in events]
                                   + [f"note:{n}" if n else "deal" for n, _ in windows]))
        lanes.sort(key=lambda s: (s != "deal", s.split(":")[-1], s))
        index = {name: i for i, name in enumerate(lanes)}
        chart = Chart("ledger-timeline", "Ledger events by instrument", "event date",
                      "instrument", y_format=lambda v: _lane_label(lanes, v),
                      height=max(220, 70 + 34 * len(lanes)), left=150,
                      y_ticks=[float(i) for i in range(len(lanes))])
        kinds = list(dict.fromkeys(str(e.get("kind")) for e in events))
        for k in kinds:
            pts = [Point(day_number(day), float(index[_lane(e)]), _event_text(e))
                   for e in events
                   if str(e.get("kind")) == k and (day := parse_date(e["date"])) is not None]
            chart.add(Series(humanize(k), pts, kind="points"))
        open_windows = 0
        for name, w in windows:
            a, b = parse_date(w.get("notice_date")), parse_date(w.get("closes"))
            if a is None or b is None:
                continue
            status = str(w.get("status") or "")
            open_windows += status == "open"
            chart.bands.append(Band(
                day_number(a), day_number(b), f"election {status}".strip(),
                f"{name or 'deal'}: holder's election window {a} to {b}"
                + (f" ({status})" if status else "")
                + (f", principal {money(w.get('principal'))}" if w.get("principal") else ""),
                kind="election-open" if status == "open" else "election"))
        if chart.has_data():
            block.figures.append(figure(chart, (
                f"Every recorded ledger event ({len(events)}) on a date axis, one row per "
                f"instrument, one marker shape per event kind; shaded: the holders' election "
                f"windows after a prepayment notice ({len(windows)}, {open_windows} open"
                + (f" as of {as_of}" if as_of else "") + "). From the deal folder's ledger."
            )))
        else:
            block.notes.append("Ledger timeline not available: the ledger has no dated events.")
        block.tables.append(Table(
            ["date", "instrument", "kind", "details"],
            [[cell(e.get("date")), _lane(e), humanize(str(e.get("kind"))),
              _event_text(e).split(" (", 1)[1].rstrip(")") if " (" in _event_text(e) else ""]
             for e in sorted(events, key=lambda e: str(e.get("date")))],
            caption="Recorded events",
        ))
    else:
        block.notes.append("Ledger timeline not available: the ledger has no recorded events.")
    sec.blocks.append(block)
    if isinstance(ledger, Mapping):
        sec.blocks.extend(_ledger_state_blocks(ledger))
    return sec


_NOTE_COLS = (
    ("purchaser", "note", str), ("status", "status", str),
    ("outstanding_principal", "outstanding principal", money),
    ("accrued_interest", "accrued interest", money), ("interest_paid", "interest paid", money),
    ("interest_paid_through", "paid through", cell),
    ("principal_converted", "principal converted", money),
    ("interest_converted", "interest converted", money), ("shares_issued", "shares issued", shares),
    ("principal_prepaid", "principal prepaid", money),
    ("principal_repaid", "principal repaid", money),
    ("conversion_price", "conversion price", price),
)
_WARRANT_COLS = (
    ("purchaser", "warrant", str), ("shares_outstanding", "shares outstanding", shares),
    ("shares_exercised", "shares exercised", shares), ("shares_expired", "shares expired", shares),
    ("exercise_price", "exercise price", price), ("cash_received", "cash received", money),
    ("expires_at", "expires", cell), ("expired", "expired", cell),
)


def _ledger_state_blocks(ledger: Mapping[str, Any]) -> list[Block]:
    known = {"schema_version", "as_of", "events", "log", "notes", "warrants", "registrations",
             "totals", "verify", "location", "events_recorded", "events_applied",
             "split_factor", "split_factor_decimal"}
    block = Block(f"State as of {ledger.get('as_of')}" if ledger.get("as_of") else "State")
    v = ledger.get("verify")
    if isinstance(v, Mapping):
        block.facts.append(("Hash chain", "intact" if v.get("ok") else
                            f"VERIFY FAILED at event {v.get('first_bad_seq')}: "
                            f"{v.get('problem')}"))
    for key, label in (("location", "Ledger"), ("events_recorded", "Events recorded"),
                       ("events_applied", "Events applied"),
                       ("split_factor", "Split factor")):
        if ledger.get(key) is not None:
            block.facts.append((label, cell(ledger[key])))
    tot = ledger.get("totals")
    if isinstance(tot, Mapping):
        for k, val in tot.items():
            fmt = shares if isinstance(val, int) else money
            block.facts.append((humanize(k), fmt(val)))
    for key, cols, caption in (("notes", _NOTE_COLS, "Notes"),
                               ("warrants", _WARRANT_COLS, "Warrants")):
        rows = [r for r in ledger.get(key) or [] if isinstance(r, Mapping)]
        if rows:
            block.tables.append(Table([c[1] for c in cols],
                                      [[c[2](r.get(c[0])) if r.get(c[0]) is not None else "—"
                                        for c in cols] for r in rows], caption=caption))
    regs = [r for r in ledger.get("registrations") or [] if isinstance(r, Mapping)]
    if regs:
        block.tables.append(records_table(regs, "Registration statements"))
    rest = {k: val for k, val in ledger.items() if k not in known}
    blocks = [block]
    if rest:
        blocks.append(generic_block("More ledger data", rest))
    return blocks


def _lane_label(lanes: list[str], v: float) -> str:
    i = int(round(v))
    return lanes[i] if abs(v - i) < 1e-6 and 0 <= i < len(lanes) else ""
