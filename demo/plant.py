"""Demo data: a Shanxi cement plant with about a year of instances, driven through the engine services.

Each story is one function that starts instances and completes their tasks as the demo users would,
with the clock pinned to a day in the past so dates look real (demo/story.py is how they act).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from demo.story import (
    AUDITOR,
    AUDITOR_PROD,
    BODY,
    COMPANY,
    DOCS,
    ENERGY,
    GM,
    KEY_PREFIX,
    PLANT_TZ,
    PROD,
    QUALITY,
    STAFF_ENERGY,
    STAFF_PROD,
    WORKSHOPS,
    Seeded,
    Story,
    finish,
    finish_until,
)
from demo.users import DemoUser, load_demo_users
from engine.db import Database
from engine.models import ProcessInstance
from engine.services import users


class AlreadySeeded(Exception):
    """Raised when the database already holds the demo instances."""


def is_seeded(db: Database) -> bool:
    with db.reading() as session:
        return session.scalar(select(ProcessInstance.id).where(
            ProcessInstance.business_key.like(f"{KEY_PREFIX}%")).limit(1)) is not None


def seed(db: Database, today: date | None = None, *, actor: str = "system") -> tuple[list[DemoUser], Seeded]:
    """Create the plant, its users (made by ``actor``) and its year of instances; AlreadySeeded if they exist."""
    if is_seeded(db):
        raise AlreadySeeded("demo data is already loaded (instances with business keys DEMO-… exist)")
    with db.transaction() as session:
        created = load_demo_users(session, actor=actor)
        for code, (zh, en) in WORKSHOPS.items():
            users.ensure_department(session, code=code, name_zh=zh, name_en=en)
    passwords = {user.username: user.password for user in created}
    story = Story(db, today or datetime.now(PLANT_TZ).date(), Seeded(), passwords)
    for tell in STORIES:
        tell(story)
    return created, story.seeded


# --- the stories, oldest first ------------------------------------------------------------------

STORIES: list[Callable[[Story], None]] = []


def policy(s: Story) -> None:
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
    finish(s, iid, 340)


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


def emissions_accounting(s: Story) -> None:
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
    finish(s, iid, 232)


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


def _checklist(s: Story, department: str) -> dict[str, Any]:
    from forms.internal_audit import CLAUSES

    found = {clause: (finding, cause) for d, clause, finding, cause in FINDINGS if d == department}
    rows = [{"clause": c, "result": "nonconforming", "evidence": "现场查看台账及记录。Logs and records checked on site.",
             "finding": found[c][0], "cause": found[c][1]} if c in found else
            {"clause": c, "result": "conforms", "evidence": "抽查记录齐全。Sampled records complete."}
            for c in CLAUSES]
    return {"audited_on": s.date(205), "auditees": "部门负责人及碳排放管理人员 Head and carbon staff",
            "checklist": rows, "summary": "按计划完成审核。Audited as planned."}


def internal_audit(s: Story) -> None:
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


def _corrective_actions(s: Story, raised: list[int]) -> None:
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
    finish(s, closed, 140)
    _analyse(s, under_way, STAFF_ENERGY, (s.today + timedelta(days=25)).isoformat())
    _analyse(s, overdue, STAFF_PROD, s.date(21))
    s.fire_timers(20)


def _analyse(s: Story, iid: int, owner: str, due: str) -> None:
    s.work(185, iid, "analyse_cause", None, {
        "severity": "minor", "root_cause": "程序文件未覆盖该要求。The procedure did not cover the requirement.",
        "similar_checked": True, "preventive_measures": "修订程序文件并培训。Revise the procedure and train.",
        "corrective_plan": "按审核发现逐项整改。Correct each finding.", "owner": owner, "correction_due": due})



def baseline_adjustment(s: Story) -> None:
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


def document_control(s: Story) -> None:
    """The kiln metering procedure, released last year and now due for its periodic review."""
    iid = s.start(400, "document_control", f"{KEY_PREFIX}DOC-MET-01", BODY, {
        "subject": "碳排放计量器具管理程序 Carbon metering procedure",
        "reason": "建立计量器具配置与校准要求。Set metering and calibration rules."})
    s.work(395, iid, "draft_document", None, {
        "document_title": "碳排放计量器具管理程序 Procedure for carbon emission meters",
        "document_type": "management_system", "owning_department": "energy",
        "content_summary": "规定重点排放设备计量器具的配置、校准周期和数据记录。Meters of key emitting "
                           "equipment: fitting, calibration intervals, data records."})
    finish(s, iid, 385)  # released with a yearly review: its timer fell due about three weeks ago
    s.fire_timers(19)


def compliance_reevaluation(s: Story) -> None:
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


def management_review(s: Story) -> None:
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


def reduction_measures(s: Story) -> None:
    """Three measures: one verified and recorded, one being carried out, one waiting for a decision."""
    done, doing, proposed = (_propose(s, *m) for m in MEASURES)
    finish_until(s, done, 200, "keep_records")
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


def _propose(s: Story, key: str, title: str, direction: str, days_ago: int) -> int:
    return s.start(days_ago, "reduction_measure", f"{KEY_PREFIX}{key}", STAFF_PROD, {
        "title": title, "description": title, "direction": direction, "level": "equipment",
        "scope": "2号熟料线 Clinker line 2", "department": "production", "current_emissions": "684500",
        "basis": f"{KEY_PREFIX}GHG-{s.today.year - 1} 现状评价报告 survey report", "identified_on": s.date(days_ago)})


STORIES.extend([policy, emissions_accounting, internal_audit, baseline_adjustment, document_control,
                compliance_reevaluation, management_review, reduction_measures])
