"""The deal room's HTTP application: ``create_app(settings, clock=...)`` (FastAPI).

Routes are a face over the public API and the ledger: every figure comes from
``pipedeal.api`` (value, book), the deal's ``Ledger`` (state, history, due, verify, record) and
``pipedeal.ledger.views`` (the CLI's JSON). Errors are one line in ``detail``: 401 (who are
you?), 403 (not your role), 404 (no such deal, or not one you may see), 409 (a conflict:
``If-Match``, a reused ``Idempotency-Key``, a name taken), 422 (bad input or an event the rules
refuse; nothing is written), 429 (login throttled). Access logs are one JSON line per request
(method, path, status, milliseconds, user) on the ``pipedeal.service.access`` logger: never a
query string, header, body, password or token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

import pipedeal
from pipedeal import __version__
from pipedeal.errors import UserError
from pipedeal.ledger import views as ledger_views
from pipedeal.ledger.corrections import voided_by
from pipedeal.ledger.db import shown_url
from pipedeal.ledger.export_check import export_document
from pipedeal.ledger.snapshot import event_effect
from pipedeal.service import mailer, security
from pipedeal.service import views as holder_views
from pipedeal.service.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Access,
    Principal,
    authenticate,
    check_csrf,
    client_of,
    deal_access,
    require_admin,
    unauthorized,
)
from pipedeal.service.deals import Conflict, DealHandle, DealRoom, retry_read_race
from pipedeal.service.outbox import deadline, in_zones, localized, notify, reconcile
from pipedeal.service.requests import (
    HOLDER_KINDS,
    ISSUER_KINDS,
    build_event,
    first_error,
    needs_purchaser,
    parse_request,
    request_purchaser,
)
from pipedeal.service.settings import Settings, check_email, check_zone
from pipedeal.service.store import ROLES, TOKEN_SCOPES, Store, iso
from pipedeal.service.sweeper import sweep_elections

Clock = Callable[[], dt.datetime]
access_log = logging.getLogger("pipedeal.service.access")
log = logging.getLogger("pipedeal.service")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- request bodies ----------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LoginBody(_Body):
    name: StrictStr = Field(min_length=1, max_length=200)
    password: StrictStr = Field(min_length=1, max_length=1000, repr=False)


class TokenBody(_Body):
    scope: StrictStr
    label: StrictStr = Field("api token", max_length=200)
    days: int | None = Field(None, gt=0)


class UserBody(_Body):
    name: StrictStr = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._@-]+$")
    password: StrictStr = Field(min_length=1, max_length=1000, repr=False)
    admin: StrictBool = False
    email: StrictStr | None = Field(default=None, max_length=320)
    tz: StrictStr | None = Field(default=None, max_length=64)


class GrantBody(_Body):
    user: StrictStr
    deal: StrictStr
    role: StrictStr
    purchaser: StrictStr | None = None


class DealBody(_Body):
    files: dict[str, StrictStr]


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        raise UserError("body: expected a JSON object")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise UserError("body: malformed JSON") from None


def _model(cls: type[_Body], data: Any) -> Any:
    if not isinstance(data, dict):
        raise UserError("body: expected a JSON object")
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise UserError(first_error(exc)) from None


def _date(value: str | None, field: str, default: dt.date) -> dt.date:
    if value is None:
        return default
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{field}: not a date (YYYY-MM-DD): {value!r}") from None
    from pipedeal.market.calendars import check_in_range

    return check_in_range(day, field)  # year 9999 is a 422, not an OverflowError


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise UserError(f"If-Match: not a ledger sequence number: {value!r}")
    return int(text)


# --- the application ---------------------------------------------------------------------------


def create_app(settings: Settings, clock: Clock = utc_now) -> FastAPI:
    """The deal room over the workspace in ``settings`` (created on first start)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = security.load_or_create_key(settings.secret_file)
    store = Store(settings.url)
    room = DealRoom(settings, store)
    signer = security.CookieSigner(key, int(settings.session_ttl.total_seconds()))
    stop = threading.Event()

    def sweeper_loop() -> None:
        while not stop.wait(settings.sweep_interval_s):
            try:
                sweep_elections(room, clock())
            except Exception:  # noqa: BLE001 - a failed sweep is retried at the next tick
                log.exception("deadline sweep failed")

    smtp = (mailer.SmtpConfig.parse(settings.smtp_url, settings.smtp_from)
            if settings.smtp_url else None)

    def mail_loop() -> None:
        assert smtp is not None
        me = mailer.worker_id()
        while not stop.wait(settings.mail_interval_s):
            try:
                while mailer.deliver_pending(store, smtp, clock(), worker=me).sent:
                    if stop.is_set():
                        break
            except Exception:  # noqa: BLE001 - retried at the next tick
                log.exception("mail delivery round failed")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        threads = []
        if settings.sweep_interval_s > 0:
            threads.append(threading.Thread(target=sweeper_loop, name="pipedeal-sweeper",
                                            daemon=True))
        if smtp is not None and settings.mail_interval_s > 0:
            log.info("mail delivery on: %s", mailer.describe(smtp))
            threads.append(threading.Thread(target=mail_loop, name="pipedeal-mailer",
                                            daemon=True))
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            room.close()
            store.close()

    app = FastAPI(
        title="pipedeal deal room",
        version=__version__,
        description="The deal's system of record for the issuer, each holder and the auditors.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.room = room
    app.state.clock = clock

    # --- errors and logs ---------------------------------------------------------------------

    where = shown_url(settings.url)

    @app.exception_handler(UserError)
    async def _user_error(_request: Request, exc: UserError) -> JSONResponse:
        # the ledger names its database; a client needs no server address
        detail = exc.message.replace(where, "(the workspace database)")
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if not errors:
            return JSONResponse({"detail": "request: invalid"}, status_code=422)
        e = errors[0]
        loc = ".".join(str(x) for x in e["loc"] if x not in ("query", "path", "header", "body"))
        return JSONResponse({"detail": f"{loc or 'request'}: {e['msg']}"}, status_code=422)

    @app.middleware("http")
    async def _access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            access_log.info(
                json.dumps(
                    {
                        "method": request.method,
                        "path": request.url.path,
                        "status": status,
                        "ms": round((time.perf_counter() - start) * 1000, 2),
                        "user": getattr(request.state, "user_name", None),
                        "client": client_of(request),
                    }
                )
            )

    # --- dependencies --------------------------------------------------------------------------

    def optional_principal(request: Request) -> Principal | None:
        p = authenticate(request, store, signer, clock())
        if p is not None:
            request.state.user_name = p.user.name
            check_csrf(request, p)
        return p

    def principal(p: Principal | None = Depends(optional_principal)) -> Principal:
        if p is None:
            raise unauthorized()
        return p

    def admin(p: Principal = Depends(principal)) -> Principal:
        require_admin(p)
        return p

    def access(deal: str, p: Principal = Depends(principal)) -> Access:
        return deal_access(store, p, deal)

    def reader(a: Access = Depends(access)) -> Access:
        return a

    def auditor_or_issuer(a: Access = Depends(access)) -> Access:
        if a.role == "holder":
            raise HTTPException(403, "issuers and auditors only")
        return a

    def handle(deal: str) -> DealHandle:
        try:
            return room.handle(deal)
        except KeyError:
            raise HTTPException(404, f"deal {deal!r}: no such deal") from None

    # --- health, login ---------------------------------------------------------------------------

    @app.get("/health")
    def health() -> dict[str, Any]:
        import sqlalchemy as sa

        with store.tx() as conn:
            conn.execute(sa.text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    @app.post("/auth/login")
    async def login(request: Request) -> JSONResponse:
        body: LoginBody = _model(LoginBody, await _json(request))
        return await run_in_threadpool(_login, request, body)

    def _login(request: Request, body: LoginBody) -> JSONResponse:
        now = clock()
        since = now - settings.throttle_window
        client = client_of(request)
        by_name = store.count_audit("login_failed", since, subject=body.name)
        by_client = store.count_audit("login_failed", since, client=client)
        if by_name >= settings.throttle_failures or by_client >= 4 * settings.throttle_failures:
            store.audit("login_throttled", now, subject=body.name, client=client)
            retry = int(settings.throttle_window.total_seconds())
            return JSONResponse(
                {"detail": "login: too many failed attempts; try again later"},
                status_code=429,
                headers={"Retry-After": str(retry)},
            )
        row = store.user_row(body.name)
        stored = None if row is None or row.disabled else str(row.password_hash)
        if not security.verify_password(stored, body.password) or row is None:
            store.audit("login_failed", now, subject=body.name, client=client)
            raise unauthorized("login: wrong user name or password")
        if security.needs_rehash(str(row.password_hash)):
            store.set_password_hash(row.id, security.hash_password(body.password))
        # a fresh session id at every login (a cookie planted before it is worthless)
        old = request.cookies.get(SESSION_COOKIE)
        old_sid = signer.unsign(old) if old else None
        if old_sid is not None:
            store.revoke_session(security.digest(old_sid), now)
        sid, csrf = security.new_secret(), security.new_secret()
        store.add_session(security.digest(sid), row.id, csrf, now, now + settings.session_ttl)
        store.audit("login", now, actor=row.name, subject=row.name, client=client)
        request.state.user_name = row.name
        response = JSONResponse({"user": row.name, "csrf_token": csrf})
        max_age = int(settings.session_ttl.total_seconds())
        # Secure when asked to, or when the request came over TLS (directly or, with proxy
        # headers, through a TLS-terminating proxy)
        secure = settings.secure_cookies or request.url.scheme == "https"
        response.set_cookie(
            SESSION_COOKIE, signer.sign(sid), max_age=max_age, httponly=True, samesite="lax",
            secure=secure, path="/",
        )
        response.set_cookie(
            CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="lax",
            secure=secure, path="/",
        )
        return response

    @app.post("/auth/logout")
    def logout(request: Request, p: Principal = Depends(principal)) -> JSONResponse:
        cookie = request.cookies.get(SESSION_COOKIE)
        sid = signer.unsign(cookie) if cookie else None
        if sid is not None:
            store.revoke_session(security.digest(sid), clock())
        store.audit("logout", clock(), actor=p.user.name, client=client_of(request))
        response = JSONResponse({"ok": True})
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    @app.get("/me")
    def me(p: Principal = Depends(principal)) -> dict[str, Any]:
        return {
            "user": p.user.name,
            "admin": p.user.is_admin,
            "via": p.via,
            "scope": p.scope,
            "grants": [g.to_json() for g in store.grants_of(p.user.id)],
        }

    # --- tokens ----------------------------------------------------------------------------------

    @app.post("/tokens", status_code=201)
    async def create_token(request: Request, p: Principal = Depends(principal)) -> Any:
        body: TokenBody = _model(TokenBody, await _json(request))
        return await run_in_threadpool(_create_token, request, p, body)

    def _create_token(request: Request, p: Principal, body: TokenBody) -> dict[str, Any]:
        if p.via != "session":
            raise HTTPException(403, "tokens are created from a logged-in session only")
        if body.scope not in TOKEN_SCOPES:
            raise UserError(f"scope: expected one of {', '.join(TOKEN_SCOPES)}")
        if body.scope == "admin":
            if not p.user.is_admin:
                raise HTTPException(403, "scope: admin tokens are for administrators")
        elif body.scope not in {g.role for g in store.grants_of(p.user.id)}:
            raise HTTPException(403, f"scope: you hold no {body.scope} role on any deal")
        now = clock()
        ttl = dt.timedelta(days=body.days) if body.days else settings.token_ttl
        if ttl > settings.max_token_ttl:
            raise UserError(f"days: at most {settings.max_token_ttl.days}")
        secret = security.new_token()
        expires = now + ttl
        tid = store.add_token(p.user.id, security.digest(secret), body.label, body.scope, now,
                              expires)
        store.audit("token_created", now, actor=p.user.name, subject=f"token:{tid}",
                    client=client_of(request), detail=f"scope={body.scope}")
        return {"id": tid, "token": secret, "scope": body.scope, "label": body.label,
                "expires_at": iso(expires)}

    @app.get("/tokens")
    def list_tokens(p: Principal = Depends(principal)) -> dict[str, Any]:
        return {
            "tokens": [
                {"id": r.id, "label": r.label, "scope": r.scope, "created_at": r.created_at,
                 "expires_at": r.expires_at, "revoked_at": r.revoked_at,
                 "last_used_at": r.last_used_at}
                for r in store.tokens_of(p.user.id)
            ]
        }

    @app.delete("/tokens/{token_id}")
    def revoke_token(token_id: int, request: Request,
                     p: Principal = Depends(principal)) -> dict[str, Any]:
        row = store.token_by_id(token_id)
        if row is None or (row.user_id != p.user.id and not p.user.is_admin):
            raise HTTPException(404, f"token {token_id}: no such token")
        store.revoke_token(token_id, clock())
        store.audit("token_revoked", clock(), actor=p.user.name, subject=f"token:{token_id}",
                    client=client_of(request))
        return {"id": token_id, "revoked": True}

    # --- inbox -----------------------------------------------------------------------------------

    @app.get("/inbox")
    def inbox(unread: bool = False, p: Principal = Depends(principal)) -> dict[str, Any]:
        return {"items": store.inbox(p.user.id, unread_only=unread)}

    @app.post("/inbox/{item_id}/read")
    def inbox_read(item_id: int, p: Principal = Depends(principal)) -> dict[str, Any]:
        if not store.mark_read(p.user.id, item_id, clock()):
            raise HTTPException(404, f"inbox item {item_id}: no such item")
        return {"id": item_id, "read": True}

    # --- deals: reading --------------------------------------------------------------------------

    @app.get("/deals")
    def list_deals(p: Principal = Depends(principal)) -> dict[str, Any]:
        out = []
        for g in store.grants_of(p.user.id):
            if p.scope is not None and p.scope != g.role:
                continue
            out.append({"deal": g.deal_key, "role": g.role, "purchaser": g.purchaser})
        return {"deals": out}

    @app.get("/deals/{deal}")
    @retry_read_race
    def deal_info(deal: str, response: Response, a: Access = Depends(reader)) -> dict[str, Any]:
        with room.read(deal) as (h, view):
            seq = view.seq
            purchasers = [p.name for p in h.loaded.terms.purchasers]
        response.headers["ETag"] = f'"{seq}"'
        if a.role == "holder":
            purchasers = [x for x in purchasers if x == a.purchaser]
        return {"deal": deal, "role": a.role, "purchaser": a.purchaser, "head_seq": seq,
                "purchasers": purchasers}

    @app.get("/deals/{deal}/state")
    @retry_read_race
    def state(deal: str, as_of: str | None = None,
              a: Access = Depends(reader)) -> dict[str, Any]:
        day = _date(as_of, "as_of", clock().date())
        with room.read(deal) as (_h, view):
            data = ledger_views.state_json(view.state(day))
        if a.role == "holder":
            assert a.purchaser is not None
            return holder_views.state_for_holder(data, a.purchaser)
        return data

    @app.get("/deals/{deal}/history")
    @retry_read_race
    def history(deal: str, response: Response, as_of: str | None = None,
                instrument: str | None = None,
                a: Access = Depends(reader)) -> dict[str, Any]:
        day = _date(as_of, "as_of", dt.date.max) if as_of else None
        with room.read(deal) as (_h, view):
            everything, seq = view.records, view.seq
        # a voided event is marked even when its correction falls outside the filter
        voided = voided_by(everything)
        records = tuple(r for r in everything if day is None or r.event.date <= day)
        if instrument:
            records = tuple(r for r in records if r.event.instrument == instrument)
        response.headers["ETag"] = f'"{seq}"'
        data = ledger_views.history_json(records, voided)
        if a.role == "holder":
            assert a.purchaser is not None
            return holder_views.history_for_holder(data, a.purchaser)
        return data

    @app.get("/deals/{deal}/due")
    @retry_read_race
    def due(deal: str, as_of: str | None = None, days: int = Query(30, ge=0, le=3660),
            a: Access = Depends(reader)) -> dict[str, Any]:
        day = _date(as_of, "as_of", clock().date())
        with room.read(deal) as (_h, view):
            data = ledger_views.due_json(day, days, view.due(day, days))
        if a.role == "holder":
            assert a.purchaser is not None
            return holder_views.due_for_holder(data, a.purchaser)
        return data

    @app.get("/deals/{deal}/notices")
    @retry_read_race
    def notices(deal: str, as_of: str | None = None, a: Access = Depends(reader),
                p: Principal = Depends(principal)) -> dict[str, Any]:
        """Each note's prepayment notice and election window as of a date (the state's), with
        the deadline instant (New York, UTC, the reader's zone, and the zones of the
        purchaser's holders and of the issuers), and the share deliveries pending with their
        deadline (``overdue`` once past it); a holder sees its own."""
        day = _date(as_of, "as_of", clock().date())
        with room.read(deal) as (_h, view):
            state_data = ledger_views.state_json(view.state(day))
        grants = store.grants_on(deal)
        zones = store.zones_of(sorted({g.user_id for g in grants} | {p.user.id}))
        items = []
        for n in state_data["notes"]:
            w = n["election_window"]
            if w is None or (a.role == "holder" and n["purchaser"] != a.purchaser):
                continue
            zone = settings.deadline_zone
            end = deadline(dt.date.fromisoformat(w["closes"]), zone)
            item = {"purchaser": n["purchaser"], **w, "deadline": end.isoformat(),
                    "deadline_utc": end.astimezone(dt.UTC).isoformat(),
                    **in_zones(zones, grants, n["purchaser"], end, zone)}
            items.append(localized(item, zones.get(p.user.id) or zone))
        # shares issued on a conversion or exercise the transfer agent has not delivered yet
        deliveries = [
            {"instrument": f"{kind}:{x['purchaser']}", **pending}
            for kind in ("note", "warrant")
            for x in state_data[f"{kind}s"]
            if a.role != "holder" or x["purchaser"] == a.purchaser
            for pending in x["delivery"]["pending"]
        ]
        return {"schema_version": ledger_views.SCHEMA_VERSION, "as_of": day.isoformat(),
                "notices": items, "deliveries": deliveries}

    @app.get("/deals/{deal}/verify")
    @retry_read_race
    def verify(deal: str, _a: Access = Depends(auditor_or_issuer)) -> dict[str, Any]:
        with room.using(deal) as h:
            return ledger_views.verify_json(h.ledger.verify())

    @app.get("/deals/{deal}/export")
    @retry_read_race
    def export(deal: str, as_of: str | None = None,
               _a: Access = Depends(auditor_or_issuer)) -> JSONResponse:
        """One file for the auditor: every event with its chain hashes, the head, the terms
        fingerprint, the chain's verification and the state at ``as_of``."""
        day = _date(as_of, "as_of", clock().date())
        with room.using(deal) as h:
            data = export_document(h.ledger, day, iso(clock()))
        name = f"{h.folder.name}-{day.isoformat()}.json"
        return JSONResponse(
            data, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    @app.get("/deals/{deal}/value")
    @retry_read_race
    def value(deal: str, as_of: str | None = None, model: str | None = None,
              steps: int | None = Query(None, gt=0), a: Access = Depends(reader)) -> Any:
        if steps is not None and steps > settings.max_steps:
            raise UserError(f"steps: at most {settings.max_steps}")
        h = handle(deal)
        day = _date(as_of, "as_of", clock().date()) if as_of else None
        data = pipedeal.value(h.loaded, as_of=day, model=model, steps=steps,
                              db=settings.url).to_json()
        source = data.get("inputs", {}).get("source")
        if isinstance(source, str):  # the file's name, not where the server keeps it
            data["inputs"]["source"] = source.rsplit("/", 1)[-1]
        if a.role == "holder":
            assert a.purchaser is not None
            return holder_views.value_for_holder(data, a.purchaser)
        return data

    @app.get("/deals/{deal}/book")
    @retry_read_race
    def book(deal: str, as_of: str | None = None,
             _a: Access = Depends(auditor_or_issuer)) -> Any:
        h = handle(deal)
        day = _date(as_of, "as_of", clock().date()) if as_of else None
        return pipedeal.book(h.loaded, as_of=day, db=settings.url).to_json()

    # --- deals: recording ------------------------------------------------------------------------

    @app.post("/deals/{deal}/events")
    async def record(deal: str, request: Request, p: Principal = Depends(principal),
                     a: Access = Depends(access)) -> JSONResponse:
        data = await _json(request)
        return await run_in_threadpool(_record, request, deal, p, a, data)

    @retry_read_race
    def _record(request: Request, deal: str, p: Principal, a: Access, data: Any) -> JSONResponse:
        req = parse_request(data)
        allowed = ISSUER_KINDS if a.role == "issuer" else HOLDER_KINDS if a.role == "holder" else {}
        if req.kind not in allowed:
            raise HTTPException(403, f"kind: the {a.role} role may not record {req.kind}")
        purchaser = request_purchaser(req)
        if a.role == "holder":
            if purchaser is None:
                purchaser = a.purchaser
            elif purchaser != a.purchaser:
                raise HTTPException(
                    403, "purchaser: a holder records events on its own purchaser's notes only"
                )
        elif needs_purchaser(req) and purchaser is None:
            raise UserError("purchaser: required")
        given = request.headers.get("idempotency-key")
        if given is not None and not (0 < len(given) <= 150):
            raise UserError("Idempotency-Key: 1 to 150 characters")
        # the ledger key: the user's key (keys are per user) and a digest of the request, so a
        # retry finds its event without rebuilding it (its defaults may have moved since), and
        # the same key with another request is told apart
        prefix = f"user:{p.user.id}:{given}:" if given else None
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
        key = f"{prefix}{digest}" if prefix else None
        expected = _if_match(request.headers.get("if-match"))
        with room.using(deal) as h:
            records = h.ledger.events()
            head = records[-1].seq if records else 0
            if prefix is not None:
                stored = next(
                    (r for r in records if r.idempotency_key.startswith(prefix)), None
                )
                if stored is not None and stored.idempotency_key != key:
                    raise Conflict(
                        f"Idempotency-Key: already used by event {stored.seq} for another request"
                    )
                if stored is not None:
                    return JSONResponse(
                        {"schema_version": ledger_views.SCHEMA_VERSION, "already_recorded": True,
                         "record": stored.to_json(), "effect": {}},
                        status_code=200, headers={"ETag": f'"{head}"'},
                    )
            before = h.ledger.tip()
            event = build_event(req, purchaser, h.loaded, before, records)
            if expected is not None and expected != head:
                raise Conflict(f"If-Match: the ledger is at event {head}, not {expected}")
            rec = h.ledger.record(event, key=key, by=p.user.name)
            h.publish_append(records, rec)  # reads see it from now on
            after = h.view.tip() if h.view is not None else h.ledger.tip()
            loaded = h.loaded
        notify(store, deal, loaded, [rec], clock(), settings.deadline_zone)
        body = {
            "schema_version": ledger_views.SCHEMA_VERSION,
            "already_recorded": rec.already_recorded,
            "record": rec.to_json(),
            "effect": {} if rec.already_recorded else event_effect(before, after, event),
        }
        return JSONResponse(
            body, status_code=200 if rec.already_recorded else 201,
            headers={"ETag": f'"{rec.seq}"'},
        )

    # --- administration --------------------------------------------------------------------------

    @app.post("/admin/users", status_code=201)
    async def add_user(request: Request, p: Principal = Depends(admin)) -> Any:
        body: UserBody = _model(UserBody, await _json(request))
        return await run_in_threadpool(_add_user, request, p, body)

    def _add_user(request: Request, p: Principal, body: UserBody) -> dict[str, Any]:
        for problem in (security.check_password_policy(body.password),
                        check_email(body.email, "email"), check_zone(body.tz, "tz")):
            if problem:
                raise UserError(problem)
        if store.user_row(body.name) is not None:
            raise Conflict(f"user {body.name!r} already exists")
        user = store.add_user(body.name, security.hash_password(body.password), body.admin,
                              clock(), email=body.email, tz=body.tz)
        store.audit("user_added", clock(), actor=p.user.name, subject=user.name,
                    client=client_of(request), detail=f"admin={user.is_admin}")
        return {"id": user.id, "name": user.name, "admin": user.is_admin}

    @app.post("/admin/grants", status_code=201)
    async def add_grant(request: Request, p: Principal = Depends(admin)) -> Any:
        body: GrantBody = _model(GrantBody, await _json(request))
        return await run_in_threadpool(_add_grant, request, p, body)

    def _add_grant(request: Request, p: Principal, body: GrantBody) -> dict[str, Any]:
        if body.role not in ROLES:
            raise UserError(f"role: expected one of {', '.join(ROLES)}")
        row = store.user_row(body.user)
        if row is None:
            raise UserError(f"user: no such user {body.user!r}")
        h = handle(body.deal)
        if body.role == "holder":
            if body.purchaser is None:
                raise UserError("purchaser: a holder is bound to one purchaser")
            h.loaded.purchaser(body.purchaser)  # UserError naming an unknown purchaser
        elif body.purchaser is not None:
            raise UserError(f"purchaser: only a holder is bound to a purchaser, not {body.role}")
        g = store.add_grant(row.id, body.deal, body.role, body.purchaser, p.user.name, clock())
        store.audit("grant_added", clock(), actor=p.user.name, subject=body.user,
                    deal_key=body.deal, client=client_of(request),
                    detail=f"role={body.role} purchaser={body.purchaser}")
        with room.using(body.deal) as hh:  # earlier notices reach the new grantee
            reconcile(store, body.deal, hh.loaded, hh.ledger.events(), clock(),
                      settings.deadline_zone)
        return {**g.to_json(), "user": body.user}

    @app.delete("/admin/grants/{grant_id}")
    def remove_grant(grant_id: int, request: Request,
                     p: Principal = Depends(admin)) -> dict[str, Any]:
        g = store.remove_grant(grant_id)
        if g is None:
            raise HTTPException(404, f"grant {grant_id}: no such grant")
        store.audit("grant_removed", clock(), actor=p.user.name, subject=f"user:{g.user_id}",
                    deal_key=g.deal_key, client=client_of(request), detail=f"role={g.role}")
        return {"id": grant_id, "removed": True}

    @app.post("/admin/deals", status_code=201)
    async def import_deal(request: Request, p: Principal = Depends(admin)) -> Any:
        body: DealBody = _model(DealBody, await _json(request))
        return await run_in_threadpool(_import_deal, request, p, body)

    def _import_deal(request: Request, p: Principal, body: DealBody) -> dict[str, Any]:
        files = {name: text.encode() for name, text in body.files.items()}
        key = room.import_files(files, p.user.name, clock())
        store.audit("deal_imported", clock(), actor=p.user.name, deal_key=key,
                    client=client_of(request))
        return {"deal": key}

    @app.get("/admin/audit")
    def audit_log(deal: str | None = None, limit: int = Query(500, gt=0, le=5000),
                  _p: Principal = Depends(admin)) -> dict[str, Any]:
        return {"entries": store.audit_rows(limit, deal)}

    @app.post("/admin/sweep")
    def sweep(_p: Principal = Depends(admin)) -> dict[str, Any]:
        lapses = sweep_elections(room, clock())
        return {
            "lapses": [
                {"deal": x.deal, "purchaser": x.purchaser, "notice_date": x.notice_date.isoformat(),
                 "seq": x.seq, "already_recorded": x.already_recorded}
                for x in lapses
            ]
        }

    from pipedeal.web import router as web_router  # the pages (docs/web.md)
    app.include_router(web_router)
    return app


def app_from_env() -> FastAPI:
    """The application of a worker process of ``pipedeal serve --workers N`` (settings from
    ``$PIPEDEAL_ROOM_SETTINGS``; uvicorn calls this factory in each worker)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return create_app(Settings.from_env())
