"""A filing's structure: plain text, HTML or a full EDGAR submission (SGML headers) → ``Filing``.

What comes out: form type, report date and earliest event date, the registrant block, the items
(2004 numbering "Item 5 / Item 7" and the current "Item 1.01 / 2.03 / 3.02 / 9.01"), each item's
text and span, the exhibit list and the signatures. Everything is rule-based and offline.

All character spans index into ``Filing.text``: the filing as normalised plain text (tags
stripped, entities decoded, runs of blanks collapsed to one space, lines stripped, at most one
empty line in a row).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from pipedeal.filings.numbers import DATE_RE, parse_date

MAX_BYTES = 25 * 1024 * 1024  # a bigger file is refused (UserError in the reader)

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

STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}


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
        }


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


# --- text normalisation -------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    BLOCK = {
        "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr",
        "center", "title", "ul", "ol", "blockquote", "pre", "section", "article", "dt", "dd",
    }
    SKIP = {"script", "style", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("   ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("   ")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            # inside HTML a source line break is just a space
            self.parts.append(data.replace("\r", " ").replace("\n", " "))


def html_to_text(html: str) -> str:
    """Visible text of an HTML document, block elements on their own lines."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; be safe on pathological input
        return re.sub(r"<[^>]{0,2000}>", " ", html)
    return "".join(parser.parts)


_HTML_HINT = re.compile(r"<(?:html|body|p|div|table|font|br|span|td)\b", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_HINT.search(text[:20000]))


def normalise(text: str) -> str:
    """Plain text with collapsed blanks, stripped lines and at most one empty line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\xa0", " ").replace("\t", " ").replace("\u200b", "")
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2013", "-").replace("\u2014", "-")
    out: list[str] = []
    blank = True
    for line in text.split("\n"):
        line = re.sub(r"[ \x00-\x08\x0b-\x1f]+", " ", line).strip()
        if re.fullmatch(r"<PAGE>|-?\s*\d{1,3}\s*-?|Page \d+ of \d+", line, re.IGNORECASE):
            line = ""
        if not line:
            if not blank:
                out.append("")
            blank = True
            continue
        out.append(line)
        blank = False
    return "\n".join(out).strip("\n")


# --- SGML submissions ---------------------------------------------------------------------------

_SGML_DOC = re.compile(r"<DOCUMENT>(.*?)(?:</DOCUMENT>|\Z)", re.DOTALL | re.IGNORECASE)


def split_sgml(raw: str) -> tuple[dict[str, str], list[dict[str, str]]] | None:
    """Header fields and documents of an EDGAR submission, or None if ``raw`` is not one."""
    head = raw[:4000]
    if not re.search(r"<SEC-DOCUMENT>|<SEC-HEADER>|<SUBMISSION>|^<DOCUMENT>", head,
                     re.IGNORECASE | re.MULTILINE):
        return None
    first_doc = re.search(r"<DOCUMENT>", raw, re.IGNORECASE)
    header_text = raw[: first_doc.start()] if first_doc else raw
    header: dict[str, str] = {}
    section = ""
    for line in header_text.splitlines():
        m = re.match(r"^\s*([A-Z][A-Z0-9 \-/]+?):\s*(.*?)\s*$", line)
        if not m:
            continue
        key, value = m.group(1).strip(), m.group(2).strip()
        if not value:
            section = key
            continue
        full = f"{section}/{key}" if section in ("BUSINESS ADDRESS", "MAIL ADDRESS") else key
        header.setdefault(full, value)
    documents = []
    for m in _SGML_DOC.finditer(raw):
        body = m.group(1)
        doc: dict[str, str] = {}
        for tag in ("TYPE", "SEQUENCE", "FILENAME", "DESCRIPTION"):
            t = re.search(rf"<{tag}>\s*([^\n<]*)", body, re.IGNORECASE)
            if t:
                doc[tag.lower()] = t.group(1).strip()
        text = re.search(r"<TEXT>(.*?)(?:</TEXT>|\Z)", body, re.DOTALL | re.IGNORECASE)
        doc["text"] = text.group(1) if text else body
        documents.append(doc)
    return header, documents


# --- the parser ---------------------------------------------------------------------------------


def read_text(raw: str) -> tuple[str, str, dict[str, str], list[dict[str, str]]]:
    """(normalised text, source format, SGML header, SGML documents) of a raw filing."""
    sgml = split_sgml(raw)
    if sgml is not None:
        header, documents = sgml
        main = None
        form = header.get("CONFORMED SUBMISSION TYPE", "").upper()
        for doc in documents:
            if form and doc.get("type", "").upper() == form:
                main = doc
                break
        if main is None and documents:
            main = documents[0]
        body = main["text"] if main else ""
        if looks_like_html(body):
            body = html_to_text(body)
        return normalise(body), "sgml", header, documents
    if looks_like_html(raw):
        return normalise(html_to_text(raw)), "html", {}, []
    return normalise(raw), "text", {}, []


def parse_filing(raw: str) -> Filing:
    """Parse a filing's text (plain, HTML or SGML submission) into its structure."""
    text, fmt, header, documents = read_text(raw)
    report, earliest = _cover_dates(text)
    if header.get("CONFORMED PERIOD OF REPORT") and earliest is None:
        earliest = _compact_date(header["CONFORMED PERIOD OF REPORT"])
    filed = _compact_date(header.get("FILED AS OF DATE", ""))
    if report is None and earliest is not None and header:
        report = filed
    items = _items(text)
    exhibits = _exhibits(items, documents)
    return Filing(
        text=text,
        source_format=fmt,
        form_type=_form_type(text, header),
        report_date=report,
        earliest_event_date=earliest,
        filed_date=filed,
        registrant=_registrant(text, header),
        items=tuple(items),
        exhibits=tuple(exhibits),
        signatures=tuple(_signatures(text)),
        header=header,
    )


def _compact_date(value: str) -> dt.date | None:
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", value.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _form_type(text: str, header: dict[str, str]) -> str | None:
    if header.get("CONFORMED SUBMISSION TYPE"):
        return header["CONFORMED SUBMISSION TYPE"].upper()
    m = re.search(r"\bFORM\s+(8-K(?:/A)?|10-Q(?:SB)?|10-K(?:SB)?|S-[13]|SB-2|6-K)\b",
                  text[:5000], re.IGNORECASE)
    return m.group(1).upper() if m else None


def _dates_in(region: str) -> list[tuple[re.Match[str], dt.date]]:
    """The dates written in ``region``, in order, with their matches."""
    out: list[tuple[re.Match[str], dt.date]] = []
    for mt in DATE_RE.finditer(region):
        d = parse_date(mt.group(0))
        if d is not None:
            out.append((mt, d))
    return out


def _cover_dates(text: str) -> tuple[dt.date | None, dt.date | None]:
    m = re.search(r"Date\s+of\s+Report", text[:8000], re.IGNORECASE)
    if not m:
        return None, None
    window = text[m.end(): m.end() + 300]
    # the dates sit after the caption "(Date of Earliest Event Reported):"
    cap = re.search(r"reported\)?\s*:?", window, re.IGNORECASE)
    region = window[cap.end():] if cap else window
    # stop at the next caption: the dates belong to this one
    nxt = re.search(r"\(Exact\s+name|\(State\s+or|Commission\s+File", region, re.IGNORECASE)
    if nxt:
        region = region[: nxt.start()]
    found = _dates_in(region)
    if not found:
        # the date may stand on the line above its caption: "June 23, 2004 / (Date of Report ...)"
        region = text[max(0, m.start() - 160): m.start()]
        found = _dates_in(region)[-2:]
    if not found:
        return None, None
    report = found[0][1]
    earliest = report
    if len(found) > 1:
        between = region[found[0][0].end(): found[1][0].start()]
        if "(" in between and len(between.strip()) <= 3:
            earliest = found[1][1]
    return report, earliest


_ITEM_HEAD = re.compile(
    r"^item\s+(\d{1,2}(?:\.\d{2})?)(?=[\s.:\-]|$)\.?\s*[:.\-]?\s*(.*)$", re.IGNORECASE)
_SIGNATURE_HEAD = re.compile(r"^signatures?\.?$|^signature page\.?$", re.IGNORECASE)


def _line_starts(text: str) -> list[tuple[int, str]]:
    pos = 0
    out = []
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _items(text: str) -> list[Item]:
    lines = _line_starts(text)
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


def _exhibits(items: list[Item], documents: list[dict[str, str]]) -> list[Exhibit]:
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


_PHONE = re.compile(r"\(?\b\d{3}\)?[\s.\-]*\d{3}[\s.\-]\d{4}\b")
_FILE_NO = re.compile(r"\b(?:0|000|001|002|005|033|333|811|814)-\d{3,6}\b")
_IRS_NO = re.compile(r"\b\d{2}-\d{7}\b")
_ZIP = re.compile(r"\b\d{5}(?:-\d{4})?$")


def _previous_nonempty(lines: list[tuple[int, str]], idx: int, limit: int = 3) -> list[str]:
    out: list[str] = []
    j = idx - 1
    while j >= 0 and len(out) < limit:
        if lines[j][1].strip():
            out.append(lines[j][1])
        j -= 1
    return out


def _registrant(text: str, header: dict[str, str]) -> dict[str, str | None]:
    cover = text[:10000]
    lines = _line_starts(cover)
    reg: dict[str, str | None] = dict.fromkeys(
        ("name", "state", "commission_file_number", "irs_employer_number", "address", "zip",
         "phone"))
    for idx, (_pos, line) in enumerate(lines):
        low = line.lower()
        if "(exact name of registrant" in low and reg["name"] is None:
            before = line[: low.index("(exact name")].strip()
            prev = _previous_nonempty(lines, idx, 1)
            reg["name"] = before or (prev[0] if prev else None)
        elif ("(state or other" in low or "(commission" in low) and reg["state"] is None:
            for cand in [line, *_previous_nonempty(lines, idx, 3)]:
                fno = _FILE_NO.search(cand)
                if not fno:
                    continue
                reg["commission_file_number"] = fno.group(0)
                irs = _IRS_NO.search(cand)
                if irs:
                    reg["irs_employer_number"] = irs.group(0)
                state = cand[: fno.start()].strip(" ,")
                if state and not state.startswith("("):
                    reg["state"] = state
                break
        elif "(address of principal executive" in low and reg["address"] is None:
            before = line[: low.index("(address")].strip()
            prev = _previous_nonempty(lines, idx, 1)
            addr = before or (prev[0] if prev else "")
            zm = _ZIP.search(addr)
            if zm:
                reg["zip"] = zm.group(0)
                addr = addr[: zm.start()]
            reg["address"] = re.sub(r"\s+", " ", addr).strip(" ,") or None
            if reg["zip"] is None:
                zm = re.search(r"\b\d{5}(?:-\d{4})?\b", line)
                if zm:
                    reg["zip"] = zm.group(0)
        elif "telephone number" in low and reg["phone"] is None:
            pos = cover.find(line)
            pm = _PHONE.search(cover, pos, pos + len(line) + 200)
            if pm:
                reg["phone"] = pm.group(0)
    if reg["commission_file_number"] is None:
        m = re.search(r"Commission\s+File\s+(?:No\.|Number)\s*:?\s*(\S+)", cover, re.IGNORECASE)
        if m and _FILE_NO.fullmatch(m.group(1).strip(".,")):
            reg["commission_file_number"] = m.group(1).strip(".,")
    # the SGML header fills what the cover page does not say
    if header:
        if reg["name"] is None and header.get("COMPANY CONFORMED NAME"):
            reg["name"] = header["COMPANY CONFORMED NAME"]
        if reg["state"] is None and header.get("STATE OF INCORPORATION"):
            code = header["STATE OF INCORPORATION"].upper()
            reg["state"] = STATES.get(code, code)
        if reg["irs_employer_number"] is None and header.get("IRS NUMBER"):
            digits = re.sub(r"\D", "", header["IRS NUMBER"])
            reg["irs_employer_number"] = (f"{digits[:2]}-{digits[2:]}" if len(digits) == 9
                                          else digits)
        if reg["commission_file_number"] is None and header.get("SEC FILE NUMBER"):
            reg["commission_file_number"] = header["SEC FILE NUMBER"]
        if reg["address"] is None and header.get("BUSINESS ADDRESS/STREET 1"):
            parts = [header.get("BUSINESS ADDRESS/STREET 1"), header.get("BUSINESS ADDRESS/CITY")]
            st = header.get("BUSINESS ADDRESS/STATE", "")
            parts.append(STATES.get(st.upper(), st) if st else None)
            reg["address"] = ", ".join(p for p in parts if p)
        if reg["zip"] is None and header.get("BUSINESS ADDRESS/ZIP"):
            reg["zip"] = header["BUSINESS ADDRESS/ZIP"]
        if reg["phone"] is None and header.get("BUSINESS ADDRESS/BUSINESS PHONE"):
            reg["phone"] = header["BUSINESS ADDRESS/BUSINESS PHONE"]
    return reg


def _signatures(text: str) -> list[Signature]:
    lines = _line_starts(text)
    start = 0
    for idx, (_pos, line) in enumerate(lines):
        if _SIGNATURE_HEAD.match(line):
            start = idx
    section = lines[start:]
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
        date = None
        nearest = None
        for j, (_p, other) in enumerate(section):
            dm = re.search(r"\bDated?\s*:?\s*(" + DATE_RE.pattern + ")", other, re.IGNORECASE)
            if dm:
                d = parse_date(dm.group(1))
                if d and (nearest is None or abs(j - k) < nearest):
                    nearest, date = abs(j - k), d
        out.append(Signature(name=name, title=title, date=date))
    return out
