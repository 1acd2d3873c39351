"""Forms of the carbon management programme (guideline clauses 6.2.1-6.2.3, 6.4.1-6.4.4 and 4.2b)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import COMING, PAST, SHORT, DepartmentRef, UserRef, day, label, optional_text, text
from forms.registry import form


# 6.2.2 a-f and 6.2.3 a-g: the kinds of risk a row may name.
EXTERNAL_RISKS: dict[str, tuple[str, str, str]] = {
    "high_carbon_materials": ("a", "采购非低碳原材料", "Purchasing materials that are not low-carbon"),
    "fossil_energy": ("b", "采购的能源为传统化石燃料", "Purchased energy is conventional fossil fuel"),
    "stricter_policy": ("c", "碳排放政策变得更为严格", "Carbon policy becomes stricter"),
    "market_demand": ("d", "市场和客户对低碳产品或服务的更高要求",
                      "Market and customers demand more of low-carbon products or services"),
    "legal_violation": ("e", "生产经营中违反法律法规和相关标准",
                        "Operations break laws, regulations or standards"),
    "other_external": ("f", "其他外部风险", "Other external risk"),
}
INTERNAL_RISKS: dict[str, tuple[str, str, str]] = {
    "reorganisation": ("a", "组织结构的重大调整", "Major change of the organisation"),
    "plan_deviation": ("b", "企业发展偏离绿色低碳发展规划",
                       "Development departs from the green low-carbon development plan"),
    "production_planning": ("c", "生产计划不合理", "Unsound production planning"),
    "outdated_process": ("d", "生产工艺落后，使用高耗能设备设施",
                         "Outdated process technology, energy-intensive equipment"),
    "resources_lacking": ("e", "资源配置不到位", "Resources not in place"),
    "competence_lacking": ("f", "人员能力不足", "Insufficient competence"),
    "other_internal": ("g", "其他内部风险", "Other internal risk"),
}
# 6.4.1 a-e: the objectives, by field suffix.
OBJECTIVES: dict[str, tuple[str, str, str]] = {
    "compliance": ("a", "满足碳排放法律法规及相关标准的要求", "Meet carbon laws, regulations and standards"),
    "performance": ("b", "达到碳排放绩效改进的预期结果", "Achieve the intended improvement of carbon performance"),
    "trading": ("c", "完成碳排放履约和交易", "Complete compliance surrender and trading"),
    "assets": ("d", "实现碳资产开发和利用的预期效果", "Achieve the intended development and use of carbon assets"),
    "social": ("e", "履行节能降碳的社会责任", "Fulfil the social responsibility for saving energy and carbon"),
}
# 6.4.2 a-d: the kinds of target set at each level.
TARGET_KINDS: dict[str, tuple[str, str, str]] = {
    "key_equipment": ("a", "重点设备设施的碳排放量或能源使用效率", "Key equipment: emissions or energy efficiency"),
    "key_process": ("b", "重点工序的碳排放量", "Key process: emissions"),
    "renewable_waste_heat": ("c", "可再生能源、余热余压的利用率", "Renewable energy, waste heat and pressure use"),
    "other": ("d", "其他对实现碳排放目标有影响的指标", "Other target affecting the objectives"),
}
# 6.4.3 a-g: the aspects a risk response addresses.
RESPONSE_ASPECTS: dict[str, tuple[str, str, str]] = {
    "competence": ("a", "提升碳排放相关岗位人员能力", "Raise the competence of carbon-related staff"),
    "compliance": ("b", "持续满足合规性", "Keep meeting compliance obligations"),
    "quality": ("c", "提升产品和服务质量", "Improve product and service quality"),
    "low_carbon_materials": ("d", "使用低碳原材料", "Use low-carbon materials"),
    "equipment_efficiency": ("e", "提升设备设施效率", "Raise equipment efficiency"),
    "clean_energy": ("f", "提升清洁能源使用占比", "Raise the share of clean energy"),
    "funding": ("g", "保障节能降碳资金", "Secure funding for saving energy and carbon"),
}
# 6.4.4a: the kinds of measure the plan takes.
MEASURE_TYPES: dict[str, tuple[str, str]] = {
    "emission_reduction": ("减排", "Emission reduction"),
    "technical_improvement": ("技术改进", "Technical improvement"),
    "energy_structure": ("能源结构调整", "Energy structure"),
    "operation_adjustment": ("生产运行调整", "Production and operation adjustment"),
    "other": ("其他", "Other"),
}
RATINGS = ["high", "medium", "low"]
RATING_LABELS = ["高 / High", "中 / Medium", "低 / Low"]


def choice(items: dict[str, tuple[str, str, str]], clause: str, zh: str, en: str) -> fields.String:
    """A required choice among lettered guideline items, labelled with their clause and letter."""
    return fields.String(
        required=True,
        validate=validate.OneOf(list(items), labels=[f"{letter}) {z}（{clause}{letter}） / {e} ({clause}{letter})"
                                                     for letter, z, e in items.values()]),
        metadata=label(zh, en),
    )


def quantity(zh: str, en: str) -> fields.Decimal:
    """A required figure, kept as a string so no precision is lost."""
    return fields.Decimal(as_string=True, required=True, metadata=label(zh, en))


def year(zh: str, en: str) -> fields.Integer:
    return fields.Integer(required=True, validate=validate.Range(min=2000, max=2100), metadata=label(zh, en))


def table(row: type[Schema], zh: str, en: str, min_rows: int = 1) -> fields.List:
    """A required table of rows."""
    return fields.List(fields.Nested(row), required=True, validate=validate.Length(min=min_rows),
                       metadata=label(zh, en))


@form("management_programme.start", "发起碳排放管理方案制定", "Start the carbon management programme")
class StartForm(Schema):
    """Start by hand: the programme for a year (the yearly schedule fills the same data itself)."""

    programme_title = text("方案名称", "Programme title", SHORT)
    programme_year = year("方案年度", "Programme year")
    reason = optional_text("发起原因（如年度计划、环境或基准变化）", "Reason (yearly plan, change of context or baseline)")


class RiskFields(Schema):
    """What every risk row records besides its category (6.2.1)."""

    description = text("风险描述", "Description of the risk")
    effect = fields.String(
        required=True,
        validate=validate.OneOf(
            ["emissions_increase", "non_compliance", "both"],
            labels=["导致碳排放量升高 / Raises emissions", "可能不符合法规、标准要求 / May breach laws or standards",
                    "两者皆有 / Both"],
        ),
        metadata=label("风险后果", "What the risk leads to"),
    )
    impact = text("对碳排放绩效的影响", "Impact on carbon performance")
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS, labels=RATING_LABELS),
                           metadata=label("影响程度", "Rating of the impact"))


class ExternalRisk(RiskFields):
    """One external risk (6.2.2 a-f)."""

    category = choice(EXTERNAL_RISKS, "6.2.2", "外部风险类别", "External risk category")


class InternalRisk(RiskFields):
    """One internal risk (6.2.3 a-g)."""

    category = choice(INTERNAL_RISKS, "6.2.3", "内部风险类别", "Internal risk category")


@form("management_programme.identify_risks", "识别碳排放风险", "Identify the carbon risks")
class IdentifyRisksForm(Schema):
    """6.2.1-6.2.3: external and internal risks and how strongly each affects carbon performance."""

    basis = text("识别依据（内外部环境、现状调查与评价结果、合规性评价等）",
                 "Basis (context, current-state survey and evaluation, compliance evaluation...)")
    external_risks = table(ExternalRisk, "外部风险（6.2.2）", "External risks (6.2.2)")
    internal_risks = table(InternalRisk, "内部风险（6.2.3）", "Internal risks (6.2.3)")


class TargetRow(Schema):
    """One target at one level (6.4.2 a-d), with its baseline and target value."""

    level = fields.String(
        required=True,
        validate=validate.OneOf(["enterprise", "process", "equipment"],
                                labels=["企业 / Enterprise", "工序 / Process", "设备设施 / Equipment"]),
        metadata=label("层级", "Level"),
    )
    kind = choice(TARGET_KINDS, "6.4.2", "指标类别", "Kind of target")
    subject = text("对象（设备设施、工序或能源）", "Subject (equipment, process or energy)", SHORT)
    department = DepartmentRef(required=True, metadata=label("责任部门", "Responsible department"))
    objective = choice(OBJECTIVES, "6.4.1", "支撑的目标", "Objective it serves")
    indicator = text("指标名称", "Indicator", SHORT)
    unit = text("单位", "Unit", SHORT)
    baseline_value = quantity("基准值", "Baseline value")
    target_value = quantity("目标值", "Target value")
    target_year = year("目标年份", "Target year")


def objective_field(suffix: str) -> fields.String:
    letter, zh, en = OBJECTIVES[suffix]
    return text(f"{letter}) {zh}", f"{letter}) {en}")


@form("management_programme.set_objectives", "制定目标并分解指标", "Set the objectives and targets")
class SetObjectivesForm(Schema):
    """6.4.1 a-e objectives, 6.4.2 a-d targets broken down by level, tied to the development plan (4.2b)."""

    development_plan = text("与企业绿色低碳发展规划的衔接", "How it serves the green low-carbon development plan")
    baseline_reference = text("依据的碳排放基准（基准年、排放量、强度）",
                              "Baseline it builds on (base year, emissions, intensity)")
    objective_compliance = objective_field("compliance")
    objective_performance = objective_field("performance")
    objective_trading = objective_field("trading")
    objective_assets = objective_field("assets")
    objective_social = objective_field("social")
    targets = table(TargetRow, "各层级碳排放管理指标（6.4.2）", "Targets by level (6.4.2)")


class RiskResponse(Schema):
    """A response to an identified risk (6.4.3 a-g)."""

    risk = text("应对的风险", "Risk addressed", SHORT)
    aspect = choice(RESPONSE_ASPECTS, "6.4.3", "应对方面", "Aspect of the response")
    response = text("应对措施", "Response")
    department = DepartmentRef(required=True, metadata=label("责任部门", "Responsible department"))
    due = day("完成日期", "Due", COMING)


class Measure(Schema):
    """One measure of the implementation plan with its path, resources, responsibility and check (6.4.4 a-f)."""

    measure_type = fields.String(
        required=True,
        validate=validate.OneOf(list(MEASURE_TYPES), labels=[f"{zh} / {en}" for zh, en in MEASURE_TYPES.values()]),
        metadata=label("措施类型（6.4.4a）", "Kind of measure (6.4.4a)"),
    )
    measure = text("采取的措施（6.4.4a）", "Measure (6.4.4a)", SHORT)
    path_and_method = text("实施路径和方法（6.4.4b）", "Path and method (6.4.4b)")
    resources = text("配套资源：人员、设备设施（6.4.4c）", "Resources: people, equipment (6.4.4c)")
    funding = fields.Decimal(as_string=True, required=True, validate=validate.Range(min=0),
                             metadata=label("配套资金（元，6.4.4c）", "Funding (yuan, 6.4.4c)"))
    department = DepartmentRef(required=True, metadata=label("责任部门（6.4.4d）", "Responsible department (6.4.4d)"))
    owner = UserRef(required=True, metadata=label("负责人（6.4.4d）", "Owner (6.4.4d)"))
    authority = text("职责与权限（6.4.4d）", "Responsibilities and authority (6.4.4d)")
    start = day("开始日期（6.4.4e）", "Start (6.4.4e)")
    due = day("完成日期（6.4.4e）", "Due (6.4.4e)", COMING)
    verification_method = text("结果验证方法（6.4.4f）", "How the result is verified (6.4.4f)")


class Milestone(Schema):
    """A stage of the programme's schedule and what it delivers (6.4.4e)."""

    milestone = text("阶段", "Stage", SHORT)
    due = day("完成日期", "Due", COMING)
    deliverable = text("阶段性成果", "Deliverable", SHORT)


@form("management_programme.plan_implementation", "制定风险应对措施和实施方案",
      "Plan the risk responses and the implementation")
class PlanImplementationForm(Schema):
    """6.4.3 a-g responses to the identified risks; 6.4.4 a-f the plan that reaches the targets."""

    risk_responses = table(RiskResponse, "风险应对措施（6.4.3）", "Risk responses (6.4.3)")
    measures = table(Measure, "实施方案措施（6.4.4）", "Measures of the implementation plan (6.4.4)")
    milestones = table(Milestone, "时间进度和阶段性成果（6.4.4e）", "Schedule and milestones (6.4.4e)")

    @validates_schema
    def check_dates(self, data: dict[str, Any], **kwargs: Any) -> None:
        if any(m["due"] < m["start"] for m in data.get("measures", [])):
            raise ValidationError("A measure ends before it starts. 措施完成日期不得早于开始日期。", "measures")


@form("management_programme.confirm_targets", "确认本部门指标", "Confirm your department's targets")
class ConfirmTargetsForm(Schema):
    """A department head accepts the targets and measures of the department, or asks for a change."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(["confirm", "request_change"],
                                labels=["确认 / Confirm", "要求修改 / Ask for a change"]),
        metadata=label("意见", "Decision"),
    )
    comments = optional_text("意见说明（要求修改时必填）", "Comments (required when asking for a change)")

    @validates_schema
    def check_comments(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("decision") == "request_change" and not data.get("comments", "").strip():
            raise ValidationError("Say what should change. 要求修改时须说明修改意见。", "comments")


@form("management_programme.approve", "批准碳排放管理方案", "Approve the carbon management programme")
class ApproveForm(Schema):
    """Top management approves the programme and the resources it needs (4.2a, 4.2b), or sends it back."""

    approved = fields.Boolean(required=True, metadata=label("批准", "Approved"))
    resources_committed = fields.Boolean(required=True,
                                         metadata=label("承诺提供所需资源", "Resources the plan needs committed"))
    comments = optional_text("审批意见（退回时必填）", "Comments (required when sent back)")

    @validates_schema
    def check_decision(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("approved") and not data.get("comments", "").strip():
            raise ValidationError("Say why it goes back. 退回时须填写审批意见。", "comments")
        if data.get("approved") and not data.get("resources_committed"):
            raise ValidationError("Approving the programme commits its resources. 批准方案须承诺提供所需资源。",
                                  "resources_committed")


@form("management_programme.issue", "发布碳排放管理方案", "Issue the carbon management programme")
class IssueForm(Schema):
    """The approved programme is issued and the targets handed to every level (6.4.2, 6.4.4)."""

    programme_number = text("方案编号", "Programme number", SHORT)
    issued_on = day("发布日期", "Issued on", PAST)
    distribution = text("发放范围（部门、岗位）", "Distributed to (departments, posts)")
    targets_communicated = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="The targets must reach every level. 指标须下达到各层级。"),
        metadata=label("指标已下达到各层级", "Targets handed down to every level"),
    )
