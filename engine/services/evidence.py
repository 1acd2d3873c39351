"""Evidence files attached to task completions: stored once by SHA-256 in the database, never altered."""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.models import Evidence, EvidenceBlob, HumanTask
from engine.read import access, queries
from engine.services import audit
from forms.fields import bilingual

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
        problems.append(bilingual(f"At most {MAX_FILES} files per completion, not {len(uploads)}.",
                                  f"每次提交最多 {MAX_FILES} 个文件，现有 {len(uploads)} 个。"))
    for upload in uploads:
        problems += _problems(upload)
    if problems:
        raise InvalidFormData(form_key, {"evidence": problems})


def _problems(upload: Upload) -> list[str]:
    problems = []
    name = _base_name(upload.file_name)
    if not name or len(name) > 255:
        problems.append(bilingual(f"File name {upload.file_name!r} must be 1 to 255 characters.",
                                  f"文件名 {upload.file_name!r} 须为 1 至 255 个字符。"))
    elif name.startswith(".") or any(ord(c) < 32 or ord(c) == 127 or c in BIDI_CONTROLS for c in name):
        # Bidirectional controls would show "report‮fdp.exe" as "reportexe.pdf": refused like other controls.
        problems.append(bilingual(f"File name {upload.file_name!r} may not start with a dot or hold control "
                                  "characters.", f"文件名 {upload.file_name!r} 不得以点开头或含控制字符。"))
    if not _CONTENT_TYPE.match(upload.content_type or ""):
        problems.append(bilingual(f"{name!r}: {upload.content_type!r} is not a content type such as application/pdf.",
                                  f"{name!r}：{upload.content_type!r} 不是有效的文件类型（如 application/pdf）。"))
    if not upload.content:
        problems.append(bilingual(f"{name or upload.file_name!r} is empty.", f"{name or upload.file_name!r} 是空文件。"))
    if len(upload.content) > MAX_BYTES:
        problems.append(bilingual(f"{name!r} is {len(upload.content)} bytes; the limit is {MAX_BYTES}.",
                                  f"{name!r} 大小为 {len(upload.content)} 字节，上限为 {MAX_BYTES} 字节。"))
    return problems


def usable(uploads: Sequence[Upload]) -> list[Upload]:
    """The files ``check`` would not refuse for themselves."""
    return [upload for upload in uploads if not _problems(upload)]


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


# A task's draft keeps the files chosen before its form was submitted under this key, beside the form's values
# (no form field can be named so): stored like evidence, they join the record only when the task completes.
DRAFT_FILES = "@files"


@dataclass(frozen=True)
class DraftFile:
    """A file kept with a task's draft, to be attached when the task completes."""

    id: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    kept_by: str
    kept_at: str


def draft_files(task: HumanTask) -> list[DraftFile]:
    """The files kept with the task's draft, in the order they were chosen."""
    return [DraftFile(**row) for row in (task.draft or {}).get(DRAFT_FILES, [])]


def draft_values(draft: dict[str, Any] | None) -> dict[str, Any]:
    """What the draft holds for the form's fields (without its files)."""
    return {key: value for key, value in (draft or {}).items() if key != DRAFT_FILES}


def with_draft_files(values: dict[str, Any], files: Sequence[DraftFile]) -> dict[str, Any]:
    """A draft holding these values and these files."""
    return {**values, DRAFT_FILES: [asdict(f) for f in files]} if files else dict(values)


def keep(session: Session, *, task: HumanTask, uploads: Sequence[Upload], actor: str) -> list[DraftFile]:
    """Store the files and list them with the task's draft (the caller records the audit event); refuses unusable
    files and more than MAX_FILES in all."""
    kept = draft_files(task)
    check(uploads, task.form_key)
    if len(kept) + len(uploads) > MAX_FILES:
        raise InvalidFormData(task.form_key, {"evidence": [bilingual(
            f"At most {MAX_FILES} files per completion, not {len(kept) + len(uploads)}.",
            f"每次提交最多 {MAX_FILES} 个文件，现有 {len(kept) + len(uploads)} 个。")]})
    now = clock.now().isoformat()
    added = []
    for upload in uploads:
        digest = hashlib.sha256(upload.content).hexdigest()
        _store_blob(session, digest, upload.content)
        added.append(DraftFile(secrets.token_hex(8), _base_name(upload.file_name),
                               upload.content_type or "application/octet-stream", len(upload.content), digest,
                               actor, now))
    task.draft = with_draft_files(draft_values(task.draft), [*kept, *added])
    return added


def drop(task: HumanTask, file_ids: Sequence[str]) -> list[DraftFile]:
    """Take these files off the task's draft (their content stays stored, as all evidence does); the ones dropped."""
    kept = draft_files(task)
    dropped = [f for f in kept if f.id in file_ids]
    if dropped:
        task.draft = with_draft_files(draft_values(task.draft), [f for f in kept if f.id not in file_ids])
    return dropped


def take_drafted(session: Session, task: HumanTask) -> list[Upload]:
    """The files kept with the task's draft, as uploads to attach at completion; the draft lets go of them."""
    kept = draft_files(task)
    if not kept:
        return []
    contents = {digest: content for digest, content in session.execute(
        select(EvidenceBlob.sha256, EvidenceBlob.content).where(EvidenceBlob.sha256.in_({f.sha256 for f in kept})))}
    task.draft = draft_values(task.draft)
    return [Upload(f.file_name, contents[f.sha256], f.content_type) for f in kept]


def described(files: Sequence[DraftFile]) -> list[dict[str, Any]]:
    """The files as an audit event names them."""
    return [{"file_name": f.file_name, "sha256": f.sha256, "size": f.size} for f in files]
