"""The body of a filing: its items, its exhibit list and its signatures.

``parse_items`` finds the item headings in both 8-K numberings (2004's "Item 5 / Item 7" and the
current "Item 1.01 / 2.03 / 3.02 / 9.01", titles in ``ITEM_TITLES``) and cuts the text between
them into ``Item``s with their spans; ``parse_exhibits`` reads the exhibit list of the exhibit
items (``EXHIBIT_ITEMS``) and an SGML submission's ``EX-`` documents; ``parse_signatures`` reads
the "/s/" lines of the signature block with each signer's title and date.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass

from pipedeal.filings.numbers import DATE_RE, parse_date
from pipedeal.filings.plaintext import line_starts

ITEM_TITLES: dict[str, str] = {
    # Form 8-K items before 23 August 2004
    "1": "Changes in Control of Registrant",
    "2": "Acquisition or Disposition of Assets",
    "3": "Bankruptcy or Receivership",
    "4": "Changes in Registrant's Certifying Accountant",
    "5": "Other Events and Regulation FD Disclosure",
    "6": "Resignations of Registrant's Directors",
    "7": "Financial Statements and Exhibits",
    "8": "Change in Fiscal Year",
    "9": "Regulation FD Disclosure",
    "10": "Amendments to the Registrant's Code of Ethics",
    "11": "Temporary Suspension of Trading Under Registrant's Employee Benefit Plans",
    "12": "Results of Operations and Financial Condition",
    # current numbering
    "1.01": "Entry into a Material Definitive Agreement",
    "1.02": "Termination of a Material Definitive Agreement",
    "2.01": "Completion of Acquisition or Disposition of Assets",
    "2.02": "Results of Operations and Financial Condition",
    "2.03": "Creation of a Direct Financial Obligation or an Obligation under an Off-Balance "
            "Sheet Arrangement of a Registrant",
    "2.04": "Triggering Events That Accelerate or Increase a Direct Financial Obligation",
    "3.01": "Notice of Delisting or Failure to Satisfy a Continued Listing Rule or Standard",
    "3.02": "Unregistered Sales of Equity Securities",
    "3.03": "Material Modification to Rights of Security Holders",
    "5.02": "Departure of Directors or Certain Officers; Election of Directors; Appointment of "
            "Certain Officers; Compensatory Arrangements of Certain Officers",
    "5.03": "Amendments to Articles of Incorporation or Bylaws; Change in Fiscal Year",
    "7.01": "Regulation FD Disclosure",
    "8.01": "Other Events",
    "9.01": "Financial Statements and Exhibits",
}
EXHIBIT_ITEMS = ("7", "9.01")


@dataclass(frozen=True)
class Item:
    number: str
    title: str
    numbering: str  # "2004" (Items 1-12) or "current" (Items 1.01 ...)
    text: str
    span: tuple[int, int]


@dataclass(frozen=True)
class Exhibit:
    number: str
    description: str


@dataclass(frozen=True)
class Signature:
    name: str
    title: str | None
    date: dt.date | None


_ITEM_HEAD = re.compile(
    r"^item\s+(\d{1,2}(?:\.\d{2})?)(?=[\s.:\-]|$)\.?\s*[:.\-]?\s*(.*)$", re.IGNORECASE)
_SIGNATURE_HEAD = re.compile(r"^signatures?\.?$|^signature page\.?$", re.IGNORECASE)


def parse_items(text: str) -> list[Item]:
    """The items between their headings, up to the signature block."""
    lines = line_starts(text)
    heads: list[tuple[int, int, str, str]] = []  # (line index, start offset, number, title)
    stop_at = len(text)
    for idx, (pos, line) in enumerate(lines):
        if _SIGNATURE_HEAD.match(line) and heads:
            stop_at = pos
            break
        m = _ITEM_HEAD.match(line)
        if not m:
            continue
        number = m.group(1)
        title = m.group(2).strip().rstrip(".").strip()
        # a title of a few words only; a heading is not a sentence citing an item
        if title and (len(title) > 200 or re.match(r"(?:above|below|of|and|to)\b", title, re.I)):
            continue
        heads.append((idx, pos, number, title))
    items = []
    for k, (idx, pos, number, title) in enumerate(heads):
        end = heads[k + 1][1] if k + 1 < len(heads) else stop_at
        body_start = pos + len(lines[idx][1]) + 1
        if not title:
            # the title may be on the next line (HTML cells, bold headings)
            nxt = lines[idx + 1][1] if idx + 1 < len(lines) else ""
            known = ITEM_TITLES.get(number, "")
            if nxt and known and nxt.lower().rstrip(".").startswith(known.lower()[:20]):
                title = nxt.rstrip(".")
                body_start += len(nxt) + 1
            else:
                title = known
        body_start = min(body_start, end)
        body = text[body_start:end].strip("\n")
        start = text.find(body, body_start) if body else body_start
        items.append(Item(
            number=number,
            title=title,
            numbering="current" if "." in number else "2004",
            text=body,
            span=(start, start + len(body)),
        ))
    return items


_EXHIBIT_LINE = re.compile(
    r"^(?:Exhibit\s+)?(?:No\.\s*)?(\d{1,3}(?:\.\d{1,3})?)\s*[.:\-]?\s+(?!Description\b)(.{3,})$",
    re.IGNORECASE)


def parse_exhibits(items: list[Item], documents: list[dict[str, str]]) -> list[Exhibit]:
    """Exhibits listed in the exhibit items, then an SGML submission's ``EX-`` documents."""
    out: list[Exhibit] = []
    seen: set[str] = set()
    for it in items:
        if it.number not in EXHIBIT_ITEMS:
            continue
        for line in it.text.split("\n"):
            m = _EXHIBIT_LINE.match(line.strip())
            if not m:
                continue
            number, desc = m.group(1), m.group(2).strip()
            if not re.search(r"[A-Za-z]", desc) or number in seen:
                continue
            if re.match(r"(?:of|and|to|in|under)\b", desc):
                continue
            seen.add(number)
            out.append(Exhibit(number, desc))
    for doc in documents:
        m = re.fullmatch(r"EX-(\d{1,3}(?:\.\d{1,3})?)", doc.get("type", "").upper())
        if m and m.group(1) not in seen:
            seen.add(m.group(1))
            out.append(Exhibit(m.group(1), doc.get("description") or doc.get("filename") or ""))
    return out


def _nearest_date(dated: list[tuple[int, dt.date]], k: int) -> dt.date | None:
    """The date of the dated line nearest line ``k`` (the first of two equally near)."""
    if not dated:
        return None
    i = bisect.bisect_left(dated, k, key=lambda item: item[0])
    best = None
    for j, d in dated[max(i - 1, 0): i + 1]:
        if best is None or abs(j - k) < best[0]:
            best = (abs(j - k), d)
    return None if best is None else best[1]


def parse_signatures(text: str) -> list[Signature]:
    """Each "/s/" signer of the last signature block, with title and nearest date."""
    lines = line_starts(text)
    start = 0
    for idx, (_pos, line) in enumerate(lines):
        if _SIGNATURE_HEAD.match(line):
            start = idx
    section = lines[start:]
    # the section's dated lines, found once (searching the whole section again for every
    # signer was quadratic: 2,000 repeated signature lines took 20 s)
    dated = []
    date_line = re.compile(r"\bDated?\s*:?\s*(" + DATE_RE.pattern + ")", re.IGNORECASE)
    for j, (_p, other) in enumerate(section):
        dm = date_line.search(other)
        if dm:
            d = parse_date(dm.group(1))
            if d:
                dated.append((j, d))
    out = []
    for k, (_pos, line) in enumerate(section):
        m = re.search(r"/s/\s*(.+?)\s*$", line)
        if not m:
            continue
        name = m.group(1).strip()
        title = None
        for _p, nxt in section[k + 1: k + 6]:
            s = nxt.strip()
            if not s or re.fullmatch(r"[-_=. ]+", s):
                continue
            tm = re.match(r"(?:Its|Title)\s*:\s*(.+)$", s, re.IGNORECASE)
            if tm:
                title = tm.group(1).strip()
                break
            nm = re.match(r"Name\s*:\s*(.+)$", s, re.IGNORECASE)
            if nm or s == name or re.match(r"Dated?\s*:", s, re.IGNORECASE) or "/s/" in s:
                if "/s/" in s:
                    break
                continue
            if s.startswith("("):
                break
            title = s
            break
        date = _nearest_date(dated, k)
        out.append(Signature(name=name, title=title, date=date))
    return out
