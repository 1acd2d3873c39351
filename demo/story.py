"""How the demo stories act: the cast, and a Story that starts instances and completes tasks on past days.

Fields a story does not name are filled from the form declaration (its bilingual label), so a story
states only what matters to it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import fields
from sqlalchemy import select

from engine import clock, people
from engine.db import Database
from engine.errors import InvalidFormData
from engine.models import HumanTask, ProcessInstance
from engine.read import queries
from engine.read.definitions import latest_definition
from engine.services import evidence, instances, messages, tasks, timers
from forms import get_form
from forms.samples import Sampler, fit

PLANT_TZ = ZoneInfo("Asia/Shanghai")
KEY_PREFIX = "DEMO-"
COMPANY = "山西某水泥有限公司 Shanxi cement company"

# Added to demo/users.py DEPARTMENTS: the plant's own workshops.
WORKSHOPS = {
    "kiln": ("熟料烧成车间", "Kiln and clinker workshop"),
    "mining": ("石灰石矿山车间", "Limestone quarry workshop"),
}
# Who acts in the stories (all created by demo/users.py load_demo_users).
GM, BODY, PROD, ENERGY, QUALITY = "zhang.gm", "li.carbon", "wang.prod", "liu.energy", "qian.quality"
STAFF_PROD, STAFF_ENERGY, AUDITOR, AUDITOR_PROD, DOCS = "zhao.staff", "chen.staff", "sun.audit", "ma.audit", "zhou.docs"
ROLE_USER = {"top_management": GM, "carbon_body": BODY, "department_head": PROD, "carbon_staff": STAFF_PROD,
             "internal_auditor": AUDITOR, "document_controller": DOCS, "process_admin": "admin"}


@dataclass
class Seeded:
    """What a run created: instance ids by business key (message-started ones by a label)."""

    instances: dict[str, int] = field(default_factory=dict)
    fired_timers: int = 0


@dataclass
class Story:
    """The demo users acting on the plant's database, on days counted back from ``today``."""

    db: Database
    today: date
    seeded: Seeded
    passwords: dict[str, str]  # top management signs its decisions with them

    def day(self, days_ago: int, hour: int = 10) -> datetime:
        """A working hour that many days ago, in UTC."""
        return datetime.combine(self.today - timedelta(days=days_ago), time(hour), PLANT_TZ).astimezone(timezone.utc)

    def date(self, days_ago: int) -> str:
        return (self.today - timedelta(days=days_ago)).isoformat()

    def start(self, days_ago: int, process_id: str, key: str, actor: str, data: dict[str, Any]) -> int:
        with clock.frozen_at(self.day(days_ago, 9)), self.db.transaction() as session:
            definition = latest_definition(session, process_id)
            assert definition is not None, f"process {process_id} is not deployed: run `carbonflow init`"
            filled = fill(definition.start_form_key, data) if definition.start_form_key else data
            iid = instances.start(session, process_id=process_id, actor=actor, business_key=key, data=filled).id
        self.seeded.instances[key] = iid
        return iid

    def message(self, days_ago: int, name: str, actor: str, form_key: str, data: dict[str, Any], label: str) -> int:
        with clock.frozen_at(self.day(days_ago, 9)), self.db.transaction() as session:
            started = messages.send_message(session, name=name, payload=fill(form_key, data), actor=actor).started
        self.seeded.instances[label] = started[0]
        return started[0]

    def work(self, days_ago: int, iid: int, name: str, actor: str | None, data: dict[str, Any] | None = None, *,
             where: Callable[[HumanTask], bool] = lambda task: True) -> None:
        """Complete the open task `name` of the instance as `actor` (None: whoever may) on that day."""
        try:
            self._complete(days_ago, iid, name, actor, data or {}, where, everything=False)
        except InvalidFormData:
            # Some forms need an optional field once a required one has its first choice: fill them all.
            self._complete(days_ago, iid, name, actor, data or {}, where, everything=True)

    def _complete(self, days_ago: int, iid: int, name: str, actor: str | None, data: dict[str, Any],
                  where: Callable[[HumanTask], bool], *, everything: bool) -> None:
        with clock.frozen_at(self.day(days_ago, 15)), self.db.transaction() as session:
            open_tasks = list(session.scalars(select(HumanTask).where(
                HumanTask.instance_id == iid, HumanTask.status == "ready").order_by(HumanTask.id)))
            task = next((t for t in open_tasks if t.name == name and where(t)), None)
            if task is None:
                instance = session.get(ProcessInstance, iid)
                raise LookupError(f"instance {iid} ({instance and instance.status}: "
                                  f"{instance and instance.error_message}) has no open task {name}; "
                                  f"open: {[t.name for t in open_tasks]}")
            files = [_evidence(task)] if task.evidence_required else []
            who, filled = actor or _who_may(session, task), fill(task.form_key, data, everything=everything)
            if task.requires_signature:
                tasks.complete_signed(session, task_id=task.id, actor=who, data=filled, password=self.passwords[who],
                                      evidence_files=files)
            else:
                tasks.complete(session, task_id=task.id, actor=who, data=filled, evidence_files=files)

    def fire_timers(self, days_ago: int) -> None:
        self.seeded.fired_timers += len(timers.fire_due_timers(self.db, self.day(days_ago, 8)))

    def data(self, iid: int) -> dict[str, Any]:
        with self.db.reading() as session:
            return dict(queries.get_instance(session, iid).data)

    def linked(self, iid: int) -> list[int]:
        with self.db.reading() as session:
            return [link["instance_id"] for link in queries.instance_links(session, iid) if link["direction"] == "out"]


def _evidence(task: HumanTask) -> evidence.Upload:
    content = (f"{COMPANY}\n{task.process_id} / {task.name}\n"
               f"演示证据文件，仅供体验系统。Demo evidence for a first look at the system.\n").encode()
    return evidence.Upload(f"{task.name}-evidence.txt", content, "text/plain")


def fill(form_key: str, data: dict[str, Any], *, everything: bool = False) -> dict[str, Any]:
    """The story's data, with every required field it leaves out filled from the form's declaration."""
    schema = get_form(form_key).schema()
    # The shared approval form's first choice is "approve", which needs its statement ticked.
    approval = {"approval_statement": True} if "approval_statement" in schema.fields else {}
    return {**SAMPLER.schema(schema, required_only=not everything), **approval, **data}


def _label_text(f: fields.Field, _where: str) -> str:
    label = f.metadata.get("label") or {}
    return fit(f, f"{label.get('zh', '')}：见记录 / {label.get('en', '')}: see the records", pad="。")


SAMPLER = Sampler(user_for=lambda role: ROLE_USER.get(role or "", BODY), department="production",
                  text_for=_label_text, now=lambda: clock.now().astimezone(PLANT_TZ),
                  email="carbon@sx-cement.example.cn", url="https://sx-cement.example.cn/records")


def finish(s: Story, iid: int, days_ago: int) -> None:
    """Complete whatever tasks remain, each by a user who may, with the form's filled-in data."""
    finish_until(s, iid, days_ago, None)


def finish_until(s: Story, iid: int, days_ago: int, stop_at: str | None) -> None:
    """Complete the open tasks one by one until task `stop_at` (or none) is open."""
    for _ in range(20):
        with s.db.reading() as session:
            task = session.scalar(select(HumanTask).where(
                HumanTask.instance_id == iid, HumanTask.status == "ready").order_by(HumanTask.id))
            if task is None or task.name == stop_at:
                return
        s.work(days_ago, iid, task.name, None, where=lambda t, tid=task.id: t.id == tid)


def _who_may(session: Any, task: HumanTask) -> str:
    everyone = [BODY, PROD, ENERGY, QUALITY, STAFF_PROD, STAFF_ENERGY, AUDITOR, AUDITOR_PROD, DOCS, GM]
    actors = [people.get_actor(session, u) for u in everyone]
    # The most specialised first: the general manager only does what no one else may.
    return next(a.username for a in sorted(actors, key=lambda a: len(a.role_ids)) if people.may_work_on(task, a))
