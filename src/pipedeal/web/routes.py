"""The deal room's pages: sign-in, the deal list, and per deal the overview and the holder's,
issuer's and auditor's pages (an ``APIRouter`` the service includes).

Server-rendered (Jinja2) forms that work without JavaScript; ``room.js`` adds the deadline
countdown and the live conversion preview. Every figure comes from the service's JSON API,
called in process as the signed-in user (``api.call``: same permissions, same holder filtering),
or, for previews, from the library (``NoteInstrument.conversion_result``,
``NoteInstrument.election_window``, ``pipedeal.ledger.defaults``). Every event is recorded
through ``POST /deals/{deal}/events`` with the form's CSRF field as the CSRF header and the
form's one-time nonce as the ``Idempotency-Key`` (a resubmitted form records nothing more).
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, quote

import jinja2
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.datastructures import FormData
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from pipedeal.errors import UserError
from pipedeal.ledger import defaults, events, rules
from pipedeal.web import words
from pipedeal.web.api import Answer, call, deal_path

CSRF_COOKIE = "pipedeal_csrf"  # the service's readable double-submit cookie
STATIC = {"room.js": "text/javascript", "room.css": "text/css"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)
_env = jinja2.Environment(
    loader=jinja2.PackageLoader("pipedeal.web", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["money"] = words.money
_env.filters["shares"] = words.shares
_env.filters["instant"] = words.instant
_env.filters["label"] = words.label
_env.filters["urlpart"] = lambda s: quote(str(s), safe="")


class Stop(Exception):
    """A page that cannot be shown: the response to send instead."""

    def __init__(self, response: Response) -> None:
        self.response = response


MAX_FORM = 64 * 1024


async def read_form(request: Request) -> FormData:
    """The posted ``application/x-www-form-urlencoded`` fields (the pages post nothing else;
    parsed here: no multipart parser is needed)."""
    raw = await request.body()
    if len(raw) > MAX_FORM:
        raw = b""
    return FormData(list(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)))


def _today(request: Request) -> dt.date:
    clock = request.app.state.clock
    return dt.date(*clock().timetuple()[:3])


def _csrf(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE, "")


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    ctx.setdefault("user", None)
    ctx.setdefault("is_admin", False)
    html = _env.get_template(template).render(
        csrf=_csrf(request), nonce=secrets.token_urlsafe(16), today=_today(request).isoformat(),
        zone=request.app.state.settings.deadline_zone,
        now_utc=request.app.state.clock().astimezone(dt.UTC).isoformat(), **ctx,
    )
    return HTMLResponse(html, status_code=status, headers={
        "Content-Security-Policy": CSP, "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
    })


def _refused(request: Request, answer: Answer, user: str | None = None) -> Response:
    if answer.status == 401:
        return RedirectResponse("/login", status_code=303)
    return render(request, "error.html", status=answer.status, message=answer.detail, user=user)


async def _get(request: Request, path: str, user: str | None = None, **params: str) -> Any:
    answer = await call(request, "GET", path, params={k: v for k, v in params.items() if v})
    if not answer.ok:
        raise Stop(_refused(request, answer, user))
    return answer.data


async def _me(request: Request) -> dict[str, Any]:
    data: dict[str, Any] = await _get(request, "/me")
    return data


async def _deal(request: Request, deal: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(who am I, the deal's info with my role): 401 → the sign-in page, 404 → not found."""
    me = await _me(request)
    info: dict[str, Any] = await _get(request, deal_path(deal), me["user"])
    return me, info


def _need(request: Request, info: dict[str, Any], me: dict[str, Any], *roles: str) -> None:
    if info["role"] not in roles:
        raise Stop(render(request, "error.html", status=403, user=me["user"],
                          message=f"this page is for the {' and '.join(roles)} of the deal"))


def _handle(request: Request, deal: str) -> Any:
    return request.app.state.room.handle(deal)


def _amount(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _day(text: str | None, default: dt.date) -> dt.date:
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return default


async def _record(request: Request, deal: str, form: Any, body: dict[str, Any]) -> Answer:
    nonce = str(form.get("nonce") or "") or None
    key = f"web:{nonce}:{body.get('purchaser') or ''}" if nonce else None
    return await call(request, "POST", deal_path(deal, "/events"), body=body,
                      csrf=str(form.get("csrf") or ""), idempotency_key=key)


# --- static files ------------------------------------------------------------------------------


@router.get("/static/web/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        return Response("not found", status_code=404, media_type="text/plain")
    text = resources.files("pipedeal.web").joinpath("static", name).read_text(encoding="utf-8")
    return Response(text, media_type=STATIC[name],
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


# --- sign-in -----------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    return render(request, "login.html", error=None, login_name="")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await read_form(request)
    name = str(form.get("name") or "").strip()
    password = str(form.get("password") or "")
    if not name or not password:
        return render(request, "login.html", status=422, login_name=name,
                      error="Enter your user name and your password.")
    answer = await call(request, "POST", "/auth/login", body={"name": name, "password": password})
    if not answer.ok:
        return render(request, "login.html", status=answer.status, login_name=name,
                      error=answer.detail)
    response = RedirectResponse("/", status_code=303)
    for cookie in answer.set_cookies:
        response.raw_headers.append((b"set-cookie", cookie))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request)
    answer = await call(request, "POST", "/auth/logout", body={},
                        csrf=str(form.get("csrf") or ""))
    if not answer.ok and answer.status != 401:
        return render(request, "error.html", status=answer.status, message=answer.detail)
    response = RedirectResponse("/login", status_code=303)
    for cookie in answer.set_cookies:
        response.raw_headers.append((b"set-cookie", cookie))
    return response


# --- the deals ---------------------------------------------------------------------------------


def _first_due(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    for item in items:
        if item.get("status") != "paid":
            return item
    return None


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    try:
        me = await _me(request)
        deals = (await _get(request, "/deals", me["user"]))["deals"]
        rows = []
        for d in deals:
            due = await _get(request, deal_path(d["deal"], "/due"), me["user"], days="400")
            rows.append({**d, "next": _first_due(due["items"])})
        inbox = (await _get(request, "/inbox", me["user"], unread="true"))["items"]
    except Stop as stop:
        return stop.response
    return render(request, "deals.html", user=me["user"], deals=rows, inbox=inbox,
                  is_admin=me["admin"])


@router.post("/inbox/read")
async def inbox_read(request: Request) -> Response:
    """Mark one of my notifications read (``POST /inbox/{id}/read``), back to the deal list."""
    form = await read_form(request)
    item = str(form.get("id") or "")
    if not item.isdigit():
        return render(request, "error.html", status=422, message="id: not a notification")
    answer = await call(request, "POST", f"/inbox/{item}/read", body={},
                        csrf=str(form.get("csrf") or ""))
    if not answer.ok:
        return _refused(request, answer)
    return RedirectResponse("/", status_code=303)


ROLE_PAGES = {"holder": "holder", "issuer": "issuer", "auditor": "auditor"}


@router.get("/room/{deal}", response_class=HTMLResponse)
async def overview(request: Request, deal: str, as_of: str = "") -> Response:
    try:
        me, info = await _deal(request, deal)
        day = _day(as_of, _today(request)).isoformat()
        state = await _get(request, deal_path(deal, "/state"), me["user"], as_of=day)
    except Stop as stop:
        return stop.response
    h = await run_in_threadpool(_handle, request, deal)
    terms = words.terms_in_words(h.loaded, info["purchaser"])
    traces = words.price_traces(h.loaded, list(info["purchasers"]))  # a holder: its own
    return render(request, "overview.html", user=me["user"], deal=deal, info=info, state=state,
                  terms=terms, traces=traces, as_of=day)


# --- holder --------------------------------------------------------------------------------------


def _conversion_preview(request: Request, deal: str, purchaser: str, principal: Decimal,
                        with_interest: bool, day: dt.date) -> dict[str, Any]:
    """Shares and cash in lieu for converting ``principal`` (and the accrued unpaid interest)
    on ``day``: the library's ``NoteInstrument.conversion_result`` at the ledger's split
    factor, the interest from ``pipedeal.ledger.defaults``."""
    h, view = request.app.state.room.reading(deal)
    book = view.tip()
    interest = (defaults.conversion_interest(h.loaded, book, purchaser, day)
                if with_interest else Decimal(0))
    outstanding = defaults.outstanding_principal(h.loaded, book, purchaser)
    shares, cash = h.loaded.note(purchaser).conversion_result(principal + interest, book.factor)
    problem = _would_refuse(h.loaded, book, purchaser, day, principal, interest)
    return {"problem": problem, "date": day.isoformat(), "principal": format(principal, "f"),
            "interest": format(interest, "f"), "outstanding": format(outstanding, "f"),
            "shares": shares, "cash_in_lieu": format(cash, "f"),
            "shares_text": words.shares(shares), "cash_text": words.money(cash),
            "interest_text": words.money(interest), "principal_text": words.money(principal)}


def _would_refuse(deal: Any, book: Any, purchaser: str, day: dt.date, principal: Decimal,
                  interest: Decimal) -> str | None:
    """The ledger rules' message if they would refuse this conversion now (the rules applied to
    the ledger's current book, nothing recorded), else None."""
    try:
        rules.apply(deal, book, events.conversion(purchaser, day, principal, interest))
    except UserError as exc:
        return exc.message
    except ValueError as exc:  # the event's own checks (pydantic)
        return f"event: {str(exc).splitlines()[0]}"
    return None


def _exercise_preview(request: Request, deal: str, purchaser: str, shares: int, method: str,
                      day: dt.date) -> dict[str, Any]:
    """What exercising ``shares`` on ``day`` would do: the ledger's rules applied to its current
    book (nothing recorded): shares delivered and cash paid to the issuer, or the rules'
    message."""
    out: dict[str, Any] = {"shares": shares, "method": method, "date": day.isoformat(),
                           "problem": None}
    h, view = request.app.state.room.reading(deal)
    book = view.tip()
    try:
        event = events.warrant_exercised(purchaser, day, shares, method=method)
        after = rules.apply(h.loaded, book, event)
    except UserError as exc:
        out["problem"] = exc.message
        return out
    except ValueError as exc:
        out["problem"] = f"event: {str(exc).splitlines()[0]}"
        return out
    a, b = book.warrants[purchaser], after.warrants[purchaser]
    out["delivered_text"] = words.shares(b.delivered - a.delivered)
    out["cash_text"] = words.money(b.cash_received - a.cash_received)
    out["left_text"] = words.shares(b.outstanding)
    return out


def _election_preview(request: Request, deal: str, purchaser: str,
                      day: dt.date) -> dict[str, Any] | None:
    h, view = request.app.state.room.reading(deal)
    try:
        principal = defaults.elected_principal(h.loaded, view.tip(), purchaser)
    except UserError:
        return None
    return _conversion_preview(request, deal, purchaser, principal, True, day)


async def _holder_page(request: Request, deal: str, *, status: int = 200,
                       errors: dict[str, str] | None = None, done: dict[str, Any] | None = None,
                       preview: dict[str, Any] | None = None,
                       exercise_preview: dict[str, Any] | None = None) -> Response:
    try:
        me, info = await _deal(request, deal)
        _need(request, info, me, "holder")
        user = me["user"]
        state = await _get(request, deal_path(deal, "/state"), user)
        due = await _get(request, deal_path(deal, "/due"), user, days="3660")
        notices = await _get(request, deal_path(deal, "/notices"), user)
        history = await _get(request, deal_path(deal, "/history"), user)
    except Stop as stop:
        return stop.response
    purchaser = info["purchaser"]
    today = _today(request)
    note = state["notes"][0] if state["notes"] else None
    warrant = state["warrants"][0] if state["warrants"] else None
    now_preview = None
    if note is not None and Decimal(note["outstanding_principal"]) > 0:
        now_preview = await run_in_threadpool(
            _conversion_preview, request, deal, purchaser,
            Decimal(note["outstanding_principal"]), True, today)
    election = None
    if note is not None and note["election_window"] is not None:
        election = await run_in_threadpool(_election_preview, request, deal, purchaser, today)
    h = await run_in_threadpool(_handle, request, deal)
    cashless = bool(h.loaded.terms.warrant and h.loaded.terms.warrant.cashless_exercise)
    return render(
        request, "holder.html", status=status, user=user, deal=deal, info=info, note=note,
        warrant=warrant, due=[i for i in due["items"] if i["status"] != "paid"],
        notices=notices["notices"], deliveries=notices["deliveries"],
        history=history["events"], now_preview=now_preview,
        election=election, preview=preview, errors=errors or {}, done=done, cashless=cashless,
        exercise_preview=exercise_preview,
    )


@router.get("/room/{deal}/holder", response_class=HTMLResponse)
async def holder_page(request: Request, deal: str, principal: str = "", interest: str = "",
                      date: str = "", exercise: str = "", method: str = "cash") -> Response:
    preview = None
    errors: dict[str, str] = {}
    if exercise:
        answer = await call(request, "GET", deal_path(deal))
        if not answer.ok:
            return _refused(request, answer)
        count = exercise.replace(",", "").strip()
        if answer.data["role"] != "holder":
            pass  # _holder_page refuses
        elif not count.isdigit() or int(count) <= 0:
            errors["exercise"] = f"shares: not a number of shares: {exercise!r}"
        else:
            x = await run_in_threadpool(
                _exercise_preview, request, deal, answer.data["purchaser"], int(count),
                "cashless" if method == "cashless" else "cash", _day(date, _today(request)))
            return await _holder_page(request, deal, exercise_preview=x)
        return await _holder_page(request, deal, errors=errors, status=422)
    if principal:
        info_answer = await call(request, "GET", deal_path(deal))
        if not info_answer.ok:
            return _refused(request, info_answer)
        info = info_answer.data
        amount = _amount(principal)
        if info["role"] != "holder":
            pass  # _holder_page refuses
        elif amount is None or amount < 0:
            errors["convert"] = f"principal: not an amount: {principal!r}"
        else:
            day = _day(date, _today(request))
            try:
                preview = await run_in_threadpool(
                    _conversion_preview, request, deal, info["purchaser"], amount,
                    interest == "all", day)
            except UserError as exc:
                errors["convert"] = exc.message
    return await _holder_page(request, deal, preview=preview, errors=errors)


@router.get("/room/{deal}/holder/preview")
async def holder_preview(request: Request, deal: str, principal: str = "", interest: str = "",
                         date: str = "") -> Response:
    """The conversion preview as JSON (for ``room.js``): the same figures as the page's."""
    answer = await call(request, "GET", deal_path(deal))
    if not answer.ok:
        return JSONResponse({"detail": answer.detail}, status_code=answer.status)
    if answer.data["role"] != "holder":
        return JSONResponse({"detail": "holders only"}, status_code=403)
    amount = _amount(principal)
    if amount is None or amount < 0:
        return JSONResponse({"detail": f"principal: not an amount: {principal!r}"},
                            status_code=422)
    try:
        data = await run_in_threadpool(
            _conversion_preview, request, deal, answer.data["purchaser"], amount,
            interest == "all", _day(date, _today(request)))
    except UserError as exc:
        return JSONResponse({"detail": exc.message}, status_code=422)
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@router.post("/room/{deal}/holder", response_class=HTMLResponse)
async def holder_act(request: Request, deal: str) -> Response:
    form = await read_form(request)
    action = str(form.get("action") or "")
    day = str(form.get("date") or _today(request).isoformat())
    body: dict[str, Any]
    if action == "convert":
        body = {"kind": "conversion", "date": day, "principal": str(form.get("principal") or "0"),
                "interest": str(form.get("interest") or "0")}
    elif action == "elect":
        body = {"kind": "conversion_election", "date": day}
    elif action == "exercise":
        body = {"kind": "warrant_exercised", "date": day,
                "method": str(form.get("method") or "cash")}
        shares = str(form.get("shares") or "").replace(",", "").strip()
        body["shares"] = int(shares) if shares.isdigit() else (shares or "all")
    else:
        return render(request, "error.html", status=422, message="action: unknown")
    answer = await _record(request, deal, form, body)
    if answer.status in (401, 404):
        return _refused(request, answer)
    if not answer.ok:
        return await _holder_page(request, deal, status=answer.status,
                                  errors={action: answer.detail})
    return await _holder_page(request, deal, done={"action": action, **answer.data})


# --- issuer --------------------------------------------------------------------------------------


def _interest_rows(request: Request, deal: str, purchasers: list[str],
                   day: dt.date) -> list[dict[str, Any]]:
    """Per purchaser: the interest payment the library's defaults give for a payment on
    ``day`` (through the end of the previous month)."""
    through = defaults.default_interest_through(day)
    h, view = request.app.state.room.reading(deal)
    book = view.tip()
    rows = []
    for p in purchasers:
        try:
            amount = format(defaults.interest_payable(h.loaded, book, p, through), "f")
        except UserError:  # e.g. a note not issued yet: nothing to pre-fill
            amount = ""
        rows.append({"purchaser": p, "date": day.isoformat(), "through": through.isoformat(),
                     "amount": amount})
    return rows


def _notice_preview(request: Request, deal: str, purchasers: list[str],
                    day: dt.date) -> list[dict[str, Any]]:
    """Each purchaser's election window a notice on ``day`` would open
    (``NoteInstrument.election_window``), its deadline instant and the holders it reaches."""
    from pipedeal.service.outbox import deadline

    app = request.app
    room, store = app.state.room, app.state.store
    zone = app.state.settings.deadline_zone
    grants = store.grants_on(deal)
    out = []
    h = room.handle(deal)
    for p in purchasers:
        w = h.loaded.note(p).election_window(day)
        end = deadline(w.closes, zone)
        holders = []
        for g in grants:
            if g.role == "holder" and g.purchaser == p:
                user = store.user_by_id(g.user_id)
                if user is not None:
                    holders.append(user.name)
        out.append({"purchaser": p, "notice_date": day.isoformat(),
                    "closes": w.closes.isoformat(), "settle_from": w.settle_from.isoformat(),
                    "deadline": end.isoformat(), "deadline_utc": end.astimezone(dt.UTC).isoformat(),
                    "holders": holders})
    return out


async def _issuer_page(request: Request, deal: str, *, status: int = 200,
                       errors: dict[str, str] | None = None,
                       done: list[dict[str, Any]] | None = None,
                       notice_preview: list[dict[str, Any]] | None = None,
                       notice_date: str = "", form_values: dict[str, str] | None = None
                       ) -> Response:
    try:
        me, info = await _deal(request, deal)
        _need(request, info, me, "issuer")
        user = me["user"]
        due = await _get(request, deal_path(deal, "/due"), user, days="60")
        notices = await _get(request, deal_path(deal, "/notices"), user)
    except Stop as stop:
        return stop.response
    today = _today(request)
    rows = await run_in_threadpool(_interest_rows, request, deal, info["purchasers"], today)
    return render(
        request, "issuer.html", status=status, user=user, deal=deal, info=info,
        due=[i for i in due["items"] if i["status"] != "paid"], notices=notices["notices"],
        deliveries=notices["deliveries"], interest_rows=rows, errors=errors or {}, done=done or [],
        notice_preview=notice_preview, notice_date=notice_date or today.isoformat(),
        values=form_values or {},
    )


@router.get("/room/{deal}/issuer", response_class=HTMLResponse)
async def issuer_page(request: Request, deal: str) -> Response:
    q = request.query_params
    chosen = q.getlist("purchaser")
    if q.get("preview") == "notice":
        answer = await call(request, "GET", deal_path(deal))
        if not answer.ok:
            return _refused(request, answer)
        info = answer.data
        if info["role"] != "issuer":
            return await _issuer_page(request, deal)
        day = _day(q.get("date"), _today(request))
        if not chosen:
            return await _issuer_page(request, deal, status=422, notice_date=day.isoformat(),
                                      errors={"notice": "purchaser: choose at least one"})
        unknown = [p for p in chosen if p not in info["purchasers"]]
        if unknown:
            return await _issuer_page(request, deal, status=422,
                                      errors={"notice": f"purchaser: unknown {unknown[0]!r}"})
        preview = await run_in_threadpool(_notice_preview, request, deal, chosen, day)
        return await _issuer_page(request, deal, notice_preview=preview,
                                  notice_date=day.isoformat())
    return await _issuer_page(request, deal)


# the issuer's other events and the fields their forms send (the service's request fields;
# an amount left empty is the ledger's default)
OTHER_KINDS: dict[str, tuple[str, ...]] = {
    "prepayment_settled": ("purchaser", "date", "principal", "interest"),
    "memo": ("date", "text", "instrument"),
    "correction": ("date", "voids", "reason"),
    "registration_filed": ("date", "form", "file_number", "shares"),
    "registration_effective": ("date", "file_number"),
}


@router.post("/room/{deal}/issuer", response_class=HTMLResponse)
async def issuer_act(request: Request, deal: str) -> Response:
    form = await read_form(request)
    action = str(form.get("action") or "")
    bodies: list[dict[str, Any]] = []
    if action == "interest":
        body = {"kind": "interest_paid", "purchaser": str(form.get("purchaser") or ""),
                "date": str(form.get("date") or "")}
        if form.get("through"):
            body["through"] = str(form.get("through"))
        if form.get("amount"):
            body["amount"] = str(form.get("amount"))
        bodies.append(body)
        key = f"interest:{body['purchaser']}"
    elif action == "other" and str(form.get("kind") or "") in OTHER_KINDS:
        kind = str(form.get("kind"))
        other: dict[str, Any] = {"kind": kind}
        for name in OTHER_KINDS[kind]:
            value = str(form.get(name) or "").strip()
            if value:
                numeric = name in ("shares", "voids") and value.isdigit()
                other[name] = int(value) if numeric else value
        bodies.append(other)
        key = f"other:{kind}"
    elif action == "delivery":
        # "note:NAME" / "warrant:NAME" → the service's purchaser and instrument fields
        target = str(form.get("target") or "")
        kind, _, name = target.partition(":")
        delivery: dict[str, Any] = {"kind": "shares_delivered", "purchaser": name,
                                    "instrument": kind, "date": str(form.get("date") or "")}
        for field in ("shares", "settles"):
            value = str(form.get(field) or "").replace(",", "").strip()
            if value:
                delivery[field] = int(value) if value.isdigit() else value
        bodies.append(delivery)
        key = "delivery"
    elif action == "notice":
        for p in form.getlist("purchaser"):
            bodies.append({"kind": "prepayment_notice", "purchaser": str(p),
                           "date": str(form.get("date") or "")})
        key = "notice"
    else:
        return render(request, "error.html", status=422, message="action: unknown")
    if not bodies:
        return await _issuer_page(request, deal, status=422,
                                  errors={key: "purchaser: choose at least one"})
    done: list[dict[str, Any]] = []
    problems: list[str] = []
    status = 200
    for body in bodies:
        answer = await _record(request, deal, form, body)
        if answer.status in (401, 404):
            return _refused(request, answer)
        if answer.ok:
            done.append(answer.data)
        else:
            status = answer.status
            problems.append(answer.detail)
    errors = {key: " ".join(problems)} if problems else {}
    values = {k: str(v) for k, v in form.items()
              if k in ("date", "through", "amount", "text", "file_number", "form", "shares",
                       "principal", "interest", "target", "settles")}
    return await _issuer_page(request, deal, status=status, errors=errors, done=done,
                              form_values=values if problems else None)


# --- auditor -------------------------------------------------------------------------------------


@router.get("/room/{deal}/auditor", response_class=HTMLResponse)
async def auditor_page(request: Request, deal: str, as_of: str = "") -> Response:
    try:
        me, info = await _deal(request, deal)
        _need(request, info, me, "auditor", "issuer")
        user = me["user"]
        day = _day(as_of, _today(request)).isoformat()
        history = await _get(request, deal_path(deal, "/history"), user)
        verify = await _get(request, deal_path(deal, "/verify"), user)
        state = await _get(request, deal_path(deal, "/state"), user, as_of=day)
    except Stop as stop:
        return stop.response
    return render(request, "auditor.html", user=user, deal=deal, info=info,
                  history=history["events"], verify=verify, state=state, as_of=day)


@router.get("/room/{deal}/book.html")
async def book_html(request: Request, deal: str, as_of: str = "") -> Response:
    """The HTML deal book (``pipedeal.report.html.render_html`` of the service's book JSON),
    as a download; issuers and auditors."""
    try:
        me = await _me(request)
        data = await _get(request, deal_path(deal, "/book"), me["user"], as_of=as_of)
    except Stop as stop:
        return stop.response
    from pipedeal.report.html import render_html

    html = await run_in_threadpool(render_html, data)
    name = f"deal-book-{data.get('as_of') or 'today'}.html"
    return HTMLResponse(html, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- my API tokens, administration ---------------------------------------------------------------


async def _tokens_page(request: Request, *, status: int = 200, error: str | None = None,
                       created: dict[str, Any] | None = None) -> Response:
    try:
        me = await _me(request)
        tokens = (await _get(request, "/tokens", me["user"]))["tokens"]
    except Stop as stop:
        return stop.response
    scopes = sorted({g["role"] for g in me["grants"]} | ({"admin"} if me["admin"] else set()))
    return render(request, "tokens.html", status=status, user=me["user"], tokens=tokens,
                  scopes=scopes, error=error, created=created)


@router.get("/account/tokens", response_class=HTMLResponse)
async def tokens_page(request: Request) -> Response:
    return await _tokens_page(request)


@router.post("/account/tokens", response_class=HTMLResponse)
async def tokens_act(request: Request) -> Response:
    """Create (the secret is shown once, on this answer) or revoke one of my API tokens."""
    form = await read_form(request)
    csrf = str(form.get("csrf") or "")
    if form.get("action") == "revoke":
        item = str(form.get("id") or "")
        if not item.isdigit():
            return await _tokens_page(request, status=422, error="id: not a token")
        answer = await call(request, "DELETE", f"/tokens/{item}", csrf=csrf)
        if not answer.ok:
            return await _tokens_page(request, status=answer.status, error=answer.detail)
        return await _tokens_page(request)
    body: dict[str, Any] = {"scope": str(form.get("scope") or ""),
                            "label": str(form.get("label") or "api token")}
    days = str(form.get("days") or "").strip()
    if days:
        if not days.isdigit():
            return await _tokens_page(request, status=422, error="days: a whole number")
        body["days"] = int(days)
    answer = await call(request, "POST", "/tokens", body=body, csrf=csrf)
    if not answer.ok:
        return await _tokens_page(request, status=answer.status, error=answer.detail)
    return await _tokens_page(request, created=answer.data)


async def _admin_page(request: Request, *, status: int = 200, errors: dict[str, str] | None = None,
                      done: str | None = None) -> Response:
    try:
        me = await _me(request)
        if not me["admin"]:
            raise Stop(render(request, "error.html", status=403, user=me["user"],
                              message="this page is for workspace administrators"))
        audit = (await _get(request, "/admin/audit", me["user"], limit="200"))["entries"]
    except Stop as stop:
        return stop.response
    return render(request, "admin.html", status=status, user=me["user"], audit=audit,
                  is_admin=True,
                  errors=errors or {}, done=done)


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(request: Request) -> Response:
    return await _admin_page(request)


@router.post("/admin", response_class=HTMLResponse)
async def admin_act(request: Request) -> Response:
    """Add a user, grant or remove a role, or sweep the deadlines now (the admin API)."""
    form = await read_form(request)
    csrf = str(form.get("csrf") or "")
    action = str(form.get("action") or "")
    if action == "user":
        answer = await call(request, "POST", "/admin/users", csrf=csrf, body={
            "name": str(form.get("name") or ""), "password": str(form.get("password") or ""),
            "admin": form.get("admin") == "yes"})
        done = f"user {form.get('name')} added"
    elif action == "grant":
        body: dict[str, Any] = {"user": str(form.get("user") or ""),
                                "deal": str(form.get("deal") or ""),
                                "role": str(form.get("role") or "")}
        if form.get("purchaser"):
            body["purchaser"] = str(form.get("purchaser"))
        answer = await call(request, "POST", "/admin/grants", csrf=csrf, body=body)
        done = f"grant {answer.data.get('id') if answer.ok else ''} added"
    elif action == "revoke":
        item = str(form.get("id") or "")
        if not item.isdigit():
            return await _admin_page(request, status=422, errors={action: "id: not a grant"})
        answer = await call(request, "DELETE", f"/admin/grants/{item}", csrf=csrf)
        done = f"grant {item} removed"
    elif action == "sweep":
        answer = await call(request, "POST", "/admin/sweep", csrf=csrf, body={})
        done = f"sweep: {len(answer.data.get('lapses', [])) if answer.ok else 0} lapse(s)"
    else:
        return render(request, "error.html", status=422, message="action: unknown")
    if answer.status == 401:
        return _refused(request, answer)
    if not answer.ok:
        return await _admin_page(request, status=answer.status, errors={action: answer.detail})
    return await _admin_page(request, done=done)
