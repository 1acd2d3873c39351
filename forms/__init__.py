"""Form declarations for user tasks: one marshmallow schema per form key, readable as JSON Schema.

A process module (``forms/<process_id>.py``) declares its forms with ``@form(key, zh, en)``;
the registry below is what the engine validates against and what clients render.
"""
from forms.registry import FORMS, Directory, FormSpec, form, get_form, load_form_data
from forms.jsonschema import json_schema

__all__ = ["FORMS", "Directory", "FormSpec", "form", "get_form", "load_form_data", "json_schema"]

# Importing the process modules registers their forms.
from forms import corrective_action  # noqa: E402,F401
