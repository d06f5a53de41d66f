"""Values kept outside the database that the chain must still contain: exported heads and
signed checkpoints.

A hash chain shows that no row was changed *relative to the head*; whoever can write the
database can also delete the tail and move the head back, or rebuild the whole chain. Keeping
the head elsewhere closes that gap: ``ledger head --export`` prints ``SEQ:HASH``, and
``ledger verify --expect-head SEQ:HASH`` checks that event SEQ still has that hash (the ledger
may have grown since). A *signed checkpoint* is the same statement signed with an Ed25519 key
kept in a file outside the database (``ledger keygen``, ``ledger checkpoint --key FILE``), so it
can be stored next to the database without an attacker being able to forge a new one;
``ledger verify --checkpoint FILE --public-key FILE`` checks the signature, then the chain.

The checkpoint is a JSON object: ``{"format": "pipedeal-ledger-checkpoint/1", "deal_key",
"seq", "hash", "terms_hash", "signed_at", "public_key" (hex, raw 32 bytes), "signature" (hex)}``;
the signature covers the compact, key-sorted JSON of every other field.
"""

from __future__ import annotations

import binascii
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipedeal.errors import UserError
from pipedeal.ledger.chain import genesis_hash
from pipedeal.ledger.schema import events

CHECKPOINT_FORMAT = "pipedeal-ledger-checkpoint/1"
MAX_FILE = 64 * 1024  # a key or checkpoint file is small; refuse anything large
_HASH = re.compile(r"[0-9a-f]{64}")


class _Head(Protocol):
    @property
    def head_seq(self) -> int: ...

    @property
    def head_hash(self) -> str: ...


@dataclass(frozen=True)
class Anchor:
    """A point of the chain known from outside: event ``seq`` (None: anywhere) has ``hash``.
    ``problem`` is set when the anchor itself failed its check (a bad signature)."""

    seq: int | None
    hash: str
    label: str
    problem: str | None = None


def export_head(seq: int, digest: str) -> str:
    """The value to keep: ``SEQ:HASH``."""
    return f"{seq}:{digest}"


def parse_head(value: str) -> Anchor:
    """``SEQ:HASH`` (as exported) or a bare 64-hex-digit hash; a user error otherwise."""
    text = value.strip().lower()
    seq_text, sep, digest = text.rpartition(":")
    if not sep:
        seq_text, digest = "", text
    if not _HASH.fullmatch(digest) or (sep and not seq_text.isdigit()) or len(seq_text) > 12:
        raise UserError(f"--expect-head: expected SEQ:HASH or a 64-digit hex hash: {value!r}")
    seq = int(seq_text) if sep else None
    return Anchor(seq, digest, "the expected head")


def check_anchor(
    conn: Connection, deal_id: int, deal_key: str, head: _Head, anchor: Anchor
) -> tuple[int | None, str] | None:
    """``(first_bad_seq, problem)`` when ``anchor`` is not on the deal's chain, else None. The
    chain itself was verified first (so the rows up to the head are the chain)."""
    if anchor.problem is not None:
        return None, anchor.problem
    short = anchor.hash[:12]
    if anchor.seq is None:
        if anchor.hash == genesis_hash(deal_key):
            return None
        found = conn.execute(
            sa.select(events.c.seq).where(events.c.deal_id == deal_id, events.c.hash == anchor.hash)
        ).first()
        if found is None:
            return None, (
                f"{anchor.label} (hash {short}) is not on the chain: events were removed or "
                "the chain was rewritten"
            )
        return None
    if anchor.seq > head.head_seq:
        return head.head_seq + 1, (
            f"the ledger ends at event {head.head_seq}, before {anchor.label} (event "
            f"{anchor.seq}, hash {short}): events were removed"
        )
    if anchor.seq == 0:
        stored = genesis_hash(deal_key)
    else:
        stored = conn.execute(
            sa.select(events.c.hash).where(events.c.deal_id == deal_id, events.c.seq == anchor.seq)
        ).scalar_one()
    if stored != anchor.hash:
        return anchor.seq, (
            f"event {anchor.seq} differs from {anchor.label} (hash {short}): the chain up to "
            f"event {anchor.seq} was rewritten (events removed, renumbered or altered)"
        )
    return None


# --- keys and signed checkpoints ---------------------------------------------------------------


def _read_small(path: Path, what: str) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE + 1)
    except OSError as exc:
        raise UserError(f"{what} {path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE:
        raise UserError(f"{what} {path}: larger than {MAX_FILE:,} bytes")
    return data


def write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` (never replace an existing file or follow a link) with ``mode``."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        raise UserError(f"{path}: already exists; it is never overwritten") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot create: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def generate_key(path: Path) -> Path:
    """A new Ed25519 key: the private key in ``path`` (PEM, mode 0600), the public key in
    ``path.pub``; returns the public key's path. Existing files are never overwritten."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pub_path = path.with_name(path.name + ".pub")
    if pub_path.exists():
        raise UserError(f"{pub_path}: already exists; keys are never overwritten")
    write_new(path, private, 0o600)
    write_new(pub_path, public, 0o644)
    return pub_path


def _private_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read_small(path, "--key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise UserError(f"--key {path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UserError(f"--key {path}: not an Ed25519 key")
    return key


def _public_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read_small(path, "--public-key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise UserError(f"--public-key {path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UserError(f"--public-key {path}: not an Ed25519 key")
    return key


def _signed_text(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign_checkpoint(
    key_path: Path,
    *,
    deal_key: str,
    seq: int,
    digest: str,
    terms_hash: str | None,
    signed_at: str,
) -> dict[str, Any]:
    """A signed checkpoint of the chain at event ``seq`` (the JSON object to keep)."""
    from cryptography.hazmat.primitives import serialization

    key = _private_key(key_path)
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    fields: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "deal_key": deal_key,
        "seq": seq,
        "hash": digest,
        "terms_hash": terms_hash,
        "signed_at": signed_at,
        "public_key": public.hex(),
    }
    return {**fields, "signature": key.sign(_signed_text(fields)).hex()}


def read_checkpoint(path: Path, public_key_path: Path, deal_key: str) -> Anchor:
    """The checkpoint in ``path`` as an anchor, its signature checked with the public key in
    ``public_key_path``; a bad signature or another deal's checkpoint is an anchor that fails
    (``problem``), an unreadable file a user error."""
    from cryptography.exceptions import InvalidSignature

    public = _public_key(public_key_path)
    raw = _read_small(path, "--checkpoint")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise UserError(f"--checkpoint {path}: not a JSON checkpoint") from None
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise UserError(f"--checkpoint {path}: not a {CHECKPOINT_FORMAT} checkpoint")
    seq, digest, signature = data.get("seq"), data.get("hash"), data.get("signature")
    if (
        not isinstance(seq, int)
        or isinstance(seq, bool)
        or seq < 0
        or not isinstance(digest, str)
        or not _HASH.fullmatch(digest)
        or not isinstance(signature, str)
    ):
        raise UserError(f"--checkpoint {path}: seq, hash or signature missing or malformed")
    label = f"the checkpoint signed at {data.get('signed_at')}"
    fields = {k: v for k, v in data.items() if k != "signature"}
    try:
        public.verify(bytes.fromhex(signature), _signed_text(fields))
    except (InvalidSignature, ValueError):
        return Anchor(
            seq,
            digest,
            label,
            problem=f"checkpoint {path}: its signature does not match the public key "
            f"{public_key_path}: it was altered or signed by another key",
        )
    if data.get("deal_key") != deal_key:
        return Anchor(
            seq,
            digest,
            label,
            problem=f"checkpoint {path} is for deal {data.get('deal_key')!r}, not {deal_key!r}",
        )
    return Anchor(seq, digest, label)
