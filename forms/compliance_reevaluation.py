"""Forms of the compliance (re-)evaluation process (guideline clauses 9.1.1 a-d, 9.1.2 and 9.1.3)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import COMING, SHORT, DepartmentRef, UserRef, day, label, optional_text, text
from forms.registry import form


# The four items of 9.1.1 that every evaluation judges, by field prefix: (letter, zh, en).
ITEMS: dict[str, tuple[str, str, str]] = {
    "policy": ("a", "国家、地方和行业的能源和碳排放政策", "National, local and sector energy and carbon policies"),
    "standards": ("b", "国家、地方和行业节能减排标准", "National, local and sector energy-saving and emission standards"),
    "trading": ("c", "国家、地方碳交易政策规定的履约", "Compliance surrender under national and local carbon trading"),
    "parties": ("d", "相关方的要求", "Requirements of interested parties"),
}
STATUSES = ["compliant", "noncompliant", "not_applicable"]
STATUS_LABELS = ["符合 / Compliant", "不符合 / Noncompliant", "不适用 / Not applicable"]


@form("compliance_reevaluation.regulation_changed", "法律法规发生变化", "A regulation changed")
class RegulationChangedForm(Schema):
    """Message start: a national, sector or local rule changed, so compliance is evaluated again (9.1.2)."""

    title = text("法规或要求名称", "Regulation or requirement", SHORT)
    issuer = text("发布机关", "Issued by", SHORT)
    effective_date = day("生效日期", "Effective date")
    summary = text("变化摘要", "Summary of the change")


@form("compliance_reevaluation.start", "发起合规性评价", "Start a compliance evaluation")
class StartForm(Schema):
    """Start by hand: a periodic evaluation (9.1.1) or a re-evaluation after a change (9.1.2)."""

    title = text("评价名称", "Evaluation title", SHORT)
    trigger = fields.String(
        required=True,
        validate=validate.OneOf(
            ["periodic", "regulation_changed", "interested_party_requirement"],
            labels=["定期评价 / Periodic evaluation", "法律法规或行业、地方规定变化 / Law, sector or local rule changed",
                    "相关方提出新要求 / New requirement of an interested party"],
        ),
        metadata=label("评价原因", "Reason for the evaluation"),
    )
    issuer = optional_text("发布机关（如有）", "Issued by (if any)", SHORT)
    effective_date = day("生效日期（如有）", "Effective date (if any)", required=False)
    summary = optional_text("变化或要求摘要", "Summary of the change or requirement")


class RequirementRow(Schema):
    """One legal or other requirement that applies to the enterprise."""

    requirement = text("法律法规及其他要求", "Law, regulation or other requirement", SHORT)
    issuer = text("发布机关", "Issued by", SHORT)
    category = fields.String(
        required=True,
        validate=validate.OneOf(
            list(ITEMS),
            labels=[f"{letter}) {zh} / {en}" for letter, zh, en in ITEMS.values()],
        ),
        metadata=label("对应评价内容（9.1.1）", "Evaluation item (9.1.1)"),
    )
    key_points = text("适用条款和要点", "Applicable provisions and key points")


@form("compliance_reevaluation.plan_evaluation", "识别适用要求并安排评价", "Identify the requirements and plan the evaluation")
class PlanEvaluationForm(Schema):
    """9.1.1, 9.1.2: the requirements to evaluate against, who evaluates and by when."""

    requirements = fields.List(
        fields.Nested(RequirementRow), required=True, validate=validate.Length(min=1),
        metadata=label("适用的法律法规及其他要求", "Applicable laws, regulations and other requirements"),
    )
    scope = text("评价范围（部门、生产经营过程）", "Scope (departments, operations)")
    evaluator = UserRef(required=True, metadata=label("评价人", "Evaluator"))
    evaluation_due = day("评价完成日期", "Evaluation due", COMING)


class EvaluationRow(Schema):
    """One requirement evaluated: the item of 9.1.1 it falls under, the result, and for a noncompliance its owner."""

    requirement = text("法律法规及其他要求", "Law, regulation or other requirement", SHORT)
    item = fields.String(
        required=True,
        validate=validate.OneOf(list(ITEMS), labels=[f"{letter}) {zh} / {en}" for letter, zh, en in ITEMS.values()]),
        metadata=label("评价内容（9.1.1）", "Evaluation item (9.1.1)"),
    )
    status = fields.String(required=True, validate=validate.OneOf(STATUSES, labels=STATUS_LABELS),
                           metadata=label("评价结论", "Result"))
    evidence = text("证据说明", "Evidence")
    gap = optional_text("不符合情况（不符合时填写）", "Noncompliance found (if noncompliant)")
    department = DepartmentRef(allow_none=True, load_default=None,
                               metadata=label("责任部门（不符合时填写）", "Responsible department (if noncompliant)"))

    @validates_schema
    def check_noncompliance(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A noncompliance needs its description and responsible department (its corrective action)."""
        if data.get("status") != "noncompliant":
            return
        errors = {}
        if not data.get("gap"):
            errors["gap"] = ["Describe the noncompliance. 请描述不符合情况。"]
        if not data.get("department"):
            errors["department"] = ["Name the responsible department. 请指定责任部门。"]
        if errors:
            raise ValidationError(errors)


# A complete evaluation (one compliant requirement per item), the sample the generic form walker submits.
SAMPLE_EVALUATIONS = [{"requirement": f"{en} (sample)", "item": prefix, "status": "compliant",
                       "evidence": "Records checked."} for prefix, (_, _, en) in ITEMS.items()]


@form("compliance_reevaluation.evaluate_compliance", "开展合规性评价", "Evaluate compliance")
class EvaluateComplianceForm(Schema):
    """9.1.1 a-d: each requirement compliant, noncompliant or not applicable, with its evidence."""

    evaluations = fields.List(
        fields.Nested(EvaluationRow), required=True, validate=validate.Length(min=1),
        metadata=label("逐项评价（每项要求一行，a)–d) 各项均须评价）",
                       "Evaluation per requirement (a row each; every item a)-d) evaluated)",
                       example=SAMPLE_EVALUATIONS),
    )
    conclusion = text("评价结论", "Overall conclusion")

    @validates_schema
    def check_every_item(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Every item of 9.1.1 is evaluated: at least one row each (not applicable if nothing applies)."""
        evaluated = {row["item"] for row in data.get("evaluations") or []}
        missing = [f"{letter}) {en}" for prefix, (letter, _, en) in ITEMS.items() if prefix not in evaluated]
        if missing:
            raise ValidationError({"evaluations": [
                f"Evaluate every item of 9.1.1 (mark it not applicable if nothing applies); missing: "
                f"{'; '.join(missing)}. 9.1.1 a)–d) 各项均须评价（无适用要求的标为不适用）。"]})


@form("compliance_reevaluation.approve_report", "审批合规性评价报告", "Approve the compliance evaluation report")
class ApproveReportForm(Schema):
    """9.1.3: the carbon management body approves the report, which is then kept as the record."""

    report_approved = fields.Boolean(required=True, metadata=label("批准评价报告", "Report approved"))
    approval_comment = text("审批意见", "Approval comment")
