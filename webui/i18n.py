"""Languages: Chinese by default, English on request; the choice is kept in the session."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, session
from flask_babel import get_locale

from engine.people import ROLES
from engine.read.labels import lines_in, split_name

blueprint = Blueprint("i18n", __name__)

LANGUAGES = {"zh": "中文", "en": "English"}


def current_locale() -> str:
    return session.get("lang") if session.get("lang") in LANGUAGES else "zh"


@blueprint.route("/language", methods=["POST"])
def set_language() -> Any:
    chosen = request.form.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    back = request.referrer or "/"
    return redirect(back if back.startswith(request.host_url) or back.startswith("/") else "/")


def bilingual(zh: str | None, en: str | None) -> str:
    """The text in the page's language, the other one when it is missing."""
    if str(get_locale()) == "en":
        return en or zh or ""
    return zh or en or ""


def role_name(role: str | None) -> str:
    """A role by its name in the page's language (its id when it is not one of the guideline's roles)."""
    return bilingual(*ROLES.get(role or "", (role, role)))


def process_name(name: str | None) -> str:
    """A process's name as written in its model ("纠正措施 Corrective action") in the page's language."""
    return bilingual(*split_name(name or ""))


def in_page_language(text: str | None) -> str:
    """A model's bilingual documentation (Chinese lines, then English ones) in the page's language."""
    return lines_in(str(get_locale()), text or "")


def template_helpers() -> dict[str, Any]:
    return {"languages": LANGUAGES, "current_lang": current_locale(), "bilingual": bilingual, "role_name": role_name,
            "process_name": process_name, "in_page_language": in_page_language}
