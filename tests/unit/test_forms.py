"""Forms: every user task's form validates and renders as JSON Schema with both languages."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

import forms
from forms import json_schema, load_form_data


class _Directory:
    def has_user(self, username, roles=()):
        return username in self.usernames(roles)

    def has_department(self, code):
        return code in self.departments()

    def usernames(self, roles=()):
        return ["bob"] if "internal_auditor" in roles else ["alice", "bob"]

    def departments(self):
        return ["production"]


def test_every_form_renders_a_schema_with_bilingual_labels_for_every_field():
    for key in forms.FORMS:
        schema = json_schema(key, _Directory())
        assert schema["x-labels"]["zh"] and schema["x-labels"]["en"], key
        for name, prop in schema["properties"].items():
            assert prop["x-labels"]["zh"] and prop["x-labels"]["en"], f"{key}.{name}"
            assert "type" in prop, f"{key}.{name}"


def test_schema_lists_types_requirements_choices_and_pickers():
    schema = json_schema("corrective_action.analyse_cause", _Directory())
    props = schema["properties"]
    assert props["owner"]["enum"] == ["alice", "bob"] and props["owner"]["x-picker"] == "user"
    assert props["correction_due"] == {**props["correction_due"], "type": "string", "format": "date"}
    assert props["similar_checked"]["type"] == "boolean"
    assert {"root_cause", "owner", "correction_due"} <= set(schema["required"])
    assert json_schema("corrective_action.close")["properties"]["records_complete"]["const"] is True
    severity = props["severity"]
    assert severity["enum"] == ["minor", "major", "critical"]


def test_invalid_data_reports_every_bad_field():
    with pytest.raises(ValidationError) as caught:
        load_form_data("corrective_action.raise", {"title": "", "source": "gossip", "clause": "x.y",
                                                   "department": "mars", "detected_on": "yesterday",
                                                   "mood": "grim"}, _Directory())
    assert set(caught.value.messages) == {"title", "description", "source", "clause", "department",
                                          "detected_on", "mood"}


def test_loaded_data_is_plain_json():
    data = load_form_data("corrective_action.implement_correction",
                          {"actions_taken": "x", "completed_on": "2026-11-28", "evidence_description": "y"})
    assert data == {"actions_taken": "x", "completed_on": "2026-11-28", "evidence_description": "y"}


def test_a_form_key_cannot_be_declared_twice():
    with pytest.raises(ValueError, match="declared twice"):
        forms.form("corrective_action.raise", "x", "y")(type("Dup", (forms.registry.Schema,), {}))


def _table_form():
    from marshmallow import Schema, fields, validate

    from forms.fields import DepartmentRef, UserRef, label
    from forms.registry import FormSpec

    class Row(Schema):
        owner = UserRef(required=True, metadata=label("负责人", "Owner"))
        auditor = UserRef(role="internal_auditor", load_default=None, allow_none=True,
                          metadata=label("审核员", "Auditor"))

    class Table(Schema):
        departments = fields.List(DepartmentRef(), required=True, validate=validate.Length(min=1),
                                  metadata=label("部门", "Departments"))
        rows = fields.List(fields.Nested(Row), required=True, metadata=label("行", "Rows"))
        code = fields.String(validate=validate.Regexp(r"^CF-\d+$"), metadata=label("编号", "Code"))

    return FormSpec("test.table", "表", "Table", Table)


def test_users_and_departments_inside_lists_and_rows_are_checked_against_the_directory():
    schema = _table_form().bind(_Directory())
    with pytest.raises(ValidationError) as caught:
        schema.load({"departments": ["mars"], "rows": [{"owner": "mallory"}]})
    messages = caught.value.messages
    assert messages["departments"][0][0].startswith("Unknown department: 'mars'.")
    assert messages["rows"][0]["owner"][0].startswith("'mallory' cannot be chosen here")
    assert schema.load({"departments": ["production"], "rows": [{"owner": "bob"}]})["rows"] == [
        {"owner": "bob", "auditor": None}]


def test_a_user_picker_may_require_a_role():
    schema = _table_form().bind(_Directory())
    with pytest.raises(ValidationError, match="'alice' cannot be chosen here.*holding role internal_auditor"):
        schema.load({"departments": ["production"], "rows": [{"owner": "alice", "auditor": "alice"}]})
    assert schema.load({"departments": ["production"], "rows": [{"owner": "alice", "auditor": "bob"}]})


def test_list_lengths_patterns_and_nested_pickers_render_as_json_schema(monkeypatch):
    spec = _table_form()
    monkeypatch.setitem(forms.FORMS, spec.key, spec)
    schema = json_schema(spec.key, _Directory())
    departments = schema["properties"]["departments"]
    assert departments["minItems"] == 1 and departments["items"]["enum"] == ["production"]
    assert schema["properties"]["rows"]["items"]["properties"]["owner"]["enum"] == ["alice", "bob"]
    assert schema["properties"]["rows"]["items"]["properties"]["auditor"]["enum"] == ["bob"]
    assert schema["properties"]["code"]["pattern"] == r"^CF-\d+$"
