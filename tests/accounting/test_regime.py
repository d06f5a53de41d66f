"""The accounting regime is a term of the deal: chosen from the filer status and fiscal year
(ASU 2020-06's effective dates) unless deal.toml or --regime says otherwise; the book says which
and why."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pipedeal
from pipedeal.accounting.allocation import Regime
from pipedeal.accounting.regime import deal_regime, fiscal_year_start
from pipedeal.cli import app

NEWCO = Path(__file__).resolve().parents[2] / "examples" / "newco-2024"
runner = CliRunner()


def test_a_2024_deal_books_no_bcf_under_asu_2020_06_by_default():
    data = pipedeal.accounting_report(NEWCO).to_json()
    assert data["regime"] == "asu-2020-06"
    assert "fiscal year beginning 2024-01-01, after 2023-12-15" in data["regime_reason"]
    assert all(n["allocation"]["bcf"] == "0.00" for n in data["notes"])
    # the same deal under the legacy regime would record a beneficial conversion feature
    legacy = pipedeal.accounting_report(NEWCO, regime="legacy").to_json()
    assert legacy["regime_reason"] == "--regime legacy"
    assert all(float(n["allocation"]["bcf"]) > 0 for n in legacy["notes"])


def test_the_book_states_the_regime_and_takes_an_override():
    r = runner.invoke(app, ["book", str(NEWCO), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["accounting"]["regime"] == "asu-2020-06"
    r = runner.invoke(app, ["book", str(NEWCO), "--format", "json", "--regime", "legacy"])
    assert json.loads(r.stdout)["accounting"]["regime"] == "legacy"
    r = runner.invoke(app, ["book", str(NEWCO), "--regime", "gaap"])
    assert r.exit_code == 2 and "--regime" in r.stderr


def test_innovo_stays_legacy(example_dir):
    data = pipedeal.accounting_report(example_dir).to_json()
    assert data["regime"] == "legacy" and data["regime_reason"].startswith("legacy")


@pytest.mark.parametrize(("closing", "status", "early", "expected"), [
    (dt.date(2022, 3, 1), "sec_filer", False, Regime.ASU_2020_06),   # FY 2022 > 2021-12-15
    (dt.date(2021, 11, 1), "sec_filer", False, Regime.LEGACY),
    (dt.date(2023, 6, 1), "smaller_reporting_company", False, Regime.LEGACY),
    (dt.date(2024, 1, 2), "smaller_reporting_company", False, Regime.ASU_2020_06),
    (dt.date(2021, 6, 1), "other", True, Regime.ASU_2020_06),        # early adoption
])
def test_effective_dates(example_dir, closing, status, early, expected):
    deal = pipedeal.load_deal(example_dir).terms
    purchasers = tuple(p.model_copy(update={"closing_date": closing}) for p in deal.purchasers)
    accounting = deal.accounting.model_copy(update={"filer_status": status, "early_adoption": early,
                                                    "fiscal_year_end": "12-31"})
    deal = deal.model_copy(update={"purchasers": purchasers, "accounting": accounting})
    assert deal_regime(deal)[0] is expected


def test_a_fiscal_year_that_begins_before_the_effective_date_stays_legacy(example_dir):
    deal = pipedeal.load_deal(example_dir).terms  # fiscal year ending November 30
    purchasers = tuple(p.model_copy(update={"closing_date": dt.date(2022, 3, 1)})
                       for p in deal.purchasers)
    accounting = deal.accounting.model_copy(update={"filer_status": "sec_filer"})
    deal = deal.model_copy(update={"purchasers": purchasers, "accounting": accounting})
    assert deal_regime(deal)[0] is Regime.LEGACY  # FY began 2021-12-01, before 2021-12-15


def test_fiscal_years_that_do_not_end_in_december():
    assert fiscal_year_start(dt.date(2004, 6, 15), "11-30") == dt.date(2003, 12, 1)
    assert fiscal_year_start(dt.date(2004, 12, 15), "11-30") == dt.date(2004, 12, 1)
    assert fiscal_year_start(dt.date(2024, 3, 1), "02-29") == dt.date(2024, 3, 1)
    assert fiscal_year_start(dt.date(2024, 2, 15), "02-29") == dt.date(2023, 3, 1)


def test_a_fiscal_year_end_that_is_not_a_day_is_one_line(tmp_path):
    import shutil

    deal = tmp_path / "deal"
    shutil.copytree(NEWCO, deal)
    text = (deal / "deal.toml").read_text().replace('fiscal_year_end = "12-31"',
                                                    'fiscal_year_end = "02-30"')
    (deal / "deal.toml").write_text(text)
    r = runner.invoke(app, ["accounting", str(deal)])
    assert r.exit_code == 2
    (line,) = r.stderr.strip().splitlines()
    assert "fiscal_year_end '02-30' is not a day of the year" in line
