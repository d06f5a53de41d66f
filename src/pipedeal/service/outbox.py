"""Notifications: what each recorded event tells whom, written to the outbox (the inbox API).

A prepayment notice goes to each holder bound to that purchaser, with the election window the
instrument layer computes (``note.election_window``) and its deadline instant; a lapse goes to
the holders and the issuers; a holder's conversion, election or warrant exercise goes to the
issuers (who confirm it with share delivery: ``shares_delivered`` goes to the holders, and shares
past their delivery deadline to the issuers and the holders, ``delivery_overdue``, from the
sweep's due list). Each message is keyed by (deal, event, recipient),
so writing it again (a retry, a restart, a second process, ``reconcile``) adds nothing.

The outbox row is written right after the event's own transaction, not inside it (the ledger's
``record`` owns its transaction); ``reconcile`` re-derives every message from the log, so a crash
between the two is repaired by the next sweep. ``pipedeal.service.mailer`` delivers the
messages by e-mail (``pipedeal serve --smtp``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from pipedeal.instruments.deal import LoadedDeal
from pipedeal.ledger.chain import RecordedEvent
from pipedeal.ledger.events import EventKind
from pipedeal.service.store import Grant, Store

TO_HOLDERS = {EventKind.PREPAYMENT_NOTICE, EventKind.ELECTION_LAPSED, EventKind.SHARES_DELIVERED}
TO_ISSUERS = {
    EventKind.ELECTION_LAPSED,
    EventKind.CONVERSION,
    EventKind.CONVERSION_ELECTION,
    EventKind.WARRANT_EXERCISED,
}


def deadline(closes: dt.date, zone: str) -> dt.datetime:
    """The instant an election window whose last day is ``closes`` ends: midnight after it."""
    return dt.datetime.combine(closes + dt.timedelta(days=1), dt.time(0), ZoneInfo(zone))


def in_zones(
    zones: dict[int, str | None], grants: list[Grant], purchaser: str, end: dt.datetime,
    default: str,
) -> dict[str, list[dict[str, str]]]:
    """The deadline ``end`` in the time zones of the purchaser's holders and of the deal's
    issuers (each user's ``tz`` in ``zones``, else ``default``): one entry per distinct zone."""
    out: dict[str, list[dict[str, str]]] = {}
    for role, label in (("holder", "holders"), ("issuer", "issuers")):
        names = sorted({
            zones.get(g.user_id) or default
            for g in grants
            if g.role == role and (role != "holder" or g.purchaser == purchaser)
        })
        out[label] = [{"zone": z, "deadline": end.astimezone(ZoneInfo(z)).isoformat()}
                      for z in names]
    return out


def localized(window: dict[str, Any], zone: str) -> dict[str, Any]:
    """``window`` with its deadline in one reader's zone (``your_zone``, ``deadline_local``)."""
    end = dt.datetime.fromisoformat(window["deadline"])
    return {**window, "your_zone": zone,
            "deadline_local": end.astimezone(ZoneInfo(zone)).isoformat()}


def window_json(deal: LoadedDeal, purchaser: str, notice: dt.date, zone: str) -> dict[str, Any]:
    w = deal.note(purchaser).election_window(notice)
    end = deadline(w.closes, zone)
    return {
        "notice_date": notice.isoformat(),
        "closes": w.closes.isoformat(),
        "settle_from": w.settle_from.isoformat(),
        "deadline": end.isoformat(),
        "deadline_utc": end.astimezone(dt.UTC).isoformat(),
    }


def notify(
    store: Store,
    deal_key: str,
    deal: LoadedDeal,
    records: Iterable[RecordedEvent],
    at: dt.datetime,
    zone: str,
) -> int:
    """Write the outbox messages ``records`` call for; how many were new."""
    grants: list[Grant] | None = None
    zones: dict[int, str | None] = {}
    added = 0
    for rec in records:
        e = rec.event
        if e.kind not in TO_HOLDERS and e.kind not in TO_ISSUERS:
            continue
        if grants is None:
            grants = store.grants_on(deal_key)
            zones = store.zones_of([g.user_id for g in grants])
        purchaser = e.purchaser
        body: dict[str, Any] = {
            "subject": f"{e.kind.value.replace('_', ' ')}: {e.instrument} on {e.date}",
            "event": {"seq": rec.seq, **e.to_json()},
            "recorded_by": rec.recorded_by,
        }
        if e.kind is EventKind.PREPAYMENT_NOTICE and purchaser is not None:
            w = window_json(deal, purchaser, e.date, zone)
            end = dt.datetime.fromisoformat(w["deadline"])
            body["election_window"] = {**w, **in_zones(zones, grants, purchaser, end, zone)}
        for g in grants:
            to_holder = (
                e.kind in TO_HOLDERS and g.role == "holder" and g.purchaser == purchaser
            )
            to_issuer = e.kind in TO_ISSUERS and g.role == "issuer"
            if not (to_holder or to_issuer):
                continue
            dedupe = f"{deal_key}\x1f{rec.seq}\x1f{g.user_id}\x1f{e.kind.value}"
            mine = body
            if "election_window" in body:
                mine = {**body, "election_window": localized(
                    body["election_window"], zones.get(g.user_id) or zone)}
            if store.enqueue(dedupe, deal_key, g.user_id, e.kind.value, rec.seq, mine, at):
                added += 1
    return added


def remind_closing(
    store: Store, deal_key: str, deal: LoadedDeal, purchaser: str, notice: dt.date,
    at: dt.datetime, zone: str,
) -> int:
    """Tell each holder of ``purchaser`` that its election window (opened by the notice of
    ``notice``) closes within a day; once per holder and window."""
    grants = store.grants_on(deal_key)
    zones = store.zones_of([g.user_id for g in grants])
    w = window_json(deal, purchaser, notice, zone)
    w = {**w, **in_zones(zones, grants, purchaser, dt.datetime.fromisoformat(w["deadline"]),
                         zone)}
    added = 0
    for g in grants:
        if g.role != "holder" or g.purchaser != purchaser:
            continue
        body = {
            "subject": f"election window closing: note:{purchaser} (notice of {notice})",
            "election_window": localized(w, zones.get(g.user_id) or zone),
        }
        dedupe = f"{deal_key}\x1fwindow_closing\x1f{purchaser}\x1f{notice}\x1f{g.user_id}"
        if store.enqueue(dedupe, deal_key, g.user_id, "window_closing", None, body, at):
            added += 1
    return added


DUE_KINDS = ("interest_payment", "maturity_repayment", "prepayment_settlement")


def remind_due(
    store: Store, deal_key: str, items: Iterable[dict[str, Any]], at: dt.datetime
) -> int:
    """Tell the issuers what is due (``pipedeal ledger due`` items: interest, maturity,
    a prepayment to settle); once per issuer, item and date."""
    grants = store.grants_on(deal_key)
    issuers = [g for g in grants if g.role == "issuer"]
    added = 0
    for item in items:
        if item["kind"] == "share_delivery" and item["status"] == "overdue":
            added += _delivery_overdue(store, deal_key, grants, item, at)
        if item["kind"] not in DUE_KINDS:
            continue
        body = {"subject": f"{item['kind'].replace('_', ' ')} {item['status']}: "
                           f"{item['instrument']} on {item['date']}", "due": item}
        for g in issuers:
            dedupe = (f"{deal_key}\x1fdue\x1f{item['kind']}\x1f{item['instrument']}\x1f"
                      f"{item['date']}\x1f{g.user_id}")
            if store.enqueue(dedupe, deal_key, g.user_id, "due", None, body, at):
                added += 1
    return added


def _delivery_overdue(
    store: Store, deal_key: str, grants: list[Grant], item: dict[str, Any], at: dt.datetime
) -> int:
    """Shares past their delivery deadline: the issuers and the purchaser's holders are told,
    once per recipient and delivery."""
    purchaser = item["instrument"].partition(":")[2]
    to = [g for g in grants if g.role == "issuer"
          or (g.role == "holder" and g.purchaser == purchaser)]
    body = {"subject": f"delivery overdue: {item['shares']:,} shares on {item['instrument']} "
                       f"(deadline {item['date']})", "due": item}
    added = 0
    for g in to:
        dedupe = (f"{deal_key}\x1fdelivery_overdue\x1f{item['instrument']}\x1f{item['date']}"
                  f"\x1f{g.user_id}")
        if store.enqueue(dedupe, deal_key, g.user_id, "delivery_overdue", None, body, at):
            added += 1
    return added


def reconcile(
    store: Store, deal_key: str, deal: LoadedDeal, records: Iterable[RecordedEvent],
    at: dt.datetime, zone: str,
) -> int:
    """Every message the whole log calls for (idempotent): repairs a crash between an event and
    its messages, and reaches users granted after the event."""
    return notify(store, deal_key, deal, records, at, zone)
