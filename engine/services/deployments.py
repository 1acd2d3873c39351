"""Deploying BPMN files as numbered versions of their process."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

import forms
from engine import clock
from engine.bpmn.parsing import parse_bpmn
from engine.bpmn.runtime import Runtime, shared_runtime
from engine.errors import InvalidFormData
from engine.models import ProcessDefinition, Role, StartMessage
from engine.people import get_admin
from engine.read.definitions import latest_definition
from engine.read.gathered import PARAMETERS
from engine.services import audit, schedules


MAX_NOTE = 2000  # a change note is a paragraph, not a document


@dataclass(frozen=True)
class Deployment:
    """What a deploy did: the definition now current, and whether it is a new version."""

    definition: ProcessDefinition
    created: bool


def deploy(session: Session, *, source: bytes, file_name: str, actor: str, note: str | None = None,
           runtime: Runtime | None = None) -> Deployment:
    """Validate a BPMN file and store it as the next version (identical content: no new version).

    ``note`` says why (the change note shown with the version).
    """
    runtime = runtime or shared_runtime()
    roles = set(session.scalars(select(Role.id)))
    parsed = parse_bpmn(source, file_name, roles=roles, form_keys=forms.FORMS, queries=PARAMETERS)
    content_hash = hashlib.sha256(source).hexdigest()
    latest = latest_definition(session, parsed.process_id, required=False)
    if latest is not None and latest.content_hash == content_hash:
        return Deployment(latest, created=False)
    definition = ProcessDefinition(
        process_id=parsed.process_id, version=(latest.version + 1) if latest else 1,
        name=parsed.name, file_name=file_name, bpmn_source=source.decode("utf-8"),
        content_hash=content_hash,
        spec_json=runtime.serializer.dump_spec(parsed.spec, parsed.subprocess_specs),
        start_form_key=parsed.start_form_key, deployed_by=actor, deployed_at=clock.now(),
        change_note=(note or "").strip() or None)
    session.add(definition)
    session.flush()
    session.add_all(StartMessage(definition_id=definition.id, message_name=name)
                    for name in parsed.start_messages)
    audit.record(session, action="deploy", actor=actor, data={
        "process_id": definition.process_id, "version": definition.version,
        "file": file_name, "content_hash": content_hash, "note": definition.change_note})
    schedules.follow_deploy(session, process_id=definition.process_id, schedule=parsed.schedule, actor=actor)
    return Deployment(definition, created=True)


def deploy_as_admin(session: Session, *, source: bytes, file_name: str, actor: str, note: str,
                    runtime: Runtime | None = None) -> Deployment:
    """An admin's deploy from the modeler or an upload: a process_admin, and a change note saying why."""
    get_admin(session, actor)
    if not note.strip():
        raise InvalidFormData("deploy", {"note": ["give a change note: what changed and why"]})
    if len(note) > MAX_NOTE:
        raise InvalidFormData("deploy", {"note": [f"the change note is longer than {MAX_NOTE} characters"]})
    return deploy(session, source=source, file_name=file_name, actor=actor, note=note, runtime=runtime)


def deploy_directory(session: Session, *, directory: Path, actor: str,
                     runtime: Runtime | None = None) -> list[Deployment]:
    """Deploy every ``*.bpmn`` file of a folder, in name order."""
    return [deploy(session, source=path.read_bytes(), file_name=path.name, actor=actor, runtime=runtime)
            for path in sorted(directory.glob("*.bpmn"))]
