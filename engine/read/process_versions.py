"""The deployed versions of each process, with how many instances run, wait in error or ended on each."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from engine.errors import NotFound
from engine.read import process_diff
from engine.models import InstanceStatus, ProcessDefinition, ProcessInstance, StartSchedule

# The instance statuses an admin counts per version, in the order the pages show them.
STATUSES = tuple(s.value for s in (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED, InstanceStatus.ERROR,
                                    InstanceStatus.COMPLETED, InstanceStatus.TERMINATED))


@dataclass(frozen=True)
class Version:
    """One deployed version of a process and the instances on it, by status."""

    process_id: str
    version: int
    name: str
    file_name: str
    deployed_by: str
    deployed_at: datetime
    change_note: str | None
    content_hash: str
    instances: dict[str, int] = field(default_factory=dict)

    @property
    def instance_count(self) -> int:
        return sum(self.instances.values())


@dataclass(frozen=True)
class ProcessSummary:
    """A process as its admin sees it: its newest version, how many versions, its instances on all of them."""

    latest: Version
    versions: int
    instances: dict[str, int]
    schedule: StartSchedule | None


def versions(session: Session, process_id: str) -> list[Version]:
    """Every version of a process, newest first; NotFound when none is deployed."""
    definitions = list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                                       .order_by(ProcessDefinition.version.desc())))
    if not definitions:
        raise NotFound(f"no process deployed with id {process_id!r}")
    counts = _counts(session, ProcessInstance.definition_id, ProcessInstance.process_id == process_id)
    return [_version(d, counts.get(d.id, {})) for d in definitions]


def processes(session: Session) -> list[ProcessSummary]:
    """Every deployed process by id, with its newest version and its instances on all versions."""
    newest = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("latest"),
                     func.count().label("versions")).group_by(ProcessDefinition.process_id).subquery())
    rows = session.execute(
        select(ProcessDefinition, newest.c.versions)
        .join(newest, (ProcessDefinition.process_id == newest.c.process_id)
              & (ProcessDefinition.version == newest.c.latest))
        .order_by(ProcessDefinition.process_id)).all()
    counts = _counts(session, ProcessInstance.process_id)
    schedules = {s.process_id: s for s in session.scalars(select(StartSchedule))}
    return [ProcessSummary(_version(d, {}), n, counts.get(d.process_id, {}), schedules.get(d.process_id))
            for d, n in rows]


def version_source(session: Session, process_id: str, version: int) -> ProcessDefinition:
    """One version with its BPMN source loaded; NotFound naming the process and version."""
    definition = session.scalar(select(ProcessDefinition).options(undefer(ProcessDefinition.bpmn_source))
                                .where(ProcessDefinition.process_id == process_id,
                                       ProcessDefinition.version == version))
    if definition is None:
        raise NotFound(f"process {process_id!r} has no version {version}")
    return definition


@dataclass(frozen=True)
class Comparison:
    """Two versions of a process, their BPMN, and what changed from the old to the new."""

    old_version: int
    new_version: int
    old_source: str
    new_source: str
    changes: process_diff.ProcessDiff


def compare(session: Session, process_id: str, old: int | None = None, new: int | None = None) -> Comparison:
    """Compare two versions; left out, ``new`` is the newest and ``old`` the one before it (or the same)."""
    if old is None or new is None:
        newest = versions(session, process_id)[0].version
        old, new = old or max(newest - 1, 1), new or newest
    old_source = version_source(session, process_id, old).bpmn_source
    new_source = version_source(session, process_id, new).bpmn_source
    return Comparison(old, new, old_source, new_source, process_diff.diff(old_source, new_source))


def _counts(session: Session, key, *where) -> dict[object, dict[str, int]]:  # type: ignore[no-untyped-def]
    found: dict[object, dict[str, int]] = {}
    query = select(key, ProcessInstance.status, func.count()).where(*where).group_by(key, ProcessInstance.status)
    for owner, status, count in session.execute(query):
        found.setdefault(owner, {})[status] = count
    return found


def _version(definition: ProcessDefinition, counts: dict[str, int]) -> Version:
    return Version(definition.process_id, definition.version, definition.name, definition.file_name,
                   definition.deployed_by, definition.deployed_at, definition.change_note, definition.content_hash,
                   {status: counts.get(status, 0) for status in STATUSES})
