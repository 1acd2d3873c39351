"""Forms of the corrective-action process (guideline clauses 10.2 and 10.3)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from forms.fields import COMING, PAST, SHORT, DepartmentRef, UserRef, clause, day, label, optional_text, text
from forms.registry import form


@form("corrective_action.raise", "提出不符合项", "Raise a nonconformity")
class RaiseForm(Schema):
    """Start form: report a nonconformity found against the guideline."""

    title = text("标题", "Title", SHORT)
    description = text("描述", "Description")
    source = fields.String(
        required=True,
        validate=validate.OneOf(
            ["internal_audit", "compliance_evaluation", "management_review", "data_quality", "communication",
             "reduction_measure", "raised_by_hand"],
            labels=["内部审核 / Internal audit", "合规性评价 / Compliance evaluation",
                    "管理评审 / Management review", "数据质量 / Data quality", "沟通交流 / Communication",
                    "碳减排措施 / Reduction measure", "人工提出 / Raised by hand"],
        ),
        metadata=label("来源", "Source"),
    )
    clause = clause(example="8.1.3")
    department = DepartmentRef(required=True, metadata=label("责任部门", "Responsible department"))
    detected_on = day("发现日期", "Detected on", PAST)


@form("corrective_action.evaluate_consequences", "评价并处置后果", "Evaluate and handle the consequences")
class EvaluateConsequencesForm(Schema):
    """10.2a: evaluate the consequences of the nonconformity and how they were handled."""

    consequences = text("后果", "Consequences")
    immediate_handling = text("处置措施", "Immediate handling")


@form("corrective_action.analyse_cause", "分析原因并制定纠正措施", "Analyse the cause and plan the correction")
class AnalyseCauseForm(Schema):
    """10.2b, 10.2c: severity and root cause, similar nonconformities, prevention and the corrective plan."""

    severity = fields.String(
        required=True,
        validate=validate.OneOf(
            ["minor", "major", "critical"],
            labels=["一般 / Minor", "较大 / Major", "重大 / Critical"],
        ),
        metadata=label("严重程度", "Severity"),
    )
    root_cause = text("根本原因", "Root cause")
    similar_checked = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="Check for similar nonconformities first (10.2b). 须先检查类似不符合项。"),
        metadata=label("已检查类似不符合项是否仍然存在", "Checked whether similar nonconformities still exist"),
    )
    similar_findings = optional_text("类似不符合项的检查结果", "What the check for similar nonconformities found")
    preventive_measures = text("预防措施", "Preventive measures")
    corrective_plan = text("纠正措施计划", "Corrective action plan")
    owner = UserRef(required=True, metadata=label("纠正措施负责人", "Owner of the correction"))
    correction_due = day("计划完成日期", "Correction due", COMING)


@form("corrective_action.implement_correction", "实施纠正措施", "Carry out the correction")
class ImplementCorrectionForm(Schema):
    """10.2c: what was done to correct the nonconformity, and the evidence."""

    actions_taken = text("已采取的措施", "Actions taken")
    completed_on = day("完成日期", "Completed on", PAST)
    evidence_description = text("证据说明", "Evidence")


@form("corrective_action.follow_up_overdue", "逾期跟进", "Follow up the overdue correction")
class FollowUpOverdueForm(Schema):
    """The owner's department head follows up an overdue correction and sets owner and new date."""

    follow_up_note = text("跟进说明", "Follow-up note")
    owner = UserRef(required=True, metadata=label("纠正措施负责人（可更换）", "Owner of the correction (may change)"))
    correction_due = day("新的完成日期", "New due date", COMING)


@form("corrective_action.escalate", "逾期升级处理", "Decide on the repeatedly overdue correction")
class EscalateForm(Schema):
    """Escalation to the carbon management body when the correction is overdue again (10.2c, 4.3d)."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(
            ["new_date", "reassign", "replan"],
            labels=["给予支持并批准新的完成日期 / Support the owner with a new date",
                    "更换负责人 / Hand it to another owner",
                    "重新分析原因并制定纠正措施 / Analyse the cause and plan again"],
        ),
        metadata=label("决定", "Decision"),
    )
    measures = text("措施与说明", "Measures and instructions")
    owner = UserRef(required=True, metadata=label("纠正措施负责人", "Owner of the correction"))
    correction_due = day("新的完成日期", "New due date", COMING)


@form("corrective_action.review_effectiveness", "评审纠正措施有效性", "Review effectiveness")
class ReviewEffectivenessForm(Schema):
    """10.2d: whether the corrective action was effective."""

    effective = fields.Boolean(required=True, metadata=label("纠正措施有效", "Effective"))
    review_comment = text("评审意见", "Review comment")


@form("corrective_action.close", "关闭不符合项", "Close the nonconformity")
class CloseForm(Schema):
    """10.3: close the nonconformity once its records are complete."""

    closure_summary = text("关闭总结", "Closure summary")
    records_complete = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="The records must be complete before closing. 记录须完整方可关闭。"),
        metadata=label("记录已完整保存", "Records complete"),
    )
