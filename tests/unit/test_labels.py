"""Names instead of codes: every audit action the code records reads in Chinese and English, and process names,
people, roles and departments read as names in either language."""
from __future__ import annotations

import re

from engine.config import PROJECT_ROOT
from engine.read.labels import ACTIONS, Labels, action_label, split_name
from engine.services.credentials import REFUSED
from engine.services.instances import TRANSITIONS

# audit.record(action="claim"), sign_ins.end(how="token_revoked") and its default how: str = "sign_out".
RECORDED = re.compile(r"""\b(?:action|how)(?:\s*:\s*str)?\s*=\s*["']([a-z][a-z_]*)["']""")
CJK = re.compile(r"[\u4e00-\u9fff]")


def recorded_actions() -> set[str]:
    """Every audit action named in the code: literal ones, and those chosen from a table."""
    found: set[str] = set()
    for folder in ("engine", "webui", "cli"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            found |= set(RECORDED.findall(path.read_text(encoding="utf-8")))
    return found | set(TRANSITIONS) | set(REFUSED.values())


def test_every_audit_action_the_code_records_has_a_chinese_and_an_english_label():
    actions = recorded_actions()
    assert {"draft_saved", "sign_in_refused", "signature", "complete", "claim", "delegate", "token_revoked",
            "signature_refused", "password_change_refused", "suspend", "sign_out"} <= actions  # the search works
    unlabelled = sorted(a for a in actions if a not in ACTIONS)
    assert unlabelled == []
    for action in actions:
        zh, en = ACTIONS[action]
        assert CJK.search(zh) and en and not CJK.search(en) and en != action, action


def test_an_action_reads_in_the_language_asked_and_an_unknown_one_as_its_code():
    assert (action_label("draft_saved", "zh"), action_label("draft_saved", "en")) == ("保存草稿", "Saved a draft")
    assert action_label("something_new", "zh") == "something_new"


def test_a_bilingual_process_name_splits_into_its_chinese_and_english_halves():
    assert split_name("碳排放基准调整 Baseline adjustment") == ("碳排放基准调整", "Baseline adjustment")
    assert split_name("年度碳排放核算与现状评价 Yearly emissions accounting") == (
        "年度碳排放核算与现状评价", "Yearly emissions accounting")
    assert split_name("Test process") == ("Test process", "Test process")


def test_people_roles_departments_and_processes_read_as_names_and_unknown_codes_as_they_are():
    for lang, expected in (("zh", ("李工", "碳排放管理人员", "生产部", "碳排放基准调整", "系统", "进行中")),
                           ("en", ("李工", "Carbon management staff", "Production", "Baseline adjustment",
                                   "System", "Running"))):
        names = Labels(lang, {"li.carbon": "李工"}, {"production": ("生产部", "Production")},
                       {"baseline_adjustment": ("碳排放基准调整", "Baseline adjustment")}, {})
        assert (names.person("li.carbon"), names.role("carbon_staff"), names.department("production"),
                names.process("baseline_adjustment"), names.person("system"),
                names.instance_status("running")) == expected
        assert (names.person("ghost"), names.role("x"), names.department("y"), names.process("z")) == (
            "ghost", "x", "y", "z")
