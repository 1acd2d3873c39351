"""What people said about an instance and its tasks, oldest first; who a comment may @mention.

A mention is "@" and a user name (li.carbon, 张伟). Chinese is written without spaces ("请@张伟确认"), so
the name is the longest active user name the text after "@" starts with; an "@" inside an e-mail
address or a Latin word ("li@example.com") mentions nobody.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Comment, HumanTask, Membership, ProcessInstance, User
from engine.people import Actor, may_work_on
from engine.read import queries
from engine.read.access import READER_ROLES

MENTION = re.compile(r"(?<![A-Za-z0-9._%+\-@])@([^\W_][\w.\-]{0,79})")
# What may not follow a name within a mention: more of a Latin name ("@li" is not in "@lin" nor "@li.carbon").
_CONTINUES = re.compile(r"[A-Za-z0-9_]|[.\-][A-Za-z0-9_]")
# Parameters per IN (...) when looking names up: well within every backend's limit.
_CHUNK = 500


@dataclass(frozen=True)
class Mentions:
    """The users a text mentions (active user names, in order of first mention) and the names nobody has."""

    found: tuple[str, ...]
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class CommentView:
    """A comment as its readers see it: who wrote it (display name), when, on which step, and what."""

    id: int
    instance_id: int
    task_id: int | None
    author: str
    author_name: str
    at: datetime
    body: str
    mentions: tuple[str, ...]
    task_title: str | None
    task_title_en: str | None

    @property
    def segments(self) -> tuple[tuple[str, bool], ...]:
        """The body as pieces of text, each flagged when it is one of the comment's @mentions."""
        return segments(self.body, self.mentions)


def mention_tokens(text: str) -> list[str]:
    """What follows each "@" that may be a mention, as written (possibly running on into the sentence)."""
    return [match.group(1) for match in MENTION.finditer(text)]


def resolve(session: Session, text: str) -> Mentions:
    """The active users the text mentions, and the names after "@" that are no active user's."""
    tokens = list(dict.fromkeys(mention_tokens(text)))
    prefixes = sorted({token[:n] for token in tokens for n in range(1, len(token) + 1)})
    known: set[str] = set()
    for start in range(0, len(prefixes), _CHUNK):
        known.update(session.scalars(select(User.username).where(
            User.active.is_(True), User.username.in_(prefixes[start:start + _CHUNK]))))
    found: dict[str, None] = {}
    unknown: dict[str, None] = {}
    for token in tokens:
        name = _longest_name(token, known)
        if name is None:
            unknown[token.rstrip(".-")] = None
        else:
            found[name] = None
    return Mentions(tuple(found), tuple(unknown))


def segments(body: str, mentions: Iterable[str]) -> tuple[tuple[str, bool], ...]:
    """The body split around the mentions it names, each mention flagged True."""
    names = set(mentions)
    pieces: list[tuple[str, bool]] = []
    at = 0
    for match in MENTION.finditer(body):
        name = _longest_name(match.group(1), names)
        if name is None:
            continue
        if match.start() > at:
            pieces.append((body[at:match.start()], False))
        pieces.append(("@" + name, True))
        at = match.start() + 1 + len(name)
    if at < len(body):
        pieces.append((body[at:], False))
    return tuple(pieces)


def thread(session: Session, instance_id: int) -> list[CommentView]:
    """The instance's comments, oldest first (the newest last, beside the box to answer it)."""
    return _views(session, Comment.instance_id == instance_id)


def comment_view(session: Session, comment_id: int) -> CommentView | None:
    """One comment as its thread shows it (None when there is none)."""
    return next(iter(_views(session, Comment.id == comment_id)), None)


def _views(session: Session, where: Any) -> list[CommentView]:
    rows = session.execute(
        select(Comment, User.display_name, HumanTask.title, HumanTask.title_en)
        .outerjoin(User, User.username == Comment.author)
        .outerjoin(HumanTask, HumanTask.id == Comment.task_id)
        .where(where).order_by(Comment.id))
    return [CommentView(c.id, c.instance_id, c.task_id, c.author, name or c.author, c.at, c.body,
                        tuple(c.mentions or ()), title, title_en) for c, name, title, title_en in rows]


def mentionable(session: Session, instance: ProcessInstance) -> list[tuple[str, str]]:
    """Who may be mentioned on the instance, as (user name, display name): its active readers.

    The same rule as engine/read/access.py's may_read, worked out for every user at once.
    """
    roles: dict[str, set[str]] = {}
    for username, role in session.execute(select(User.username, Membership.role_id)
                                          .join(Membership, Membership.user_id == User.id)):
        roles.setdefault(username, set()).add(role)
    took_part = {instance.started_by} | {name for row in session.execute(
        select(HumanTask.completed_by, HumanTask.assignee).where(HumanTask.instance_id == instance.id))
        for name in row if name}
    open_tasks = queries.open_tasks_of(session, instance.id)
    found = []
    for username, display_name, department in session.execute(
            select(User.username, User.display_name, User.department_code)
            .where(User.active.is_(True)).order_by(User.username)):
        held = roles.get(username, set())
        actor = Actor(username, department, tuple(sorted(held)))
        if held & READER_ROLES or username in took_part or any(may_work_on(t, actor) for t in open_tasks):
            found.append((username, display_name or username))
    return found


def _longest_name(token: str, names: set[str]) -> str | None:
    """The longest of the names the token starts with, where no Latin name runs on after it."""
    return next((token[:n] for n in range(len(token), 0, -1)
                 if token[:n] in names and not _CONTINUES.match(token, n)), None)
