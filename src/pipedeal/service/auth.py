"""Who is asking, and what they may do: sessions, tokens, CSRF and per-deal roles.

A request is authenticated by an ``Authorization: Bearer <token>`` header (an API token: its
digest must be stored, unrevoked and unexpired; a bad token is refused, never downgraded to the
cookie) or by the signed session cookie (server-side session, unrevoked and unexpired). Writes
authenticated by the cookie must carry the session's CSRF token in ``X-CSRF-Token`` (the
double-submit value the login returned and set in the readable ``pipedeal_csrf`` cookie).

Roles are per deal (``room_grants``): issuer, holder (bound to one purchaser) or auditor; the
workspace administrator (a user flag) manages users, grants and deals, and reads a deal's data
only through a grant like anyone else. A token's scope narrows it to one role: it reaches a
deal only where the user's role there is that scope, and admin endpoints only with scope admin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, Request

from pipedeal.service import security
from pipedeal.service.store import Grant, Store, User, iso

SESSION_COOKIE = "pipedeal_session"
CSRF_COOKIE = "pipedeal_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_TOUCH = dt.timedelta(seconds=60)  # token use is written at most once a minute per token


@dataclass(frozen=True)
class Principal:
    user: User
    via: Literal["session", "token"]
    scope: str | None = None  # a token's role scope
    csrf: str | None = None  # the session's CSRF token
    token_id: int | None = None


@dataclass(frozen=True)
class Access:
    deal: str
    role: str  # issuer | holder | auditor
    purchaser: str | None


def unauthorized(detail: str = "authentication required") -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def authenticate(request: Request, store: Store, signer: security.CookieSigner,
                 now: dt.datetime) -> Principal | None:
    """The principal of ``request`` (None: anonymous); 401 for a bad bearer token."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise unauthorized("Authorization: expected 'Bearer <token>'")
        row = store.token_row(security.digest(value.strip()))
        if row is None or row.revoked_at is not None:
            raise unauthorized("token: unknown or revoked")
        if row.expires_at <= iso(now):
            raise unauthorized("token: expired")
        user = store.user_by_id(row.user_id)
        if user is None:
            raise unauthorized("token: the user is disabled")
        if row.last_used_at is None or row.last_used_at <= iso(now - TOKEN_TOUCH):
            store.touch_token(row.id, now)
            store.audit(
                "token_used", now, actor=user.name, subject=f"token:{row.id}",
                client=client_of(request),
            )
        return Principal(user, "token", scope=row.scope, token_id=row.id)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    sid = signer.unsign(cookie)
    if sid is None:
        return None
    row = store.session_row(security.digest(sid))
    if row is None or row.revoked_at is not None or row.expires_at <= iso(now):
        return None
    user = store.user_by_id(row.user_id)
    if user is None:
        return None
    return Principal(user, "session", csrf=row.csrf)


def check_csrf(request: Request, principal: Principal) -> None:
    """Cookie-authenticated writes carry the session's CSRF token in ``X-CSRF-Token``."""
    if principal.via != "session" or request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent or principal.csrf is None or not security.same(sent, principal.csrf):
        raise HTTPException(403, f"{CSRF_HEADER}: missing or wrong CSRF token")


def deal_access(store: Store, principal: Principal, deal: str) -> Access:
    """The principal's role on ``deal``: 404 when it has none (a deal one may not see does not
    exist for them), 403 when a token's scope is another role."""
    grant: Grant | None = store.grant_for(principal.user.id, deal)
    if grant is None:
        raise HTTPException(404, f"deal {deal!r}: no such deal")
    if principal.scope is not None and principal.scope != grant.role:
        raise HTTPException(
            403, f"token scope {principal.scope!r} does not cover the {grant.role} role"
        )
    return Access(deal, grant.role, grant.purchaser)


def require_admin(principal: Principal) -> None:
    if not principal.user.is_admin:
        raise HTTPException(403, "admin only")
    if principal.scope is not None and principal.scope != "admin":
        raise HTTPException(403, f"token scope {principal.scope!r} does not cover admin")
