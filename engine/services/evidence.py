"""Evidence files attached to task completions: stored once by SHA-256 in the database, never altered."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.models import Evidence, EvidenceBlob, HumanTask
from engine.read import access, queries
from engine.services import audit

MAX_BYTES = 25 * 1024 * 1024
MAX_FILES = 20
# Unicode's bidirectional formatting characters (embeddings, overrides, isolates, marks).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}$")


@dataclass(frozen=True)
class Upload:
    """A file a person attaches when completing a task."""

    file_name: str
    content: bytes
    content_type: str = "application/octet-stream"


def check(uploads: Sequence[Upload], form_key: str, *, required: bool = False) -> None:
    """Refuse unusable files (or none, when the task requires evidence) before anything is written."""
    problems = []
    if required and not uploads:
        problems.append("This step requires evidence: attach at least one file. 此步骤须附证据文件。")
    if len(uploads) > MAX_FILES:
        problems.append(f"At most {MAX_FILES} files per completion, not {len(uploads)}.")
    for upload in uploads:
        name = _base_name(upload.file_name)
        if not name or len(name) > 255:
            problems.append(f"File name {upload.file_name!r} must be 1 to 255 characters.")
        elif name.startswith(".") or any(ord(c) < 32 or ord(c) == 127 or c in BIDI_CONTROLS for c in name):
            # Bidirectional controls would show "report‮fdp.exe" as "reportexe.pdf": refused like other controls.
            problems.append(f"File name {upload.file_name!r} may not start with a dot or hold control characters.")
        if not _CONTENT_TYPE.match(upload.content_type or ""):
            problems.append(f"{name!r}: {upload.content_type!r} is not a content type such as application/pdf.")
        if not upload.content:
            problems.append(f"{name or upload.file_name!r} is empty.")
        if len(upload.content) > MAX_BYTES:
            problems.append(f"{name!r} is {len(upload.content)} bytes; the limit is {MAX_BYTES}.")
    if problems:
        raise InvalidFormData(form_key, {"evidence": problems})


def attach(session: Session, *, task: HumanTask, uploads: Sequence[Upload], actor: str) -> list[Evidence]:
    """Store each file (content once per SHA-256) and record it against the task, with its audit event."""
    now = clock.now()
    attached = []
    for upload in uploads:
        digest = hashlib.sha256(upload.content).hexdigest()
        _store_blob(session, digest, upload.content)
        row = Evidence(task_id=task.id, instance_id=task.instance_id, file_name=_base_name(upload.file_name),
                       content_type=upload.content_type or "application/octet-stream",
                       size=len(upload.content), sha256=digest, uploaded_by=actor, uploaded_at=now)
        session.add(row)
        attached.append(row)
    session.flush()
    for row in attached:
        audit.record(session, action="evidence_attached", actor=actor, instance_id=task.instance_id,
                     task_id=task.id, data={"evidence_id": row.id, "file_name": row.file_name,
                                            "sha256": row.sha256, "size": row.size})
    return attached


def content_of(session: Session, row: Evidence, *, actor: str) -> bytes:
    """An evidence file's content, checked against its SHA-256; the reading is audited (``read`` decides
    who may)."""
    content = queries.evidence_content(session, row)
    audit.record(session, action="evidence_read", actor=actor, instance_id=row.instance_id, task_id=row.task_id,
                 data={"evidence_id": row.id, "sha256": row.sha256})
    return content


def _store_blob(session: Session, digest: str, content: bytes) -> None:
    # Two people may attach the same file at once: whoever comes second finds it stored.
    values = {"sha256": digest, "size": len(content), "content": content, "stored_at": clock.now()}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(EvidenceBlob).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(EvidenceBlob).values(values).on_conflict_do_nothing()
    else:
        if session.get(EvidenceBlob, digest) is not None:
            return
        statement = insert(EvidenceBlob).values(values)
    session.execute(statement)


def _base_name(file_name: str) -> str:
    """The file's own name, without any folders a browser or client sent along."""
    return PureWindowsPath(PurePosixPath(file_name).name).name.strip()


def read(session: Session, evidence_id: int, actor: str) -> tuple[Evidence, bytes]:
    """An evidence file and its content, for a reader of its instance; checked against its SHA-256, audited."""
    row = session.get(Evidence, evidence_id)
    if row is None:
        raise NotFound(f"no evidence file {evidence_id}")
    try:
        access.readable_instance(session, row.instance_id, actor)
    except NotPermitted as exc:
        raise NotPermitted(f"{actor} may not read the evidence of instance {row.instance_id}: {exc}") from exc
    return row, content_of(session, row, actor=actor)
