"""Every refusal a form can give reaches a page in the reader's language (webui/form_errors.py).

The forms' own messages are written in both languages; marshmallow's are English and said again through the
Chinese catalogue. A message that is neither, or a marshmallow message without its Chinese, fails here.
"""
from __future__ import annotations

import ast
import re
from datetime import date, timedelta

import pytest
from babel.messages.pofile import read_po
from marshmallow import ValidationError, fields, validate

from engine.config import PROJECT_ROOT
from engine.services import evidence
from forms.fields import REQUIRED, Clause, Day, DepartmentRef, UserRef, bilingual, clause
from tests.unit.test_form_declarations import every_field
from webui.form_errors import halves, known, marshmallow_messages

CATALOGUE = PROJECT_ROOT / "webui" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
CJK = re.compile(r"[\u3400-\u9fff]")


def _validator_messages(check: object) -> list[str]:
    """The messages a validator can give, formatted as it formats them."""
    if isinstance(check, validate.Length):
        out = [check.error or template for template, bound in (
            (check.message_min, check.min), (check.message_max, check.max)) if bound is not None]
        if check.min is not None and check.max is not None:
            out.append(check.error or check.message_all)
        if check.equal is not None:
            out.append(check.error or check.message_equal)
        return [m.format(min=check.min, max=check.max, equal=check.equal, input="x") for m in out]
    if isinstance(check, validate.Range):
        out = [check.error or m for m, bound in ((check.message_min, check.min), (check.message_max, check.max))
               if bound is not None]
        if check.min is not None and check.max is not None:
            out.append(check.error or check.message_all)
        return [m.format(min=check.min, max=check.max, input="x") for m in out]
    if isinstance(check, validate.OneOf):
        return [check.error.format(input="x", choices=check.choices_text, labels=check.labels_text)]
    if isinstance(check, validate.Equal):
        return [check.error.format(input="x", other=check.comparable)]
    if isinstance(check, validate.Regexp):
        return [check.error.format(input="x", regex=check.regex.pattern)]
    return []


def _field_messages(field: fields.Field) -> list[str]:
    """What a field can say: its own templates (formatted as marshmallow would) and its validators'."""
    said = [template.format(input="x", obj_type="date", awareness="naive", choices="a, b")
            for template in field.error_messages.values()]
    for check in field.validators:
        said += _validator_messages(check)
    if isinstance(field, Day):
        field.today = lambda: date(2026, 6, 1)
        for day in ("2026-06-02", "2026-05-31", "1999-12-31", "2101-01-01"):
            try:
                field.deserialize(day)
            except Exception as refused:  # noqa: BLE001 - collecting what it says
                said += refused.messages  # type: ignore[attr-defined]
    if isinstance(field, (UserRef, DepartmentRef)):
        said.append(field.refusal("nobody"))
    if isinstance(field, Clause):
        with pytest.raises(ValidationError) as refused:
            field.deserialize("99.9")
        said += refused.value.messages  # type: ignore[arg-type]
    return said


def _custom_messages() -> list[str]:
    """The sentences the forms' own checks raise (ValidationError and error= in forms/), values as "X"."""
    found: list[ast.AST] = []
    for path in sorted((PROJECT_ROOT / "forms").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                    getattr(d, "id", getattr(d, "attr", "")) == "validates_schema" for d in node.decorator_list):
                for inner in ast.walk(node):  # the messages it collects in lists, or appends
                    if isinstance(inner, ast.List):
                        found += inner.elts
                    if isinstance(inner, ast.Call) and getattr(inner.func, "attr", "") == "append":
                        found += inner.args
            if isinstance(node, ast.Call):
                found += [k.value for k in node.keywords if k.arg == "error"]
                if getattr(node.func, "id", "") == "ValidationError":
                    found += node.args[:1]
    return [text for text in map(_literal, found) if text and " " in text]


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "X" for part in node.values)
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "bilingual":
        return " ".join(_literal(argument) or "X" for argument in node.args)
    return None


def _uploads_refused() -> list[str]:
    bad = [evidence.Upload(".x", b""), evidence.Upload("a" * 300, b"x" * (evidence.MAX_BYTES + 1), "no type")]
    with pytest.raises(evidence.InvalidFormData) as refused:
        evidence.check(bad * 11, "any", required=True)
    with pytest.raises(evidence.InvalidFormData) as none:
        evidence.check([], "any", required=True)
    return refused.value.errors["evidence"] + none.value.errors["evidence"]


def test_every_message_a_form_can_give_can_be_said_in_either_language():
    said = [m for _where, field in every_field() for m in _field_messages(field)]
    said += _custom_messages() + _uploads_refused()
    said += _field_messages(clause()) + [REQUIRED]
    assert len(said) > 500
    assert sorted({m for m in said if not known(m)}) == []


def test_the_forms_own_messages_have_a_chinese_and_an_english_half():
    assert halves(bilingual("Required.", "此项必填。")) == ("此项必填。", "Required.")
    assert halves("批准须勾选批准声明。Approving needs the approval statement.") == (
        "批准须勾选批准声明。", "Approving needs the approval statement.")
    assert halves("CCER offsets must stay within the limit. CCER 抵销比例须符合规定。") == (
        "CCER 抵销比例须符合规定。", "CCER offsets must stay within the limit.")
    assert halves("2027-01-01 is in the future: give the date. 2027-01-01 晚于今天。") == (
        "2027-01-01 晚于今天。", "2027-01-01 is in the future: give the date.")
    assert halves("Missing data for required field.") is None and halves("只有中文。") is None


def test_every_marshmallow_message_a_page_says_has_its_chinese_translation():
    with CATALOGUE.open("rb") as source:
        translated = {message.id: message.string for message in read_po(source) if message.id}
    msgids = {msgid for _template, ways in marshmallow_messages() for msgid in ways.values()}
    untranslated = sorted(m for m in msgids if not translated.get(m))
    assert untranslated == [], "translate these in webui/translations/zh (scripts/i18n.sh)"


def test_every_date_bound_message_is_bilingual():
    day = Day(when="past")
    day.today = lambda: date(2026, 6, 1)
    with pytest.raises(Exception) as refused:
        day.deserialize((date(2026, 6, 1) + timedelta(days=1)).isoformat())
    [message] = refused.value.messages  # type: ignore[attr-defined]
    assert halves(message) == ("2026-06-02 晚于今天：请填写实际发生的日期（今天或更早）。",
                               "2026-06-02 is in the future: give the date it happened (today or earlier).")
