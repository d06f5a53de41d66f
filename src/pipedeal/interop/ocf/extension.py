"""The pipedeal namespace of an OCF package: what OCF cannot express, kept beside its files.

OCF objects refuse fields they do not define, so pipedeal's own fields cannot sit inside them
without making the package invalid for every other OCF reader. They live in one more file of
the package, ``pipedeal.ocf-extension.json`` (OCF readers ignore files the manifest does not
list), and a plain-words summary of each goes into the object's ``comments`` as lines starting
with ``pipedeal:``. ``docs/ocf.md`` documents every key.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EXTENSION_FILE = "pipedeal.ocf-extension.json"
NAMESPACE = "pipedeal"
COMMENT = "pipedeal: "
"""Prefix of every comment line pipedeal writes (import leaves other comments alone)."""

CARRIED_FILES = ("closes.csv", "market.toml")
"""Deal-folder files carried whole: the closes the price rules read, the valuation inputs."""


class RecordedEventOut(BaseModel):
    """One ledger event as ``pipedeal ledger import`` reads it, with its idempotency key."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    event: dict[str, Any]
    idempotency_key: str = Field(min_length=1, max_length=300)


class Extension(BaseModel):
    """The extension file: the deal's full terms, the carried files, per-object fields by OCF
    object id, and the ledger's events."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    namespace: Literal["pipedeal"]
    extension_version: Literal[1]
    deal: dict[str, Any] = Field(description="deal.toml's terms as JSON (pipedeal.terms.Deal)")
    files: dict[Literal["closes.csv", "market.toml"], str] = Field(default_factory=dict)
    objects: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per OCF object id: the fields OCF has no place for"
    )
    events: list[RecordedEventOut] = Field(default_factory=list)
