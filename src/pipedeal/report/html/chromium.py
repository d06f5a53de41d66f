"""Headless Chromium, driven by its own command-line flags: print to PDF, screenshot, dump DOM.

The browser is found from ``PIPEDEAL_CHROMIUM``, else ``chromium`` / ``chromium-browser`` /
``google-chrome`` on ``PATH``. Every run gets a fresh throw-away profile and the flags that keep
it off the network (no sync, no component updates, no background networking) and runnable as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipedeal.errors import UserError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BASE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)
TIMEOUT_S = 120


def find_chromium() -> str | None:
    env = os.environ.get("PIPEDEAL_CHROMIUM")
    if env:
        return env if Path(env).exists() or shutil.which(env) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def run_chromium(args: list[str], *, chromium: str | None = None,
                 timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    exe = chromium or find_chromium()
    if exe is None:
        raise UserError("--pdf: needs headless Chromium and none was found (install chromium "
                        "or set PIPEDEAL_CHROMIUM to its path)")
    with tempfile.TemporaryDirectory(prefix="pipedeal-chromium-") as profile:
        cmd = [exe, *BASE_FLAGS, f"--user-data-dir={profile}", *args]
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise UserError(f"--pdf: Chromium ({exe}) did not finish within {timeout:.0f} s")\
                from None
        except OSError as exc:
            raise UserError(f"--pdf: cannot run Chromium ({exe}): {exc.strerror}") from None


def print_pdf(html: Path, pdf: Path, *, chromium: str | None = None) -> None:
    proc = run_chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                         "--virtual-time-budget=5000", html.resolve().as_uri()],
                        chromium=chromium)
    if not pdf.exists() or pdf.stat().st_size == 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"--pdf: Chromium printed no PDF (exit {proc.returncode}): {last}")


def screenshot(html: Path, png: Path, *, width: int = 1200, height: int = 1600,
               chromium: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_chromium([f"--screenshot={png}", f"--window-size={width},{height}",
                         "--virtual-time-budget=5000", html.resolve().as_uri()],
                        chromium=chromium)


def dump_dom(html: Path, *, chromium: str | None = None,
             extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return run_chromium(["--dump-dom", "--virtual-time-budget=5000", *extra,
                         html.resolve().as_uri()], chromium=chromium)
