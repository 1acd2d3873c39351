"""Users as rows: read from a CSV or XLSX file, and every field checked before anything is written.

One row is one user: username, display_name, email, department (its code), roles (ids, separated by
commas or semicolons). The same checks serve a single user created or edited on a page.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidFormData
from engine.models import Department, Role, User
from engine.people import READ_ONLY_ROLE

COLUMNS = ("username", "display_name", "email", "department", "roles")
# Rows are numbered as a spreadsheet shows them: the header is row 1, the first user row 2.
FIRST_ROW = 2
ROW_NUMBER = "row"  # a parsed row's number in its file, kept beside the columns
MAX_ROWS = 5000
USERNAME = re.compile(r"[^\W_][\w.-]{0,79}")  # letters of any script too: 张伟 signs in as well as zhang.wei
# Words of the users pages' and API's own addresses (/users/new, /users/import, /api/v1/users/roles …): no user may be named so.
RESERVED_USERNAMES = frozenset({"new", "import", "departments", "roles"})
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class UserRow:
    """One user as a file row gives it, trimmed; ``number`` is its row in the file."""

    number: int
    username: str
    display_name: str
    email: str | None
    department: str | None
    roles: tuple[str, ...]


@dataclass(frozen=True)
class RowProblem:
    """Why one row cannot be imported: where (row, column), a stable code, the value it names, in English."""

    row: int
    column: str
    code: str
    value: str
    message: str

    @property
    def text(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


def split_roles(value: Any) -> tuple[str, ...]:
    """Role ids from "a, b; c" (or a list), in order, without blanks or repeats."""
    parts = value if isinstance(value, (list, tuple)) else str(value or "").replace(";", ",").split(",")
    return tuple(dict.fromkeys(p.strip() for p in parts if str(p).strip()))


def user_rows(rows: Sequence[Mapping[str, Any]]) -> list[UserRow]:
    """The rows as users; a row without its number in the file is numbered by its place."""
    return [UserRow(number=int(row.get(ROW_NUMBER) or FIRST_ROW + index),
                    username=_text(row.get("username")), display_name=_text(row.get("display_name")),
                    email=_text(row.get("email")) or None, department=_text(row.get("department")) or None,
                    roles=split_roles(row.get("roles")))
            for index, row in enumerate(rows)]


def preview_import(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[RowProblem]:
    """Every problem of the rows as the import page reads them (all new users), each at its row; [] when none."""
    return check_rows(session, user_rows(rows))


def check_rows(session: Session, rows: Sequence[UserRow]) -> list[RowProblem]:
    """Every problem of these rows as new users: fields, references, and usernames taken in the file or database."""
    known_roles = set(session.scalars(select(Role.id)))
    departments = set(session.scalars(select(Department.code)))
    taken = set(session.scalars(select(User.username).where(User.username.in_([r.username for r in rows]))))
    first_seen: dict[str, int] = {}
    problems: list[RowProblem] = []
    for row in rows:
        found = field_problems(row, known_roles, departments)
        if row.username in first_seen:
            found.append(("username", "duplicate_in_file", row.username,
                          f"{row.username} appears again (first on row {first_seen[row.username]})"))
        elif row.username in taken:
            found.append(("username", "already_exists", row.username, f"user {row.username!r} already exists"))
        first_seen.setdefault(row.username, row.number)
        problems += [RowProblem(row.number, *problem) for problem in found]
    return problems


def field_problems(row: UserRow, known_roles: set[str], departments: set[str]) -> list[tuple[str, str, str, str]]:
    """(column, code, value, message) for each field of the row that is missing, malformed or names nothing known."""
    found = []
    if not row.username:
        found.append(("username", "missing_username", "", "a username is required"))
    elif not USERNAME.fullmatch(row.username):
        found.append(("username", "bad_username", row.username,
                      "a username is up to 80 letters, digits, '.', '_' or '-', starting with a letter or digit"))
    elif row.username in RESERVED_USERNAMES:
        found.append(("username", "reserved_username", row.username, f"{row.username!r} is reserved"))
    if not row.display_name:
        found.append(("display_name", "missing_display_name", "", "a display name is required"))
    elif len(row.display_name) > 200:
        found.append(("display_name", "too_long", row.display_name[:40], "a display name is at most 200 characters"))
    if row.email is not None and (len(row.email) > 200 or not EMAIL.fullmatch(row.email)):
        found.append(("email", "bad_email", row.email, f"{row.email!r} is not an e-mail address"))
    if row.department is not None and row.department not in departments:
        found.append(("department", "unknown_department", row.department, f"unknown department: {row.department!r}"))
    return found + [("roles", *problem) for problem in role_problems(row.roles, known_roles)]


def role_problems(roles: Iterable[str], known_roles: set[str]) -> list[tuple[str, str, str]]:
    """(code, value, message) for roles that are missing, unknown, or the read-only auditor with a writing role."""
    roles = list(roles)
    if not roles:
        return [("missing_roles", "", "at least one role is required")]
    unknown = [r for r in roles if r not in known_roles]
    if unknown:
        return [("unknown_role", ", ".join(unknown), f"unknown role(s): {', '.join(unknown)}")]
    writing = sorted(set(roles) - {READ_ONLY_ROLE})
    if READ_ONLY_ROLE in roles and writing:
        return [("auditor_with_writing_role", ", ".join(writing),
                 f"{READ_ONLY_ROLE} is read-only and cannot be combined with other roles ({', '.join(writing)})")]
    return []


def parse_file(content: bytes, file_name: str) -> list[dict[str, Any]]:
    """The user rows of a .csv or .xlsx file (header row first), each with its row number; InvalidFormData if unreadable."""
    kind = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if kind == "csv":
        table = _csv_table(content)
    elif kind == "xlsx":
        table = _xlsx_table(content)
    else:
        raise _bad_file(f"{file_name} is neither a .csv nor an .xlsx file")
    if not table:
        raise _bad_file("the file is empty")
    if any("\x00" in _text(cell) for cells in table for cell in cells):  # CSV, or _x0000_ in a workbook
        raise _bad_file("the file holds a NUL character (U+0000), which cannot be stored")
    header = [_text(cell).lower().replace(" ", "_") for cell in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise _bad_file(f"the header row lacks the column(s) {', '.join(missing)} "
                        f"(the columns are {', '.join(COLUMNS)})")
    rows = [{ROW_NUMBER: number, **{name: _text(cell) for name, cell in zip(header, cells) if name in COLUMNS}}
            for number, cells in enumerate(table[1:], start=FIRST_ROW) if any(_text(c) for c in cells)]
    if len(rows) > MAX_ROWS:
        raise _bad_file(f"the file has {len(rows)} users; import at most {MAX_ROWS} at a time")
    return rows


def _csv_table(content: bytes) -> list[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves CSV in GB18030 unless told otherwise.
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise _bad_file("the CSV file is neither UTF-8 nor GB18030 text") from exc
    return [list(cells) for cells in csv.reader(io.StringIO(text, newline=""))]


def _xlsx_table(content: bytes) -> list[list[Any]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook  # only here: most callers never read a spreadsheet

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _bad_file("the file is not a readable .xlsx workbook") from exc
    try:
        return [list(cells) for cells in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _bad_file(reason: str) -> InvalidFormData:
    return InvalidFormData("import_users", {"file": [reason]})
