"""Field helpers: bilingual labels, text that must show something, dates within bounds, clause choices, and
fields that pick a user or a department.

Messages a field gives are in both languages, English first (``bilingual``): the API and the command line show
them whole, a page shows the half in its reader's language.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from marshmallow import ValidationError, fields, validate

from forms.clauses import CLAUSES

# Text lengths: a line (titles, numbers, names) and a paragraph.
SHORT = 200
LONG = 4000
# No record of the system is older than this or planned beyond that.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
# Characters that are letters to Unicode yet print nothing (Hangul fillers, the blank braille pattern).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def bilingual(en: str, zh: str) -> str:
    """A message in both languages, English first."""
    return f"{en} {zh}"


REQUIRED = bilingual("Required.", "此项必填。")
NOTHING_VISIBLE = bilingual("Only spaces or invisible characters: write the text.",
                            "只有空格或不可见字符，请填写内容。")


def label(zh: str, en: str, *, hint: tuple[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """Metadata carrying a field's Chinese and English label, an optional (Chinese, English) hint and any JSON
    Schema extras."""
    meta: dict[str, Any] = {"label": {"zh": zh, "en": en}, **extra}
    if hint is not None:
        meta["hint"] = {"zh": hint[0], "en": hint[1]}
    return meta


def visible(value: str) -> bool:
    """Does the text hold a character that shows (not only spaces, controls, zero-width or other format
    characters, or marks with nothing to sit on)?"""
    return any(unicodedata.category(c)[0] not in "ZC" and unicodedata.category(c) not in ("Mn", "Me")
               and c not in _BLANK_LETTERS for c in value)


class Text(fields.String):
    """Text a person types. Text with nothing that shows counts as empty: refused where the field is required,
    kept as "" where it is not (so that "say why" checks see it as missing)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if visible(text):
            return text
        if self.required:
            raise ValidationError(REQUIRED if text == "" else NOTHING_VISIBLE)
        return ""


def text(zh: str, en: str, max_length: int = LONG, **extra: Any) -> Text:
    """A required text field: something must show."""
    return Text(required=True, validate=validate.Length(max=max_length), metadata=label(zh, en, **extra))


def optional_text(zh: str, en: str, max_length: int = LONG, **extra: Any) -> Text:
    """A text field that may be left empty."""
    return Text(load_default="", validate=validate.Length(max=max_length), metadata=label(zh, en, **extra))


# What a date records decides its bounds: something that happened is not in the future, something due or
# planned is not in the past; any date lies between EARLIEST and LATEST.
PAST = "past"
COMING = "coming"
ANY = "any"


class Day(fields.Date):
    """A date with bounds by its meaning (PAST, COMING or ANY), checked against the plant's today, which the
    form's directory supplies when it is bound (the server's date otherwise)."""

    def __init__(self, *, when: str = ANY, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if when not in (PAST, COMING, ANY):
            raise ValueError(f"a date is PAST, COMING or ANY, not {when!r}")
        self.when = when
        self.today: Callable[[], date] = date.today

    def bounds(self) -> tuple[date, date]:
        """The earliest and the latest date the field accepts today."""
        today = self.today()
        return (today if self.when == COMING else EARLIEST), (today if self.when == PAST else LATEST)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        earliest, latest = self.bounds()
        if day > latest and self.when == PAST:
            raise ValidationError(bilingual(f"{day} is in the future: give the date it happened (today or earlier).",
                                            f"{day} 晚于今天：请填写实际发生的日期（今天或更早）。"))
        if day < earliest and self.when == COMING:
            raise ValidationError(bilingual(f"{day} is in the past: give today or a later date.",
                                            f"{day} 早于今天：请填写今天或以后的日期。"))
        if not earliest <= day <= latest:
            raise ValidationError(bilingual(f"{day} is outside {earliest} to {latest}.",
                                            f"{day} 不在 {earliest} 至 {latest} 之间。"))
        return day


def day(zh: str, en: str, when: str = ANY, *, required: bool = True, **extra: Any) -> Day:
    """A date field: required, or (``required=False``) empty as null."""
    if required:
        return Day(when=when, required=True, metadata=label(zh, en, **extra))
    return Day(when=when, allow_none=True, load_default=None, metadata=label(zh, en, **extra))


NOT_A_CLAUSE = bilingual("{input} is not a clause of the guideline: choose one from the list.",
                         "{input} 不是指南的条款，请从列表中选择。")
_CLAUSE = re.compile(r"^(\d+(?:\.\d+)*)([a-g]?)$")


class Clause(fields.String):
    """A clause of the guideline: one of its numbers (``CLAUSES``), with an item letter where one item is meant
    (``9.1.1c``, as processes raising nonconformities write them). A page offers the numbers with their titles."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        match = _CLAUSE.match(text)
        if match is None or match.group(1) not in CLAUSES:
            raise ValidationError(NOT_A_CLAUSE.format(input=repr(text)))
        return text


def clause(zh: str = "指南条款", en: str = "Guideline clause", **extra: Any) -> Clause:
    """A required clause of the guideline, chosen from the list of its clauses with their titles."""
    return Clause(required=True, validate=validate.Length(max=20), metadata=label(zh, en, **extra))


class _DirectoryChoice(fields.String):
    """A string that must name an entry of the directory bound at load time (a user, a department)."""

    kind = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exists: Callable[[str], bool] | None = None
        self.choices: list[str] | None = None  # only for rendering: every allowed value
        self.choice_labels: list[str] | None = None  # and how each reads, when the directory says

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.exists is not None and not self.exists(text):
            raise ValidationError(self.refusal(text))
        return text

    def refusal(self, text: str) -> str:
        """Why the value is refused, in both languages."""
        raise NotImplementedError


class UserRef(_DirectoryChoice):
    """A field whose value is the username of someone who can do the work it hands them: an active user who
    holds one of ``roles`` (any role that does work, when none are given), never the read-only auditor nor an
    account that only administers processes (engine/people.py's directory decides)."""

    kind = "user"

    def __init__(self, *, roles: Sequence[str] = (), role: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.roles: tuple[str, ...] = tuple(roles) or ((role,) if role else ())

    @property
    def role(self) -> str | None:
        """The first role the user must hold (what a sample picks a user by); None for anyone who works."""
        return self.roles[0] if self.roles else None

    def refusal(self, text: str) -> str:
        holding = f" holding role {' or '.join(self.roles)}" if self.roles else ""
        return bilingual(f"{text!r} cannot be chosen here: choose one of the people offered, an active user{holding} "
                         "who can do this work.",
                         f"不能选择 {text!r}：请从所列人员中选择可承担此项工作的在职人员。")


class DepartmentRef(_DirectoryChoice):
    """A field whose value is the code of an existing department."""

    kind = "department"

    def refusal(self, text: str) -> str:
        return bilingual(f"Unknown department: {text!r}.", f"没有此部门：{text!r}。")
