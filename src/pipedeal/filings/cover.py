"""The cover page of a filing: form type, report dates and the registrant block.

Rule-based readers over the normalised text's first pages, with the SGML header (when the filing
is a full EDGAR submission) filling what the cover does not say: ``form_type``, ``cover_dates``
(date of report and of the earliest event reported), ``compact_date`` for the header's
``YYYYMMDD`` dates, and ``parse_registrant`` (name, state, Commission file number, IRS employer
number, address, ZIP and phone; ``STATES`` turns a header's state code into its name).
"""

from __future__ import annotations

import datetime as dt
import re

from pipedeal.filings.numbers import DATE_RE, parse_date
from pipedeal.filings.plaintext import line_starts

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


def compact_date(value: str) -> dt.date | None:
    """An SGML header date (``YYYYMMDD``), or None."""
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", value.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def form_type(text: str, header: dict[str, str]) -> str | None:
    """The form type from the SGML header, else the first "FORM 8-K"-like words of the text."""
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


def cover_dates(text: str) -> tuple[dt.date | None, dt.date | None]:
    """(date of report, date of earliest event reported) from the cover page captions."""
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


def parse_registrant(text: str, header: dict[str, str]) -> dict[str, str | None]:
    """The registrant block of the cover page; the SGML header fills what it does not say."""
    cover = text[:10000]
    lines = line_starts(cover)
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
