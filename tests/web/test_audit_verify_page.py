"""The chain check page: by default the events since the last checkpoint, the whole chain on request; an intact
check is recorded as the next checkpoint, and an export records the check its statement states."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select, text

from engine.models import AuditEvent
from tests.factories import complete, start_corrective_action


@pytest.fixture
def trail(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    return nc


def _checkpoints(db) -> list[AuditEvent]:
    with db.reading() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "chain_verified")
                                    .order_by(AuditEvent.seq)))


def _fact(page: str, name: str) -> str | None:
    """The value of a data-NAME attribute on the page, if it has one."""
    match = re.search(rf'data-{name}="(\d+)"', page)
    return match.group(1) if match else None


def _edit_event(db, seq: int) -> None:
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        connection.execute(text(f"UPDATE audit_events SET actor = 'mallory' WHERE seq = {seq}"))
        if db.engine.dialect.name != "sqlite":
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))


def test_the_page_continues_from_the_last_checkpoint_and_a_reload_records_nothing_new(trail, sign_in, db):
    client = sign_in("verifier")
    first = client.get("/audit/verify").get_data(as_text=True)
    [checkpoint] = _checkpoints(db)
    assert _fact(first, "checked-from") == "0" and _fact(first, "checkpoint") == str(checkpoint.seq)
    assert checkpoint.actor == "verifier"
    assert 'href="/audit/verify?full=1"' in first and 'href="/audit/verify"' in first

    again = client.get("/audit/verify")
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and _fact(page, "checked-from") == str(checkpoint.seq)
    assert _fact(page, "checkpoint") is None and len(_checkpoints(db)) == 1


def test_the_whole_check_finds_an_edit_the_quick_check_has_already_vouched_for(trail, sign_in, db):
    client = sign_in("verifier")
    client.get("/audit/verify")
    _edit_event(db, 2)
    assert client.get("/audit/verify").status_code == 200  # the documented trade-off
    whole = client.get("/audit/verify?full=1")
    assert whole.status_code == 409 and "altered" in whole.get_data(as_text=True)
    assert len(_checkpoints(db)) == 1  # a broken check vouches for nothing


def test_a_whole_check_is_recorded_as_a_checkpoint_from_the_first_event(trail, sign_in, db):
    client = sign_in("verifier")
    client.get("/audit/verify")
    page = client.get("/audit/verify?full=1").get_data(as_text=True)
    first, whole = _checkpoints(db)
    assert _fact(page, "checked-from") == "0" and _fact(page, "checkpoint") == str(whole.seq)
    assert whole.data["continued_from"] is None and whole.data["verified"] == whole.seq - 1


def test_an_export_states_the_check_since_the_checkpoint_and_records_it(trail, sign_in, db):
    client = sign_in("verifier")
    client.get("/audit/verify")
    [checkpoint] = _checkpoints(db)
    start_corrective_action(db)  # new events for the export's check to read
    body = client.get(f"/audit/export/audit.csv?instance={trail}&lang=en").data.decode("utf-8-sig")
    [line] = [row for row in csv.reader(io.StringIO(body)) if row and row[0].startswith("# Audit chain")]
    assert f"up to event #{checkpoint.data['seq']} (checkpoint of " in ",".join(line)
    after_it = _checkpoints(db)[-1]
    assert after_it.actor == "verifier" and after_it.data["continued_from"]["id"] == checkpoint.id
