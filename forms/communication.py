"""Forms of the communication process (guideline clauses 7.4.1, 7.4.2 a-e and 7.4.3)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import COMING, PAST, SHORT, DepartmentRef, UserRef, clause, day, label, optional_text, text
from forms.registry import form


# 7.4.2 a-e: the four kinds of meeting (a), then the external channel (b), the internal platform (c),
# information bulletins (d) and any other way that suits the enterprise (e).
CHANNELS = ["meeting_topical", "meeting_department", "meeting_summary", "meeting_business",
            "external_channel", "internal_platform", "bulletin", "other"]
CHANNEL_LABELS = [
    "内外部专题会议（7.4.2a） / Internal or external topical meeting (7.4.2a)",
    "部门例会（7.4.2a） / Department regular meeting (7.4.2a)",
    "企业总结大会（7.4.2a） / Enterprise summary meeting (7.4.2a)",
    "经营分析会（7.4.2a） / Business analysis meeting (7.4.2a)",
    "外部信息传递渠道（7.4.2b） / External information channel (7.4.2b)",
    "内部信息沟通平台（7.4.2c） / Internal communication platform (7.4.2c)",
    "信息通报（7.4.2d） / Information bulletin (7.4.2d)",
    "其他沟通方式（7.4.2e） / Other means (7.4.2e)",
]


@form("communication.record", "登记沟通事项", "Record a communication")
class RecordForm(Schema):
    """Start form, 7.4.1 and 7.4.2 a-e: what was communicated and how; external information has an owner."""

    subject = text("主题", "Subject", SHORT)
    direction = fields.String(
        required=True,
        validate=validate.OneOf(["internal", "external"],
                                labels=["内部沟通 / Internal communication",
                                        "外部信息（接收） / External information received"]),
        metadata=label("内部或外部", "Internal or external"),
    )
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS, labels=CHANNEL_LABELS),
                            metadata=label("沟通方式", "Means of communication"))
    channel_detail = optional_text("其他方式说明", "Other means: which", SHORT)
    occurred_on = day("日期（收到或召开）", "Date received or held", PAST)
    content = text("内容摘要", "Summary of the content")
    participants = optional_text("参会或发布范围", "Participants or audience")
    source_party = optional_text("外部信息来源方", "External source (authority, customer, supplier...)", SHORT)
    channel_owner = UserRef(allow_none=True, load_default=None,
                            metadata=label("外部信息渠道负责人", "Owner of the external channel"))
    importance = fields.String(
        required=True,
        validate=validate.OneOf(["normal", "important", "urgent"],
                                labels=["一般 / Normal", "重要 / Important", "紧急 / Urgent"]),
        metadata=label("重要程度", "Importance"),
    )
    reference = optional_text("文号或纪要编号", "Document or minutes number", SHORT)

    @validates_schema
    def check_external_information_has_an_owner(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("direction") == "external":
            if not data.get("channel_owner"):
                raise ValidationError("External information needs the channel's owner (7.4.2b). "
                                      "外部信息须指定渠道负责人。", "channel_owner")
            if not data.get("source_party"):
                raise ValidationError("Say where the external information came from. 请填写外部信息来源方。",
                                      "source_party")
        if data.get("channel") == "other" and not data.get("channel_detail"):
            raise ValidationError("Describe the other means. 请说明其他沟通方式。", "channel_detail")


@form("communication.verify_external", "核实并解读外部信息", "Check and interpret the external information")
class VerifyExternalForm(Schema):
    """7.4.2b: the owner of the external channel checks the information before it is passed on."""

    source_verified = fields.Boolean(
        required=True, metadata=label("来源可靠、内容已核实（未核实的不予传递）",
                                      "Source reliable, content checked (unverified items are not passed on)"))
    verification_note = optional_text("核实情况（未核实时写明原因）", "How it was checked (why not, when unverified)")
    category = fields.String(
        required=True,
        validate=validate.OneOf(
            ["policy_regulation", "standard", "carbon_market", "regulator_request", "customer_supply_chain",
             "other"],
            labels=["政策法规 / Policy or regulation", "标准 / Standard", "碳市场 / Carbon market",
                    "主管部门要求 / Request from an authority", "客户或供应链 / Customer or supply chain",
                    "其他 / Other"],
        ),
        metadata=label("信息类别", "Category"),
    )
    interpretation = text("解读：对企业的影响和要求", "Interpretation: what it means for the enterprise")
    suggested_departments = fields.List(DepartmentRef(), load_default=list,
                                        metadata=label("建议传递的部门", "Departments it should reach"))
    response_required = fields.Boolean(required=True, metadata=label("需要对外答复", "A reply is required"))
    response_due = day("答复期限", "Reply due", COMING, required=False)

    @validates_schema
    def check_unverified_and_reply(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("source_verified") is False and not data.get("verification_note"):
            raise ValidationError("Say why it could not be verified. 请写明未能核实的原因。", "verification_note")
        if data.get("source_verified") and data.get("response_required") and not data.get("response_due"):
            raise ValidationError("Give the date the reply is due. 需要答复的请填写答复期限。", "response_due")


@form("communication.assess", "确定传递范围", "Decide who must receive it")
class AssessForm(Schema):
    """7.4.1, 7.4.2 b-d: which departments must receive the item, what they must do and by when."""

    departments = fields.List(DepartmentRef(), required=True, validate=validate.Length(min=1),
                              metadata=label("接收部门", "Receiving departments"))
    instructions = text("传达要求和需采取的行动", "What the departments must do")
    acknowledge_by = day("回执期限", "Acknowledge by", COMING)

    @validates_schema
    def check_departments_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        if len(set(data.get("departments", []))) != len(data.get("departments", [])):
            raise ValidationError("Each department once. 每个部门只列一次。", "departments")


@form("communication.acknowledge", "部门回执", "Acknowledge for your department")
class AcknowledgeForm(Schema):
    """7.4.2 b-d: the department received the item, shared it and records the actions it takes."""

    received = fields.Boolean(
        required=True, validate=validate.Equal(True, error="Acknowledge receipt. 请确认已收悉。"),
        metadata=label("已收悉", "Received"),
    )
    shared_in_department = fields.Boolean(required=True,
                                          metadata=label("已在本部门传达", "Shared within the department"))
    actions_taken = text("已采取或将采取的行动", "Actions taken or planned")
    action_due = day("行动完成期限", "Actions due", COMING, required=False)
    feedback = optional_text("反馈意见", "Feedback")


class NonconformitySchema(Schema):
    """A nonconformity the communication revealed, raised as a corrective action (10.2)."""

    title = text("标题", "Title", SHORT)
    description = text("描述", "Description")
    clause = clause(example="7.4.3")
    department = DepartmentRef(required=True, metadata=label("涉及部门", "Department concerned"))
    detected_on = day("发现日期", "Detected on", PAST)


@form("communication.reply", "对外答复", "Reply to the external party")
class ReplyForm(Schema):
    """7.4.2b: the owner of the external channel replies, after the departments have acted on it."""

    reply_content = text("答复内容", "Reply")
    replied_on = day("答复日期", "Replied on", PAST)
    reply_means = text("答复方式（公函、邮件、平台填报等）", "Sent how (letter, e-mail, online filing...)", SHORT)
    reply_reference = optional_text("答复文号或回执编号", "Reply or receipt number", SHORT)


@form("communication.file", "归档沟通记录", "File the communication record")
class FileForm(Schema):
    """7.4.3: keep the record; 7.4.1: was it passed on in time and accurately? Raise any nonconformity."""

    conveyed_in_time = fields.Boolean(required=True,
                                      metadata=label("信息已及时、准确传达", "Passed on in time and accurately"))
    record_reference = text("记录编号或存档位置", "Record number or archive location", SHORT)
    records_complete = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="The records must be complete before filing. 记录须完整方可归档。"),
        metadata=label("沟通记录已完整保存", "Communication records complete"),
    )
    nonconformities = fields.List(fields.Nested(NonconformitySchema), load_default=list,
                                  metadata=label("发现的不符合项", "Nonconformities revealed"))
