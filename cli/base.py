"""What every command shares: settings and database, clean failures with exit codes, JSON or text output."""
from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click
from sqlalchemy import inspect
from sqlalchemy.exc import DataError
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
EXIT_FILE = 9  # the file to write exists already, or cannot be written
# Ids are INTEGER columns: 32 bits on PostgreSQL. A larger one names nothing (as a 404 on the web).
MAX_ID = 2**31 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")

# Every exit code, as `carbonflow --help` and the README list them.
EXIT_HELP = """\b
Exit codes:
  0  done
  1  any other error (e.g. the database is not initialised)
  2  usage: an option or argument missing or malformed
  3  not found: a process, instance, task, job, file or the user named by --as
  4  not permitted: the --as user lacks the role, is deactivated or read-only
  5  conflict: done already, claimed by someone else, loaded already
  6  invalid data: one line per field; text with a NUL character or not UTF-8
  7  invalid process (deploy)
  8  the audit trail's hash chain is broken (audit --verify)
  9  the file to write exists already or cannot be written"""

as_option = click.option("--as", "actor", required=True, metavar="USER", help="Act as this user.")
json_flag = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


class Refusal(click.ClickException):
    """Raised for a refusal found outside a use case (an argument, a file): one line on stderr, and its exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class RecordId(click.ParamType):
    """The id of a task, instance, job, ...: a whole number; one no row can have is not found (exit 3)."""

    name = "id"

    def __init__(self, noun: str):
        self.noun = noun

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        number = click.INT.convert(value, param, ctx)
        if not 1 <= number <= MAX_ID:
            raise Refusal(f"no {self.noun} {number}", EXIT_CODES[NotFound])
        return int(number)


def refuse_unstorable(value: Any, where: str) -> None:
    """Refuse text no database stores (in strings, lists, mappings): a NUL character, which PostgreSQL refuses, or
    a lone surrogate, which is what Python makes of bytes that are not UTF-8."""
    if isinstance(value, str):
        if "\x00" in value:
            raise Refusal(f"{where}: text may not hold a NUL character (\\x00)", EXIT_CODES[InvalidFormData])
        if _SURROGATE.search(value):
            raise Refusal(f"{where}: text must be UTF-8 (it holds bytes that are not, or a lone surrogate)",
                          EXIT_CODES[InvalidFormData])
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_unstorable(key, where)
            refuse_unstorable(item, where)
    elif isinstance(value, (list, tuple)):
        for item in value:
            refuse_unstorable(item, where)


def write_new(path: Path, content: bytes, option: str = "--out") -> None:
    """Write a new file: never over an existing one or through a symlink (EXIT_FILE otherwise)."""
    try:
        file = open(path, "xb")
    except FileExistsError:
        raise _exists(path, option) from None
    except OSError as exc:
        raise Refusal(f"cannot write {path}: {exc.strerror or exc}", EXIT_FILE) from None
    with file:
        try:
            file.write(content)
        except OSError as exc:
            path.unlink()  # a file cut short is worse than none
            raise Refusal(f"cannot write {path}: {exc.strerror or exc}", EXIT_FILE) from None


def refuse_existing(path: Path, option: str = "--out") -> None:
    """Refuse an output file that exists already, before the work of making its content."""
    if os.path.lexists(path):
        raise _exists(path, option)


def _exists(path: Path, option: str) -> Refusal:
    return Refusal(f"{path} exists already; nothing written (choose another {option})", EXIT_FILE)


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
            unnamed = isinstance(exc, NotPermitted) and "actor" in kwargs and kwargs["actor"] is None
            click.echo(f"error: {exc}{' (name one with --as USER)' if unnamed else ''}", err=True)
            if isinstance(exc, NotPermitted):
                _audit_refusal(exc)
            sys.exit(next((code for cls, code in EXIT_CODES.items() if isinstance(exc, cls)), 1))
        except DataError as exc:
            # A value the database refuses (too long for its column, out of range) that no check caught first.
            click.echo(f"error: the database refused a value: {str(exc.orig).splitlines()[0]}", err=True)
            sys.exit(EXIT_CODES[InvalidFormData])

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
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint=name) from exc
    refuse_unstorable(parsed, name)  # "\\u0000" or "\\ud800" in the JSON text
    return parsed


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
    @click.argument("target_id", type=RecordId(target), metavar=target.upper())
    @as_option
    @json_flag
    @click.pass_context
    @fail_cleanly
    def command(ctx: click.Context, target_id: int, actor: str, as_json: bool) -> None:
        with transaction(ctx) as session:
            record = show(session, verb(session, **{f"{target}_id": target_id}, actor=actor))
        echo(record, as_json, line)

    return command
