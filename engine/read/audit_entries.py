"""The audit trail as people read it: each event's time in the plant's zone, who by name, what in words, the
instance and step it concerns, and what it recorded with names instead of codes (the recorded data stays too)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.models import AuditEvent
from engine.read.labels import InstanceRef, Labels, TaskRef, instance_refs, labels, task_refs
from forms.describe import Names, describe
from forms.registry import FORMS

# What each key of an event's data means (keys not here read as they are).
KEYS: dict[str, tuple[str, str]] = {
    "seq": ("序号", "sequence"), "id": ("编号", "id"), "hash": ("哈希值", "hash"), "verified": ("本次校验的事件", "events verified"),
    "continued_from": ("接续的校验点", "continued from"),
    "username": ("用户", "user"), "display_name": ("姓名", "name"), "roles": ("角色", "roles"),
    "role": ("角色", "role"), "department": ("部门", "department"), "email": ("邮箱", "e-mail"),
    "password_set": ("已设密码", "password set"), "changes": ("修改", "changes"), "reason": ("原因", "reason"),
    "previous_assignee": ("原处理人", "previous assignee"), "tasks_returned": ("退回的任务", "tasks returned"),
    "temporary": ("临时密码", "temporary password"), "process_id": ("流程", "process"), "version": ("版本", "version"),
    "file": ("文件", "file"), "content_hash": ("内容哈希", "content hash"), "note": ("说明", "note"),
    "message": ("消息", "message"), "payload": ("消息内容", "payload"), "kind": ("类型", "kind"),
    "source": ("来源实例", "source instance"), "target": ("目标实例", "target instance"),
    "other_process_id": ("关联流程", "other process"), "job_id": ("后台作业", "job"),
    "attempts": ("尝试次数", "attempts"), "error": ("错误", "error"), "last_error": ("上次错误", "last error"),
    "evidence_id": ("证据文件编号", "evidence id"), "file_name": ("文件名", "file name"), "sha256": ("SHA-256", "SHA-256"),
    "size": ("大小（字节）", "size (bytes)"), "business_key": ("业务编号", "business key"), "title": ("标题", "title"),
    "data": ("填写内容", "entries"), "query": ("查询", "query"), "params": ("参数", "parameters"),
    "instances": ("读取的实例", "instances read"), "address": ("地址", "address"), "via": ("方式", "via"),
    "from_version": ("原版本", "from version"), "to_version": ("新版本", "to version"), "mapping": ("映射", "mapping"),
    "moves": ("节点迁移", "moves"), "tasks_reread": ("重读的任务", "tasks re-read"), "code": ("代码", "code"),
    "name_zh": ("中文名称", "Chinese name"), "name_en": ("英文名称", "English name"), "period": ("周期", "period"),
    "next_run_at": ("下次启动", "next start"), "enabled": ("启用", "enabled"), "due_at": ("到期时间", "due at"),
    "timer": ("定时器", "timer"), "swept_for": ("处理时刻", "swept for"), "now": ("按此时间", "as of"),
    "export": ("导出内容", "export"), "format": ("格式", "format"), "rows": ("行数", "rows"),
    "filter": ("筛选", "filter"), "meaning": ("签署意见", "meaning"), "signs_for": ("签署身份", "signs for"),
    "record_sha256": ("所签记录 SHA-256", "signed record SHA-256"), "from": ("原处理人", "from"),
    "to": ("转交给", "to"), "outside_role": ("超出角色", "outside the role"), "method": ("请求方法", "method"),
    "path": ("地址路径", "path"), "endpoint": ("页面", "page"), "command": ("命令", "command"),
    "files_added": ("新增文件", "files added"), "files_removed": ("移除文件", "files removed"),
    "comment_id": ("评论编号", "comment id"), "body": ("内容", "text"), "mentions": ("提及", "mentions"),
    "lang": ("语言", "language"),
}
# Codes some values are written as.
VALUES: dict[str, tuple[str, str]] = {
    "approved": ("批准", "approved"), "rejected": ("驳回", "rejected"), "returned": ("退回", "returned"),
    "browser": ("浏览器", "browser"), "api_token": ("API 令牌", "API token"),
    "audit-trail": ("审计追踪", "audit trail"), "audit": ("审计追踪", "audit trail"),
    "nonconformities": ("不符合项台账", "nonconformity register"), "trace": ("不符合项追溯", "nonconformity trace"),
    "records": ("按条款的记录", "records by clause"), "records-by-clause": ("按条款的记录", "records by clause"),
    "record": ("流程实例记录", "instance record"),
}
PEOPLE = frozenset({"username", "previous_assignee", "from", "to", "assignee", "owner", "mentions"})
PROCESSES = frozenset({"process_id", "other_process_id"})
ROLES = frozenset({"role", "roles"})
# Said elsewhere in the row (the step's title) or a sentence that repeats the row in English.
SKIPPED = frozenset({"task", "form_key", "statement"})
YES_NO = {True: ("是", "yes"), False: ("否", "no")}


@dataclass(frozen=True)
class AuditEntry:
    """One event as the audit page and every export show it."""

    seq: int
    id: int
    at: datetime  # UTC
    at_local: datetime  # in the plant's zone
    actor: str
    actor_name: str
    action: str
    action_label: str
    instance_id: int | None
    instance: str  # its process, business key and title
    task_id: int | None
    task: str  # the step's title
    details: str  # what the event recorded, in words
    data: str  # what it recorded, as JSON
    hash: str


def audit_entries(session: Session, events: Sequence[AuditEvent], *, zone: ZoneInfo,
                  lang: str = "zh", names: Labels | None = None) -> list[AuditEntry]:
    """The events as people read them, in ``lang``, each in the order given."""
    names = names or labels(session, lang)
    instances = instance_refs(session, (e.instance_id for e in events))
    tasks = task_refs(session, (e.task_id for e in events))
    reader = _Reader(names, instances, tasks)
    return [reader.entry(e, zone) for e in events]


class _Reader:
    def __init__(self, names: Labels, instances: dict[int, InstanceRef], tasks: dict[int, TaskRef]):
        self.names, self.instances, self.tasks = names, instances, tasks
        self.form_names = Names(names.people, names.departments)

    def entry(self, event: AuditEvent, zone: ZoneInfo) -> AuditEntry:
        n = self.names
        instance = self.instances.get(event.instance_id) if event.instance_id is not None else None
        task = self.tasks.get(event.task_id) if event.task_id is not None else None
        data = event.data or {}
        return AuditEntry(
            event.seq, event.id, event.at, event.at.astimezone(zone), event.actor, n.person(event.actor),
            event.action, n.action(event.action), event.instance_id, n.instance(instance), event.task_id,
            n.task(task), self.details(event.action, data, instance, task),
            json.dumps(data, ensure_ascii=False, sort_keys=True), event.hash)

    def details(self, action: str, data: dict[str, Any], instance: InstanceRef | None, task: TaskRef | None) -> str:
        form_key = task.form_key if task else (self.names.start_forms.get(instance.process_id)
                                               if instance and action == "start" else None)
        parts = []
        for key, value in data.items():
            if key in SKIPPED or value is None or value == "" or (action == "signature" and key == "title"):
                continue
            if action == "draft_saved" and key == "data" and data.get("changes"):
                continue  # the whole draft; its changes say what this save wrote
            said = self.entries(form_key, value, key == "changes") if key in ("data", "changes") and form_key \
                else self.value(key, value, action)
            if said:
                parts.append(f"{self.key(key)}{self.colon}{said}")
        return self.separator.join(parts)

    @property
    def colon(self) -> str:
        return "：" if self.names.lang == "zh" else ": "

    @property
    def separator(self) -> str:
        return "；" if self.names.lang == "zh" else "; "

    def key(self, key: str) -> str:
        return self.names.pick(*KEYS[key]) if key in KEYS else key

    def entries(self, form_key: str, value: Any, changes: bool) -> str:
        """Form entries by their labels and values (a draft's changes: what they became)."""
        if not isinstance(value, dict) or form_key not in FORMS:
            return _json(value)
        if changes:
            value = {name: change.get("to") if isinstance(change, dict) else change for name, change in value.items()}
        lines = [line for line in describe(form_key, value, self.form_names) if line.value_zh or line.value_en]
        inner = "，" if self.names.lang == "zh" else ", "
        return inner.join(f"{self.names.pick(line.label_zh, line.label_en)}{self.colon}"
                          f"{self.names.pick(line.value_zh, line.value_en)}" for line in lines)

    def value(self, key: str, value: Any, action: str) -> str:
        n = self.names
        if isinstance(value, bool):
            return n.pick(*YES_NO[value])
        if isinstance(value, list):
            return ("、" if n.lang == "zh" else ", ").join(self.value(key, item, action) for item in value)
        if isinstance(value, dict):
            if "file_name" in value:  # a file as events name them
                return f"{value['file_name']} (sha256 {str(value.get('sha256', ''))[:12]}…)"
            if key == "changes":
                return ("，" if n.lang == "zh" else ", ").join(
                    f"{self.key(field)} {self.value(field, c.get('from'), action)} → {self.value(field, c.get('to'), action)}"
                    if isinstance(c, dict) else f"{self.key(field)} {_json(c)}" for field, c in value.items())
            return _json(value)
        if value is None:
            return "—"
        text = str(value)
        if key in PEOPLE:
            return n.person(text)
        if key in PROCESSES:
            return n.process(text)
        if key in ROLES:
            return n.role(text)
        if key == "department" or (key == "code" and action.startswith("department_")):
            return n.department(text)
        if key in ("source", "target") and isinstance(value, int):
            return f"#{value}"
        return n.pick(*VALUES[text]) if text in VALUES and key in ("meaning", "kind", "via", "export") else text


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
