"""The fully diluted count takes the issuer's other dilutive securities from deal.toml and says
what it includes (issue 13 item 6)."""

from __future__ import annotations

import datetime as dt

import pipedeal

DAY = dt.date(2004, 7, 13)


def test_without_other_securities_the_table_says_so(example_dir):
    cap = pipedeal.cap_table(example_dir, as_of=DAY).to_json()
    assert cap["potential"]["other_securities"] == 0
    assert any("no other dilutive securities" in line for line in cap["fully_diluted_includes"])


def test_other_warrants_and_options_are_counted(deal_copy):
    base = pipedeal.cap_table(deal_copy, as_of=DAY).to_json()
    text = (deal_copy / "deal.toml").read_text()
    text = text.replace("[market]\n", '''[[issuer.other_securities]]
kind = "options"
shares = 1200000
price = "1.75"
as_of = 2004-05-29
source = "10-Q, quarter ended 2004-05-29 (illustrative)"

[[issuer.other_securities]]
kind = "warrants"
shares = 400000
expires = 2004-07-01
source = "expired before the table's date"

[market]
''', 1)
    (deal_copy / "deal.toml").write_text(text)
    cap = pipedeal.cap_table(deal_copy, as_of=DAY).to_json()
    assert cap["potential"]["other_securities"] == 1_200_000
    assert cap["fully_diluted"] == base["fully_diluted"] + 1_200_000
    assert any(line.startswith("options: 1,200,000 shares at $1.75")
               for line in cap["fully_diluted_includes"])
    assert not any("400,000" in line for line in cap["fully_diluted_includes"])
