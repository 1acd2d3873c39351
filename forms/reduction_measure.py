"""Forms of the carbon-reduction-measure process (guideline clauses 8.4.1 a-e, 8.4.2 and 6.4.4 a-f)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import COMING, PAST, SHORT, DepartmentRef, UserRef, day, label, optional_text, text
from forms.registry import form


PRIORITIES = ["high", "medium", "low"]
PRIORITY_LABELS = ["高 / High", "中 / Medium", "低 / Low"]


def amount(zh: str, en: str, **kwargs: Any) -> fields.Decimal:
    """A non-negative quantity, kept as a string so no precision is lost."""
    return fields.Decimal(as_string=True, validate=validate.Range(min=0), metadata=label(zh, en), **kwargs)


def positive(zh: str, en: str) -> fields.Decimal:
    """A required quantity above zero (it divides another)."""
    return fields.Decimal(as_string=True, required=True, validate=validate.Range(min=0, min_inclusive=False),
                          metadata=label(zh, en))


@form("reduction_measure.identify", "识别碳减排措施", "Identify a carbon reduction measure")
class IdentifyForm(Schema):
    """Start form, 8.4.1a: a reduction measure and the improvement direction (6.1.5 a-g) it follows."""

    title = text("措施名称", "Measure", SHORT)
    description = text("措施描述", "Description")
    direction = fields.String(
        required=True,
        validate=validate.OneOf(
            ["clean_energy", "low_carbon_materials", "efficient_equipment", "process_improvement",
             "product_innovation", "staff_suggestion", "other"],
            labels=["清洁能源的利用（6.1.5a） / Clean energy (6.1.5a)",
                    "低碳原材料的替代（6.1.5b） / Low-carbon materials (6.1.5b)",
                    "高效设备的使用（6.1.5c） / Efficient equipment (6.1.5c)",
                    "生产工艺的改进（6.1.5d） / Process improvement (6.1.5d)",
                    "产品技术的革新（6.1.5e） / Product innovation (6.1.5e)",
                    "员工合理化建议（6.1.5f） / Staff suggestion (6.1.5f)",
                    "其他改进措施（6.1.5g） / Other (6.1.5g)"],
        ),
        metadata=label("改进方向", "Improvement direction"),
    )
    level = fields.String(
        required=True,
        validate=validate.OneOf(["enterprise", "process", "equipment"],
                                labels=["企业 / Enterprise", "工序 / Process", "设备设施 / Equipment"]),
        metadata=label("适用层级", "Level"),
    )
    scope = text("适用范围（工序、设备或排放源）", "Where it applies (process, equipment or source)", SHORT)
    department = DepartmentRef(required=True, metadata=label("责任部门", "Responsible department"))
    current_emissions = amount("现状年排放量（tCO2e）", "Current emissions (tCO2e a year)",
                               allow_none=True, load_default=None)
    basis = optional_text("识别依据（如现状调查报告）", "Basis (e.g. the current-state survey report)")
    identified_on = day("识别日期", "Identified on", PAST)


@form("reduction_measure.prioritise", "评估减排效果与经济性", "Assess effect and economics")
class PrioritiseForm(Schema):
    """8.4.1b: the expected reduction and what it costs, from which its priority follows."""

    expected_reduction = positive("预计年减排量（tCO2e）", "Expected reduction (tCO2e a year)")
    investment = amount("投资（元）", "Investment (yuan)", required=True)
    service_life_years = fields.Integer(required=True, validate=validate.Range(min=1, max=100),
                                        metadata=label("使用年限（年）", "Service life (years)"))
    annual_operating_cost = amount("年运行维护费用（元）", "Annual operating cost (yuan)", required=True)
    annual_savings = amount("年节约费用（元）", "Annual savings (yuan)", required=True)
    technical_feasibility = text("技术可行性", "Technical feasibility")
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES, labels=PRIORITY_LABELS),
                             metadata=label("建议优先级", "Proposed priority"))
    priority_rationale = text("优先级理由", "Why this priority")


@form("reduction_measure.decide", "决定是否实施", "Decide whether to carry it out")
class DecideForm(Schema):
    """8.4.1b: the carbon body approves or rejects the measure and confirms its priority."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(["approve", "reject"], labels=["批准实施 / Approve", "不予实施 / Reject"]),
        metadata=label("决定", "Decision"),
    )
    confirmed_priority = fields.String(required=True,
                                       validate=validate.OneOf(PRIORITIES, labels=PRIORITY_LABELS),
                                       metadata=label("确定的优先级", "Confirmed priority"))
    budget_approved = amount("批准资金（元，不予实施填0）", "Funding approved (yuan; 0 when rejected)", required=True)
    decision_reason = text("决定理由", "Reason")


class MilestoneSchema(Schema):
    """One stage of the schedule with what it delivers (6.4.4e)."""

    name = text("阶段", "Stage", SHORT)
    due = day("完成日期", "Due", COMING)
    deliverable = text("阶段性成果", "Deliverable", SHORT)


@form("reduction_measure.plan", "制定实施方案", "Plan the implementation")
class PlanForm(Schema):
    """8.4.1c, 6.4.4 a-f: measures, path and method, resources, responsibilities, schedule, verification."""

    measure_type = fields.String(
        required=True,
        validate=validate.OneOf(
            ["emission_reduction", "technical_improvement", "energy_structure", "operation_adjustment",
             "other"],
            labels=["减排 / Emission reduction", "技术改进 / Technical improvement",
                    "能源结构调整 / Energy structure", "生产运行调整 / Operation adjustment", "其他 / Other"],
        ),
        metadata=label("措施类型", "Type of measure"),
    )
    measures = text("采取的措施", "Measures to take")
    path_and_method = text("实施路径和方法", "Path and method")
    resources_people = text("配套人员", "People")
    resources_equipment = text("配套设备设施", "Equipment and facilities")
    resources_funding = amount("配套资金（元）", "Funding (yuan)", required=True)
    responsibilities = text("职责分工及权限", "Responsibilities and authority")
    milestones = fields.List(fields.Nested(MilestoneSchema), required=True, validate=validate.Length(min=1),
                             metadata=label("时间进度和阶段性成果", "Schedule and milestones"))
    verification_method = fields.String(
        required=True,
        validate=validate.OneOf(
            ["metered_comparison", "accounting_comparison", "third_party", "other"],
            labels=["计量数据前后对比 / Metered before-and-after comparison",
                    "核算结果对比 / Comparison of accounting results",
                    "第三方核查 / Third-party verification", "其他 / Other"],
        ),
        metadata=label("结果验证方法", "Verification method"),
    )
    verification_detail = text("验证方案（数据、期间、对比基准）", "Verification detail (data, period, baseline)")
    owner = UserRef(required=True, metadata=label("措施负责人（逾期时由其部门负责人跟进）",
                                                  "Owner (their department head follows up when overdue)"))
    measure_due = day("计划完成日期", "Due", COMING)

    @validates_schema
    def check_milestones_before_due(self, data: dict[str, Any], **kwargs: Any) -> None:
        due = data.get("measure_due")
        if due and any(m["due"] > due for m in data.get("milestones", [])):
            raise ValidationError("Milestones fall on or before the due date. 阶段完成日期不得晚于计划完成日期。",
                                  "milestones")


class MilestoneProgressSchema(Schema):
    """How one stage of the schedule went."""

    name = text("阶段", "Stage", SHORT)
    status = fields.String(
        required=True,
        validate=validate.OneOf(["done", "late", "dropped"],
                                labels=["按期完成 / Done on time", "延期完成 / Done late", "取消 / Dropped"]),
        metadata=label("状态", "Status"),
    )
    completed_on = day("完成日期", "Completed on", PAST, required=False)
    note = optional_text("说明", "Note", SHORT)


@form("reduction_measure.implement", "实施碳减排措施", "Carry out the measure")
class ImplementForm(Schema):
    """8.4.1 c-d: what was done, stage by stage, at what cost and with what evidence."""

    actions_taken = text("已实施的内容", "What was done")
    milestone_progress = fields.List(fields.Nested(MilestoneProgressSchema), required=True,
                                     validate=validate.Length(min=1),
                                     metadata=label("各阶段完成情况", "Progress by milestone"))
    completed_on = day("完成日期", "Completed on", PAST)
    actual_cost = amount("实际费用（元）", "Actual cost (yuan)", required=True)
    evidence = text("证据（验收单、照片、运行记录等）", "Evidence (acceptance, photos, operating records...)")


@form("reduction_measure.follow_up_overdue", "逾期跟进", "Follow up the overdue measure")
class FollowUpOverdueForm(Schema):
    """8.4.1d: the measure is past its due date; the owner's department head follows it up."""

    follow_up_note = text("跟进说明", "Follow-up note")
    cause_of_delay = text("延期原因", "Cause of the delay")
    new_expected_date = day("新的预计完成日期", "New expected date", COMING, required=False)


@form("reduction_measure.verify", "验证措施效果", "Verify the result")
class VerifyForm(Schema):
    """8.4.1e: did the completed measure reach the expected result, by the planned verification method?"""

    period_start = day("验证期间起", "Verification period from", PAST)
    period_end = day("验证期间止", "Verification period to", PAST)
    measured_reduction = amount("实测年减排量（tCO2e）", "Measured reduction (tCO2e a year)", required=True)
    data_sources = text("数据来源", "Data sources")
    effective = fields.Boolean(required=True, metadata=label("达到预期结果", "Expected result reached"))
    verification_comment = text("验证结论", "Verification conclusion")
    not_reached_action = fields.String(
        load_default="rework",
        validate=validate.OneOf(["rework", "abandon"],
                                labels=["退回负责人整改后再验证 / Back to the owner for rework, then verify again",
                                        "放弃该措施并记录原因 / Abandon the measure, with the reason recorded"]),
        metadata=label("未达预期时的处理", "When not reached"))
    rework_due = day("整改完成日期（未达预期时）", "Rework due (when not reached)", COMING, required=False)
    abandon_reason = optional_text("放弃原因（放弃措施时）", "Why the measure is abandoned (when abandoned)")

    @validates_schema
    def check_period(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            raise ValidationError("The period ends before it starts. 验证期间止不得早于起。", "period_end")

    @validates_schema
    def check_abandonment(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("not_reached_action") != "abandon":
            return
        if data.get("effective"):
            raise ValidationError("A measure that reached its result is not abandoned. 已达预期的措施不能放弃。",
                                  "not_reached_action")
        if not data.get("abandon_reason"):
            raise ValidationError("Say why the measure is abandoned. 请说明放弃原因。", "abandon_reason")


@form("reduction_measure.keep_records", "归档措施记录", "Keep the measure's records")
class KeepRecordsForm(Schema):
    """8.4.2: keep the records of how the measure was planned and carried out."""

    records_reference = text("记录编号或存档位置", "Record number or archive location", SHORT)
    records_complete = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="The records must be complete before filing. 记录须完整方可归档。"),
        metadata=label("方案、实施和验证记录已完整保存", "Plan, implementation and verification records kept"),
    )
    baseline_review_needed = fields.Boolean(
        required=True, metadata=label("需评估是否调整碳排放基准（6.3.2）", "Baseline adjustment to be assessed (6.3.2)"))
    baseline_trigger = fields.String(
        allow_none=True, load_default=None,
        validate=validate.OneOf(
            ["boundary_or_structure", "emission_sources", "other"],
            labels=[("能源结构、原材料、工艺或设备设施明显变化（6.3.2a） / Energy structure, materials, process or "
                     "equipment changed markedly (6.3.2a)"),
                    "直接或间接排放源明显变化（6.3.2b） / Direct or indirect sources changed markedly (6.3.2b)",
                    "其他情况（6.3.2c） / Other (6.3.2c)"]),
        metadata=label("基准调整触发情形", "What calls for the baseline review"))
    baseline_change_description = optional_text("对基准的影响说明", "How the measure changes the baseline")
    lessons_learned = optional_text("经验总结", "Lessons learned")

    @validates_schema
    def check_baseline_review(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("baseline_review_needed"):
            return
        if not data.get("baseline_trigger"):
            raise ValidationError("Say what calls for the baseline review. 请选择基准调整触发情形。", "baseline_trigger")
        if not data.get("baseline_change_description"):
            raise ValidationError("Describe how the baseline changes. 请说明对基准的影响。",
                                  "baseline_change_description")
