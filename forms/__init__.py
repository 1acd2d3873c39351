"""Form declarations for user tasks: one marshmallow schema per form key, readable as JSON Schema.

A process module (``forms/<process_id>.py``) declares its forms with ``@form(key, zh, en)``;
the registry below is what the engine validates against and what clients render.
"""
from forms.registry import FORMS, Directory, FormSpec, form, get_form, load_form_data
from forms.jsonschema import json_schema

__all__ = ["FORMS", "Directory", "FormSpec", "form", "get_form", "load_form_data", "json_schema"]


def _register_process_forms() -> None:
    """Import every process module of this package; importing one registers its forms."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if module.name not in {"registry", "fields", "jsonschema", "common", "samples", "clauses"}:
            importlib.import_module(f"forms.{module.name}")


_register_process_forms()
