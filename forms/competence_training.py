"""Forms of the competence-building process (guideline clauses 7.1.1 a-d, 7.1.2 and 7.2c)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import COMING, PAST, SHORT, DepartmentRef, day, label, optional_text, text
from forms.registry import form


# 7.1.1 a-d, with the forms each item names (notices and posters for c; meetings, events, seminars for d).
KINDS = ["training", "hiring_assessment", "publicity_notice", "publicity_poster", "publicity_other",
         "exchange_meeting", "exchange_event", "exchange_seminar"]
KIND_LABELS = [
    "专项培训（7.1.1b） / Special training (7.1.1b)",
    "聘用与考核（7.1.1a） / Hiring and assessment (7.1.1a)",
    "公告宣传（7.1.1c） / Publicity by notice (7.1.1c)",
    "海报宣传（7.1.1c） / Publicity by poster (7.1.1c)",
    "其他方式宣传（7.1.1c） / Publicity by other means (7.1.1c)",
    "例会交流（7.1.1d） / Regular meeting (7.1.1d)",
    "企业活动交流（7.1.1d） / Enterprise event (7.1.1d)",
    "技术研讨（7.1.1d） / Technical seminar (7.1.1d)",
]
# Publicity reaches an audience rather than named attendees: its record is the reach, not a sign-in sheet.
PUBLICITY_KINDS = ["publicity_notice", "publicity_poster", "publicity_other"]

# The subjects 7.1.1b lists for special training, then what publicity (c) and hiring (a) are about.
TRAINING_SUBJECTS = ["laws", "regulations", "policies", "standards", "technology", "management"]
SUBJECTS = [*TRAINING_SUBJECTS, "energy_saving", "job_competence"]
SUBJECT_LABELS = [
    "碳减排法律 / Carbon reduction laws",
    "法规 / Regulations",
    "政策 / Policies",
    "标准 / Standards",
    "技术 / Technology",
    "管理要求 / Management requirements",
    "节能降碳意识 / Energy saving and carbon reduction awareness",
    "岗位任职能力（教育背景、技能水平、工作经历） / Job competence (education, skills, work experience)",
]

EVALUATION_METHODS = ["exam", "practical", "interview", "questionnaire", "observation"]
EVALUATION_LABELS = ["笔试 / Written exam", "实操考核 / Practical test", "面试 / Interview",
                     "问卷反馈 / Questionnaire", "岗位观察 / On-the-job observation"]


def amount(zh: str, en: str, **kwargs: Any) -> fields.Decimal:
    """A non-negative quantity, kept as a string so no precision is lost."""
    return fields.Decimal(as_string=True, validate=validate.Range(min=0), metadata=label(zh, en), **kwargs)


@form("competence_training.plan", "策划人员能力建设活动", "Plan a competence activity")
class PlanForm(Schema):
    """Start form, 7.1.1 a-d and 7.2c: what the activity is, for whom, when, by whom and at what cost."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS, labels=KIND_LABELS),
                         metadata=label("活动方式", "Kind of activity"))
    topic = text("主题", "Topic", SHORT)
    subjects = fields.List(
        fields.String(validate=validate.OneOf(SUBJECTS, labels=SUBJECT_LABELS)),
        required=True, validate=validate.Length(min=1),
        metadata=label("内容范围", "Subjects covered"),
    )
    content = text("内容提纲", "Outline of the content")
    competence_goal = text("能力目标或岗位要求", "Competence to build or check")
    departments = fields.List(DepartmentRef(), required=True, validate=validate.Length(min=1),
                              metadata=label("参加部门", "Audience departments"))
    planned_date = day("计划日期", "Planned date", COMING)
    planned_hours = amount("计划学时", "Planned hours", required=True)
    trainer = text("讲师或组织人", "Trainer or organiser", SHORT)
    trainer_source = fields.String(
        required=True,
        validate=validate.OneOf(["internal", "external"],
                                labels=["内部 / Internal", "外部专业机构 / External provider"]),
        metadata=label("讲师来源", "Trainer from"),
    )
    location = text("地点或方式", "Place or medium", SHORT)
    budget = amount("培训经费（元）", "Budget (yuan)", required=True)
    evaluation_method = fields.String(
        required=True, validate=validate.OneOf(EVALUATION_METHODS, labels=EVALUATION_LABELS),
        metadata=label("效果评价方式", "How effectiveness will be evaluated"),
    )

    @validates_schema
    def check_subjects_fit_the_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        subjects = set(data.get("subjects", []))
        if data.get("kind") == "training" and not subjects & set(TRAINING_SUBJECTS):
            raise ValidationError("Special training covers laws, regulations, policies, standards, "
                                  "technology or management. 专项培训须涵盖法律、法规、政策、标准、技术或管理要求。",
                                  "subjects")
        if data.get("kind") == "hiring_assessment" and "job_competence" not in subjects:
            raise ValidationError("Hiring and assessment checks job competence. 聘用与考核须涵盖岗位任职能力。",
                                  "subjects")
        if len(set(data.get("departments", []))) != len(data.get("departments", [])):
            raise ValidationError("Each department once. 每个部门只列一次。", "departments")


@form("competence_training.plan_follow_up", "策划后续能力建设活动", "Plan a follow-up activity")
class PlanFollowUpForm(PlanForm):
    """7.1.1: the previous activity did not build the competence; plan the next one."""

    follow_up_reason = text("需补充的能力差距", "Competence gap to close")


class AttendeeSchema(Schema):
    """One person who took part, with the hours and the result of the assessment."""

    name = text("姓名", "Name", SHORT)
    employee_no = optional_text("工号", "Employee number", 50)
    position = text("岗位", "Position", SHORT)
    hours = amount("学时", "Hours", required=True)
    result = fields.String(
        required=True,
        validate=validate.OneOf(["passed", "failed", "not_assessed"],
                                labels=["合格 / Passed", "不合格 / Failed", "未考核 / Not assessed"]),
        metadata=label("考核结果", "Assessment result"),
    )
    score = amount("成绩", "Score", allow_none=True, load_default=None)
    remarks = optional_text("备注", "Remarks", SHORT)


@form("competence_training.confirm_attendance", "确认本部门参加情况", "Confirm your department's attendance")
class ConfirmAttendanceForm(Schema):
    """7.1.1, 7.1.2: who of the department took part, for how long, and how they were assessed."""

    held_on = day("实际日期", "Held on", PAST)
    attendees = fields.List(fields.Nested(AttendeeSchema), required=True, validate=validate.Length(min=1),
                            metadata=label("参加人员", "Attendees"))
    absentees = optional_text("缺席人员及原因", "Absentees and why")
    feedback = optional_text("部门反馈", "Department feedback")


@form("competence_training.confirm_reach", "确认本部门宣传覆盖情况", "Confirm the publicity's reach in your department")
class ConfirmReachForm(Schema):
    """7.1.1c, 7.1.2: where the notice, poster or other publicity was shown, to whom, and how many it reached."""

    published_from = day("发布（张贴）日期", "Published or put up on", PAST)
    published_until = day("撤下日期", "Taken down on", required=False)
    channel = text("发布渠道和位置（公告栏、海报位置、内部平台等）",
                   "Channel and place (notice board, poster site, internal platform...)", SHORT)
    audience = text("受众（岗位、班组）", "Audience (positions, shifts)", SHORT)
    number_reached = fields.Integer(required=True, validate=validate.Range(min=0),
                                    metadata=label("覆盖人数", "Number of people reached"))
    reach_basis = text("人数依据（在岗人数、阅读量、签阅记录等）",
                       "How the number is known (staff on site, views, read receipts...)", SHORT)
    feedback = optional_text("部门反馈", "Department feedback")

    @validates_schema
    def check_period(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("published_from"), data.get("published_until")
        if start and end and end < start:
            raise ValidationError("Taken down before it was put up. 撤下日期不得早于发布日期。", "published_until")


@form("competence_training.evaluate_effectiveness", "评价活动效果", "Evaluate effectiveness")
class EvaluateEffectivenessForm(Schema):
    """7.1.1, 7.1.2: did the activity give people the competence their work needs?"""

    effective = fields.Boolean(required=True, metadata=label("人员能力已满足岗位要求",
                                                             "Effective: competence now meets the job"))
    method_used = fields.String(
        required=True, validate=validate.OneOf(EVALUATION_METHODS, labels=EVALUATION_LABELS),
        metadata=label("采用的评价方式", "Evaluation method used"),
    )
    evaluation_summary = text("评价结论", "Evaluation summary")
    competence_gaps = optional_text("仍存在的能力差距", "Remaining competence gaps")
    actual_cost = amount("实际费用（元）", "Actual cost (yuan)", required=True)


@form("competence_training.file_records", "归档能力记录", "File the competence records")
class FileRecordsForm(Schema):
    """7.1.2: keep the records that show people are competent for their work."""

    records_reference = text("记录编号或存档位置", "Record number or archive location", SHORT)
    personnel_files_updated = fields.Boolean(
        required=True, validate=validate.Equal(True, error="Update the personnel competence files first. "
                                                           "请先更新人员能力档案。"),
        metadata=label("人员能力档案已更新", "Personnel competence files updated"),
    )
    records_complete = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="The records must be complete before filing. 记录须完整方可归档。"),
        metadata=label("签到、课件、考核等记录已完整保存", "Sign-in sheets, materials and assessments kept"),
    )
    summary = text("总结", "Summary")
