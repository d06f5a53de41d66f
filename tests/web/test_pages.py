"""The deal room's pages with the FastAPI test client: sign-in, role filtering (holder A's
pages carry no trace of holder B), the holder's conversion with its preview, the issuer's forms
(defaults pre-filled, rejections inline, nothing written), the auditor's page, CSRF on posts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.service.conftest import P2, Room

from .conftest import API, ROOM, hidden, text_of

# names, issue dates and accrued interest on 2004-10-01 of Purchasers 2 and 3 (their
# conversion prices, $1.41 and $1.35, are also closes of the market, shown in Purchaser 1's
# price trace)
OTHERS = ("Purchaser 2", "Purchaser 3", "holder_b", "2004-06-18", "2004-06-22", "21,780.82",
          "10,479.45", "21780.82", "10479.45")

Browser = Callable[[str], TestClient]


def head(room: Room) -> int:
    return int(room.get("issuer", API).json()["head_seq"])  # type: ignore[attr-defined]


def test_login_page_and_wrong_password(sqlite_room: Room) -> None:
    c = TestClient(sqlite_room.client.app)
    page = c.get("/login")
    assert page.status_code == 200
    assert '<label for="name">' in page.text and '<label for="password">' in page.text
    bad = c.post("/login", data={"name": "holder_a", "password": "wrong password!"})
    assert bad.status_code == 401
    assert "wrong user name or password" in bad.text
    assert "pipedeal_session" not in c.cookies
    # not signed in: pages send the browser to the sign-in page
    r = c.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_deals_list_and_logout(browser_for: Browser) -> None:
    c = browser_for("holder_a")
    page = c.get("/")
    text = text_of(page.text)
    assert "Innovo Group 2004" in text and "holder (Purchaser 1)" in text
    assert "2004-07-01: interest payment, note:Purchaser 1 $3,287.67 (overdue)" in text
    assert "Other deal" not in text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    # logout needs the CSRF field
    assert c.post("/logout", data={}).status_code == 403
    out = c.post("/logout", data={"csrf": hidden(page.text, "csrf")}, follow_redirects=False)
    assert out.status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303


def test_holder_pages_show_no_trace_of_other_holders(sqlite_room: Room,
                                                      browser_for: Browser) -> None:
    issuer = browser_for("issuer")
    # a notice to Purchaser 2: holder A must not see it either
    page = issuer.get(f"{ROOM}/issuer")
    r = issuer.post(f"{ROOM}/issuer", data={
        "csrf": hidden(page.text, "csrf"), "nonce": "n1", "action": "notice",
        "purchaser": P2, "date": "2004-10-01"})
    assert r.status_code == 200, text_of(r.text)
    a = browser_for("holder_a")
    for path in ("/", ROOM, f"{ROOM}?as_of=2004-12-31", f"{ROOM}/holder",
                 f"{ROOM}/holder?principal=1000&interest=all",
                 f"{ROOM}/holder/preview?principal=1000"):
        body = a.get(path).text
        for other in OTHERS:
            assert other not in body, (path, other)
    own = text_of(a.get(f"{ROOM}/holder").text)
    assert "Purchaser 1" in own and "$1,000,000.00" in own and "$22,397.26" in own
    assert "No open prepayment notice" in own
    # holder B sees its notice with the deadline, in New York time and UTC
    b = text_of(browser_for("holder_b").get(f"{ROOM}/holder").text)
    assert "Prepayment notice of 2004-10-01" in b
    assert "2004-10-07 00:00 EDT (America/New_York)" in b and "2004-10-07 04:00 UTC" in b
    assert "Purchaser 1" not in b and "holder_a" not in b
    # other roles' pages are refused
    assert a.get(f"{ROOM}/issuer").status_code == 403
    assert a.get(f"{ROOM}/auditor").status_code == 403
    assert a.get(f"{ROOM}/book.html").status_code == 403
    assert a.get("/room/Other%20deal").status_code == 404


def test_holder_converts_with_preview(sqlite_room: Room, browser_for: Browser) -> None:
    a = browser_for("holder_a")
    preview = a.get(f"{ROOM}/holder", params={"principal": "100000", "interest": "all",
                                               "date": "2004-10-01"})
    text = text_of(preview.text)
    m = re.search(r"Converting \$100,000.00 of principal and \$([\d,.]+) of interest on "
                  r"2004-10-01 gives ([\d,]+) shares and \$([\d,.]+) cash in lieu", text)
    assert m, text
    js = a.get(f"{ROOM}/holder/preview", params={"principal": "100000", "interest": "all",
                                                  "date": "2004-10-01"}).json()
    assert js["shares_text"] == m.group(2) and js["interest_text"] == f"${m.group(1)}"
    form = {k: hidden(preview.text.split('id="convert-preview"')[1], k)
            for k in ("csrf", "nonce", "action", "principal", "interest", "date")}
    before = head(sqlite_room)
    done = a.post(f"{ROOM}/holder", data=form)
    assert done.status_code == 200, text_of(done.text)
    shown = text_of(done.text)
    assert f"Recorded event {before + 1}: conversion on 2004-10-01" in shown
    assert f"Shares issued so far {m.group(2)}" in shown
    assert "Principal outstanding $900,000.00" in shown
    # the same form again (a reload) records nothing more
    again = a.post(f"{ROOM}/holder", data=form)
    assert "already recorded before" in text_of(again.text)
    assert head(sqlite_room) == before + 1


def test_csrf_is_enforced_on_form_posts(sqlite_room: Room, browser_for: Browser) -> None:
    a = browser_for("holder_a")
    before = head(sqlite_room)
    data = {"action": "convert", "principal": "1000", "interest": "0", "date": "2004-10-01",
            "nonce": "x"}
    for csrf in (None, "forged-token"):
        body = dict(data) if csrf is None else {**data, "csrf": csrf}
        r = a.post(f"{ROOM}/holder", data=body)
        assert r.status_code == 403 and "CSRF" in r.text
    issuer = browser_for("issuer")
    r = issuer.post(f"{ROOM}/issuer", data={"action": "interest", "purchaser": "Purchaser 1",
                                            "date": "2004-10-01", "csrf": "nope"})
    assert r.status_code == 403 and "CSRF" in r.text
    assert head(sqlite_room) == before


def test_issuer_forms_prefilled_and_rejections_inline(sqlite_room: Room,
                                                      browser_for: Browser) -> None:
    c = browser_for("issuer")
    page = c.get(f"{ROOM}/issuer")
    assert page.status_code == 200
    # interest pre-filled from the ledger's defaults: through 2004-09-30 on 2004-10-01
    assert 'id="ip-through-1" name="through" type="date" value="2004-09-30"' in page.text
    m = re.search(r'id="ip-amount-1" name="amount" inputmode="decimal" value="([\d.]+)"',
                  page.text)
    assert m and m.group(1) == "22191.78"
    csrf = hidden(page.text, "csrf")
    before = head(sqlite_room)
    # too much interest: the rule's message inline, nothing written
    r = c.post(f"{ROOM}/issuer", data={"csrf": csrf, "nonce": "i1", "action": "interest",
                                       "purchaser": "Purchaser 1", "date": "2004-10-01",
                                       "through": "2004-09-30", "amount": "99999"})
    assert r.status_code == 422
    shown = text_of(r.text)
    assert "Refused: note.interest" in shown and "Nothing was recorded." in shown
    assert 'value="99999"' in r.text  # the form keeps what was typed
    assert head(sqlite_room) == before
    # a notice before the prepayment may start: refused inline
    preview = c.get(f"{ROOM}/issuer", params={"preview": "notice", "purchaser": "Purchaser 1",
                                              "date": "2004-08-02"})
    assert "Election windows a notice on 2004-08-02 opens" in preview.text
    assert "holder_a" in preview.text  # the holders the notice reaches
    r = c.post(f"{ROOM}/issuer", data={"csrf": csrf, "nonce": "n1", "action": "notice",
                                       "purchaser": "Purchaser 1", "date": "2004-08-02"})
    assert r.status_code == 422
    assert re.search(r'id="err-notice">.*note\.prepayment', r.text, flags=re.S), text_of(r.text)
    assert head(sqlite_room) == before
    # the pre-filled interest payment records
    ok = c.post(f"{ROOM}/issuer", data={"csrf": csrf, "nonce": "i2", "action": "interest",
                                        "purchaser": "Purchaser 1", "date": "2004-10-01",
                                        "through": "2004-09-30", "amount": "22191.78"})
    assert ok.status_code == 200, text_of(ok.text)
    assert f"Recorded event {before + 1}: interest paid on 2004-10-01" in text_of(ok.text)


def test_auditor_page(sqlite_room: Room, browser_for: Browser) -> None:
    c = browser_for("auditor")
    page = c.get(f"{ROOM}/auditor", params={"as_of": "2004-07-01"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert f"Verified: all {head(sqlite_room)} events chain correctly" in text
    history = sqlite_room.get("auditor", f"{API}/history").json()  # type: ignore[attr-defined]
    for rec in history["events"]:
        assert rec["hash"] in page.text
    assert "Notes as of 2004-07-01" in text
    export = c.get(f"{API}/export")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    book = c.get(f"{ROOM}/book.html", params={"as_of": "2004-10-01"})
    assert book.status_code == 200
    assert book.headers["content-disposition"] == 'attachment; filename="deal-book-2004-10-01.html"'
    assert book.text.startswith("<!DOCTYPE html>") and "Innovo Group Inc." in book.text
    assert c.get(f"{ROOM}/issuer").status_code == 403


def test_times_carry_their_zone(sqlite_room: Room, browser_for: Browser) -> None:
    sqlite_room.clock.set(dt.datetime(2004, 10, 4, 12, tzinfo=dt.UTC))
    text = text_of(browser_for("holder_a").get(f"{ROOM}/holder").text)
    assert "Expires 2009-06-15 17:00 UTC-07:00" in text


def test_holder_elects_inside_the_window_and_the_issuer_sees_a_lapse(
        sqlite_room: Room, browser_for: Browser) -> None:
    from pipedeal.service import sweep_elections

    issuer = browser_for("issuer")
    csrf = hidden(issuer.get(f"{ROOM}/issuer").text, "csrf")
    sent = issuer.post(f"{ROOM}/issuer", data={
        "csrf": csrf, "nonce": "n9", "action": "notice", "purchaser": ["Purchaser 1", P2],
        "date": "2004-10-01"})
    assert text_of(sent.text).count("prepayment notice on 2004-10-01") == 2
    a = browser_for("holder_a")
    page = a.get(f"{ROOM}/holder")
    text = text_of(page.text)
    assert "Electing today converts $1,000,000.00 of principal" in text
    elect_form = page.text.split('id="elect-h"')[1]
    r = a.post(f"{ROOM}/holder", data={"csrf": hidden(elect_form, "csrf"),
                                       "nonce": hidden(elect_form, "nonce"),
                                       "action": "elect", "date": "2004-10-04"})
    assert r.status_code == 200, text_of(r.text)
    assert "conversion election on 2004-10-04" in text_of(r.text)
    # Purchaser 2 lets the window pass: the sweep records the lapse, the issuer sees it
    sqlite_room.clock.set(dt.datetime(2004, 10, 8, 12, tzinfo=dt.UTC))
    app = sqlite_room.client.app
    sweep_elections(app.state.room, sqlite_room.clock())  # type: ignore[attr-defined]
    assert issuer.get("/", follow_redirects=False).status_code == 303  # 12-hour session over
    due = text_of(browser_for("issuer").get(f"{ROOM}/issuer").text)
    assert "prepayment settlement" in due and "note:Purchaser 2" in due
    audit = text_of(browser_for("auditor").get(f"{ROOM}/auditor").text)
    assert "election lapsed" in audit


def test_holder_exercises_warrant_with_preview(sqlite_room: Room, browser_for: Browser) -> None:
    a = browser_for("holder_a")
    page = a.get(f"{ROOM}/holder", params={"exercise": "1,000", "method": "cash",
                                            "date": "2004-10-01"})
    preview = page.text.split('id="exercise-preview"')[1]
    assert ("Exercising 1,000 shares (cash) on 2004-10-01 delivers 1,000 shares for $1,530.00 "
            "paid to the issuer; 124,000 warrant shares remain") in text_of(preview)
    form = {k: hidden(preview, k) for k in ("csrf", "nonce", "action", "shares", "method",
                                            "date")}
    r = a.post(f"{ROOM}/holder", data=form)
    assert r.status_code == 200, text_of(r.text)
    text = text_of(r.text)
    assert "warrant exercised on 2004-10-01" in text and "Shares outstanding 124,000" in text
    # more shares than the warrant has: the preview says the rules would refuse, and a post
    # anyway shows their message inline
    over = a.get(f"{ROOM}/holder", params={"exercise": "999999", "date": "2004-10-01"})
    assert "The ledger would refuse this: warrant" in text_of(over.text)
    assert 'id="exercise-confirm"' not in over.text
    r = a.post(f"{ROOM}/holder", data={**form, "nonce": "w2", "shares": "999999"})
    assert r.status_code == 422 and "Refused: warrant" in text_of(r.text)


def test_conversion_preview_says_when_the_rules_would_refuse(browser_for: Browser) -> None:
    a = browser_for("holder_a")
    page = a.get(f"{ROOM}/holder", params={"principal": "2000000", "date": "2004-10-01"})
    text = text_of(page.text)
    assert "The ledger would refuse this: note.conversion: converting $2,000,000.00" in text
    assert "Confirm the conversion" not in text
    js = a.get(f"{ROOM}/holder/preview", params={"principal": "1000",
                                                  "date": "2004-06-01"}).json()
    assert js["problem"].startswith("ledger.order: conversion dated 2004-06-01")
    ok = a.get(f"{ROOM}/holder/preview", params={"principal": "1000"}).json()
    assert ok["problem"] is None


def test_overview_price_trace_by_role(browser_for: Browser) -> None:
    own = text_of(browser_for("holder_a").get(ROOM).text)
    assert "Purchaser 1: $1.53 Rule: 110% of average close over 5 trading days" in own
    assert "2004-06-14 $1.36" in own  # the last session before the issue
    issuer = text_of(browser_for("issuer").get(ROOM).text)
    for line in ("Purchaser 1: $1.53", "Purchaser 2: $1.41", "Purchaser 3: $1.35"):
        assert line in issuer
    assert "Deal totals: principal outstanding $2,500,000.00" in issuer


def test_issuer_other_events(sqlite_room: Room, browser_for: Browser) -> None:
    c = browser_for("issuer")
    csrf = hidden(c.get(f"{ROOM}/issuer").text, "csrf")
    before = head(sqlite_room)

    def post(**fields: str) -> tuple[int, str]:
        r = c.post(f"{ROOM}/issuer", data={"csrf": csrf, "action": "other", **fields})
        return r.status_code, text_of(r.text)

    # a settlement with no notice: refused inline in its own form, nothing written
    status, text = post(nonce="o1", kind="prepayment_settled", purchaser="Purchaser 1",
                        date="2004-10-01")
    assert status == 422 and "Refused: note.prepayment" in text, text
    assert head(sqlite_room) == before
    status, text = post(nonce="o2", kind="memo", date="2004-10-01", instrument="note:Purchaser 1",
                        text="closing memo corrected")
    assert status == 200 and "memo on 2004-10-01 (note:Purchaser 1)" in text, text
    status, text = post(nonce="o3", kind="registration_filed", date="2004-10-01", form="S-3",
                        file_number="333-12345", shares="")
    assert status == 200 and "registration filed on 2004-10-01" in text, text
    assert head(sqlite_room) == before + 2


def test_inbox_on_the_deal_list(browser_for: Browser) -> None:
    issuer = browser_for("issuer")
    csrf = hidden(issuer.get(f"{ROOM}/issuer").text, "csrf")
    issuer.post(f"{ROOM}/issuer", data={"csrf": csrf, "nonce": "n", "action": "notice",
                                        "purchaser": P2, "date": "2004-10-01"})
    b = browser_for("holder_b")
    page = b.get("/")
    text = text_of(page.text)
    assert "prepayment notice: note:Purchaser 2 on 2004-10-01" in text
    assert "Elect until 2004-10-07 00:00 EDT (America/New_York)" in text
    assert "prepayment notice" not in text_of(browser_for("holder_a").get("/").text)
    item = hidden(page.text.split('action="/inbox/read"')[1], "id")
    assert b.post("/inbox/read", data={"id": item}).status_code == 403  # no CSRF field
    r = b.post("/inbox/read", data={"id": item, "csrf": hidden(page.text, "csrf")})
    assert r.status_code == 200 and "Unread notifications None." in text_of(r.text)


def test_my_tokens(sqlite_room: Room, browser_for: Browser) -> None:
    c = browser_for("holder_a")
    page = c.get("/account/tokens")
    assert page.status_code == 200 and '<option>holder</option>' in page.text
    csrf = hidden(page.text, "csrf")
    r = c.post("/account/tokens", data={"csrf": csrf, "action": "create", "scope": "holder",
                                        "label": "my script", "days": "7"})
    secret = re.search(r'<code id="token-secret">(pdt_[^<]+)</code>', r.text)
    assert secret, text_of(r.text)
    # the token reads as holder A through the API
    api = TestClient(sqlite_room.client.app)
    state = api.get(f"{API}/state", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert state.status_code == 200 and [n["purchaser"] for n in state.json()["notes"]] == [
        "Purchaser 1"]
    # not a role I hold: refused inline
    r = c.post("/account/tokens", data={"csrf": csrf, "scope": "issuer"})
    assert r.status_code == 403 and "Refused: scope: you hold no issuer role" in text_of(r.text)
    token_id = re.search(r'<td>(\d+)</td><td>my script</td>', c.get("/account/tokens").text)
    assert token_id
    c.post("/account/tokens", data={"csrf": csrf, "action": "revoke", "id": token_id.group(1)})
    state = api.get(f"{API}/state", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert state.status_code == 401


def test_admin_page(sqlite_room: Room, browser_for: Browser) -> None:
    assert browser_for("holder_a").get("/admin").status_code == 403
    c = browser_for("admin")
    page = c.get("/admin")
    assert page.status_code == 200 and "Administration" in page.text
    csrf = hidden(page.text, "csrf")
    r = c.post("/admin", data={"csrf": csrf, "action": "user", "name": "carol",
                               "password": "short"})
    assert r.status_code == 422 and "Refused: password: at least 10 characters" in text_of(r.text)
    r = c.post("/admin", data={"csrf": csrf, "action": "user", "name": "carol",
                               "password": "a long enough password"})
    assert r.status_code == 200 and "Done: user carol added" in text_of(r.text)
    r = c.post("/admin", data={"csrf": csrf, "action": "grant", "user": "carol",
                               "deal": "Innovo Group 2004 convertible notes and warrants",
                               "role": "holder", "purchaser": "Purchaser 3"})
    assert r.status_code == 200, text_of(r.text)
    assert "user added" in text_of(r.text) and "grant added" in text_of(r.text)  # audit log
    carol = TestClient(sqlite_room.client.app)
    carol.post("/login", data={"name": "carol", "password": "a long enough password"})
    assert "holder (Purchaser 3)" in text_of(carol.get("/").text)
    assert c.post("/admin", data={"action": "sweep"}).status_code == 403  # no CSRF field
