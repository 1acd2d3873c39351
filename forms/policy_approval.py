"""Forms of the policy approval process (guideline 5.1, 5.2; 4.2b/c; 7.4.2, 7.4.3)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import PAST, SHORT, DepartmentRef, day, label, optional_text, text
from forms.common import ApprovalForm
from forms.registry import form


def confirmed(zh: str, en: str) -> fields.Boolean:
    """A checklist item the person must tick."""
    return fields.Boolean(required=True, validate=validate.Equal(True, error="须确认此项。This must be confirmed."),
                          metadata=label(zh, en))


@form("policy_approval.initiate", "发起碳排放管理方针制定", "Start drafting the carbon emission management policy")
class InitiateForm(Schema):
    """Start form: why the policy is drawn up or revised now."""

    policy_title = text("方针名称", "Policy title", SHORT)
    occasion = fields.String(
        required=True,
        validate=validate.OneOf(
            ["first_issue", "management_review", "context_change", "periodic_revision"],
            labels=["首次制定 / First issue", "管理评审要求修订 / Revision asked by management review",
                    "内外部环境变化 / Change in the context", "定期修订 / Periodic revision"],
        ),
        metadata=label("制定或修订的原因", "Occasion"),
    )
    basis = text("依据与说明", "Basis and explanation")
    previous_policy_number = optional_text("被替代的方针编号（如有）", "Number of the policy it replaces (if any)", SHORT)


@form("policy_approval.draft", "识别内外部环境并起草方针", "Review the context and draft the policy")
class DraftForm(Schema):
    """5.1.2 a-f, 5.1.3 a-e: the context review; 5.2.1 a-e: the policy text checked item by item."""

    external_dual_carbon_policy = text("外部：碳达峰碳中和政策要求", "External: carbon peaking and neutrality policy")
    external_sector_requirements = text("外部：行业碳排放管理要求", "External: sector carbon management requirements")
    external_supply_chain = text("外部：供应链碳排放要求", "External: supply-chain carbon requirements")
    external_carbon_market = text("外部：碳市场政策的变化", "External: changes in carbon market policy")
    external_low_carbon_demand = text("外部：市场对低碳产品的需求", "External: market demand for low-carbon products")
    external_other = optional_text("外部：其他因素（如有）", "External: other factors (if any)")
    internal_strategy = text("内部：企业发展战略和规划", "Internal: business strategy and plans")
    internal_compliance = text("内部：企业合规性", "Internal: compliance")
    internal_competence = text("内部：人员专业能力", "Internal: staff competence")
    internal_saving_potential = text("内部：节能降碳潜力", "Internal: energy-saving and carbon-reduction potential")
    internal_other = optional_text("内部：其他因素（如有）", "Internal: other factors (if any)")
    policy_text = text("碳排放管理方针（全文）", "Carbon emission management policy (full text)")
    consistent_with_national_policy = confirmed(
        "方针与国家、地方碳达峰碳中和政策相一致",
        "Consistent with national and local carbon peaking and neutrality policy")
    consistent_with_strategy = confirmed("方针与企业发展战略相一致", "Consistent with the business strategy")
    fulfils_compliance = confirmed("方针体现履行企业合规义务", "Commits to fulfilling compliance obligations")
    fulfils_social_responsibility = confirmed(
        "方针体现履行节能降碳社会责任",
        "Commits to the social responsibility of saving energy and cutting carbon")
    continual_improvement = confirmed(
        "方针体现持续改进碳排放绩效", "Commits to continually improving carbon performance")
    departments_in_scope = fields.List(
        DepartmentRef(), required=True, validate=validate.Length(min=1),
        metadata=label(
            "审阅草案并向员工宣贯的部门", "Departments that review the draft and communicate the policy to staff",
            hint=("所列每个部门的负责人先审阅草案，方针发布后再向本部门全体员工宣贯；请列出体系覆盖的全部部门。",
                  "The head of each department listed reviews the draft and, once the policy is published, "
                  "communicates it to all staff of the department: list every department the system covers.")),
    )
    revision_note = optional_text("针对意见的修改说明", "Changes made in response to comments")

    @validates_schema
    def departments_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        departments = data.get("departments_in_scope", [])
        if len(set(departments)) != len(departments):
            raise ValidationError("每个部门只列一次。List each department once.", "departments_in_scope")


@form("policy_approval.head_review", "部门负责人审阅方针", "Department head reviews the policy")
class HeadReviewForm(Schema):
    """A department head's view on the draft policy; a disagreement must say why."""

    agree = fields.Boolean(required=True, metadata=label("同意该方针草案", "I agree with the draft policy"))
    comment = optional_text("意见", "Comment")

    @validates_schema
    def disagreement_explained(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("agree") and not data.get("comment", "").strip():
            raise ValidationError("不同意时须说明意见。Say why you disagree.", "comment")


@form("policy_approval.approve", "最高管理者批准方针", "Top management approves the policy")
class ApproveForm(ApprovalForm):
    """Approval of the policy by top management, or return to the drafter with comments."""

    approval_statement = fields.Boolean(
        load_default=False,
        metadata=label("本人批准发布此碳排放管理方针（仅批准时勾选）",
                       "I approve this policy for publication (tick only when approving)"),
    )


@form("policy_approval.publish", "发布方针", "Publish the policy")
class PublishForm(Schema):
    """5.2.2: the policy's number, effective date, internal interpretation and availability to interested parties."""

    policy_number = fields.String(
        required=True,
        validate=[validate.Length(max=40),
                  validate.Regexp(r"^CF-POL-\d{4}-\d{2}$",
                                  error="编号格式如 CF-POL-2027-01。Use a number such as CF-POL-2027-01.")],
        metadata=label("方针编号", "Policy number", example="CF-POL-2027-01",
                       hint=("CF-POL-<年份>-<序号>", "CF-POL-<year>-<sequence>")),
    )
    effective_date = day("生效日期", "Effective date")
    interpretation = text("内部解读要点", "Key points for interpreting it to staff")
    on_website = fields.Boolean(
        required=True, metadata=label("在企业网站公开", "Published on the company website"))
    on_notice_board = fields.Boolean(
        required=True, metadata=label("在厂区公告栏张贴", "Posted on the site notice boards"))
    in_sustainability_report = fields.Boolean(
        required=True, metadata=label("纳入社会责任/ESG报告", "Included in the sustainability (ESG) report"))
    available_on_request = fields.Boolean(
        required=True, metadata=label("相关方可申请获取", "Interested parties may ask for it"))
    access_for_interested_parties = text("相关方获取途径说明", "How interested parties can obtain it")

    @validates_schema
    def some_channel(self, data: dict[str, Any], **kwargs: Any) -> None:
        channels = ("on_website", "on_notice_board", "in_sustainability_report", "available_on_request")
        if not any(data.get(name) for name in channels):
            raise ValidationError("方针须可被相关方获取：至少选择一种途径。"
                                  "The policy must be available to interested parties: choose at least one channel.",
                                  "access_for_interested_parties")


@form("policy_approval.publish_replacing", "发布方针并废止旧方针", "Publish the policy and withdraw the one it replaces")
class PublishReplacingForm(PublishForm):
    """5.2.2 as above, and the record that the policy it replaces (previous_policy_number) is withdrawn."""

    previous_policy_withdrawn = confirmed(
        "被替代的旧方针已废止，并已从网站、公告栏等发布途径撤下",
        "The policy it replaces is withdrawn and taken down from the website, notice boards and other channels")
    previous_policy_withdrawn_on = day("旧方针废止日期", "Previous policy withdrawn on", PAST)


@form("policy_approval.communicate", "向员工宣贯方针", "Communicate the policy to staff")
class CommunicateForm(Schema):
    """5.2.2, 7.4.2, 7.4.3: a department's record of passing the policy on to its staff."""

    method = fields.String(
        required=True,
        validate=validate.OneOf(
            ["meeting", "notice", "platform", "training", "other"],
            labels=["会议宣贯 / Meeting", "通知公告 / Notice", "内部信息平台 / Internal platform",
                    "专题培训 / Training session", "其他方式 / Other"],
        ),
        metadata=label("宣贯方式", "How it was communicated"),
    )
    communicated_on = day("宣贯日期", "Communicated on", PAST)
    staff_reached = fields.Integer(
        required=True, validate=validate.Range(min=1), metadata=label("覆盖员工人数", "Number of staff reached"))
    questions_raised = optional_text("员工提出的问题及解答", "Questions raised by staff and answers")
    evidence = text("记录与证据（签到表、会议纪要等）", "Records and evidence (sign-in sheet, minutes, …)")
