"""Commands for auditors: the audit trail and its hash chain, and the records held for each clause."""
from __future__ import annotations

import sys
from typing import Any

import click

from cli.base import EXIT_TAMPERED, RecordId, echo, fail_cleanly, json_flag, moment, reading, transaction
from engine import people
from engine.read import audit_chain, clauses, queries, records
from engine.services import audit as audit_events
from engine.services import jobs


@click.command()
@click.option("--instance", "instance_id", type=RecordId("instance"), default=None)
@click.option("--verify", is_flag=True, help="Check the hash chain's events since the last checkpoint (recording a "
                                             "new one); exit 8 naming the first bad event.")
@click.option("--full", is_flag=True, help="With --verify: check the whole chain from its first event.")
@json_flag
@click.pass_context
@fail_cleanly
def audit(ctx: click.Context, instance_id: int | None, verify: bool, full: bool, as_json: bool) -> None:
    """Print the audit trail (of one instance, or all), or --verify its hash chain (--full: all of it)."""
    if full and not verify:
        raise click.UsageError("--full goes with --verify")
    if verify:
        _verify(ctx, full, as_json)
        return
    with reading(ctx) as session:
        if instance_id is not None:
            queries.get_instance(session, instance_id)  # an unknown instance is not found, not an empty trail
        rows = [records.audit_record(e) for e in queries.audit_events(session, instance_id=instance_id)]
    echo(rows, as_json, lambda rs: "\n".join(
        f"{r['id']:>5} {r['at'][:19]} {r['actor']:<12} {r['action']:<18} "
        f"instance {r['instance_id'] or '-'} task {r['task_id'] or '-'}" for r in rs))


def _verify(ctx: click.Context, full: bool, as_json: bool) -> None:
    """Check the chain, record an intact check as the next checkpoint, print it; exit 8 when broken."""
    with reading(ctx) as session:
        result = audit_chain.verify_chain(session, full=full)
    with transaction(ctx) as session:
        recorded = audit_events.record_checkpoint(session, verified=result, actor="system")
    since = result.checkpoint
    echo({**records.chain_record(result),
          "checked_from": {"checkpoint_id": since.event_id, "checkpoint_seq": since.seq,
                           "checkpoint_at": since.at.isoformat(), "through_seq": since.through_seq} if since else None,
          "new_checkpoint": {"id": recorded.id, "seq": recorded.seq} if recorded else None},
         as_json, lambda _r: result.summary)
    if not result.ok:
        sys.exit(EXIT_TAMPERED)


@click.command("clauses")
@click.option("--since", "since_text", default=None, help="Only records completed from this time (ISO 8601).")
@click.option("--until", "until_text", default=None, help="Only records completed before this time (ISO 8601).")
@click.option("--queue", is_flag=True, help="Build the report in the background (needs --as).")
@click.option("--as", "actor", default=None, metavar="USER", help="Who asks for a queued report.")
@json_flag
@click.pass_context
@fail_cleanly
def clauses_(ctx: click.Context, since_text: str | None, until_text: str | None, queue: bool, actor: str | None,
             as_json: bool) -> None:
    """For every clause of the guideline: the tasks that cover it and the completed instances holding its records."""
    since = moment(since_text, "--since") if since_text else None
    until = moment(until_text, "--until") if until_text else None
    if queue:
        if not actor:
            raise click.UsageError("a queued report needs --as USER")
        with transaction(ctx) as session:
            people.get_actor(session, actor)
            queued = records.job_record(jobs.enqueue(session, kind="clause_report", actor=actor, payload={
                "since": since.isoformat() if since else None, "until": until.isoformat() if until else None}))
        echo(queued, as_json, lambda r: f"queued as job {r['id']}; `carbonflow job {r['id']}` shows the report")
        return
    with reading(ctx) as session:
        report = clauses.coverage(session, since=since, until=until)
    echo(report, as_json, _clauses_text)


def _clauses_text(report: dict[str, Any]) -> str:
    lines = []
    for row in report["clauses"]:
        processes = sorted({c["process_id"] for c in row["covered_by"]})
        lines.append(f"{row['clause']:<18} {'R' if row['records_required'] else ' '} "
                     f"records {len(row['records']):>4}  {', '.join(processes) or 'NOT COVERED'}")
    summary = report["summary"]
    lines.append(f"{summary['covered']} of {summary['clauses']} clauses covered; record clauses not covered: "
                 f"{', '.join(summary['records_required_uncovered']) or 'none'}")
    return "\n".join(lines)
