"""Forms of the professional carbon service provider process (guideline clause 7.3 a-d)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import COMING, PAST, SHORT, DepartmentRef, UserRef, day, label, optional_text, text
from forms.registry import form


SERVICE_TYPES: dict[str, tuple[str, str]] = {
    "accounting": ("碳排放核算与报告", "Emissions accounting and reporting"),
    "monitoring": ("监测与检测（计量、检定校准）", "Monitoring and testing (metering, calibration)"),
    "consulting": ("碳排放管理体系咨询", "Carbon management system consulting"),
    "asset_trading": ("碳资产开发与交易", "Carbon asset development and trading"),
    "energy_saving": ("节能降碳技术服务", "Energy and carbon saving technical services"),
    "training": ("培训", "Training"),
    "other": ("其他", "Other"),
}
# A provider name that the selection's cross-check accepts in generated data.
SAMPLE_PROVIDER = "华碳咨询有限公司 Huatan Carbon Consulting Co., Ltd."
RATINGS = ["excellent", "good", "acceptable", "poor"]
RATING_LABELS = ["优秀 / Excellent", "良好 / Good", "合格 / Acceptable", "不合格 / Poor"]


def amount(zh: str, en: str) -> fields.Decimal:
    """A required non-negative sum, kept as a string so no precision is lost."""
    return fields.Decimal(as_string=True, required=True, validate=validate.Range(min=0), metadata=label(zh, en))


@form("service_provider.request", "提出专业化服务需求", "Request a professional carbon service")
class RequestForm(Schema):
    """Start form: the service needed, by whom, by when and at what budget."""

    service_title = text("服务名称", "Service", SHORT)
    service_type = fields.String(
        required=True,
        validate=validate.OneOf(list(SERVICE_TYPES), labels=[f"{zh} / {en}" for zh, en in SERVICE_TYPES.values()]),
        metadata=label("服务类型", "Kind of service"),
    )
    requirements = text("服务内容和要求", "What the service must deliver")
    requesting_department = DepartmentRef(required=True, metadata=label("需求部门", "Requesting department"))
    budget = amount("预算（元）", "Budget (yuan)")
    needed_by = day("需求日期", "Needed by", COMING)


class Candidate(Schema):
    """A provider considered, with the evidence of its capability (7.3a)."""

    provider_name = text("服务机构名称", "Provider", SHORT, example=SAMPLE_PROVIDER)
    qualifications = text("资质（证书、备案、认可）", "Qualifications (certificates, registrations, accreditation)")
    capability_evidence = text("能力证据（业绩、人员、设备）", "Evidence of capability (references, staff, equipment)")
    quoted_price = amount("报价（元）", "Quoted price (yuan)")
    assessment = text("评估意见", "Assessment")


@form("service_provider.select_provider", "选择专业化服务机构", "Select the service provider")
class SelectProviderForm(Schema):
    """7.3a: compare providers on qualifications and capability and propose one."""

    candidates = fields.List(fields.Nested(Candidate), required=True, validate=validate.Length(min=1),
                             metadata=label("候选服务机构", "Providers considered"))
    selected_provider = text("拟选服务机构（候选机构之一）", "Provider proposed (one of those considered)", SHORT,
                             example=SAMPLE_PROVIDER)
    selection_basis = text("选择理由", "Why this provider")
    conflict_of_interest_checked = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="Check the provider for conflicts of interest. 须核查利益冲突。"),
        metadata=label("已核查利益冲突（如同一机构不得既咨询又核查）",
                       "Conflicts of interest checked (e.g. no consulting and verifying for the same client)"),
    )

    @validates_schema
    def check_selected(self, data: dict[str, Any], **kwargs: Any) -> None:
        names = [row["provider_name"] for row in data.get("candidates", [])]
        if "selected_provider" in data and data["selected_provider"] not in names:
            raise ValidationError("Choose one of the providers considered. 拟选机构须为候选机构之一。",
                                  "selected_provider")


@form("service_provider.approve_selection", "审批服务机构选择", "Approve the provider selection")
class ApproveSelectionForm(Schema):
    """7.3a: the carbon body approves the provider proposed, or asks for another selection."""

    approved = fields.Boolean(required=True, metadata=label("批准", "Approved"))
    comments = optional_text("审批意见（不批准时必填）", "Comments (required when not approved)")

    @validates_schema
    def check_comments(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("approved") and not data.get("comments", "").strip():
            raise ValidationError("Say why it is not approved. 不批准时须填写意见。", "comments")


@form("service_provider.sign_contract", "签订服务协议", "Sign the service contract")
class SignContractForm(Schema):
    """7.3b: a legally binding agreement stating the scope and requirements; who monitors the service."""

    contract_number = text("协议编号", "Contract number", SHORT)
    scope = text("服务范围和内容", "Scope of the service")
    requirements = text("质量、交付和保密要求", "Quality, delivery and confidentiality requirements")
    deliverables = text("交付成果", "Deliverables")
    contract_value = amount("合同金额（元）", "Contract value (yuan)")
    start_date = day("开始日期", "Start date")
    end_date = day("结束日期", "End date")
    legally_binding = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="The agreement must be legally binding. 协议须具有法律约束力。"),
        metadata=label("协议已由双方授权代表签署，具有法律约束力", "Signed by authorised representatives: legally binding"),
    )
    monitor = UserRef(roles=("carbon_staff", "department_head"), required=True,
                      metadata=label("服务过程监督人（部门负责人或碳排放管理人员）",
                                     "Who monitors the service (a department head or carbon staff)"))
    monitoring_interval_days = fields.Integer(required=True, validate=validate.Range(min=1, max=365),
                                              metadata=label("监督间隔（天）", "Monitoring interval (days)"))

    @validates_schema
    def check_dates(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            raise ValidationError("The contract ends before it starts. 结束日期不得早于开始日期。", "end_date")


@form("service_provider.monitor_service", "跟踪监督服务过程", "Monitor the service")
class MonitorServiceForm(Schema):
    """7.3c: one periodic check of the service process and its quality."""

    monitored_on = day("监督日期", "Monitored on", PAST)
    progress = text("服务进展", "Progress")
    quality_observations = text("服务质量情况", "Quality of the service")
    issues = optional_text("发现的问题及要求", "Issues found and what was asked of the provider")
    service_delivered = fields.Boolean(required=True,
                                       metadata=label("服务已全部交付，可评估", "Service fully delivered: ready to evaluate"))


@form("service_provider.evaluate_service", "评估服务效果", "Evaluate the service")
class EvaluateServiceForm(Schema):
    """7.3d: did the service meet the contract, and what follows if it did not."""

    rating = fields.String(required=True, validate=validate.OneOf(RATINGS, labels=RATING_LABELS),
                           metadata=label("评估等级", "Rating"))
    requirements_met = text("协议内容和要求的满足情况", "How far the contract's scope and requirements were met")
    effect = text("服务效果（对碳排放管理的作用）", "Effect on carbon management")
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(
            ["accept", "rectify", "reselect"],
            labels=["满意，验收 / Satisfactory: accept",
                    "不满意，要求整改 / Not satisfactory: the provider must rectify",
                    "不满意，重新选择服务机构 / Not satisfactory: select another provider"],
        ),
        metadata=label("处理结果", "Outcome"),
    )
    follow_up = optional_text("整改或重新选择的要求（不满意时必填）", "What to rectify or why to reselect (if not satisfactory)")

    @validates_schema
    def check_outcome(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("outcome") == "accept" and data.get("rating") == "poor":
            raise ValidationError("A poor service cannot be accepted. 不合格的服务不得验收。", "outcome")
        if data.get("outcome") in ("rectify", "reselect") and not data.get("follow_up", "").strip():
            raise ValidationError("Say what must follow. 须写明整改或重新选择的要求。", "follow_up")


@form("service_provider.follow_up_rectification", "跟踪服务整改", "Follow up the provider's rectification")
class FollowUpRectificationForm(Schema):
    """7.3c: what the provider did about the evaluation's findings."""

    actions_taken = text("服务机构采取的整改措施", "What the provider did")
    completed_on = day("整改完成日期", "Completed on", PAST)
    evidence = text("整改证据", "Evidence")


@form("service_provider.record_evaluation", "记录服务评价", "Record the service evaluation")
class RecordEvaluationForm(Schema):
    """7.3d: file the evaluation and update the list of qualified providers."""

    record_number = text("记录编号", "Record number", SHORT)
    qualified_list_decision = fields.String(
        required=True,
        validate=validate.OneOf(["keep", "add", "remove"],
                                labels=["保留在合格服务机构名录 / Keep on the qualified list",
                                        "列入合格服务机构名录 / Add to the qualified list",
                                        "移出合格服务机构名录 / Remove from the qualified list"]),
        metadata=label("合格服务机构名录", "Qualified provider list"),
    )
    storage_location = text("存档位置", "Where the records are kept", SHORT)
    records_complete = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="The records must be complete. 记录须完整。"),
        metadata=label("选择、协议、监督和评估记录已完整保存", "Selection, contract, monitoring and evaluation records complete"),
    )
