"""`clearance users ...`, `clearance organisations ...` and `clearance audit ...`: operator
commands run on the server, recorded in the audit log as ``cli:<login name>``."""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

from clearance.domain.filings.workflow import Actor
from clearance.interfaces.cli.common import console, db, emit_json, err_console, fail

app = typer.Typer(no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
orgs_app = typer.Typer(help="Provider organisations.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(orgs_app, name="organisations")
app.add_typer(audit_app, name="audit")


def _operator() -> Actor:
    from clearance.services.accounts import operator

    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        name = "operator"
    return operator(name)


@users_app.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="Login address")],
    role: Annotated[str, typer.Option(help="provider, provincial_reviewer, assessor, central_reviewer or admin")],
    province: Annotated[str | None, typer.Option(help="GB/T 2260 code, for provincial reviewers (e.g. 110000)")] = None,
    organisation: Annotated[str | None, typer.Option(help="Organisation id, for providers")] = None,
    password_env: Annotated[str | None, typer.Option(help="Read the password from this environment variable "
                                                     "instead of prompting")] = None,
) -> None:
    """Create a user account (the password is prompted for unless --password-env names a variable)."""
    from clearance.services import accounts
    from clearance.services.errors import InvalidInput

    if password_env:
        password = os.environ.get(password_env)
        if not password:
            fail(f"--password-env {password_env}: the variable is not set or empty")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    actor = _operator()
    try:
        user = accounts.create_user(db(), actor=actor, email=email, role=role, password=password,
                                    province=province, organisation=organisation)
    except InvalidInput as exc:
        for field, msg in exc.errors.items():
            err_console.print(f"  {field}: {msg}")
        fail("no account was created")
    console.print(f"created {user.role.value} [bold]{user.email}[/] ({user.id})")


@orgs_app.command("create")
def create_organisation(
    name_zh: Annotated[str, typer.Option(help="Full Chinese name, as on the business licence")],
    name_en: Annotated[str, typer.Option(help="English name")],
    credit_code: Annotated[str, typer.Option(help="Unified social credit code (18 characters)")],
    province: Annotated[str, typer.Option(help="GB/T 2260 provincial code of the registered seat")],
    contact_name: Annotated[str, typer.Option()],
    contact_phone: Annotated[str, typer.Option()],
    contact_email: Annotated[str, typer.Option()],
) -> None:
    """Register a provider organisation; prints its id (for `users create --organisation`)."""
    from clearance.services import accounts
    from clearance.services.errors import InvalidInput

    actor = _operator()
    try:
        org = accounts.create_organisation(db(), actor=actor, data={
            "name_zh": name_zh, "name_en": name_en, "credit_code": credit_code, "province": province,
            "contact_name": contact_name, "contact_phone": contact_phone, "contact_email": contact_email})
    except InvalidInput as exc:
        for field, msg in exc.errors.items():
            err_console.print(f"  {field}: {msg}")
        fail("no organisation was created")
    console.print(f"created organisation [bold]{org.name_zh}[/] ({org.id})")


@audit_app.command("verify")
def verify(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False) -> None:
    """Check the whole hash chain; exit 1 naming the first broken event when it is broken."""
    from clearance.services import audit_log

    eng = db()
    broken = audit_log.verify(eng)
    if as_json:
        emit_json({"intact": broken is None, "events": audit_log.count(eng),
                   "first_broken": None if broken is None else {"seq": broken.seq, "problem": broken.problem}})
    elif broken is None:
        console.print(f"audit log intact: {audit_log.count(eng)} events")
    else:
        err_console.print(f"[bold red]audit log broken at event {broken.seq}:[/] {broken.problem}")
    if broken is not None:
        raise typer.Exit(1)
