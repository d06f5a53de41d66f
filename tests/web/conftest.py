"""Page fixtures: the deal room of ``tests/service`` (the Innovo deal, one user per role) and a
browser-like client per user, signed in through the sign-in page."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from urllib.parse import quote

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
from tests.service.conftest import DEAL, PASSWORD, Room, sqlite_room  # noqa: F401

ROOM = f"/room/{quote(DEAL, safe='')}"
API = f"/deals/{quote(DEAL, safe='')}"


def text_of(html: str) -> str:
    """The page's visible text, roughly (tags dropped, spaces folded)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert m, f"no hidden field {name}"
    return m.group(1)


@pytest.fixture
def browser_for(sqlite_room: Room) -> Callable[[str], TestClient]:  # noqa: F811
    """``browser_for("holder_a")``: a client signed in as that user through ``/login``."""

    def make(who: str) -> TestClient:
        client = TestClient(sqlite_room.client.app)
        r = client.post("/login", data={"name": who, "password": PASSWORD},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
        return client

    return make
