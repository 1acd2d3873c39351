"""Names instead of codes, in Chinese or English: audit actions, people, roles, departments, processes, statuses
and instances, for every page and export a person reads (the codes stay in the records themselves)."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Department, HumanTask, ProcessInstance, User
from engine.people import ROLES
from engine.read.definitions import latest_definitions
from forms.clauses import CLAUSES

LANGUAGES = ("zh", "en")

# Every action the audit trail records (tests/unit/test_labels.py finds them in the code and checks this table).
ACTIONS: dict[str, tuple[str, str]] = {
    "start": ("发起流程", "Started the process"),
    "claim": ("认领任务", "Claimed the task"),
    "unclaim": ("退回任务", "Gave the task back"),
    "delegate": ("转交任务", "Handed the task over"),
    "draft_saved": ("保存草稿", "Saved a draft"),
    "draft_files_kept": ("随草稿保留文件", "Kept files with the draft"),
    "complete": ("完成任务", "Completed the task"),
    "signature": ("电子签名", "Signed"),
    "evidence_attached": ("上传证据文件", "Attached evidence"),
    "evidence_read": ("读取证据文件", "Read evidence"),
    "comment": ("发表评论", "Commented"),
    "instance_completed": ("流程实例结束", "Instance completed"),
    "inputs_gathered": ("汇集输入数据", "Gathered inputs"),
    "message_received": ("收到消息", "Message received"),
    "link": ("关联流程实例", "Linked an instance"),
    "timer_fired": ("定时器触发", "Timer fired"),
    "error": ("流程出错", "Instance in error"),
    "incident": ("后台作业失败", "Background job failed"),
    "retry_job": ("重试后台作业", "Retried a background job"),
    "cancel_job": ("取消后台作业", "Cancelled a background job"),
    "suspend": ("暂停流程实例", "Suspended the instance"),
    "resume": ("恢复流程实例", "Resumed the instance"),
    "terminate": ("终止流程实例", "Terminated the instance"),
    "retry": ("重试流程实例", "Retried the instance"),
    "migrate": ("迁移到新版本", "Migrated to a new version"),
    "deploy": ("部署流程", "Deployed a process"),
    "schedule": ("设置定期启动", "Set a schedule"),
    "schedule_failed": ("定期启动失败", "Scheduled start failed"),
    "look_ahead": ("按未来时间处理到期事项", "Ran what is due at a later time"),
    "export": ("导出", "Exported"),
    "chain_verified": ("审计链校验通过", "Verified the audit chain"),
    "refused": ("操作被拒绝", "Refused"),
    "sign_in": ("登录", "Signed in"),
    "sign_out": ("退出登录", "Signed out"),
    "sign_in_refused": ("登录被拒绝", "Sign-in refused"),
    "token_revoked": ("撤销 API 令牌", "API token revoked"),
    "signature_refused": ("签名被拒绝", "Signature refused"),
    "password_change_refused": ("修改密码被拒绝", "Password change refused"),
    "password_changed": ("修改密码", "Changed the password"),
    "password_reset": ("重置密码", "Reset a password"),
    "user_created": ("新建用户", "Created a user"),
    "user_updated": ("修改用户", "Updated a user"),
    "user_deactivated": ("停用用户", "Deactivated a user"),
    "user_reactivated": ("重新启用用户", "Reactivated a user"),
    "department_created": ("新建部门", "Created a department"),
    "department_renamed": ("重命名部门", "Renamed a department"),
    "filter_saved": ("保存待办筛选条件", "Saved an inbox filter"),
    "filter_deleted": ("删除待办筛选条件", "Deleted an inbox filter"),
}
INSTANCE_STATUSES: dict[str, tuple[str, str]] = {
    "running": ("进行中", "Running"), "suspended": ("已暂停", "Suspended"), "completed": ("已完成", "Completed"),
    "terminated": ("已终止", "Terminated"), "error": ("出错", "In error"),
}
NONCONFORMITY_STATUSES: dict[str, tuple[str, str]] = {
    "open": ("待办理", "Open"), "overdue": ("已逾期", "Overdue"), "closed": ("已关闭", "Closed"),
    "closed_late": ("逾期关闭", "Closed late"),
}
# What a signature says about the decision it signs.
SIGNATURE_MEANINGS: dict[str, tuple[str, str]] = {"approved": ("批准", "approved"), "rejected": ("驳回", "rejected"),
                                                  "returned": ("退回", "returned")}
# Who acts when nobody does: timers, schedules, jobs and a new installation setting itself up.
ENGINE_ACTORS: dict[str, tuple[str, str]] = {"system": ("系统", "System"), "-": ("（未填用户名）", "(no name given)")}
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_BILINGUAL = re.compile(r"^(.*[\u3000-\u9fff\uff00-\uffef].*?)\s+([A-Za-z][\x20-\x7e]*)$")


def pick(lang: str, zh: str | None, en: str | None) -> str:
    """The text in the language, the other one when it is missing."""
    return (en or zh or "") if lang == "en" else (zh or en or "")


def split_name(name: str) -> tuple[str, str]:
    """A process name written as "碳排放基准调整 Baseline adjustment" as (Chinese, English); else the name twice."""
    match = _BILINGUAL.match(name.strip())
    return (match.group(1).strip(), match.group(2).strip()) if match else (name, name)


def lines_in(lang: str, text: str) -> str:
    """A text written as Chinese lines then English lines (a model's documentation) in one language: the lines
    of that language when it has both, else the whole text."""
    lines = text.strip().splitlines()
    chinese = [line for line in lines if _CJK.search(line)]
    english = [line for line in lines if line.strip() and not _CJK.search(line)]
    if not chinese or not english:
        return text.strip()
    return "\n".join(english if lang == "en" else chinese)


def action_label(action: str, lang: str) -> str:
    """An audit action in words; an action this table does not know reads as its code."""
    return pick(lang, *ACTIONS[action]) if action in ACTIONS else action


@dataclass(frozen=True)
class InstanceRef:
    """An instance as a person refers to it: its process, business key and title."""

    id: int
    process_id: str
    business_key: str | None
    title: str | None


@dataclass(frozen=True)
class TaskRef:
    id: int
    title: str
    title_en: str | None
    form_key: str | None


@dataclass(frozen=True)
class Labels:
    """The names of one language, read once per page or export."""

    lang: str
    people: Mapping[str, str]
    departments: Mapping[str, tuple[str, str]]
    processes: Mapping[str, tuple[str, str]]
    start_forms: Mapping[str, str | None]

    def pick(self, zh: str | None, en: str | None) -> str:
        return pick(self.lang, zh, en)

    def action(self, action: str) -> str:
        return action_label(action, self.lang)

    def person(self, username: str | None) -> str:
        """A user by display name; the engine's own actors by what they are; an unknown name as it is."""
        if not username:
            return ""
        if username in ENGINE_ACTORS and username not in self.people:
            return self.pick(*ENGINE_ACTORS[username])
        return self.people.get(username) or username

    def role(self, role: str | None) -> str:
        return self.pick(*ROLES[role]) if role in ROLES else (role or "")

    def department(self, code: str | None) -> str:
        return self.pick(*self.departments[code]) if code in self.departments else (code or "")

    def process(self, process_id: str | None) -> str:
        return self.pick(*self.processes[process_id]) if process_id in self.processes else (process_id or "")

    def instance_status(self, status: str | None) -> str:
        return self.pick(*INSTANCE_STATUSES[status]) if status in INSTANCE_STATUSES else (status or "")

    def nonconformity_status(self, status: str | None) -> str:
        return self.pick(*NONCONFORMITY_STATUSES[status]) if status in NONCONFORMITY_STATUSES else (status or "")

    def meaning(self, meaning: str | None) -> str:
        return self.pick(*SIGNATURE_MEANINGS[meaning]) if meaning in SIGNATURE_MEANINGS else (meaning or "")

    def choice(self, choices: Mapping[str, tuple[str, str]], code: str | None) -> str:
        """A form's choice (a source, a severity) by its label."""
        return self.pick(*choices[code]) if code in choices else (code or "")

    def clause_title(self, number: str | None) -> str:
        """"8.1.3 数据质量管理": a clause by its number and title."""
        return f"{number} {self.pick(*CLAUSES[number])}" if number in CLAUSES else (number or "")

    def clause(self, numbers: Iterable[str], subject: str) -> str:
        """A clause map row's subject: in Chinese the guideline's titles of its clauses, in English the map's."""
        if self.lang == "en":
            return subject
        titles = [CLAUSES[n][0] for n in numbers if n in CLAUSES]
        return "、".join(titles) or subject

    def instance(self, ref: InstanceRef | None, *, process_id: str | None = None, key: str | None = None,
                 title: str | None = None) -> str:
        """"碳排放基准调整 · BA-2026-01 · title": what a person calls an instance (its id stays beside it)."""
        if ref is not None:
            process_id, key, title = ref.process_id, ref.business_key, ref.title
        parts = [self.process(process_id), key or "", title if title and title != key else ""]
        return " · ".join(part for part in parts if part)

    def task(self, ref: TaskRef | None) -> str:
        return self.pick(ref.title, ref.title_en) if ref is not None else ""


def labels(session: Session, lang: str = "zh") -> Labels:
    """Every user's display name, every department's and deployed process's names, in ``lang`` (zh or en)."""
    people = dict(session.execute(select(User.username, User.display_name)).tuples().all())
    departments = {code: (zh, en) for code, zh, en in session.execute(
        select(Department.code, Department.name_zh, Department.name_en)).tuples()}
    definitions = latest_definitions(session)
    return Labels("en" if lang == "en" else "zh", people, departments,
                  {d.process_id: split_name(d.name) for d in definitions},
                  {d.process_id: d.start_form_key for d in definitions})


def instance_refs(session: Session, ids: Iterable[int | None]) -> dict[int, InstanceRef]:
    """These instances as people refer to them (a query per 500)."""
    query = select(ProcessInstance.id, ProcessInstance.process_id, ProcessInstance.business_key, ProcessInstance.title)
    return {row[0]: InstanceRef(*row) for chunk in _chunks(ids)
            for row in session.execute(query.where(ProcessInstance.id.in_(chunk))).tuples()}


def task_refs(session: Session, ids: Iterable[int | None]) -> dict[int, TaskRef]:
    """These tasks by their titles and the form they were done with (a query per 500)."""
    query = select(HumanTask.id, HumanTask.title, HumanTask.title_en, HumanTask.form_key)
    return {row[0]: TaskRef(*row) for chunk in _chunks(ids)
            for row in session.execute(query.where(HumanTask.id.in_(chunk))).tuples()}


def _chunks(ids: Iterable[int | None], size: int = 500) -> list[list[int]]:
    """The distinct ids in chunks a database takes as bound parameters (an export may name thousands)."""
    wanted = sorted({i for i in ids if i is not None})
    return [wanted[start:start + size] for start in range(0, len(wanted), size)]
