"""Every refusal and warning the engine can give has a sentence in the pages' languages, fed by its parameters."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from engine.config import PROJECT_ROOT
from engine.errors import Problem, Reason
from webui import problems

ENGINE = [PROJECT_ROOT / "engine" / "bpmn" / name for name in ("parsing.py", "lint.py")]
# Each call that names a code: refusals.add / refusals.fatal in parsing.py, _warning in lint.py.
CALL = re.compile(r'(?:refusals\.(?:add|fatal)|_warning)\(\s*"([a-z0-9_]+)"')


def _codes() -> set[str]:
    return {code for path in ENGINE for code in CALL.findall(path.read_text(encoding="utf-8"))}


def test_the_engine_names_its_problems_by_codes_the_pages_know():
    codes = _codes()
    assert len(codes) > 30
    assert codes - set(problems.MESSAGES) == set()
    assert set(problems.MESSAGES) - codes == set(), "a template for a code the engine no longer gives"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_template_fills_from_its_parameters_in_both_languages(lang):
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PROJECT_ROOT / "webui" / "translations")
    Babel(app)
    with app.app_context(), app.test_request_context(), force_locale(lang):
        for code, template in problems.MESSAGES.items():
            names = set(re.findall(r"%\((\w+)\)s", str(template)))
            problem = Problem(code, "task_1", {name: f"<{name}>" for name in names}, "English", "error")
            text = problems.describe(problem).text
            assert text != "English" and all(f"<{name}>" in text for name in names - {"element"}), (code, text)
            assert (re.search("[\u4e00-\u9fff]", text) is not None) == (lang == "zh"), (code, text)


def test_every_reason_the_engine_names_has_a_sentence_in_the_pages_languages():
    from webui import reasons

    sources = [path.read_text(encoding="utf-8") for path in (PROJECT_ROOT / "engine").rglob("*.py")]
    codes = {code for text in sources for code in re.findall(r'Reason\(\s*"([a-z_]+)"', text)} - {"refused"}
    assert codes and codes - set(reasons.REASONS) == set()
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PROJECT_ROOT / "webui" / "translations")
    Babel(app)
    with app.app_context(), app.test_request_context(), force_locale("zh"):
        for code, template in reasons.REASONS.items():
            names = set(re.findall(r"%\((\w+)\)s", str(template)))
            text = reasons.say(Reason(code, {name: f"<{name}>" for name in names}, "English"))
            assert re.search("[\u4e00-\u9fff]", text), (code, text)
