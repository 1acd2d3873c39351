"""Forms of the document control process (guideline 7.5.1 a-d, 7.5.2 a-d)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import COMING, PAST, SHORT, DepartmentRef, day, label, optional_text, text
from forms.common import ApprovalForm
from forms.registry import form

IDENTIFIER = r"CF-(MS|OP|RC|OT)-\d{3}"
VERSION = r"[A-Z]/\d{1,2}"
IDENTIFIER_HELP = ("CF-<MS 管理制度 | OP 作业文件 | RC 记录 | OT 其他>-<序号>，如 CF-MS-001",
                   "CF-<MS system | OP operating document | RC record | OT other>-<number>, e.g. CF-MS-001")
VERSION_HELP = ("版次/修改状态，如 A/0", "Edition/amendment, e.g. A/0")
IDENTIFIER_ERROR = "编号格式如 CF-MS-001。Use an identifier such as CF-MS-001."
VERSION_ERROR = "版本格式如 A/0。Use a version such as A/0."
INTERVALS = ["P1Y", "P2Y", "P3Y", "P6M"]
INTERVAL_LABELS = ["每年 / Every year", "每两年 / Every two years", "每三年 / Every three years",
                   "每半年 / Every six months"]


def decision(zh: str, en: str, choices: list[str], labels: list[str]) -> fields.String:
    """A required choice among the named outcomes of a step."""
    return fields.String(required=True, validate=validate.OneOf(choices, labels=labels), metadata=label(zh, en))


@form("document_control.request", "提出文件编制需求", "Request a document")
class RequestForm(Schema):
    """Start form: why a document of the carbon management system is to be drawn up or changed."""

    subject = text("文件主题", "Subject of the document", SHORT)
    reason = text("编制或变更原因", "Why it is needed")
    needed_by = day("期望完成日期", "Needed by", COMING, required=False)


@form("document_control.draft", "编制文件", "Draft the document")
class DraftForm(Schema):
    """7.5.1 a-d: the kind of document; 7.5.2 a, c, d: its content, form, retention and access."""

    document_title = text("文件名称", "Document title", SHORT)
    document_type = fields.String(
        required=True,
        validate=validate.OneOf(
            ["management_system", "operating", "required_record", "other"],
            labels=["支持体系运行的管理制度文件 / Management system document",
                    "支持生产运行的作业文件和记录 / Operating document or record",
                    "本指南要求保留的记录 / Record the guideline requires",
                    "其他文件 / Other document"],
        ),
        metadata=label("文件类别", "Document type"),
    )
    owning_department = DepartmentRef(required=True, metadata=label("归口部门", "Owning department"))
    content_summary = text("内容摘要", "Content summary")
    medium = fields.String(
        required=True,
        validate=validate.OneOf(["electronic", "paper", "electronic_and_paper"],
                                labels=["电子 / Electronic", "纸质 / Paper", "电子和纸质 / Electronic and paper"]),
        metadata=label("文件形式", "Form of the document"),
    )
    retention_years = fields.Integer(
        required=True, validate=validate.Range(min=1, max=100),
        metadata=label("保存期限（年）", "Retention period (years)"),
    )
    access_level = fields.String(
        required=True,
        validate=validate.OneOf(
            ["internal", "public", "restricted", "confidential"],
            labels=["内部公开 / Internal", "对外公开 / Public", "限定范围 / Restricted", "保密 / Confidential"],
        ),
        metadata=label("访问级别", "Access level"),
    )
    access_conditions = text("获取途径及条件", "How and on what conditions it may be obtained")
    replaces_identifier = fields.String(
        validate=validate.Regexp(rf"^({IDENTIFIER})?$", error=IDENTIFIER_ERROR),
        metadata=label("替代文件编号（如有）", "Identifier of the document it replaces (if any)",
                       example="CF-MS-001", hint=IDENTIFIER_HELP),
    )
    replaces_version = fields.String(
        validate=validate.Regexp(rf"^({VERSION})?$", error=VERSION_ERROR),
        metadata=label("被替代的版本（如有）", "Version it replaces (if any)",
                       example="A/0", hint=VERSION_HELP),
    )
    review_by = fields.String(
        required=True,
        validate=validate.OneOf(["carbon_body", "department_head"],
                                labels=["碳排放管理机构审核 / Carbon management body",
                                        "归口部门负责人审核 / Head of the owning department"]),
        metadata=label("审核人", "Reviewed by"),
    )
    revision_note = optional_text("针对意见的修改说明", "Changes made in response to comments")

    @validates_schema
    def replaced_identifier_and_version_together(self, data: dict[str, Any], **kwargs: Any) -> None:
        if bool(data.get("replaces_identifier")) != bool(data.get("replaces_version")):
            raise ValidationError("替代文件须同时填写编号和版本。Give both the identifier and the version it replaces.",
                                  "replaces_version")


@form("document_control.review", "审核文件", "Review the document")
class ReviewForm(Schema):
    """7.5.2a: review of the draft before approval; a return says what to change."""

    review_decision = decision("审核结论", "Review decision", ["pass", "return"],
                               ["审核通过 / Passed", "退回修改 / Return for revision"])
    review_comments = optional_text("审核意见", "Review comments")

    @validates_schema
    def return_explained(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("review_decision") == "return" and not data.get("review_comments", "").strip():
            raise ValidationError("退回时须给出修改意见。Say what to change.", "review_comments")


@form("document_control.approve", "批准文件", "Approve the document")
class ApproveForm(ApprovalForm):
    """7.5.2a: approval by top management, who may not be the author."""

    approval_statement = fields.Boolean(
        load_default=False,
        metadata=label("本人批准发布此文件（仅批准时勾选）", "I approve this document for release (tick only when approving)"))


@form("document_control.release", "发布受控文件", "Release the controlled document")
class ReleaseForm(Schema):
    """7.5.2 a-d: controlled identifier and version, marking, distribution, storage and review interval.

    A revision released under the identifier and version it replaces is sent back to this step by the
    process (the form does not see what the release replaces).
    """

    document_identifier = fields.String(
        required=True,
        validate=validate.Regexp(rf"^{IDENTIFIER}$", error=IDENTIFIER_ERROR),
        metadata=label("受控文件编号", "Controlled identifier", example="CF-MS-001",
                       hint=IDENTIFIER_HELP),
    )
    document_version = fields.String(
        required=True,
        validate=validate.Regexp(rf"^{VERSION}$", error=VERSION_ERROR),
        metadata=label("版本", "Version", example="B/0", hint=VERSION_HELP),
    )
    effective_date = day("生效日期", "Effective date")
    control_marking = fields.String(
        required=True,
        validate=validate.OneOf(
            ["controlled_stamp", "electronic_watermark", "system_status"],
            labels=["加盖“受控”章 / Controlled stamp", "电子水印 / Electronic watermark",
                    "文件系统受控状态 / Controlled status in the document system"],
        ),
        metadata=label("受控标识方式", "Control marking"),
    )
    distribution = text("发放范围（部门、岗位、份数）", "Distribution (departments, posts, copies)")
    storage_location = text("存放位置", "Where it is kept")
    review_interval = fields.String(
        required=True,
        validate=validate.OneOf(INTERVALS, labels=INTERVAL_LABELS),
        metadata=label("定期评审周期", "Periodic review interval"),
    )


@form("document_control.withdraw", "作废文件", "Withdraw the document")
class WithdrawForm(Schema):
    """7.5.2 a, b: withdrawal of a superseded or obsolete version and its copies."""

    withdrawn_on = day("作废日期", "Withdrawn on", PAST)
    copies_recalled = fields.Boolean(
        required=True,
        validate=validate.Equal(
            True, error="须收回或标识全部受控副本。All controlled copies must be recalled or marked."),
        metadata=label("已收回或加盖“作废”标识的全部受控副本",
                       "All controlled copies recalled or marked obsolete"),
    )
    reference_copy_kept = fields.Boolean(
        required=True, metadata=label("保留一份标识“作废”的参考副本", "One reference copy kept, marked obsolete"))
    withdrawal_note = optional_text("说明", "Note")


@form("document_control.periodic_review", "定期评审文件", "Review the document periodically")
class PeriodicReviewForm(Schema):
    """7.5.2a: is the released document still valid, to be revised, or to be withdrawn?"""

    periodic_decision = fields.String(
        required=True,
        validate=validate.OneOf(["still_valid", "revise", "withdraw"],
                                labels=["继续有效 / Still valid", "修订 / Revise", "作废 / Withdraw"]),
        # The walker of every process ends the document's life; "still valid" keeps it under review for ever.
        metadata=label("评审决定", "Decision", example="withdraw"),
    )
    review_findings = text("评审结论", "Findings")
    next_review_interval = fields.String(
        load_default="keep",
        validate=validate.OneOf(["keep", *INTERVALS], labels=["保持现有周期 / Keep the current interval",
                                                              *INTERVAL_LABELS]),
        metadata=label("继续有效时的下次评审周期", "Interval to the next review, when still valid"),
    )

    @validates_schema
    def interval_only_when_still_valid(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("periodic_decision") != "still_valid" and data.get("next_review_interval", "keep") != "keep":
            raise ValidationError("只有继续有效的文件才设定下次评审周期。"
                                  "Only a document that stays valid gets a next review interval.",
                                  "next_review_interval")
