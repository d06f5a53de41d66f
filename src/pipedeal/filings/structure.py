"""A filing's structure: plain text, HTML or a full EDGAR submission (SGML headers) → ``Filing``.

What comes out: form type, report date and earliest event date, the registrant block, the items
(2004 numbering "Item 5 / Item 7" and the current "Item 1.01 / 2.03 / 3.02 / 9.01"), each item's
text and span, the exhibit list and the signatures. Everything is rule-based and offline. This
module owns ``Filing`` and ``parse_filing``, which assembles it from the readers in
``plaintext`` (raw filing to normalised text), ``cover`` (form type, dates, registrant) and
``items`` (items, exhibits, signatures); it re-exports their public names.

All character spans index into ``Filing.text``: the filing as normalised plain text (tags
stripped, entities decoded, runs of blanks collapsed to one space, lines stripped, at most one
empty line in a row).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from pipedeal.filings.cover import (
    STATES,
    compact_date,
    cover_dates,
    form_type,
    parse_registrant,
)
from pipedeal.filings.items import (
    EXHIBIT_ITEMS,
    ITEM_TITLES,
    Exhibit,
    Item,
    Signature,
    parse_exhibits,
    parse_items,
    parse_signatures,
)
from pipedeal.filings.plaintext import (
    html_to_text,
    line_starts,
    looks_like_html,
    normalise,
    read_text,
    split_sgml,
)

MAX_BYTES = 25 * 1024 * 1024  # a bigger file is refused (UserError in the reader)


@dataclass(frozen=True)
class Filing:
    text: str
    source_format: str  # "text" | "html" | "sgml"
    form_type: str | None
    report_date: dt.date | None
    earliest_event_date: dt.date | None
    filed_date: dt.date | None
    registrant: dict[str, str | None]
    items: tuple[Item, ...]
    exhibits: tuple[Exhibit, ...]
    signatures: tuple[Signature, ...]
    header: dict[str, str] = field(default_factory=dict)
    # press releases (EX-99) of an SGML 8-K submission that talk about the financing, appended to
    # ``text`` after the main document: (document type, start, end) in ``text``
    attached: tuple[tuple[str, int, int], ...] = ()

    def item(self, number: str) -> Item | None:
        for it in self.items:
            if it.number == number:
                return it
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "source_format": self.source_format,
            "form_type": self.form_type,
            "report_date": _iso(self.report_date),
            "earliest_event_date": _iso(self.earliest_event_date),
            "filed_date": _iso(self.filed_date),
            "items": [
                {"number": i.number, "title": i.title, "numbering": i.numbering,
                 "span": list(i.span), "text": i.text}
                for i in self.items
            ],
            "exhibits": [{"number": e.number, "description": e.description} for e in self.exhibits],
            "signatures": [
                {"name": s.name, "title": s.title, "date": _iso(s.date)} for s in self.signatures
            ],
            "attached": [{"type": t, "span": [a, b]} for t, a, b in self.attached],
        }


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def parse_filing(raw: str) -> Filing:
    """Parse a filing's text (plain, HTML or SGML submission) into its structure."""
    text, fmt, header, documents = read_text(raw)
    report, earliest = cover_dates(text)
    if header.get("CONFORMED PERIOD OF REPORT") and earliest is None:
        earliest = compact_date(header["CONFORMED PERIOD OF REPORT"])
    filed = compact_date(header.get("FILED AS OF DATE", ""))
    if report is None and earliest is not None and header:
        report = filed
    items = parse_items(text)
    exhibits = parse_exhibits(items, documents)
    text, attached = _attach_press_releases(text, fmt, header, documents)
    return Filing(
        text=text,
        source_format=fmt,
        form_type=form_type(text, header),
        report_date=report,
        earliest_event_date=earliest,
        filed_date=filed,
        registrant=parse_registrant(text, header),
        items=tuple(items),
        exhibits=tuple(exhibits),
        signatures=tuple(parse_signatures(text)),
        header=header,
        attached=attached,
    )


_FINANCING = re.compile(r"convertible|debenture", re.IGNORECASE)
MAX_ATTACHED_CHARS = 200_000  # of press-release text appended to an 8-K's main document


def _attach_press_releases(text: str, fmt: str, header: dict[str, str],
                           documents: list[dict[str, str]]
                           ) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    """An SGML 8-K's main text with its EX-99 documents that speak of convertible notes or
    debentures appended (an 8-K often says only "see the press release, Exhibit 99.1")."""
    form = header.get("CONFORMED SUBMISSION TYPE", "").upper()
    if fmt != "sgml" or not form.startswith("8-K"):
        return text, ()
    attached: list[tuple[str, int, int]] = []
    room = MAX_ATTACHED_CHARS
    for doc in documents:
        kind = doc.get("type", "").upper()
        if not kind.startswith("EX-99") or room <= 0:
            continue
        body = doc.get("text", "")[: room * 4]
        body = normalise(html_to_text(body) if looks_like_html(body) else body)[:room]
        if not body or not _FINANCING.search(body):
            continue
        start = len(text) + 2
        text = f"{text}\n\n{body}"
        attached.append((kind, start, len(text)))
        room -= len(body)
    return text, tuple(attached)


__all__ = [
    "EXHIBIT_ITEMS", "ITEM_TITLES", "MAX_BYTES", "STATES", "Exhibit", "Filing", "Item",
    "Signature", "compact_date", "cover_dates", "form_type", "html_to_text", "line_starts",
    "looks_like_html", "normalise", "parse_exhibits", "parse_filing", "parse_items",
    "parse_registrant", "parse_signatures", "read_text", "split_sgml",
]
