"""What a revised controlled document changes against the version it replaces (7.5.2): its fields always,
and its text line by line when both files are text.

The replaced version is the one released under the identifier and version the draft names
(``replaces_identifier`` / ``replaces_version``), in this instance (a revision after a periodic review) or in
another one; its fields are those of the draft that release published.
"""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict
from engine.models import Evidence, HumanTask, TaskStatus
from engine.read import queries
from engine.read.steps import Step
from forms.describe import Names, describe

PROCESS_ID = "document_control"
DRAFT_FORM = "document_control.draft"
# The draft's fields that describe the revision itself rather than the document.
NOT_COMPARED = frozenset({"replaces_identifier", "replaces_version", "revision_note", "review_by"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".csv", ".tsv", ".html", ".htm", ".xml", ".json", ".rst", ".ini"})
MAX_TEXT_BYTES = 2 * 1024 * 1024  # a larger "text" file is not read for the comparison
MAX_DIFF_LINES = 2000


@dataclass(frozen=True)
class FieldChange:
    """One field whose entry differs between the replaced version and the revision."""

    label_zh: str
    label_en: str
    old: tuple[str, str]  # (Chinese, English) read-out; empty where the old version had none
    new: tuple[str, str]


@dataclass(frozen=True)
class DocumentChanges:
    """The revision against the version it replaces; ``found`` False when no release of that version is held."""

    identifier: str
    version: str
    found: bool
    released_in: int | None = None  # the instance that released the replaced version
    fields: tuple[FieldChange, ...] = ()
    old_file: Evidence | None = None
    new_file: Evidence | None = None
    text_diff: tuple[tuple[str, str], ...] | None = None  # (" ", "-" or "+", line); None: not both text


def against_replaced(session: Session, steps: Sequence[Step], names: Names | None = None) -> DocumentChanges | None:
    """The changes of the latest draft among ``steps`` against the version it replaces (None: it replaces none)."""
    draft = next((s for s in reversed(steps) if "document_title" in s.data and s.data.get("replaces_identifier")),
                 None)
    if draft is None:
        return None
    identifier, version = str(draft.data["replaces_identifier"]), str(draft.data.get("replaces_version") or "")
    release = _release_of(session, identifier, version)
    if release is None:
        return DocumentChanges(identifier, version, found=False)
    old_draft = session.scalar(select(HumanTask).where(
        HumanTask.instance_id == release.instance_id, HumanTask.name == draft.element,
        HumanTask.status == TaskStatus.COMPLETED.value, HumanTask.completed_at <= release.completed_at)
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()).limit(1))
    old_data = dict(old_draft.submitted_data or {}) if old_draft is not None else {}
    old_file = _first(queries.evidence_of(session, task_id=old_draft.id)) if old_draft is not None else None
    new_file = _first(list(draft.evidence))
    return DocumentChanges(identifier, version, True, release.instance_id,
                           _field_changes(old_data, dict(draft.data), names), old_file, new_file,
                           _text_diff(session, old_file, new_file))


def _release_of(session: Session, identifier: str, version: str) -> HumanTask | None:
    """The newest completed release of this identifier and version."""
    releases = session.scalars(select(HumanTask).where(
        HumanTask.process_id == PROCESS_ID, HumanTask.name == "release_document",
        HumanTask.status == TaskStatus.COMPLETED.value).order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()))
    return next((r for r in releases if (r.submitted_data or {}).get("document_identifier") == identifier
                 and (r.submitted_data or {}).get("document_version") == version), None)


def _field_changes(old: dict[str, object], new: dict[str, object], names: Names | None) -> tuple[FieldChange, ...]:
    before = {line.name: line for line in describe(DRAFT_FORM, old, names)}
    after = {line.name: line for line in describe(DRAFT_FORM, new, names)}
    changes = []
    for name, line in after.items():
        if name in NOT_COMPARED or old.get(name) == new.get(name):
            continue
        was = before.get(name)
        changes.append(FieldChange(line.label_zh, line.label_en,
                                   (was.value_zh, was.value_en) if was is not None else ("", ""),
                                   (line.value_zh, line.value_en)))
    return tuple(changes)


def _first(files: Sequence[Evidence]) -> Evidence | None:
    return files[0] if files else None


def is_text(row: Evidence) -> bool:
    """A file whose changes read as lines: text/* or a text file's suffix."""
    return row.content_type.startswith("text/") or PurePosixPath(row.file_name).suffix.lower() in TEXT_SUFFIXES


def _text_diff(session: Session, old: Evidence | None, new: Evidence | None) -> tuple[tuple[str, str], ...] | None:
    if old is None or new is None or not (is_text(old) and is_text(new)) \
            or max(old.size, new.size) > MAX_TEXT_BYTES:
        return None
    before, after = _lines(session, old), _lines(session, new)
    if before is None or after is None:
        return None
    diff = []
    for line in difflib.ndiff(before, after):
        if line[:1] in (" ", "-", "+"):
            diff.append((line[:1], line[2:]))
        if len(diff) >= MAX_DIFF_LINES:
            break
    return tuple(diff)


def _lines(session: Session, row: Evidence) -> list[str] | None:
    try:
        return queries.evidence_content(session, row).decode("utf-8-sig").splitlines()
    except (UnicodeDecodeError, Conflict):  # not text after all, or no longer what was stored: no line diff
        return None
