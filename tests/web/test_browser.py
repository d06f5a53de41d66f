"""The deal room in real headless Chromium, driven by Playwright, against a real uvicorn server
on 127.0.0.1: a holder converts with the live preview and sees the result, the issuer's refused
notice shows the rule's message inline, a notified holder sees the countdown. Every request of
the pages goes to the test server only, and no page logs an error to the console.

Chromium is Debian's (``$PIPEDEAL_CHROMIUM`` or ``/usr/bin/chromium``; never downloaded);
skipped locally without it or without Playwright, required in CI. Every page screenshotted is
also checked with axe-core (from its npm package, installed by ``.ci/services.sh``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.conftest import skip_or_fail
from tests.service.conftest import PASSWORD, START, Clock, Room, populate

from pipedeal.service import Settings, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.chromium

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def _chromium() -> str:
    exe = os.environ.get("PIPEDEAL_CHROMIUM") or "/usr/bin/chromium"
    if not Path(exe).is_file():
        skip_or_fail(f"Chromium not found at {exe} (PIPEDEAL_CHROMIUM)")
    return exe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CLOCK = Clock(START)  # the served deal room's clock (the tests move it)
APP: dict[str, Any] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The deal room (Innovo, one user per role) served by uvicorn on a free local port."""
    import uvicorn

    settings = Settings(data_dir=tmp_path_factory.mktemp("web") / "room", sweep_interval_s=0)
    CLOCK.set(START)
    app = create_app(settings, clock=CLOCK)
    APP["app"] = app
    populate(Room(TestClient(app), settings, Clock(START), store=app.state.store))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)


@dataclass
class Watch:
    """What the pages did: every request URL, console errors and uncaught script errors."""

    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", lambda r: self.responses.append(r))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def drain(self) -> list[tuple[str, str]]:
        """(URL, body) of each response since the last drain (bodies are gone once the page
        navigates on: drain after each step; the sign-in form's is gone by then)."""
        out = []
        for r in self.responses:
            if 300 <= r.status < 400:
                continue
            try:
                out.append((r.url, r.text()))
            except Exception:  # noqa: BLE001 - navigated away: only the sign-in form
                assert r.url.endswith("/login") or "/static/" in r.url, r.url
        self.responses.clear()
        return out

    def check(self, refused_pages: int = 0) -> None:
        """No request to another host, no console or script error (but Chromium's one line per
        ``refused_pages`` page served with 422: a form the ledger refused)."""
        origin = urlsplit(self.base).netloc
        foreign = [u for u in self.requests if urlsplit(u).netloc != origin]
        assert foreign == [], f"requests to other hosts: {foreign}"
        refused = [e for e in self.errors if "responded with a status of 422" in e]
        assert len(refused) == refused_pages, self.errors
        assert [e for e in self.errors if e not in refused] == [], self.errors


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: ``$PIPEDEAL_SCREENSHOTS`` or a scratch folder."""
    where = os.environ.get("PIPEDEAL_SCREENSHOTS")
    folder = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _axe_source() -> str:
    """axe-core from its npm package (``.ci/services.sh`` installs it; ``$PIPEDEAL_AXE``)."""
    path = os.environ.get("PIPEDEAL_AXE")
    if not path or not Path(path).is_file():
        skip_or_fail("axe-core not found ($PIPEDEAL_AXE; bash .ci/services.sh installs it)")
    assert path is not None
    return Path(path).read_text(encoding="utf-8")


def accessibility(page: Any, name: str) -> None:
    """axe-core on the page as it is: no violation of serious or critical impact. Evaluated
    through the DevTools protocol, so the page's CSP needs no exception for it."""
    page.evaluate(_axe_source())
    assert page.evaluate("typeof axe.run") == "function"
    checked = page.evaluate("async () => (await axe.run(document)).passes.length")
    assert checked > 0  # the rules ran on this page
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ` +
                      v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    assert found == [], f"{name}: accessibility violations: {found}"


def screenshot(page: Any, folder: Path, name: str) -> None:
    """The page at 360 px and 1440 px wide (full page): nothing may overflow sideways; and the
    accessibility check (axe-core) on it."""
    accessibility(page, name)
    for width in (360, 1440):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if width == 360:
            assert overflow <= 0, f"{name}: {overflow} px wider than the 360 px screen"
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    exe = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install playwright)")
        raise
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _sign_in(browser: Any, server: str, who: str, watch: Watch,
             keyboard: bool = False) -> Any:
    """A new browser context signed in as ``who`` (``keyboard``: with the keyboard only)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    watch.attach(page)
    page.goto(f"{server}/login")
    if keyboard:
        for _ in range(5):  # past the skip link and the brand link to the first field
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "name":
                break
        assert page.evaluate("document.activeElement.id") == "name"
        page.keyboard.type(who)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
    else:
        page.get_by_label("User name").fill(who)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/")
    return page


def test_holder_converts_with_preview(browser: Any, server: str, shots: Path) -> None:
    watch = Watch(server)
    page = _sign_in(browser, server, "holder_a", watch, keyboard=True)
    screenshot(page, shots, "deals")
    page.get_by_role("link", name="Innovo Group 2004 convertible notes and warrants").click()
    screenshot(page, shots, "overview-holder")
    page.get_by_role("link", name="My notes and warrants").click()
    page.get_by_label("Principal to convert (dollars)").fill("100000")
    live = page.locator("#cv-live")
    live.filter(has_text="$100,000.00 principal").wait_for()
    shares = live.inner_text().split("Preview: ")[1].split(" shares")[0]
    page.get_by_role("button", name="Preview the conversion").click()
    preview = page.locator("#convert-preview")
    assert f"gives {shares} shares" in preview.inner_text()
    screenshot(page, shots, "holder-preview")
    page.get_by_role("button", name="Confirm the conversion").click()
    page.get_by_text("Recorded event").wait_for()
    body = page.locator("main").inner_text()
    assert "conversion on 2004-10-01" in body
    assert "$900,000.00" in body
    assert "Purchaser 2" not in page.content()
    watch.check()
    page.context.close()


def test_issuer_notice_refused_inline_then_holder_countdown(browser: Any, server: str,
                                                           shots: Path) -> None:
    watch = Watch(server)
    page = _sign_in(browser, server, "issuer", watch)
    page.goto(f"{server}/room/Innovo%20Group%202004%20convertible%20notes%20and%20warrants/issuer")
    # too early: the prepayment may not start before three months after issue
    page.get_by_label("Purchaser 2").check()
    page.get_by_label("Notice date").fill("2004-08-02")
    page.get_by_role("button", name="Preview the election windows").click()
    page.get_by_role("button", name="Send the notice").click()
    error = page.locator("#err-notice")
    error.wait_for()
    assert "note.prepayment" in error.inner_text()
    assert "Nothing was recorded" in error.inner_text()
    screenshot(page, shots, "issuer-refused")
    # a valid notice: Purchaser 2's holder sees it with a live countdown
    page.get_by_label("Purchaser 2").check()
    page.get_by_label("Notice date").fill("2004-10-01")
    page.get_by_role("button", name="Preview the election windows").click()
    assert "holder_b" in page.locator("#notice-preview").inner_text()
    screenshot(page, shots, "issuer-notice-preview")
    page.get_by_role("button", name="Send the notice").click()
    page.get_by_text("Recorded event").wait_for()
    watch.check(refused_pages=1)
    page.context.close()

    watch_b = Watch(server)
    holder = _sign_in(browser, server, "holder_b", watch_b)
    bodies = watch_b.drain()
    holder.goto(f"{server}/room/Innovo%20Group%202004%20convertible%20notes%20and%20warrants/"
                "holder")
    countdown = holder.locator("time.countdown").first
    countdown.filter(has_text=" left").wait_for()
    first = countdown.inner_text()
    assert first.startswith("5 days"), first  # 2004-10-01 15:00 UTC to 2004-10-07 04:00 UTC
    holder.wait_for_timeout(1100)
    assert countdown.inner_text() != first  # it runs
    screenshot(holder, shots, "holder-notice")
    bodies += watch_b.drain()
    holder.get_by_role("link", name="Overview").click()
    holder.wait_for_load_state()
    bodies += watch_b.drain()
    holder.get_by_role("button", name="Show").click()
    holder.wait_for_load_state()
    bodies += watch_b.drain()
    # nothing holder B's browser received names Purchaser 1 or its holder, or its figures
    assert len([u for u, _ in bodies if "/room/" in u]) >= 3, [u for u, _ in bodies]
    for url, body in bodies:
        for other in ("Purchaser 1", "holder_a", "1.53", "22,397.26", "22397.26"):
            assert other not in body, (url, other)
    watch_b.check()
    holder.context.close()

    # the clock passes the deadline; the sweep records the lapse; the issuer sees it due
    import datetime as dt

    from pipedeal.service import sweep_elections

    CLOCK.set(dt.datetime(2004, 10, 8, 12, tzinfo=dt.UTC))
    lapses = sweep_elections(APP["app"].state.room, CLOCK())
    assert [x.purchaser for x in lapses] == ["Purchaser 2"]
    watch_i = Watch(server)
    page = _sign_in(browser, server, "issuer", watch_i)
    page.goto(f"{server}/room/Innovo%20Group%202004%20convertible%20notes%20and%20warrants/issuer")
    due = page.locator("#due-h + table").inner_text()
    assert "prepayment settlement" in due and "note:Purchaser 2" in due
    screenshot(page, shots, "issuer-after-lapse")
    watch_i.check()
    page.context.close()


def test_auditor_verifies_and_downloads(browser: Any, server: str, shots: Path) -> None:
    watch = Watch(server)
    page = _sign_in(browser, server, "auditor", watch)
    page.goto(f"{server}/room/Innovo%20Group%202004%20convertible%20notes%20and%20warrants/"
              "auditor")
    assert page.locator("#verify-result").inner_text().startswith("Verified:")
    screenshot(page, shots, "auditor")
    with page.expect_download() as info:
        page.get_by_role("link", name="Export (JSON", exact=False).click()
    download = info.value
    assert download.suggested_filename.endswith(".json")
    assert '"verify"' in Path(download.path()).read_text()
    watch.check()
    page.context.close()


def test_holder_sees_a_notice_and_elects_with_the_preview(browser: Any, server: str,
                                                          shots: Path) -> None:
    """The issuer notices Purchaser 1; its holder sees the notice and the countdown, reads the
    preview of what electing converts, and elects inside the window."""
    import datetime as dt

    CLOCK.set(dt.datetime(2004, 10, 8, 15, tzinfo=dt.UTC))
    watch = Watch(server)
    page = _sign_in(browser, server, "issuer", watch)
    page.goto(f"{server}/room/Innovo%20Group%202004%20convertible%20notes%20and%20warrants/issuer")
    page.get_by_label("Purchaser 1").check()
    page.get_by_label("Notice date").fill("2004-10-08")
    page.get_by_role("button", name="Preview the election windows").click()
    assert "holder_a" in page.locator("#notice-preview").inner_text()
    page.get_by_role("button", name="Send the notice").click()
    page.get_by_text("Recorded event").wait_for()
    watch.check()
    page.context.close()

    watch_a = Watch(server)
    holder = _sign_in(browser, server, "holder_a", watch_a)
    holder.goto(f"{server}/room/Innovo%20Group%202004%20convertible%20notes%20and%20warrants/"
                "holder")
    holder.locator("time.countdown").first.filter(has_text=" left").wait_for()
    section = holder.locator("section[aria-labelledby=elect-h]")
    preview = section.inner_text()
    assert "Electing today converts" in preview and " shares" in preview
    screenshot(holder, shots, "holder-election")
    holder.get_by_label("Election date").fill("2004-10-08")
    holder.get_by_role("button", name="Elect to convert").click()
    holder.get_by_text("Recorded event").wait_for()
    done = holder.locator("main").inner_text()
    assert "conversion election on 2004-10-08 (note:Purchaser 1)" in done
    assert "outstanding principal 0" in done
    assert "Purchaser 2" not in holder.content()
    watch_a.check()
    holder.context.close()
