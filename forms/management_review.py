"""Forms of the management review process (guideline clauses 9.3.1 a-e, 9.3.2, 4.2d, 10.1 and 10.4)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from forms.fields import COMING, PAST, SHORT, DepartmentRef, UserRef, clause, day, label, optional_text, text
from forms.common import FiledRecordsForm
from forms.registry import form


def count(zh: str, en: str) -> fields.Integer:
    """A required count, zero or more."""
    return fields.Integer(required=True, validate=validate.Range(min=0), metadata=label(zh, en))


def judgement(zh: str, en: str) -> fields.String:
    """Top management's judgement of the system: adequate, partly adequate or not."""
    return fields.String(
        required=True,
        validate=validate.OneOf(["yes", "partly", "no"], labels=["是 / Yes", "部分 / Partly", "否 / No"]),
        metadata=label(zh, en),
    )


@form("management_review.start", "发起管理评审", "Start a management review")
class StartForm(Schema):
    """Start by hand: the periodic review (9.3.1) or an extra one."""

    review_title = text("评审名称", "Review title", SHORT)
    review_period = text("评审期间", "Period reviewed", SHORT)
    reason = optional_text("发起原因", "Reason")


@form("management_review.gather_inputs", "收集管理评审输入", "Gather the review inputs")
class GatherInputsForm(Schema):
    """9.3.1 a-e: what top management reviews, prepared by the carbon management body.

    The inputs are typed in: the results of other processes are not gathered automatically yet, so
    the form asks for the instance numbers or report ids they come from.
    """

    meeting_date = day("计划评审会议日期", "Planned meeting date", COMING)
    # Where the inputs come from: instance numbers (流程实例编号) or report ids of the records cited.
    previous_review_reference = optional_text(
        "a) 上次管理评审的流程实例编号或报告编号（首次评审留空）",
        "a) Previous management review: instance number or report id (empty for the first review)", SHORT)
    corrective_action_references = optional_text(
        "c3) 相关纠正措施的流程实例编号", "c3) Corrective actions: instance numbers", SHORT)
    compliance_evaluation_reference = text(
        "c4) 合规性评价的流程实例编号或报告编号", "c4) Compliance evaluation: instance number or report id", SHORT)
    internal_audit_reference = text(
        "c5) 内部审核的流程实例编号或报告编号", "c5) Internal audit: instance number or report id", SHORT)
    # a) previous reviews' actions
    previous_actions = text("a) 以往管理评审措施的执行情况和效果", "a) Status and effect of actions from previous reviews")
    # b) changes 1-6
    policy_changes = text("b1) 碳排放管理方针的变化", "b1) Changes of the carbon management policy")
    objective_changes = text("b2) 管理目标、管理指标及基准的调整",
                             "b2) Changes of objectives, targets and the baseline")
    measure_changes = text("b3) 碳减排措施的调整", "b3) Changes of reduction measures")
    context_changes = text("b4) 企业内、外部环境的变化", "b4) Changes of the internal and external context")
    source_changes = text("b5) 碳排放源的变化", "b5) Changes of emission sources")
    risk_response_changes = text("b6) 应对风险措施的调整", "b6) Changes of risk responses")
    # c) effectiveness 1-5
    performance_improvement = text("c1) 碳排放绩效的改进", "c1) Improvement of carbon emission performance")
    objective_achievement = text("c2) 碳排放管理目标的实现程度", "c2) Degree to which objectives were achieved")
    nonconformities_open = count("c3) 未关闭的不符合项数量", "c3) Nonconformities still open")
    nonconformities_closed = count("c3) 已关闭的不符合项数量", "c3) Nonconformities closed")
    nonconformity_summary = text("c3) 确定的不符合项和纠正措施", "c3) Nonconformities and corrective actions")
    compliance_results = text("c4) 合规性评价结果", "c4) Compliance evaluation results")
    audit_results = text("c5) 内部审核的结果", "c5) Internal audit results")
    # d) resources
    resources = text("d) 资源配置是否充分，资源是否有效利用", "d) Whether resources are adequate and used effectively")
    # e) interested parties
    interested_party_feedback = text("e) 来自相关方的信息交流，包括反馈意见",
                                     "e) Communication from interested parties, including feedback")


class ImprovementAction(Schema):
    """One improvement action decided by the review: a corrective action or an improvement task."""

    action_title = text("措施", "Action", SHORT)
    action_description = text("措施内容", "What is to be done")
    handling = fields.String(
        required=True,
        validate=validate.OneOf(
            ["improvement_task", "corrective_action"],
            labels=["改进任务（指定负责人） / Improvement task for the owner",
                    "启动纠正措施（不符合项） / Corrective action (a nonconformity)"],
        ),
        metadata=label("处理方式", "How it is handled"),
    )
    clause = clause(example="10.4")
    department = DepartmentRef(required=True, metadata=label("责任部门", "Responsible department"))
    owner = UserRef(required=True, metadata=label("负责人", "Owner"))
    due_on = day("完成日期", "Due on", COMING)


@form("management_review.hold_review", "主持管理评审", "Hold the management review")
class HoldReviewForm(Schema):
    """9.3.1, 4.2d, 10.1, 10.4 a-d: the review, its conclusions, decisions and improvement actions."""

    held_on = day("评审日期", "Held on", PAST)
    participants = text("参加人员", "Participants")
    # 9.3.1: adequacy, suitability and effectiveness of the system
    system_adequate = judgement("体系是否充分", "System adequate")
    system_suitable = judgement("体系是否适宜", "System suitable")
    system_effective = judgement("体系是否有效", "System effective")
    review_conclusion = text("评审结论", "Conclusion of the review")
    resource_decisions = text("资源配置决定", "Decisions on resources")
    improvement_directions = text("改进方向（10.1）", "Improvement directions (10.1)")
    # 10.4 a-d: continual improvement
    sustainable_operation = text("a) 以可持续发展的理念生产和经营", "a) Operating on sustainable development")
    capability_improvement = text("b) 不断提升碳排放管理能力", "b) Building carbon management capability")
    performance_improvement_plan = text("c) 持续提升碳排放绩效水平", "c) Improving carbon emission performance")
    mechanism_improvement = text("d) 不断完善碳排放管理机制", "d) Improving the management mechanisms")
    improvement_actions = fields.List(
        fields.Nested(ImprovementAction), required=True,
        metadata=label("改进措施清单", "Improvement actions"),
    )


@form("management_review.carry_out_improvement", "实施改进措施", "Carry out the improvement")
class CarryOutImprovementForm(Schema):
    """10.1: the owner carries out an improvement action of the review and reports its effect."""

    actions_taken = text("已采取的措施", "Actions taken")
    completed_on = day("完成日期", "Completed on", PAST)
    effect = text("实施效果", "Effect")
    evidence_description = text("证据说明", "Evidence")


@form("management_review.file_records", "归档管理评审记录", "File the review records")
class FileRecordsForm(FiledRecordsForm):
    """9.3.2: the records of the review process and its results are kept."""

    records_complete = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="All records must be complete. 记录须完整。"),
        metadata=label("评审输入、会议记录、决定和改进措施记录齐全",
                       "Inputs, minutes, decisions and improvement actions all on file"),
    )
