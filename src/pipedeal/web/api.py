"""The pages' way to the deal room's JSON API: an in-process request to the same application.

Every figure a page shows and every event it records goes through the service's own endpoints
(``docs/service.md``), as the signed-in user: the browser's cookies are passed on, and a form's
CSRF field becomes the ``X-CSRF-Token`` header the service checks. So the pages have exactly the
service's permissions and holder filtering, and nothing of their own to keep in step with it.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request

CSRF_HEADER = "x-csrf-token"
Message = MutableMapping[str, Any]


@dataclass
class Answer:
    """One answer of the API: status, the decoded JSON body and the ``Set-Cookie`` headers."""

    status: int
    data: Any
    set_cookies: list[bytes] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        if isinstance(self.data, dict) and isinstance(self.data.get("detail"), str):
            return str(self.data["detail"])
        return f"the service answered {self.status}"


def deal_path(deal: str, tail: str = "") -> str:
    return f"/deals/{deal}{tail}"


async def call(
    request: Request,
    method: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    body: Any = None,
    csrf: str | None = None,
    idempotency_key: str | None = None,
) -> Answer:
    """``method path`` on this application as the user of ``request`` (its cookies)."""
    raw = b"" if body is None else json.dumps(body).encode()
    headers: list[tuple[bytes, bytes]] = [(b"host", b"pipedeal.internal")]
    cookie = request.headers.get("cookie")
    if cookie:
        headers.append((b"cookie", cookie.encode("latin-1")))
    if body is not None:
        headers.append((b"content-type", b"application/json"))
        headers.append((b"content-length", str(len(raw)).encode()))
    if csrf is not None:
        headers.append((CSRF_HEADER.encode(), csrf.encode("latin-1", "replace")))
    if idempotency_key is not None:
        headers.append((b"idempotency-key", idempotency_key.encode("latin-1", "replace")))
    query = urlencode(params or {})
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": request.url.scheme,
        "path": path,
        "raw_path": quote(path).encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": request.scope.get("client"),
        "server": request.scope.get("server"),
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    status = 500
    chunks: list[bytes] = []
    cookies: list[bytes] = []
    out_headers: dict[str, str] = {}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for k, v in message.get("headers", []):
                if k.lower() == b"set-cookie":
                    cookies.append(v)
                else:
                    out_headers[k.decode("latin-1").lower()] = v.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await request.app(scope, receive, send)
    text = b"".join(chunks)
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = {"detail": text.decode("utf-8", "replace")[:500]}
    return Answer(status, data, cookies, out_headers)
