"""Registrable securities per holder and in total, under a stated rounding rule, against the
registration statements the ledger recorded (issue 13 item 5)."""

from __future__ import annotations

import datetime as dt

import pipedeal
from pipedeal.instruments.registration import registrable_securities
from pipedeal.ledger import events as ev
from pipedeal.terms.models import RoundingMode


def test_the_2004_resale_s3_count_fits_nearest_share_rounding(deal_copy):
    deal = pipedeal.load_deal(deal_copy)
    r = registrable_securities(deal)
    assert r is not None and r.rounding == "half_up"
    # nearest share: 653,595 + 709,220 + 370,370 conversion shares, 312,500 warrant shares
    assert [h.conversion_shares for h in r.holders] == [653_595, 709_220, 370_370]
    assert [h.conversion_shares_delivered for h in r.holders] == [653_594, 709_219, 370_370]
    assert r.total == 2_045_685
    with pipedeal.open_ledger(deal, create=True) as ledger:
        ledger.record(ev.registration_filed(dt.date(2004, 7, 29), form="S-3",
                                            file_number="333-117756", shares=5_170_685))
    book = pipedeal.book(deal, as_of=dt.date(2004, 8, 6)).to_json()
    (s3,) = book["registration"]["registrations"]
    assert s3["covers_registrable"] is True
    # the S-3 also registered 3,125,000 other shares: 5,170,685 ends in the same 685 only
    # under nearest-share rounding (rounding down would give ...683)
    assert s3["other_shares"] == 3_125_000


def test_round_down_and_interest_shares_when_the_terms_say_so(example_dir):
    deal = pipedeal.load_deal(example_dir)
    rights = deal.terms.registration_rights
    assert rights is not None
    terms = deal.terms.model_copy(update={"registration_rights": rights.model_copy(update={
        "share_rounding": RoundingMode.DOWN,
        "registrable_securities": ("conversion_shares", "warrant_shares", "interest_shares"),
    })})
    changed = type(deal).from_figures(terms, deal.figures)
    r = registrable_securities(changed)
    assert r is not None
    assert sum(h.conversion_shares for h in r.holders) == 1_733_183
    # a year's interest at 7.5% on $1,000,000 at $1.53: 75,000 / 1.53 = 49,019.6 → 49,019
    assert r.holders[0].interest_shares == 49_019
    # the ledger's fingerprint does not read the registrable-count rounding
    assert changed.fingerprint() != deal.fingerprint()  # interest shares are a real change
    only_rounding = terms.model_copy(update={"registration_rights": rights.model_copy(
        update={"share_rounding": RoundingMode.DOWN})})
    assert type(deal).from_figures(only_rounding, deal.figures).fingerprint() == \
        deal.fingerprint()
