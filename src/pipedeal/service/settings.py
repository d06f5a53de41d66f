"""The deal room's settings: where its data lives, its database, and its security knobs.

``Settings`` is plain, frozen data; ``pipedeal serve`` builds it from its options, tests build it
directly. The workspace database is SQLite ``room.sqlite`` in the data folder unless ``db_url``
names another (``postgresql+psycopg://...``); deal folders are stored under ``data/deals/``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SQLITE_FILE = "room.sqlite"
SECRET_FILE = "secret.key"
ENV = "PIPEDEAL_ROOM_SETTINGS"  # how ``pipedeal serve --workers N`` hands settings to workers


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str | None = None
    # cookies carry ``Secure`` (set it when served over TLS, directly or behind a proxy)
    secure_cookies: bool = False
    session_ttl: dt.timedelta = dt.timedelta(hours=12)
    token_ttl: dt.timedelta = dt.timedelta(days=90)
    max_token_ttl: dt.timedelta = dt.timedelta(days=366)
    # login throttling: this many failures for one user name (or from one address) in the
    # window lock further attempts until the window has passed
    throttle_failures: int = 5
    throttle_window: dt.timedelta = dt.timedelta(minutes=15)
    # an election window's last day ends at midnight in this zone (the SEC's business days);
    # the sweeper records the lapse after that instant
    deadline_zone: str = "America/New_York"
    # seconds between deadline sweeps in ``pipedeal serve`` (0: no background sweeper)
    sweep_interval_s: float = 60.0
    # e-mail delivery of the outbox: ``smtp://HOST:PORT`` (None: inbox only), the From address,
    # and seconds between delivery rounds
    smtp_url: str | None = field(default=None, repr=False)
    smtp_from: str | None = None
    mail_interval_s: float = 5.0
    # the most lattice steps a valuation request may ask for (bounds one request's CPU)
    max_steps: int = 2000

    @property
    def url(self) -> str:
        if self.db_url:
            if "://" in self.db_url:
                return self.db_url
            return f"sqlite:///{Path(self.db_url).resolve()}"
        return f"sqlite:///{(self.data_dir / SQLITE_FILE).resolve()}"

    @property
    def deals_dir(self) -> Path:
        return self.data_dir / "deals"

    @property
    def secret_file(self) -> Path:
        return self.data_dir / SECRET_FILE

    def to_env(self) -> str:
        """The settings ``serve`` passes to worker processes in their environment (never logged;
        the SMTP URL may carry the SMTP server's credentials)."""
        return json.dumps(
            {
                "data_dir": str(self.data_dir),
                "db_url": self.db_url,
                "secure_cookies": self.secure_cookies,
                "sweep_interval_s": self.sweep_interval_s,
                "smtp_url": self.smtp_url,
                "smtp_from": self.smtp_from,
                "mail_interval_s": self.mail_interval_s,
            }
        )

    @classmethod
    def from_env(cls) -> Settings:
        raw = json.loads(os.environ[ENV])
        return cls(
            data_dir=Path(raw["data_dir"]),
            db_url=raw["db_url"],
            secure_cookies=bool(raw["secure_cookies"]),
            sweep_interval_s=float(raw["sweep_interval_s"]),
            smtp_url=raw.get("smtp_url"),
            smtp_from=raw.get("smtp_from"),
            mail_interval_s=float(raw.get("mail_interval_s", 5.0)),
        )


def check_zone(zone: str | None, field_name: str) -> str | None:
    """A one-line problem with an IANA time zone name, or None."""
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        return f"{field_name}: not an IANA time zone (e.g. Europe/London): {zone[:60]!r}"
    return None


def check_email(address: str | None, field_name: str) -> str | None:
    """A one-line problem with an e-mail address, or None (a plain local@domain only)."""
    if address is None:
        return None
    if (len(address) > 320 or address.count("@") != 1 or any(c.isspace() for c in address)
            or not all(address.split("@")) or any(c in address for c in "<>,;\"")):
        return f"{field_name}: not an e-mail address: {address[:60]!r}"
    return None
