"""Every form speaks both languages and declares its fields with the rules that keep nonsense out."""
from __future__ import annotations

import re
from collections.abc import Iterator

from marshmallow import Schema, fields, validate

import forms
from engine.people import WORKING_ROLES
from engine.read.clauses import clause_map
from forms.clauses import CLAUSES
from forms.fields import Clause, Day, DepartmentRef, Text, UserRef

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def shipped_forms() -> dict[str, forms.FormSpec]:
    """The forms of forms/ (tests declare forms of their own under ``test.``)."""
    return {key: spec for key, spec in forms.FORMS.items() if not key.startswith("test.")}


def every_field() -> Iterator[tuple[str, fields.Field]]:
    """(where, field) for every field of every form, table columns and list items included."""
    for key, spec in shipped_forms().items():
        yield from _walk(spec.schema(), key)


def _walk(schema: Schema, where: str) -> Iterator[tuple[str, fields.Field]]:
    for name, field in schema.fields.items():
        yield f"{where}.{name}", field
        inner = field.inner if isinstance(field, fields.List) else None
        if isinstance(inner, fields.Nested):
            yield from _walk(inner.schema, f"{where}.{name}[]")
        elif inner is not None:
            yield f"{where}.{name}[]", inner


def test_every_form_has_a_chinese_and_an_english_title():
    for key, spec in shipped_forms().items():
        assert CJK.search(spec.title_zh), key
        assert spec.title_en.strip() and not CJK.search(spec.title_en), key


def test_every_field_and_table_column_has_a_chinese_and_an_english_label():
    missing = []
    for where, field in every_field():
        if where.endswith("[]") and not isinstance(field, fields.Nested):
            continue  # the items of a list of choices are labelled by the list
        labels = field.metadata.get("label") or {}
        if not CJK.search(labels.get("zh", "")) or not labels.get("en", "").strip() or CJK.search(labels["en"]):
            missing.append(where)
    assert missing == []


def test_every_choice_has_a_label_in_each_language():
    unlabelled = []
    for where, field in every_field():
        for check in field.validators:
            if not isinstance(check, validate.OneOf):
                continue
            labels = list(check.labels)
            if len(labels) != len(list(check.choices)):
                unlabelled.append(where)
            for text in labels:
                zh, _, en = text.partition(" / ")
                if CJK.search(en) or (CJK.search(zh) and not en.strip()):
                    unlabelled.append(f"{where}: {text}")
    assert unlabelled == []


def test_every_hint_is_given_in_both_languages():
    for where, field in every_field():
        assert "description" not in field.metadata, f"{where}: use label(..., hint=(zh, en))"
        hint = field.metadata.get("hint")
        if hint:
            assert CJK.search(hint["zh"]) and hint["en"] and not CJK.search(hint["en"]), where


def test_typed_text_is_text_dates_are_bounded_and_clauses_come_from_the_guideline():
    for where, field in every_field():
        plain = isinstance(field, fields.String) and not isinstance(field, (UserRef, DepartmentRef, Clause)) and not any(
            isinstance(check, (validate.OneOf, validate.Equal, validate.Regexp)) for check in field.validators)
        if plain:
            assert isinstance(field, Text), f"{where} must be a Text (refuses whitespace-only when required)"
        if isinstance(field, fields.Date):
            assert isinstance(field, Day), f"{where} must be a Day (with bounds by its meaning)"
        if where.rsplit(".", 1)[-1] == "clause":
            assert isinstance(field, Clause), f"{where} must pick a clause of the guideline"


def test_detection_and_occurrence_dates_may_not_lie_in_the_future():
    happened = {where: field.when for where, field in every_field() if isinstance(field, Day)
                and where.rsplit(".", 1)[-1] in ("detected_on", "occurred_on", "completed_on", "held_on",
                                                  "audited_on", "replied_on", "identified_on")}
    assert happened and set(happened.values()) == {"past"}, happened


def test_user_pickers_name_only_roles_that_do_work():
    for where, field in every_field():
        if isinstance(field, UserRef):
            assert set(field.roles) <= set(WORKING_ROLES), where


def test_the_clause_list_is_the_clause_map_with_a_title_in_each_language():
    assert list(CLAUSES) == [number for clause in clause_map() for number in clause.numbers]
    for number, (zh, en) in CLAUSES.items():
        assert CJK.search(zh) and en and not CJK.search(en), number
