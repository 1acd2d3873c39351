"""Checking a BPMN file as deploy would, storing nothing: every refusal and the warnings, each at its element."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

import forms
from engine.bpmn import lint
from engine.bpmn.parsing import parse_tree, parse_xml
from engine.errors import InvalidProcess, Problem
from engine.models import Role
from engine.read import process_diff
from engine.read.definitions import latest_definition
from engine.read.gathered import PARAMETERS


@dataclass(frozen=True)
class Validation:
    """What deploying a file would meet: the process it holds, what deploy refuses, what is only a warning."""

    process_id: str | None  # None when the file holds no single executable process
    name: str | None
    refusals: list[Problem]
    warnings: list[Problem]
    identical: bool = False  # the same content as the newest deployed version of the process
    unchanged: bool = False  # what runs is the same as in the newest version (layout or formatting aside)
    latest_version: int | None = None  # the newest deployed version of the process, if any

    @property
    def deployable(self) -> bool:
        return not self.refusals


def validate(session: Session, *, source: bytes, file_name: str) -> Validation:
    """Run deploy's checks and the warnings on a BPMN file; nothing is stored."""
    try:
        root = parse_xml(source, file_name)
    except InvalidProcess as exc:
        return Validation(None, None, exc.problems, [])
    warnings = lint.warnings(root)  # before SpiffWorkflow reads the tree, which then belongs to its parser
    processes = lint.executable_processes(root)
    process_id = processes[0].get("id") if len(processes) == 1 else None
    name = (processes[0].get("name") or process_id) if process_id else None
    refusals: list[Problem] = []
    try:
        parse_tree(root, file_name, roles=set(session.scalars(select(Role.id))), form_keys=forms.FORMS,
                   queries=PARAMETERS)
    except InvalidProcess as exc:
        refusals = exc.problems
    latest = latest_definition(session, process_id, required=False) if process_id else None
    identical = latest is not None and latest.content_hash == hashlib.sha256(source).hexdigest()
    unchanged = identical or (latest is not None and not refusals and process_diff.diff(latest.bpmn_source,
                                                                                        source).empty)
    return Validation(process_id, name, refusals, warnings, identical, unchanged,
                      latest.version if latest is not None else None)
