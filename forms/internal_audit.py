"""Forms of the internal audit process (guideline clauses 9.2.1 a-e, 9.2.2, 9.2.3 and 4.2d)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.clauses import NUMBERS
from forms.fields import PAST, SHORT, DepartmentRef, UserRef, bilingual, clause, day, label, optional_text, text
from forms.common import FiledRecordsForm
from forms.registry import form


# Every clause of the guideline, in the order of its clause map: the department checklist has one row per
# clause, so the audit covers every requirement (9.2.2).
CLAUSES: tuple[str, ...] = NUMBERS
RESULTS = ["conforms", "nonconforming", "not_applicable"]
RESULT_LABELS = ["符合 / Conforms", "不符合 / Nonconforming", "不适用于本部门 / Not applicable to this department"]
# What each result needs besides the clause: the audit evidence, the finding and its cause, or why it does not apply.
RESULT_NEEDS = {
    "conforms": ("evidence",),
    "nonconforming": ("evidence", "finding", "cause"),
    "not_applicable": ("not_applicable_reason",),
}

# 9.2.1 a-e, the key points every internal audit covers: (field suffix, letter, zh, en).
KEY_POINTS: dict[str, tuple[str, str, str]] = {
    "targets": ("a", "是否完成碳排放管理目标", "Carbon management objectives achieved"),
    "performance": ("b", "碳排放绩效是否得到改进", "Carbon emission performance improved"),
    "resources": ("c", "资源配置是否充分和到位", "Resources adequate and in place"),
    "compliance": ("d", "企业经营过程是否合规", "Operations compliant"),
    "competence": ("e", "人员能力是否满足企业要求", "Competence meets the enterprise's needs"),
}


@form("internal_audit.start", "发起内部审核", "Start an internal audit")
class StartForm(Schema):
    """Start by hand: the yearly audit (9.2.1) or an additional one."""

    audit_title = text("审核名称", "Audit title", SHORT)
    audit_kind = fields.String(
        required=True,
        validate=validate.OneOf(["annual", "additional"],
                                labels=["年度内部审核 / Annual internal audit", "追加审核 / Additional audit"]),
        metadata=label("审核类型", "Kind of audit"),
    )
    reason = optional_text("发起原因", "Reason")


class TeamMember(Schema):
    """One member of the audit team and what they do (分工)."""

    auditor = UserRef(role="internal_auditor", required=True,
                      metadata=label("审核员（须为内部审核员）", "Auditor (must be an internal auditor)"))
    responsibility = text("分工", "Responsibility", SHORT)


class PlanRow(Schema):
    """One department in the audit plan."""

    department = DepartmentRef(required=True, metadata=label("受审核部门", "Department audited"))
    planned_on = day("计划审核日期", "Planned date")
    focus = text("审核重点", "Focus")


def key_point_objective(suffix: str) -> fields.String:
    """What the audit checks for one key point of 9.2.1."""
    letter, zh, en = KEY_POINTS[suffix]
    return text(f"{letter}) {zh}：审核要点", f"{letter}) {en}: what the audit checks")


@form("internal_audit.draft_programme", "编制内部审核方案", "Draft the audit programme")
class DraftProgrammeForm(Schema):
    """9.2.2: time, method, roles and plan of the audit; 9.2.1 a-e: its key points."""

    audit_start = day("审核开始日期", "Audit starts")
    audit_end = day("审核结束日期", "Audit ends")
    method = fields.String(
        required=True,
        validate=validate.OneOf(
            ["combined", "document_review", "on_site"],
            labels=["文件审查、现场检查、访谈与数据抽样相结合 / Documents, on-site checks, interviews and data sampling",
                    "文件与记录审查 / Document and record review", "现场检查与访谈 / On-site checks and interviews"],
        ),
        metadata=label("审核方法", "Audit method"),
    )
    method_notes = optional_text("方法说明（抽样方案等）", "Method notes (sampling etc.)")
    lead_auditor = UserRef(role="internal_auditor", required=True, metadata=label("审核组长（须为内部审核员，编写审核报告）",
                                                         "Lead auditor (must be an internal auditor; writes the report)"))
    team = fields.List(fields.Nested(TeamMember), required=True, validate=validate.Length(min=1),
                       metadata=label("审核组及分工", "Audit team and roles"))
    audit_plan = fields.List(fields.Nested(PlanRow), required=True, validate=validate.Length(min=1),
                             metadata=label("审核计划（受审核部门）", "Audit plan (departments audited)"))
    objective_targets = key_point_objective("targets")
    objective_performance = key_point_objective("performance")
    objective_resources = key_point_objective("resources")
    objective_compliance = key_point_objective("compliance")
    objective_competence = key_point_objective("competence")
    covers_all_requirements = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="The audit must cover every requirement of the guideline. "
                                            "内部审核内容应包含指南的所有要求。"),
        metadata=label("审核内容覆盖指南第4至10章的所有要求", "Covers every requirement of chapters 4-10 of the guideline"),
    )

    @validates_schema
    def check_plan(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("audit_start"), data.get("audit_end")
        if start and end and end < start:
            raise ValidationError({"audit_end": ["The audit cannot end before it starts. 结束日期不能早于开始日期。"]})
        rows = data.get("audit_plan") or []
        departments = [row["department"] for row in rows]
        if len(set(departments)) != len(departments):
            raise ValidationError({"audit_plan": ["Each department appears once in the plan. 每个部门在计划中只列一次。"]})
        if start and end and any(not start <= row["planned_on"] <= end for row in rows):
            raise ValidationError({"audit_plan": ["Planned dates fall within the audit period. "
                                                  "计划审核日期应在审核期间内。"]})


@form("internal_audit.approve_programme", "批准内部审核方案", "Approve the audit programme")
class ApproveProgrammeForm(Schema):
    """9.2.2: the carbon management body approves the programme or sends it back."""

    programme_approved = fields.Boolean(required=True, metadata=label("批准审核方案", "Programme approved"))
    programme_comment = text("审批意见", "Approval comment")


class ChecklistRow(Schema):
    """One clause of the guideline in a department's checklist: its result and what backs it."""

    clause = clause("条款", "Clause")
    result = fields.String(required=True, validate=validate.OneOf(RESULTS, labels=RESULT_LABELS),
                           metadata=label("审核结果", "Result"))
    evidence = optional_text("审核证据（符合或不符合时填写）", "Audit evidence (if it conforms or not)")
    finding = optional_text("不符合事实（不符合时填写）", "Nonconformity found (if nonconforming)")
    cause = optional_text("原因分析（不符合时填写）", "Cause (if nonconforming)")
    not_applicable_reason = optional_text("不适用理由（不适用时填写）", "Why it does not apply (if not applicable)")

    @validates_schema
    def check_result(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Each result needs its own texts: evidence; finding and cause; or the reason it does not apply."""
        errors = {name: ["Required for this result. 此审核结果须填写。"]
                  for name in RESULT_NEEDS.get(data.get("result", ""), ()) if not data.get(name)}
        if errors:
            raise ValidationError(errors)


# The rows the form starts with: one per clause, in the clause map's order, for the auditor to fill in.
BLANK_CHECKLIST = [{"clause": number} for number in CLAUSES]
# A complete checklist (every clause conforms), the sample the generic form walker submits.
SAMPLE_CHECKLIST = [{"clause": number, "result": "conforms", "evidence": "Records and interviews."}
                    for number in CLAUSES]


@form("internal_audit.audit_department", "审核部门", "Audit a department")
class AuditDepartmentForm(Schema):
    """9.2.2: the checklist of one department, a row per clause of the guideline, with its nonconformities."""

    audited_on = day("审核日期", "Audited on", PAST)
    auditees = text("受审核人员", "People interviewed", SHORT)
    checklist = fields.List(
        fields.Nested(ChecklistRow), load_default=BLANK_CHECKLIST,
        metadata=label("审核检查表（指南逐条款）", "Checklist (every clause of the guideline)",
                       example=SAMPLE_CHECKLIST),
    )
    summary = text("部门审核小结", "Summary for the department")

    @validates_schema
    def check_every_clause_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        """The checklist covers every clause of the guideline exactly once, each with its result."""
        rows = data.get("checklist") or []
        if any("result" not in row for row in rows):
            raise ValidationError({"checklist": ["Give a result for every clause. 请逐条款填写审核结果。"]})
        clauses = [row["clause"] for row in rows]
        missing = [number for number in CLAUSES if number not in clauses]
        repeated = sorted({number for number in clauses if clauses.count(number) > 1}, key=CLAUSES.index)
        errors = []
        if missing:
            errors.append(bilingual(f"Clauses not audited: {', '.join(missing)}.", f"未审核的条款：{'、'.join(missing)}。"))
        if repeated:
            errors.append(bilingual(f"Clauses listed more than once: {', '.join(repeated)}.",
                                    f"重复的条款：{'、'.join(repeated)}。"))
        if errors:
            raise ValidationError({"checklist": errors})


@form("internal_audit.acknowledge_findings", "确认审核发现并立即纠正", "Acknowledge the findings and correct them")
class AcknowledgeFindingsForm(Schema):
    """9.2.2: the audited department's head acknowledges its nonconformities and corrects them at once."""

    findings_acknowledged = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="Acknowledge the findings before going on. 请确认审核发现。"),
        metadata=label("已知悉本部门的不符合项", "Our department's nonconformities acknowledged"),
    )
    immediate_actions = text("已采取或立即采取的纠正（逐项）", "Immediate corrections taken or under way (per finding)")
    comments = optional_text("对审核发现的意见（如有异议请说明）", "Comments on the findings (any disagreement)")


def key_point_conclusion(suffix: str) -> fields.String:
    """The audit's conclusion on one key point of 9.2.1."""
    letter, zh, en = KEY_POINTS[suffix]
    return fields.String(
        required=True,
        validate=validate.OneOf(["met", "partly_met", "not_met"],
                                labels=["满足 / Met", "部分满足 / Partly met", "不满足 / Not met"]),
        metadata=label(f"{letter}) {zh}", f"{letter}) {en}"),
    )


@form("internal_audit.write_report", "编写内部审核报告", "Write the audit report")
class WriteReportForm(Schema):
    """9.2.2: the audit report to top management, with conclusions on the key points 9.2.1 a-e."""

    report_summary = text("审核概况", "Summary of the audit")
    conclusion_targets = key_point_conclusion("targets")
    conclusion_performance = key_point_conclusion("performance")
    conclusion_resources = key_point_conclusion("resources")
    conclusion_compliance = key_point_conclusion("compliance")
    conclusion_competence = key_point_conclusion("competence")
    conclusion_notes = optional_text("要点结论说明", "Notes on the key points")
    overall_conclusion = text("审核结论", "Conclusions")
    recommendations = optional_text("改进建议", "Recommendations")


@form("internal_audit.acknowledge_report", "审阅内部审核报告并指导整改", "Acknowledge the report and direct corrections")
class AcknowledgeReportForm(Schema):
    """4.2d, 9.2.2: top management reads the report and directs the departments to solve what was found."""

    report_acknowledged = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="Read the report before signing. 请阅读报告后签署。"),
        metadata=label("已审阅审核报告", "Report read"),
    )
    directions = text("对相关部门解决审核发现问题的指示", "Directions to the departments on the findings")
    improvement_directions = text("改进方向", "Improvement directions")


@form("internal_audit.file_records", "归档内部审核记录", "File the audit records")
class FileRecordsForm(FiledRecordsForm):
    """9.2.3: every record of the audit is kept: programme, results, nonconformities, corrective actions."""

    records_complete = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="All records must be complete. 记录须完整。"),
        metadata=label("方案、审核结果、不符合项和纠正措施记录齐全",
                       "Programme, results, nonconformities and corrective actions all on file"),
    )
