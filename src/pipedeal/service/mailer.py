"""E-mail delivery of the outbox over SMTP (``pipedeal serve --smtp smtp://HOST:PORT``).

A worker (a thread in ``pipedeal serve``, or ``deliver_pending`` with any clock) leases due
messages (``Store.claim_mail``: a conditional UPDATE sets ``claimed_by`` and ``claimed_until``
only where the message is undelivered and nobody holds a live lease, so two workers, in one
process or two, never send one message at once), sends each with ``smtplib`` and marks it
delivered (only while it still holds the lease). A failed attempt releases the lease, counts the
attempt and sets ``next_attempt_at`` after an exponential backoff (``base * 2**(attempts-1)``,
at most ``max_backoff``); after ``max_attempts`` the message stays in the inbox only.

Exactly once, and its limit: a message is marked delivered right after the server accepted it;
if the process dies between the two (a crash, not a failure the worker sees), the lease expires
and the message is sent again. Every message carries a ``Message-ID`` derived from the outbox
row, so a mail system (or a reader) can drop such a duplicate.

Only users with an e-mail address get mail; everyone keeps the inbox (``GET /inbox``). Nothing
secret is logged: the SMTP URL's password never appears in a log line or an error stored in
``last_error`` (the exception's class and SMTP code only).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import smtplib
import socket
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from pipedeal.errors import UserError
from pipedeal.service.store import Mail, Store

log = logging.getLogger("pipedeal.service.mailer")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    ssl: bool = False  # smtps://: TLS from the start
    starttls: bool = False  # ?starttls=1 on smtp://
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0

    def __repr__(self) -> str:  # never the password
        return f"SmtpConfig({self.host}:{self.port}, sender={self.sender!r})"

    @classmethod
    def parse(cls, url: str, sender: str | None = None) -> SmtpConfig:
        """``smtp://[USER:PASSWORD@]HOST[:PORT][?starttls=1]`` or ``smtps://...``."""
        try:
            u = urlsplit(url)
            port = u.port
        except ValueError:
            raise UserError("--smtp: not an smtp:// or smtps:// URL") from None
        if u.scheme not in ("smtp", "smtps") or not u.hostname:
            raise UserError("--smtp: not an smtp://HOST:PORT or smtps://HOST:PORT URL")
        ssl = u.scheme == "smtps"
        return cls(
            host=u.hostname,
            port=port or (465 if ssl else 25),
            sender=sender or f"pipedeal@{socket.getfqdn() or 'localhost'}",
            ssl=ssl,
            starttls="starttls=1" in u.query,
            username=unquote(u.username) if u.username else None,
            password=unquote(u.password) if u.password else None,
        )


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int


def backoff(attempts: int, base: dt.timedelta, cap: dt.timedelta) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt (1, 2, ...): base, 2 base, 4 base..."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def message(mail: Mail, sender: str, now: dt.datetime, domain: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    subject = str(mail.body.get("subject", mail.kind)).replace("\r", " ").replace("\n", " ")
    msg["Subject"] = f"[{mail.deal_key[:60]}] {subject}"[:200]
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<outbox-{mail.id}@{domain}>"
    lines = [subject, ""]
    w = mail.body.get("election_window")
    if isinstance(w, dict):
        lines.append(f"Election window closes {w.get('closes')}: deadline {w.get('deadline')}")
        local = w.get("deadline_local")
        if local:
            lines.append(f"  in your time zone ({w.get('your_zone')}): {local}")
        lines.append("")
    lines.append(json.dumps(mail.body, indent=2, sort_keys=True, default=str))
    msg.set_content("\n".join(lines))
    return msg


def _error(exc: BaseException) -> str:
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}{f' {code}' if code else ''}"


def _connect(cfg: SmtpConfig) -> smtplib.SMTP:
    server: smtplib.SMTP
    if cfg.ssl:
        server = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_s)
    else:
        server = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s)
        if cfg.starttls:
            server.starttls()
    if cfg.username and cfg.password:
        server.login(cfg.username, cfg.password)
    return server


def deliver_pending(
    store: Store,
    cfg: SmtpConfig,
    now: dt.datetime,
    *,
    worker: str | None = None,
    lease: dt.timedelta = dt.timedelta(minutes=5),
    base_backoff: dt.timedelta = dt.timedelta(seconds=30),
    max_backoff: dt.timedelta = dt.timedelta(hours=6),
    max_attempts: int = 12,
    limit: int = 100,
) -> Delivery:
    """Send every due message (one batch of at most ``limit``); how many were sent and
    how many failed (to be retried)."""
    who = worker or worker_id()
    batch = store.claim_mail(who, now, lease, max_attempts, limit)
    if not batch:
        return Delivery(0, 0)
    sent = failed = 0

    def fail(m: Mail, exc: BaseException) -> None:
        nonlocal failed
        failed += 1
        wait = backoff(m.attempts + 1, base_backoff, max_backoff)
        store.mail_failed(m.id, who, now + wait, _error(exc))
        log.warning("mail %s to recipient of outbox %s failed (%s attempt %d); next in %ss",
                    m.kind, m.id, _error(exc), m.attempts + 1, int(wait.total_seconds()))

    try:
        server = _connect(cfg)
    except (OSError, smtplib.SMTPException) as exc:
        for m in batch:
            fail(m, exc)
        return Delivery(0, failed)
    domain = cfg.sender.rpartition("@")[2] or "pipedeal"
    try:
        for i, m in enumerate(batch):
            try:
                server.send_message(message(m, cfg.sender, now, domain))
            except smtplib.SMTPServerDisconnected as exc:
                for rest in batch[i:]:
                    fail(rest, exc)
                break
            except (OSError, smtplib.SMTPException) as exc:
                fail(m, exc)
                continue
            if store.mail_delivered(m.id, who, now):
                sent += 1
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            server.quit()
    if sent:
        log.info("mail: %d message(s) sent", sent)
    return Delivery(sent, failed)


def describe(cfg: SmtpConfig | None) -> dict[str, Any]:
    """What ``pipedeal serve`` may log about its SMTP settings (no credentials)."""
    if cfg is None:
        return {"smtp": None}
    return {"smtp": f"{cfg.host}:{cfg.port}", "from": cfg.sender, "tls": cfg.ssl or cfg.starttls}
