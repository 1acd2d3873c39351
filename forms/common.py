"""Form pieces several cycles share: approving or returning with comments, and filing records."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import SHORT, label, optional_text, text


class ApprovalForm(Schema):
    """Approve, or return with comments; the approval statement is ticked only when approving.

    Subclasses give ``approval_statement`` the wording of what is approved.
    """

    approval_decision = fields.String(
        required=True,
        validate=validate.OneOf(["approve", "return"], labels=["批准 / Approve", "退回修改 / Return for revision"]),
        metadata=label("决定", "Decision"),
    )
    approval_comments = optional_text("批示意见", "Comments")
    approval_statement = fields.Boolean(
        load_default=False, metadata=label("本人批准（仅批准时勾选）", "I approve (tick only when approving)"))

    @validates_schema
    def decision_consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("approval_decision") == "approve" and data.get("approval_statement") is not True:
            raise ValidationError("批准须勾选批准声明。Approving needs the approval statement.", "approval_statement")
        if data.get("approval_decision") == "return" and data.get("approval_statement"):
            raise ValidationError("退回修改时不能勾选批准声明。Do not tick the approval statement when returning.",
                                  "approval_statement")
        if data.get("approval_decision") == "return" and not data.get("approval_comments", "").strip():
            raise ValidationError("退回时须给出修改意见。Say what to change.", "approval_comments")


class FiledRecordsForm(Schema):
    """Where a cycle's records are kept and for how long; subclasses add what "complete" means."""

    record_number = text("记录编号", "Record number", SHORT)
    storage_location = text("保存位置", "Where the records are kept", SHORT)
    retention_years = fields.Integer(required=True, validate=validate.Range(min=1, max=30),
                                     metadata=label("保存期限（年）", "Retention (years)"))

