"""What every command shares: settings and database, clean failures with exit codes, JSON or text output."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from typing import Any

import click
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from engine.config import Settings
from engine.db import Database
from engine.errors import (
    CarbonFlowError,
    Conflict,
    InvalidFormData,
    InvalidProcess,
    NotFound,
    NotPermitted,
)

EXIT_CODES = {NotFound: 3, NotPermitted: 4, Conflict: 5, InvalidFormData: 6, InvalidProcess: 7}
EXIT_TAMPERED = 8  # `audit --verify`: the audit trail's hash chain is broken

as_option = click.option("--as", "actor", required=True, metavar="USER", help="Act as this user.")
json_flag = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


class State:
    """The settings from the environment, and the database opened on first use."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()
        self._db: Database | None = None

    def db(self, *, require_schema: bool = True) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url)
            if require_schema and not inspect(self._db.engine).has_table("alembic_version"):
                raise click.ClickException("the database is not initialised: run `carbonflow init` first")
        return self._db


def fail_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Translate CarbonFlow errors into a message on stderr and a distinct exit code."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InvalidFormData as exc:
            click.echo(f"error: invalid data for form {exc.form_key}:", err=True)
            for name, messages_ in sorted(exc.errors.items()):
                click.echo(f"  {name}: {' '.join(map(str, messages_)) if isinstance(messages_, list) else messages_}",
                           err=True)
            sys.exit(EXIT_CODES[InvalidFormData])
        except CarbonFlowError as exc:
            click.echo(f"error: {exc}", err=True)
            if isinstance(exc, NotPermitted):
                _audit_refusal(exc)
            sys.exit(next((code for cls, code in EXIT_CODES.items() if isinstance(exc, cls)), 1))

    return run


def _audit_refusal(exc: NotPermitted) -> None:
    """A refused command is an audit event of its own (what it tried was rolled back)."""
    from engine.services import audit  # only on a refusal: most commands never write an event

    ctx = click.get_current_context()
    actor = ctx.params.get("actor")
    if not actor or ctx.obj is None:
        return
    with ctx.obj.db().transaction() as session:
        audit.record(session, action="refused", actor=str(actor)[:80],
                     data={"command": ctx.command_path, "reason": str(exc)})


@contextmanager
def transaction(ctx: click.Context) -> Iterator[Session]:
    with ctx.obj.db().transaction() as session:
        yield session


@contextmanager
def reading(ctx: click.Context) -> Iterator[Session]:
    with ctx.obj.db().reading() as session:
        yield session


def echo(value: Any, as_json: bool, text: Callable[[Any], str] | None = None) -> None:
    """Print JSON (for scripts) or the human line(s)."""
    if as_json or text is None:
        click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(text(value))


def json_option(value: str | None, name: str) -> Any:
    """An option's JSON text, parsed; a usage error naming the option when it is not JSON."""
    if value is None:
        return {}
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint=name) from exc


def moment(text: str, option: str) -> datetime:
    """An ISO 8601 time with its offset; a usage error naming the option otherwise."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc
    if value.tzinfo is None:
        raise click.BadParameter("give a timezone, e.g. 2027-03-01T09:00:00+08:00", param_hint=option)
    return value


def instance_line(r: dict[str, Any]) -> str:
    open_tasks = ", ".join(f"#{t['id']} {t['name']}" for t in r["open_tasks"]) or "none"
    return (f"instance {r['id']} {r['process_id']} v{r['version']} [{r['status']}] "
            f"key={r['business_key'] or '-'} open tasks: {open_tasks}")


def verb_command(name: str, verb: Callable[..., Any], help_text: str, *, target: str,
                 show: Callable[[Session, Any], dict[str, Any]], line: Callable[[dict[str, Any]], str]) -> click.Command:
    """`carbonflow NAME ID --as USER`: one use case on one task or instance."""

    @click.command(name, help=help_text)
    @click.argument("target_id", type=int, metavar=target.upper())
    @as_option
    @json_flag
    @click.pass_context
    @fail_cleanly
    def command(ctx: click.Context, target_id: int, actor: str, as_json: bool) -> None:
        with transaction(ctx) as session:
            record = show(session, verb(session, **{f"{target}_id": target_id}, actor=actor))
        echo(record, as_json, line)

    return command
