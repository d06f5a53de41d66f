"""The per-document time budget of term extraction.

Every pattern on filing text is linear (``pipedeal.filings.extraction``), so a filing takes
milliseconds; the budget is the guarantee for the input nobody thought of. ``time_budget``
wraps one document's extraction:

* the extraction checks ``check()`` between rules and every few sentences (cooperative: works in
  any thread, e.g. on a Dask worker);
* in the main thread a ``SIGALRM`` timer also fires one second after the deadline, so a single
  long C-level step (``html.parser``, one regex search) is interrupted too; the previous handler
  and timer are restored afterwards.

Running out is ``ExtractionTimeout``, a ``UserError``: one line, exit status 2, and in a batch
that file's error line while the batch carries on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from types import FrameType

from pipedeal.errors import UserError

DEFAULT_SECONDS = 30.0
"""Budget per document unless ``PIPEDEAL_EXTRACT_SECONDS`` or the caller says otherwise (the
seed 8-K takes about 10 ms, a 1 MB mutated 8-K under a second; ``html.parser`` needs about 11 s
for a 5 MB tag-dense HTML file, so the largest accepted HTML files need a bigger budget)."""

_SIGNAL_GRACE = 1.0
_deadline: ContextVar[tuple[float, float] | None] = ContextVar("extract_deadline", default=None)


class ExtractionTimeout(UserError):
    """A document's extraction ran past its time budget."""


def default_seconds() -> float:
    """``PIPEDEAL_EXTRACT_SECONDS`` when set to a positive number, else ``DEFAULT_SECONDS``."""
    value = os.environ.get("PIPEDEAL_EXTRACT_SECONDS")
    if value:
        try:
            seconds = float(value)
        except ValueError:
            raise UserError(
                f"PIPEDEAL_EXTRACT_SECONDS={value!r}: give a number of seconds"
            ) from None
        if seconds > 0 and seconds == seconds and seconds != float("inf"):
            return seconds
        raise UserError(f"PIPEDEAL_EXTRACT_SECONDS={value!r}: give a positive number of seconds")
    return DEFAULT_SECONDS


def _message(seconds: float) -> str:
    return (
        f"extraction stopped at the {seconds:g} s time budget per document; the text is too "
        "long or too unusual to read for terms (PIPEDEAL_EXTRACT_SECONDS sets the budget)"
    )


def check() -> None:
    """Raise ``ExtractionTimeout`` when the current document's budget is spent."""
    current = _deadline.get()
    if current is not None and time.monotonic() > current[0]:
        raise ExtractionTimeout(_message(current[1]))


@contextlib.contextmanager
def time_budget(seconds: float | None = None) -> Iterator[None]:
    """Run the body under a budget of ``seconds`` (default ``default_seconds()``); nested
    budgets keep the outer, earlier deadline."""
    seconds = default_seconds() if seconds is None else seconds
    outer = _deadline.get()
    deadline = time.monotonic() + seconds
    if outer is not None and outer[0] <= deadline:
        yield
        return
    token = _deadline.set((deadline, seconds))
    try:
        with _alarm(seconds):
            yield
    finally:
        _deadline.reset(token)


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise ExtractionTimeout(_message(seconds))

    try:
        previous = signal.signal(signal.SIGALRM, on_alarm)
    except ValueError:  # not the main interpreter
        yield
        return
    started = time.monotonic()
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds + _SIGNAL_GRACE)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay > 0:  # someone else's timer: give it back, less the time we took
            remaining = max(old_delay - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, remaining, old_interval)
