"""A raw filing (plain text, HTML or a full EDGAR submission with SGML headers) as plain text.

``read_text`` picks the main document of an SGML submission (header fields and documents from
``split_sgml``), strips HTML to its visible text (``html_to_text``, block elements on their own
lines) and normalises the result (``normalise``: blanks collapsed, lines stripped, page markers
dropped, at most one empty line in a row). Every character span in ``pipedeal.filings`` indexes
into this normalised text; ``line_starts`` gives each line of it with its offset.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

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


# Text pulled from rendered XBRL notes glues figures to words ("$245,000and", "1,500,000shares",
# "of$2.5"): a space goes between a figure and a word of three or more letters (ordinals like
# "21st" have two) and between a word and a dollar figure. Linear: no nested repetition.
_DIGIT = re.compile(r"\d")
MAX_UNGLUE_LINE = 100_000
_GLUED_AFTER = re.compile(r"([\d%])(?=[A-Za-z]{3})")
_GLUED_BEFORE = re.compile(r"([a-z]{2})(?=\$\s?\d)")  # "US$0.40" stays


def unglue(line: str) -> str:
    """``line`` with a space between a figure and a word glued to it (see above)."""
    if len(line) > MAX_UNGLUE_LINE or not _DIGIT.search(line):
        return line  # a line that long is no prose (a run of digits, a dump): left as it is
    return _GLUED_BEFORE.sub(r"\1 ", _GLUED_AFTER.sub(r"\1 ", line))


def normalise(text: str) -> str:
    """Plain text with collapsed blanks, stripped lines and at most one empty line in a row;
    figures glued to words are parted (``unglue``)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\xa0", " ").replace("\t", " ").replace("\u200b", "")
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2013", "-").replace("\u2014", "-")
    out: list[str] = []
    blank = True
    for line in text.split("\n"):
        line = unglue(re.sub(r"[ \x00-\x08\x0b-\x1f]+", " ", line).strip())
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


def line_starts(text: str) -> list[tuple[int, str]]:
    """Each line of ``text`` with the offset it starts at."""
    pos = 0
    out = []
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out
