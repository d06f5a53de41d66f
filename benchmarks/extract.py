"""Throughput of ``pipedeal extract`` in batch over a generated corpus of 8-K filings.

    python3 benchmarks/extract.py [--n 10000] [--keep DIR] [--only rules|model]

The corpus is synthetic: random deals (issuer, principal, rate, term, fixed price, warrants,
registration deadlines, one to five purchasers) rendered by ``pipedeal.filings.disclose`` in both
styles, a third of them as plain text, a third wrapped in HTML and a third as full EDGAR SGML
submissions. The script times ``extract_many`` (parse + extract + JSON Lines write, one process)
twice on the same corpus, side by side: the rules alone (the extractor before issue 19, still
``rules_only=True``) and the rules with the learned scorer (the default); ``--only`` runs one.
It checks that the extracted principal and rate equal the generated ones, so a fast but wrong
extractor does not pass unnoticed, and prints the process's CPU time next to the wall time (on a
shared machine the wall time grows with the load; files per CPU-second is the single-core rate).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import random
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from pipedeal.filings.batch import extract_many
from pipedeal.filings.disclose import render
from pipedeal.pricing.figures import deal_figures
from pipedeal.terms.models import Deal

STATES = ["Delaware", "Nevada", "Colorado", "New York", "Florida", "Texas", "Utah"]
WORDS = ["Apex", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris",
         "Juniper", "Keystone", "Lumen", "Meridian", "Nova", "Orion", "Pioneer", "Quartz"]
KINDS = ["Biosciences", "Energy", "Systems", "Networks", "Minerals", "Therapeutics", "Labs"]
SUFFIX = ["Inc.", "Corp.", "Holdings, Inc.", "Group Inc."]


def random_deal(rng: random.Random, k: int) -> Deal:
    n = rng.randint(1, 5)
    first = dt.date(2004, 1, 5) + dt.timedelta(days=rng.randint(0, 6000))
    principal = Decimal(rng.randrange(100_000, 10_000_000, 50_000))
    each = (principal / n).quantize(Decimal("1"))
    purchasers = [
        {"name": f"Purchaser {i + 1}", "closing_date": first + dt.timedelta(days=3 * i),
         "principal": each if i < n - 1 else principal - each * (n - 1)}
        for i in range(n)
    ]
    data = {
        "name": f"deal {k}",
        "issuer": {
            "name": f"{rng.choice(WORDS)} {rng.choice(KINDS)} {rng.choice(SUFFIX)}",
            "state": rng.choice(STATES),
            "commission_file_number": f"001-{rng.randint(10000, 99999)}",
            "irs_employer_number": f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}",
            "address": f"{rng.randint(1, 9999)} Main Street, Springfield, Illinois",
            "zip": f"{rng.randint(10000, 99999)}",
            "phone": f"({rng.randint(200, 999)}) 555-{rng.randint(1000, 9999)}",
        },
        "offering": {"exemption": [rng.choice(["Rule 506 of Regulation D", "Section 4(a)(2)"])]},
        "note": {
            "interest": {"rate": str(Decimal(rng.choice([4, 5, 6, 7.5, 8, 10, 12])) / 100)},
            "maturity": {"months_after_issue": rng.choice([6, 9, 12, 18, 24, 36])},
            "conversion": {"price": {"fixed": str(Decimal(rng.randint(5, 500)) / 100)}},
            "secured": rng.random() < 0.3,
        },
        "warrant": {"coverage_shares_per_dollar": str(rng.choice(["0.125", "0.25", "0.5"])),
                    "exercise_price": {"fixed": str(Decimal(rng.randint(5, 600)) / 100)},
                    "term_years": rng.choice([3, 5, 7])},
        "registration_rights": {"filing_deadline_days": rng.choice([30, 45, 60]),
                                "effectiveness_deadline_days": rng.choice([90, 120, 150])},
        "purchasers": purchasers,
    }
    return Deal.model_validate(data)


def as_html(text: str) -> str:
    paras = "".join(f"<p>{html.escape(p)}</p>\n" for p in text.split("\n\n"))
    return f"<html><head><style>p {{margin:0}}</style></head><body>\n{paras}</body></html>\n"


def as_sgml(text: str, deal: Deal, k: int) -> str:
    filed = max(p.closing_date for p in deal.purchasers) + dt.timedelta(days=2)
    return (f"<SEC-DOCUMENT>{k:010d}.txt\n<SEC-HEADER>\nCONFORMED SUBMISSION TYPE:\t8-K\n"
            f"FILED AS OF DATE:\t{filed:%Y%m%d}\nCOMPANY DATA:\n\t\tCOMPANY CONFORMED NAME:\t"
            f"{deal.issuer.name.upper()}\n</SEC-HEADER>\n<DOCUMENT>\n<TYPE>8-K\n<SEQUENCE>1\n"
            f"<TEXT>\n{text}</TEXT>\n</DOCUMENT>\n</SEC-DOCUMENT>\n")


def generate(n: int, folder: Path, seed: int = 7) -> dict[str, tuple[Decimal, Decimal]]:
    rng = random.Random(seed)
    truth = {}
    for k in range(n):
        deal = random_deal(rng, k)
        text = render(deal, deal_figures(deal, None), rng.choice(["2004", "current"]))
        kind = k % 3
        if kind == 0:
            path, body = folder / f"f{k:05d}.txt", text
        elif kind == 1:
            path, body = folder / f"f{k:05d}.htm", as_html(text)
        else:
            path, body = folder / f"f{k:05d}.nc.txt", as_sgml(text, deal, k)
        path.write_text(body, encoding="utf-8")
        truth[str(path)] = (deal.total_principal, deal.note.interest.rate * 100)
    return truth


def run(files: list[Path], truth: dict[str, tuple[Decimal, Decimal]], out: Path,
        rules_only: bool, size: int) -> bool:
    cpu0 = time.process_time()
    result = extract_many(files, out, rules_only=rules_only)
    cpu = time.process_time() - cpu0  # this process's CPU time: what the load does not inflate
    right = 0
    for line in out.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        principal, rate = truth[data["source"]]
        terms = data.get("terms") or {}
        got_p = (terms.get("principal_amount_usd") or {}).get("value")
        got_r = (terms.get("interest_rate_pct") or {}).get("value")
        if got_p is not None and got_r is not None and Decimal(str(got_p)) == principal \
                and Decimal(str(got_r)) == rate:
            right += 1
    name = "rules only" if rules_only else "rules + scorer"
    print(f"{name:15} {result.files} files in {result.seconds:6.2f} s = "
          f"{result.files_per_second:7.1f} files/s ({size / 1e6 / result.seconds:.2f} MB/s); "
          f"CPU {cpu:.2f} s = {result.files / cpu:.1f} files per CPU-second; "
          f"{len(result.failures)} failed; principal and rate right in {right}/{result.files}")
    return right == result.files and not result.failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000, help="filings to generate (default 10000)")
    ap.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    ap.add_argument("--only", choices=["rules", "model"], help="run one extractor, not both")
    args = ap.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pipedeal-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    truth = generate(args.n, folder)
    gen_s = time.perf_counter() - t0
    files = sorted(Path(p) for p in truth)
    size = sum(p.stat().st_size for p in files)
    print(f"corpus: {args.n} filings ({size / 1e6:.1f} MB; text/HTML/SGML thirds), "
          f"generated in {gen_s:.1f} s")
    ok = True
    for rules_only in (True, False):
        if args.only == ("model" if rules_only else "rules"):
            continue
        ok &= run(files, truth, folder / "out.jsonl", rules_only, size)
    if args.keep is None:
        shutil.rmtree(folder)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
