"""Signers take the date of the nearest dated line, found in one pass over the section."""

from __future__ import annotations

import datetime as dt

from pipedeal.filings.items import parse_signatures


def test_each_signer_takes_the_nearest_date():
    text = ("SIGNATURES\nDate: June 23, 2004\n/s/ Ann Lee\nChief Executive Officer\n\n\n\n\n"
            "/s/ Bo Chen\nChief Financial Officer\nDate: June 24, 2004\n")
    first, second = parse_signatures(text)
    assert (first.name, first.title, first.date) == ("Ann Lee", "Chief Executive Officer",
                                                      dt.date(2004, 6, 23))
    assert (second.name, second.date) == ("Bo Chen", dt.date(2004, 6, 24))


def test_many_repeated_signature_lines_are_read_whole():
    text = "SIGNATURES\n" + "\n".join(["/s/ J. Doe"] * 2000) + "\nDate: June 23, 2004\n"
    sigs = parse_signatures(text)
    assert len(sigs) == 2000 and sigs[0].date == dt.date(2004, 6, 23)
