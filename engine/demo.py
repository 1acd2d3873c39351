"""Demo data: a Shanxi cement plant with about a year of instances, driven through the engine services.

Each story is one function that starts instances and completes their tasks as the demo users would,
with the clock pinned to a day in the past so dates look real. Fields a story does not name are
filled from the form declaration (its bilingual label), so a story states only what matters to it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import fields
from sqlalchemy import select

from engine import clock
from engine.db import Database
from engine.errors import InvalidFormData
from engine.models import HumanTask, ProcessInstance
from engine.services import evidence, instances, messages, tasks, timers, users
from engine.services.definitions import latest_definition
from forms import get_form
from forms.samples import Sampler, fit

PLANT_TZ = ZoneInfo("Asia/Shanghai")
KEY_PREFIX = "DEMO-"
COMPANY = "山西某水泥有限公司 Shanxi cement company"

# Added to users.DEPARTMENTS: the plant's own workshops.
WORKSHOPS = {
    "kiln": ("熟料烧成车间", "Kiln and clinker workshop"),
    "mining": ("石灰石矿山车间", "Limestone quarry workshop"),
}
# Who acts in the stories (all created by users.load_demo_users).
GM, BODY, PROD, ENERGY, QUALITY = "zhang.gm", "li.carbon", "wang.prod", "liu.energy", "qian.quality"
STAFF_PROD, STAFF_ENERGY, AUDITOR, AUDITOR_PROD, DOCS = "zhao.staff", "chen.staff", "sun.audit", "ma.audit", "zhou.docs"
ROLE_USER = {"top_management": GM, "carbon_body": BODY, "department_head": PROD, "carbon_staff": STAFF_PROD,
             "internal_auditor": AUDITOR, "document_controller": DOCS, "process_admin": "admin"}


@dataclass
class Seeded:
    """What a run created: instance ids by business key (message-started ones by a label)."""

    instances: dict[str, int] = field(default_factory=dict)
    fired_timers: int = 0


class AlreadySeeded(Exception):
    """Raised when the database already holds the demo instances."""


def is_seeded(db: Database) -> bool:
    with db.reading() as session:
        return session.scalar(select(ProcessInstance.id).where(
            ProcessInstance.business_key.like(f"{KEY_PREFIX}%")).limit(1)) is not None


def seed(db: Database, today: date | None = None) -> tuple[list[users.DemoUser], Seeded]:
    """Create the plant, its users and its year of instances; AlreadySeeded if they exist."""
    if is_seeded(db):
        raise AlreadySeeded("demo data is already loaded (instances with business keys DEMO-… exist)")
    with db.transaction() as session:
        demo_users = users.load_demo_users(session)
        for code, (zh, en) in WORKSHOPS.items():
            users.ensure_department(session, code=code, name_zh=zh, name_en=en)
    passwords = {user.username: user.password for user in demo_users}
    story = _Story(db, today or datetime.now(PLANT_TZ).date(), Seeded(), passwords)
    for tell in STORIES:
        tell(story)
    return demo_users, story.seeded


# --- the machinery the stories use ------------------------------------------------------------

@dataclass
class _Story:
    db: Database
    today: date
    seeded: Seeded
    passwords: dict[str, str]  # top management signs its decisions with them

    def day(self, days_ago: int, hour: int = 10) -> datetime:
        """A working hour that many days ago, in UTC."""
        return datetime.combine(self.today - timedelta(days=days_ago), time(hour), PLANT_TZ).astimezone(timezone.utc)

    def date(self, days_ago: int) -> str:
        return (self.today - timedelta(days=days_ago)).isoformat()

    def start(self, days_ago: int, process_id: str, key: str, actor: str, data: dict[str, Any]) -> int:
        with clock.frozen_at(self.day(days_ago, 9)), self.db.transaction() as session:
            definition = latest_definition(session, process_id)
            assert definition is not None, f"process {process_id} is not deployed: run `carbonflow init`"
            filled = fill(definition.start_form_key, data) if definition.start_form_key else data
            iid = instances.start(session, process_id=process_id, actor=actor, business_key=key, data=filled).id
        self.seeded.instances[key] = iid
        return iid

    def message(self, days_ago: int, name: str, actor: str, form_key: str, data: dict[str, Any], label: str) -> int:
        with clock.frozen_at(self.day(days_ago, 9)), self.db.transaction() as session:
            started = messages.send_message(session, name=name, payload=fill(form_key, data), actor=actor).started
        self.seeded.instances[label] = started[0]
        return started[0]

    def work(self, days_ago: int, iid: int, name: str, actor: str | None, data: dict[str, Any] | None = None, *,
             where: Callable[[HumanTask], bool] = lambda task: True) -> None:
        """Complete the open task `name` of the instance as `actor` (None: whoever may) on that day."""
        try:
            self._complete(days_ago, iid, name, actor, data or {}, where, everything=False)
        except InvalidFormData:
            # Some forms need an optional field once a required one has its first choice: fill them all.
            self._complete(days_ago, iid, name, actor, data or {}, where, everything=True)

    def _complete(self, days_ago: int, iid: int, name: str, actor: str | None, data: dict[str, Any],
                  where: Callable[[HumanTask], bool], *, everything: bool) -> None:
        with clock.frozen_at(self.day(days_ago, 15)), self.db.transaction() as session:
            open_tasks = list(session.scalars(select(HumanTask).where(
                HumanTask.instance_id == iid, HumanTask.status == "ready").order_by(HumanTask.id)))
            task = next((t for t in open_tasks if t.name == name and where(t)), None)
            if task is None:
                instance = session.get(ProcessInstance, iid)
                raise LookupError(f"instance {iid} ({instance and instance.status}: "
                                  f"{instance and instance.error_message}) has no open task {name}; "
                                  f"open: {[t.name for t in open_tasks]}")
            files = [_evidence(task)] if task.evidence_required else []
            who, filled = actor or _who_may(session, task), fill(task.form_key, data, everything=everything)
            if tasks.requires_signature(task):
                tasks.complete_signed(session, task_id=task.id, actor=who, data=filled, password=self.passwords[who],
                                      evidence_files=files)
            else:
                tasks.complete(session, task_id=task.id, actor=who, data=filled, evidence_files=files)

    def fire_timers(self, days_ago: int) -> None:
        self.seeded.fired_timers += len(timers.fire_due_timers(self.db, self.day(days_ago, 8)))

    def data(self, iid: int) -> dict[str, Any]:
        with self.db.reading() as session:
            return dict(instances.get_instance(session, iid).data)

    def linked(self, iid: int) -> list[int]:
        from engine.queries import instance_links

        with self.db.reading() as session:
            return [link["instance_id"] for link in instance_links(session, iid) if link["direction"] == "out"]


def _evidence(task: HumanTask) -> evidence.Upload:
    content = (f"{COMPANY}\n{task.process_id} / {task.name}\n"
               f"演示证据文件，仅供体验系统。Demo evidence for a first look at the system.\n").encode()
    return evidence.Upload(f"{task.name}-evidence.txt", content, "text/plain")


def fill(form_key: str, data: dict[str, Any], *, everything: bool = False) -> dict[str, Any]:
    """The story's data, with every required field it leaves out filled from the form's declaration."""
    schema = get_form(form_key).schema()
    # The shared approval form's first choice is "approve", which needs its statement ticked.
    approval = {"approval_statement": True} if "approval_statement" in schema.fields else {}
    return {**SAMPLER.schema(schema, required_only=not everything), **approval, **data}


def _label_text(f: fields.Field, _where: str) -> str:
    label = f.metadata.get("label") or {}
    return fit(f, f"{label.get('zh', '')}：见记录 / {label.get('en', '')}: see the records", pad="。")


SAMPLER = Sampler(user_for=lambda role: ROLE_USER.get(role or "", BODY), department="production",
                  text_for=_label_text, now=lambda: clock.now().astimezone(PLANT_TZ),
                  email="carbon@sx-cement.example.cn", url="https://sx-cement.example.cn/records")


# --- the stories, oldest first ------------------------------------------------------------------

STORIES: list[Callable[[_Story], None]] = []


def policy(s: _Story) -> None:
    """The carbon emission management policy, approved and communicated a year ago."""
    year = s.today.year
    iid = s.start(360, "policy_approval", f"{KEY_PREFIX}POL-{year}", BODY, {
        "policy_title": f"碳排放管理方针（{year}版）Carbon emission management policy {year}",
        "occasion": "first_issue",
        "basis": "依据《工业企业碳排放管理体系指南》建立碳排放管理体系。Set up the carbon management system "
                 "required by the guideline."})
    s.work(357, iid, "draft_policy", BODY, {
        "policy_text": "控排降碳、依法合规、全员参与、持续改进：熟料单位产品碳排放逐年下降。"
                       "Cut carbon, comply with the law, involve everyone, improve continually: lower the "
                       "CO₂ per tonne of clinker every year.",
        "departments_in_scope": ["production", "energy", "quality"], "revision_note": ""})
    for department, head in (("production", PROD), ("energy", ENERGY), ("quality", QUALITY)):
        s.work(353, iid, "head_review", head, {"agree": True, "comment": "同意。Agreed."},
               where=lambda t, d=department: t.candidate_department == d)
    s.work(350, iid, "approve_policy", GM, {"approval_decision": "approve", "approval_statement": True,
                                            "approval_comments": "同意发布。Approved for issue."})
    s.work(348, iid, "publish_policy", BODY, {"policy_number": f"CF-POL-{year}-01",
                                              "effective_date": s.date(345)})
    _finish(s, iid, 340)


def _finish(s: _Story, iid: int, days_ago: int) -> None:
    """Complete whatever tasks remain, each by a user who may, with the form's filled-in data."""
    _finish_until(s, iid, days_ago, None)


def _finish_until(s: _Story, iid: int, days_ago: int, stop_at: str | None) -> None:
    """Complete the open tasks one by one until task `stop_at` (or none) is open."""
    for _ in range(20):
        with s.db.reading() as session:
            task = session.scalar(select(HumanTask).where(
                HumanTask.instance_id == iid, HumanTask.status == "ready").order_by(HumanTask.id))
            if task is None or task.name == stop_at:
                return
        s.work(days_ago, iid, task.name, None, where=lambda t, tid=task.id: t.id == tid)


def _who_may(session: Any, task: HumanTask) -> str:
    everyone = [BODY, PROD, ENERGY, QUALITY, STAFF_PROD, STAFF_ENERGY, AUDITOR, AUDITOR_PROD, DOCS, GM]
    actors = [users.get_actor(session, u) for u in everyone]
    # The most specialised first: the general manager only does what no one else may.
    return next(a.username for a in sorted(actors, key=lambda a: len(a.role_ids)) if tasks.may_work_on(task, a))



def _source(step: str, equipment: str, kind: str, source: str, material: str, quantity: str, unit: str,
            factor: str, factor_source: str, meter: str, previous: str) -> dict[str, Any]:
    return {"process_name": step, "equipment_name": equipment, "equipment_type": kind, "location": "二号线 Line 2",
            "source_type": source, "fuel_or_material": material, "quantity": quantity, "unit": unit,
            "emission_factor": factor, "factor_source": factor_source, "meter": meter, "data_source": "measured",
            "recording_frequency": "daily", "previous_year_quantity": previous}


# Last year at a 4,500 t/d clinker line: process CO₂ from calcination (0.525 t/t clinker), kiln coal
# (≈ 0.12 t coal per t clinker) and grid electricity (≈ 85 kWh per t cement).
PRODUCTION_DATA = {
    "sources": [
        _source("熟料煅烧 Clinker burning", "2号回转窑 Rotary kiln 2 (Φ4.8×74 m)", "industrial_kiln", "industrial_process",
                "石灰石（CaCO₃）分解 Limestone calcination", "1380000", "t 熟料 clinker", "0.525",
                "GB/T 32151.8 缺省值 default", "熟料皮带秤 Clinker belt scale BS-201 (0.5级)", "1352000"),
        _source("熟料煅烧 Clinker burning", "2号回转窑 Rotary kiln 2 (Φ4.8×74 m)", "industrial_kiln", "fuel_combustion",
                "烟煤 Bituminous coal (22.5 GJ/t)", "166000", "t", "2.03",
                "实测低位发热量×缺省碳含量 Measured NCV × default carbon content",
                "煤粉转子秤 Coal rotor scale RS-105 (0.5级)", "163500"),
    ],
    "production": [
        {"process_name": "熟料煅烧 Clinker burning", "product": "熟料 Clinker", "output": "1380000",
         "unit": "t", "counts_for_enterprise": False},
    ],
    "operating_parameters": "窑运转率 91.3%，熟料标准煤耗 104 kgce/t。Kiln run factor 91.3 %, 104 kgce per t clinker.",
    "records_location": "生产部中控室台账 Production control-room log books",
}
ENERGY_DATA = {
    "sources": [
        _source("水泥粉磨 Cement grinding", "1号、2号水泥磨 Cement mills 1 and 2", "high_power_electrical",
                "purchased_electricity", "电网电力 Grid electricity", "158000", "MWh", "0.5366",
                "生态环境部 2023 年全国电网平均排放因子 National grid average (MEE)",
                "关口电能表 Grid meter M-01 (0.2S级)", "154800"),
    ],
    "production": [
        {"process_name": "水泥粉磨 Cement grinding", "product": "P·O 42.5 水泥 Cement", "output": "1860000",
         "unit": "t", "counts_for_enterprise": True},
    ],
    "operating_parameters": "水泥综合电耗 85 kWh/t。Cement power use 85 kWh per t.",
    "records_location": "能源动力部电力台账 Energy department power log",
}


def emissions_accounting(s: _Story) -> None:
    """Last year's accounting: two departments' data, checked, reported and approved in the spring."""
    year = s.today.year - 1
    iid = s.start(250, "emissions_accounting", f"{KEY_PREFIX}GHG-{year}", BODY, {
        "reporting_year": year, "departments": ["production", "energy"],
        "boundary_sources": ["fuel_combustion", "industrial_process", "purchased_electricity"],
        "accounting_standard": "gb_t_32151_8", "quality_plan_reference": f"SXSN-QC-{year} 第2版 v2",
        "accounting_lead": STAFF_PROD, "previous_year_emissions": "1128000", "previous_year_intensity": "0.618",
        "scope_note": "厂界内两条熟料线中的2号线及水泥粉磨。Clinker line 2 and cement grinding within the fence."})
    s.work(245, iid, "collect_activity_data", STAFF_PROD, PRODUCTION_DATA,
           where=lambda t: t.candidate_department in (None, "production"))
    s.work(243, iid, "collect_activity_data", STAFF_ENERGY, ENERGY_DATA)
    s.work(240, iid, "check_data_quality", BODY, {
        "missing_data_summary": "2月3日皮带秤停机4小时，按前后班次均值补齐。Belt scale down 4 h on 3 Feb; "
                                "filled with the mean of the shifts before and after."})
    s.work(236, iid, "compile_report", STAFF_PROD, REPORT)
    _finish(s, iid, 232)


REPORT = {
    "enterprise_info": f"{COMPANY}，山西省，一条4500 t/d 新型干法熟料线。One 4,500 t/d dry-process clinker line.",
    "main_products": "P·O 42.5 普通硅酸盐水泥、熟料 Ordinary Portland cement, clinker",
    "production_processes": "石灰石开采—生料粉磨—预热分解—回转窑煅烧—水泥粉磨。Quarrying, raw milling, "
                            "preheating and calcining, kiln burning, cement grinding.",
    "results_analysis": "排放总量约114.6万tCO₂，其中碳酸盐分解过程排放63%、燃煤29%、外购电力7%；"
                        "吨水泥0.616 tCO₂，吨熟料0.831 tCO₂，同比下降0.3%。About 1.146 Mt CO₂: 63 % calcination, "
                        "29 % coal, 7 % grid power; 0.616 t per t cement, 0.831 t per t clinker, 0.3 % lower.",
    "baseline_change": "none",
}



# Internal audit findings: (department, clause, finding, cause), each raising a corrective action.
FINDINGS = [
    ("production", "8.1.3", "2号窑煤粉转子秤超期未校准（上次校准距今14个月）。Kiln 2 coal rotor scale RS-105 "
     "overdue for calibration (last calibrated 14 months ago).", "校准计划漏列该秤。The calibration plan missed it."),
    ("energy", "7.1.2", "两名电工未参加碳排放数据填报培训。Two electricians who record grid-meter data had no "
     "training in carbon data reporting.", "新员工入职培训未含碳管理内容。Induction lacks carbon topics."),
    ("quality", "8.2", "原煤低位发热量化验未按月留样。Monthly retained samples of coal NCV tests missing.",
     "化验室作业指导书未更新。The laboratory work instruction was not updated."),
]


def _checklist(s: _Story, department: str) -> dict[str, Any]:
    from forms.internal_audit import CLAUSES

    found = {clause: (finding, cause) for d, clause, finding, cause in FINDINGS if d == department}
    rows = [{"clause": c, "result": "nonconforming", "evidence": "现场查看台账及记录。Logs and records checked on site.",
             "finding": found[c][0], "cause": found[c][1]} if c in found else
            {"clause": c, "result": "conforms", "evidence": "抽查记录齐全。Sampled records complete."}
            for c in CLAUSES]
    return {"audited_on": s.date(205), "auditees": "部门负责人及碳排放管理人员 Head and carbon staff",
            "checklist": rows, "summary": "按计划完成审核。Audited as planned."}


def internal_audit(s: _Story) -> None:
    """The yearly internal audit in spring: three departments, a finding each, three corrective actions."""
    year = s.today.year
    auditors = {"production": AUDITOR, "energy": AUDITOR, "quality": AUDITOR_PROD}
    iid = s.start(220, "internal_audit", f"{KEY_PREFIX}IA-{year}", AUDITOR, {
        "audit_title": f"{year}年度碳排放管理体系内部审核 {year} internal audit", "audit_kind": "annual"})
    s.work(218, iid, "draft_programme", AUDITOR, {
        "audit_start": s.date(206), "audit_end": s.date(204), "method": "combined",
        "lead_auditor": AUDITOR,
        "team": [{"auditor": AUDITOR, "responsibility": "组长；生产部、能源动力部 Lead; production, energy"},
                 {"auditor": AUDITOR_PROD, "responsibility": "质量部 Quality"}],
        "audit_plan": [{"department": d, "planned_on": s.date(205), "focus": "数据质量与计量 Data quality, metering"}
                       for d in auditors],
        "covers_all_requirements": True})
    s.work(216, iid, "approve_programme", BODY, {"programme_approved": True, "programme_comment": "同意。Approved."})
    for department, auditor in auditors.items():
        s.work(205, iid, "audit_department", auditor, _checklist(s, department),
               where=lambda t, d=department: t.excluded_department == d)
    heads = {"production": PROD, "energy": ENERGY, "quality": QUALITY}
    for department, head in heads.items():
        s.work(202, iid, "acknowledge_findings", head, {
            "findings_acknowledged": True, "immediate_actions": "已安排整改。Correction arranged."},
            where=lambda t, d=department: t.candidate_department == d)
    s.work(198, iid, "write_report", AUDITOR, {
        "report_summary": "审核生产、能源动力、质量三个部门，发现3项一般不符合。Three departments audited; "
                          "three minor nonconformities.",
        "overall_conclusion": "体系运行基本有效。The system works, with three corrections needed."})
    s.work(195, iid, "acknowledge_report", GM, {
        "directions": "各部门30天内提交纠正措施计划。Departments plan their corrections within 30 days.",
        "improvement_directions": "计量器具纳入统一校准台账。One calibration register for all meters."})
    s.work(192, iid, "file_records", DOCS, {"record_number": f"IA-{year}-01",
                                             "storage_location": "碳排放管理办公室档案柜 Carbon office archive",
                                             "retention_years": 5, "records_complete": True})
    _corrective_actions(s, s.linked(iid))


def _corrective_actions(s: _Story, raised: list[int]) -> None:
    """One corrective action closed, one under way, one overdue and followed up by its department head."""
    by_department = {s.data(iid)["department"]: iid for iid in raised}
    closed, under_way, overdue = by_department["quality"], by_department["energy"], by_department["production"]
    for iid in raised:
        s.work(190, iid, "evaluate_consequences", BODY, {
            "consequences": "影响相关月份活动数据的可信度。Makes the months' activity data less reliable.",
            "immediate_handling": "标记相关数据并复核。Flag the data and check it again."})
    _analyse(s, closed, QUALITY, s.date(150))
    s.work(155, closed, "implement_correction", QUALITY, {
        "actions_taken": "修订化验室作业指导书，恢复按月留样。Work instruction revised; monthly retained "
                         "samples resumed.",
        "completed_on": s.date(155), "evidence_description": "作业指导书 Work instruction SXSN-ZY-HY-07 第3版"})
    _finish(s, closed, 140)
    _analyse(s, under_way, STAFF_ENERGY, (s.today + timedelta(days=25)).isoformat())
    _analyse(s, overdue, STAFF_PROD, s.date(21))
    s.fire_timers(20)


def _analyse(s: _Story, iid: int, owner: str, due: str) -> None:
    s.work(185, iid, "analyse_cause", None, {
        "severity": "minor", "root_cause": "程序文件未覆盖该要求。The procedure did not cover the requirement.",
        "similar_checked": True, "preventive_measures": "修订程序文件并培训。Revise the procedure and train.",
        "corrective_plan": "按审核发现逐项整改。Correct each finding.", "owner": owner, "correction_due": due})



def baseline_adjustment(s: _Story) -> None:
    """The alternative-fuel switch changed the energy structure: the baseline is being recalculated."""
    iid = s.start(45, "baseline_adjustment", f"{KEY_PREFIX}BL-{s.today.year}", BODY, {
        "trigger": "boundary_or_structure",
        "description": "2号窑自6月起协同处置生物质燃料，替代约12%燃煤热值。Since June kiln 2 co-fires biomass, "
                       "replacing about 12 % of the coal heat input.",
        "detected_on": s.date(46), "source_reference": f"{KEY_PREFIX}GHG-{s.today.year - 1}"})
    s.work(38, iid, "assess_significance", None, {
        "significant": True, "estimated_impact_percent": "6.5",
        "assessment_rationale": "燃料结构变化使基准年排放强度不再可比。The fuel switch makes the base-year "
                                "intensity no longer comparable."})


def document_control(s: _Story) -> None:
    """The kiln metering procedure, released last year and now due for its periodic review."""
    iid = s.start(400, "document_control", f"{KEY_PREFIX}DOC-MET-01", BODY, {
        "subject": "碳排放计量器具管理程序 Carbon metering procedure",
        "reason": "建立计量器具配置与校准要求。Set metering and calibration rules."})
    s.work(395, iid, "draft_document", None, {
        "document_title": "碳排放计量器具管理程序 Procedure for carbon emission meters",
        "document_type": "management_system", "owning_department": "energy",
        "content_summary": "规定重点排放设备计量器具的配置、校准周期和数据记录。Meters of key emitting "
                           "equipment: fitting, calibration intervals, data records."})
    _finish(s, iid, 385)  # released with a yearly review: its timer fell due about three weeks ago
    s.fire_timers(19)


def compliance_reevaluation(s: _Story) -> None:
    """A new national rule arrived as a `regulation_changed` message: the evaluation is planned."""
    iid = s.message(12, "regulation_changed", BODY, "compliance_reevaluation.regulation_changed", {
        "title": "《碳排放权交易管理暂行条例》及水泥行业纳入全国碳市场配额分配方案 Interim regulations on "
                 "carbon emissions trading; cement joins the national ETS",
        "issuer": "国务院、生态环境部 State Council, Ministry of Ecology and Environment",
        "effective_date": s.date(60),
        "summary": "水泥熟料生产企业纳入全国碳市场，须按年度报告排放并清缴配额。Clinker producers join the "
                   "national ETS: yearly reports and allowance surrender."}, label=f"{KEY_PREFIX}REG-ETS")
    s.work(10, iid, "plan_evaluation", None, {
        "scope": "生产部、能源动力部的排放报告与配额清缴。Reporting and surrender in production and energy.",
        "evaluator": BODY, "evaluation_due": (s.today + timedelta(days=10)).isoformat()})


def management_review(s: _Story) -> None:
    """This year's management review, scheduled for December: inputs are being gathered."""
    year = s.today.year
    s.start(25, "management_review", f"{KEY_PREFIX}MR-{year}", GM, {
        "review_title": f"{year}年度碳排放管理体系管理评审 {year} management review",
        "review_period": f"{year}-01-01 — {year}-12-31"})


MEASURES = [
    ("RM-WHR", "2号窑余热发电系统改造 Kiln 2 waste-heat power upgrade", "efficient_equipment", 300),
    ("RM-AF", "生物质替代燃料 Biomass alternative fuel in kiln 2", "clean_energy", 120),
    ("RM-LC", "石灰石矿山电动矿卡 Electric haul trucks at the quarry", "clean_energy", 15),
]


def reduction_measures(s: _Story) -> None:
    """Three measures: one verified and recorded, one being carried out, one waiting for a decision."""
    done, doing, proposed = (_propose(s, *m) for m in MEASURES)
    _finish_until(s, done, 200, "keep_records")
    s.work(150, done, "keep_records", None, {
        "records_reference": "SXSN-RM-01 碳排放管理办公室档案 Carbon office archive", "records_complete": True,
        "baseline_review_needed": False,
        "lessons_learned": "改造后吨熟料发电量由32提高到38 kWh。Power from waste heat rose from 32 to 38 kWh/t."})
    s.work(110, doing, "prioritise", None)
    s.work(105, doing, "decide", GM)
    due = (s.today + timedelta(days=60)).isoformat()
    s.work(100, doing, "plan", None, {"measure_due": due, "milestones": [
        {"name": "电动矿卡到货 Trucks delivered", "due": due, "deliverable": "验收记录 Acceptance record"}]})
    s.work(10, proposed, "prioritise", None)


def _propose(s: _Story, key: str, title: str, direction: str, days_ago: int) -> int:
    return s.start(days_ago, "reduction_measure", f"{KEY_PREFIX}{key}", STAFF_PROD, {
        "title": title, "description": title, "direction": direction, "level": "equipment",
        "scope": "2号熟料线 Clinker line 2", "department": "production", "current_emissions": "684500",
        "basis": f"{KEY_PREFIX}GHG-{s.today.year - 1} 现状评价报告 survey report", "identified_on": s.date(days_ago)})


STORIES.extend([policy, emissions_accounting, internal_audit, baseline_adjustment, document_control,
                compliance_reevaluation, management_review, reduction_measures])
