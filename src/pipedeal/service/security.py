"""Secrets of the deal room: password hashes, API tokens, session ids and the signing key.

Passwords are hashed with argon2id (``argon2-cffi``'s RFC 9106 low-memory profile: 64 MiB, three
passes, four lanes). Tokens and session ids are 256-bit random strings; only their SHA-256
digests are stored. The session cookie carries the session id signed (and timestamped) with a
key generated into the data folder on first start (mode 0600). Nothing here logs anything.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, TimestampSigner

TOKEN_PREFIX = "pdt_"
_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory defaults
# verified against when the user name is unknown, so both answers take as long
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def check_password_policy(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD:
        return f"password: at least {MIN_PASSWORD} characters"
    return None


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def load_or_create_key(path: Path) -> bytes:
    """The signing key in ``path``, created (0600, never overwritten) on first start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes().strip()
    else:
        key = secrets.token_urlsafe(48).encode()
        with os.fdopen(fd, "wb") as f:
            f.write(key + b"\n")
        return key
    if len(key) < 32:
        raise RuntimeError(f"{path}: the signing key is too short; delete it to regenerate")
    return key


class CookieSigner:
    """Signs a session id into a cookie value and reads it back (None when tampered or old)."""

    def __init__(self, key: bytes, max_age_s: int) -> None:
        self._signer = TimestampSigner(key, salt="pipedeal-session")
        self.max_age_s = max_age_s

    def sign(self, sid: str) -> str:
        return self._signer.sign(sid.encode()).decode()

    def unsign(self, value: str) -> str | None:
        try:
            return self._signer.unsign(value.encode(), max_age=self.max_age_s).decode()
        except BadSignature:
            return None
