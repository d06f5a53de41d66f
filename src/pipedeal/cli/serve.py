"""``pipedeal serve`` (the deal room), ``pipedeal deals import`` and ``pipedeal users``.

Thin: the service (``pipedeal.service``) does the work; these commands build its ``Settings``
from the options, bootstrap users and grants, and import deal folders into a workspace.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated

import typer

from pipedeal.cli.app import app
from pipedeal.errors import UserError

DataOpt = Annotated[
    Path,
    typer.Option("--data", help="the workspace folder (created on first use)"),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="workspace database URL (default: DATA/room.sqlite; PostgreSQL: "
        "postgresql+psycopg://user@host/db)",
    ),
]

deals_app = typer.Typer(help="Deals in a deal-room workspace.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their roles in a deal-room workspace.",
                        no_args_is_help=True)
app.add_typer(deals_app, name="deals")
app.add_typer(users_app, name="users")


def _settings(data: Path, db: str | None):  # noqa: ANN202 - pipedeal.service.Settings
    from pipedeal.service.settings import Settings

    return Settings(data_dir=data.resolve(), db_url=db)


def _actor() -> str:
    from pipedeal.ledger.chain import default_user

    return f"cli:{default_user()}"


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    data: DataOpt = Path("room"),
    db: DbOpt = None,
    secure_cookies: Annotated[
        bool,
        typer.Option("--secure-cookies", help="mark cookies Secure (served over TLS or "
                     "behind a TLS-terminating proxy)"),
    ] = False,
    sweep_interval: Annotated[
        float, typer.Option("--sweep-interval", min=0, help="seconds between election-deadline "
                            "sweeps (0: none)"),
    ] = 60.0,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="server processes (each sweeps too; "
                          "the ledger serialises their appends)"),
    ] = 1,
    smtp: Annotated[
        str | None,
        typer.Option("--smtp", help="deliver notifications by e-mail: smtp://HOST:PORT "
                     "(smtps:// for TLS; credentials in the URL are never logged)",
                     show_default=False),
    ] = None,
    smtp_from: Annotated[
        str | None, typer.Option("--smtp-from", help="the From address of notification mail"),
    ] = None,
) -> None:
    """Serve the deal room (HTTP API, OpenAPI docs at /docs) over a workspace."""
    import logging
    from dataclasses import replace

    import uvicorn

    from pipedeal.service import create_app
    from pipedeal.service.mailer import SmtpConfig
    from pipedeal.service.settings import ENV

    if smtp is not None:
        SmtpConfig.parse(smtp, smtp_from)  # a bad URL is one line, before the server starts
    settings = replace(_settings(data, db), secure_cookies=secure_cookies,
                       sweep_interval_s=sweep_interval, smtp_url=smtp, smtp_from=smtp_from)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # uvicorn's own access log prints query strings; the service logs each request itself
    options = dict(host=host, port=port, access_log=False, proxy_headers=True,
                   timeout_graceful_shutdown=30)
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # create the workspace (tables, signing key) once, before the workers race to
    create_app(settings).state.store.close()
    os.environ[ENV] = settings.to_env()
    uvicorn.run("pipedeal.service.app:app_from_env", factory=True, workers=workers,
                **options)  # type: ignore[arg-type]


@deals_app.command("import")
def deals_import(
    deal_dir: Annotated[Path, typer.Argument(help="deal folder (holds deal.toml)")],
    data: DataOpt = Path("room"),
    db: DbOpt = None,
) -> None:
    """Copy a deal folder into the workspace and create its ledger (closings recorded)."""
    from pipedeal.service.deals import Conflict, DealRoom
    from pipedeal.service.store import Store

    settings = _settings(data, db)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.url)
    room = DealRoom(settings, store)
    try:
        now = dt.datetime.now(dt.UTC)
        key = room.import_folder(deal_dir, _actor(), now)
        store.audit("deal_imported", now, actor=_actor(), deal_key=key, client="cli")
    except Conflict as exc:
        raise UserError(str(exc)) from None
    finally:
        room.close()
        store.close()
    print(f"imported deal {key!r} into {settings.data_dir}")


def _read_password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            lines = password_file.read_text().splitlines()
        except OSError as exc:
            raise UserError(f"--password-file {password_file}: {exc.strerror}") from None
        if not lines:
            raise UserError(f"--password-file {password_file}: empty")
        return lines[0]
    if os.environ.get("PIPEDEAL_PASSWORD"):
        return os.environ["PIPEDEAL_PASSWORD"]
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="user name")],
    admin: Annotated[bool, typer.Option("--admin", help="workspace administrator")] = False,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="read the password from the first line of this "
                     "file (else $PIPEDEAL_PASSWORD, else a prompt)"),
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="e-mail address for notifications (with "
                                 "pipedeal serve --smtp)"),
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="IANA time zone deadlines are shown in "
                                 "(default: the deal's business-calendar zone, New York)"),
    ] = None,
    data: DataOpt = Path("room"),
    db: DbOpt = None,
) -> None:
    """Add a user (the first administrator: pipedeal users add admin --admin)."""
    from pipedeal.service import security
    from pipedeal.service.settings import check_email, check_zone
    from pipedeal.service.store import Store

    for problem in (check_email(email, "--email"), check_zone(tz, "--tz")):
        if problem:
            raise UserError(problem)
    password = _read_password(password_file)
    problem = security.check_password_policy(password)
    if problem:
        raise UserError(problem)
    settings = _settings(data, db)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.url)
    try:
        if store.user_row(name) is not None:
            raise UserError(f"user {name!r} already exists")
        now = dt.datetime.now(dt.UTC)
        store.add_user(name, security.hash_password(password), admin, now, email=email, tz=tz)
        store.audit("user_added", now, actor=_actor(), subject=name, client="cli",
                    detail=f"admin={admin}")
    finally:
        store.close()
    print(f"user {name!r} added{' (administrator)' if admin else ''}")


@users_app.command("grant")
def users_grant(
    name: Annotated[str, typer.Argument(help="user name")],
    deal: Annotated[str, typer.Option("--deal", help="the deal's name")],
    role: Annotated[str, typer.Option("--role", help="issuer | holder | auditor")],
    purchaser: Annotated[
        str | None, typer.Option("--purchaser", help="the holder's purchaser")
    ] = None,
    data: DataOpt = Path("room"),
    db: DbOpt = None,
) -> None:
    """Give a user a role on a deal (a holder is bound to one purchaser)."""
    from pipedeal.service.deals import DealRoom
    from pipedeal.service.store import ROLES, Store

    if role not in ROLES:
        raise UserError(f"--role: expected one of {', '.join(ROLES)}")
    if (role == "holder") != (purchaser is not None):
        raise UserError("--purchaser: required for a holder, and for a holder only")
    settings = _settings(data, db)
    store = Store(settings.url)
    room = DealRoom(settings, store)
    try:
        row = store.user_row(name)
        if row is None:
            raise UserError(f"user {name!r}: no such user")
        try:
            h = room.handle(deal)
        except KeyError:
            raise UserError(f"--deal {deal!r}: no such deal in {settings.data_dir}") from None
        if purchaser is not None:
            h.loaded.purchaser(purchaser)
        now = dt.datetime.now(dt.UTC)
        store.add_grant(row.id, deal, role, purchaser, _actor(), now)
        store.audit("grant_added", now, actor=_actor(), subject=name, deal_key=deal,
                    client="cli", detail=f"role={role} purchaser={purchaser}")
    finally:
        room.close()
        store.close()
    print(f"{name!r} is {role}{f' ({purchaser})' if purchaser else ''} on {deal!r}")
