"""Inbox filters a user names and keeps: saved, listed, deleted, each change audited."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import Conflict, InvalidFormData, NotFound, Reason
from engine.models import SavedFilter
from engine.people import get_actor
from engine.services import audit

# The inbox's query arguments a filter keeps; anything else is left out.
KEYS = ("tab", "process", "due", "priority", "q")
MAX_PER_USER = 20
MAX_NAME = 100


def save(session: Session, *, actor: str, name: str, query: dict[str, Any]) -> SavedFilter:
    """Keep the inbox's current filters under a name of the user's choosing."""
    get_actor(session, actor)
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidFormData("saved_filter", {"name": [Reason("filter_name_length", {"max": str(MAX_NAME)},
                                                              f"Give the filter a name of 1 to {MAX_NAME} characters.")]})
    kept = {key: str(query[key])[:200] for key in KEYS if query.get(key) not in (None, "")}
    if session.scalar(select(SavedFilter.id).where(SavedFilter.username == actor, SavedFilter.name == name)):
        raise Conflict(reason=Reason("filter_name_taken", {"name": name}, f"a filter named {name!r} exists already"))
    if (session.scalar(select(func.count()).select_from(SavedFilter).where(SavedFilter.username == actor)) or 0) \
            >= MAX_PER_USER:
        raise InvalidFormData("saved_filter", {"name": [Reason("too_many_filters", {"max": str(MAX_PER_USER)},
                                                              f"Keep at most {MAX_PER_USER} filters: delete one first.")]})
    kept_filter = SavedFilter(username=actor, name=name, query=kept, created_at=clock.now())
    session.add(kept_filter)
    session.flush()
    audit.record(session, action="filter_saved", actor=actor, data={"name": name, "query": kept})
    return kept_filter


def delete(session: Session, *, actor: str, filter_id: int) -> None:
    """Delete one of the user's own filters."""
    kept = session.get(SavedFilter, filter_id)
    if kept is None or kept.username != actor:
        raise NotFound(f"no saved filter {filter_id} of {actor}")
    audit.record(session, action="filter_deleted", actor=actor, data={"name": kept.name})
    session.delete(kept)


def of_user(session: Session, username: str) -> list[SavedFilter]:
    return list(session.scalars(select(SavedFilter).where(SavedFilter.username == username)
                                .order_by(SavedFilter.name)))
