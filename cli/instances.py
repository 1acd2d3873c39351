"""Commands for instances: start one, read it, list them, suspend, resume, terminate, retry, messages, links, evidence."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from cli.base import (
    RecordId,
    as_option,
    echo,
    fail_cleanly,
    instance_line,
    json_flag,
    json_option,
    reading,
    refuse_existing,
    transaction,
    verb_command,
    write_new,
)
from engine.models import ProcessInstance
from engine.read import access, queries, records
from engine.services import evidence, instances, jobs, messages


@click.command()
@click.argument("process_id")
@as_option
@click.option("--business-key", default=None)
@click.option("--data", default=None, help="Start form data as a JSON object.")
@json_flag
@click.pass_context
@fail_cleanly
def start(ctx: click.Context, process_id: str, actor: str, business_key: str | None,
          data: str | None, as_json: bool) -> None:
    """Start an instance of a process."""
    payload = json_option(data, "--data")
    with transaction(ctx) as session:
        instance_ = instances.start(session, process_id=process_id, actor=actor,
                                    business_key=business_key, data=payload)
        record = records.instance_record(session, instance_)
    echo(record, as_json, instance_line)


@click.command()
@click.argument("instance_id", type=RecordId("instance"))
@json_flag
@click.pass_context
@fail_cleanly
def instance(ctx: click.Context, instance_id: int, as_json: bool) -> None:
    """Show an instance: status, data, open tasks, completed steps."""
    with reading(ctx) as session:
        record = records.instance_record(session, queries.get_instance(session, instance_id), detail=True)
    echo(record, as_json, instance_line)


@click.command("instances")
@click.option("--process", "process_id", default=None)
@click.option("--status", type=click.Choice(["running", "suspended", "completed", "terminated", "error"]))
@json_flag
@click.pass_context
@fail_cleanly
def instances_(ctx: click.Context, process_id: str | None, status: str | None, as_json: bool) -> None:
    """List instances, newest first."""
    with reading(ctx) as session:
        rows = [records.instance_record(session, i) for i in
                queries.instances(session, process_id=process_id, status=status)]
    echo(rows, as_json, lambda rs: "\n".join(instance_line(r) for r in rs) or "no instances")


def _show_instance(session: Session, instance_: ProcessInstance) -> dict[str, Any]:
    return records.instance_record(session, instance_)


suspend = verb_command("suspend", instances.suspend, "Suspend a running instance (process_admin).",
                       target="instance", show=_show_instance, line=instance_line)
resume = verb_command("resume", instances.resume, "Resume a suspended instance (process_admin).",
                      target="instance", show=_show_instance, line=instance_line)
terminate = verb_command("terminate", instances.terminate, "Terminate an instance for good (process_admin).",
                         target="instance", show=_show_instance, line=instance_line)


@click.command()
@click.argument("instance_id", type=RecordId("instance"))
@as_option
@click.option("--data", default=None, help="Corrected data (JSON object) for the failed step.")
@json_flag
@click.pass_context
@fail_cleanly
def retry(ctx: click.Context, instance_id: int, actor: str, data: str | None, as_json: bool) -> None:
    """After a fix: run an instance in error again from its failed step, and its failed jobs (process_admin)."""
    payload = json_option(data, "--data")
    with transaction(ctx) as session:
        requeued = [j.id for j in jobs.retry_failed(session, actor=actor, instance_id=instance_id)]
        instance_ = queries.get_instance(session, instance_id)
        if instance_.status == "error" or not requeued:
            instance_ = instances.retry(session, instance_id=instance_id, actor=actor, data=payload)
        record = {**records.instance_record(session, instance_), "requeued_jobs": requeued}
    echo(record, as_json, lambda r: instance_line(r) + (f"; jobs queued again: {r['requeued_jobs']}"
                                                        if r["requeued_jobs"] else ""))


@click.command("send-message")
@click.argument("name")
@as_option
@click.option("--data", default=None, help="The message payload as a JSON object.")
@click.option("--queue", is_flag=True, help="Deliver in the background (a job the worker runs).")
@click.option("--key", default=None, help="With --queue: a second send with the same key is the first one.")
@json_flag
@click.pass_context
@fail_cleanly
def send_message(ctx: click.Context, name: str, actor: str, data: str | None, queue: bool, key: str | None,
                 as_json: bool) -> None:
    """Send a message: starts processes waiting for it, continues instances waiting for it."""
    payload = json_option(data, "--data")
    if queue:
        with transaction(ctx) as session:
            messages.check_sender(session, name=name, actor=actor, payload=payload)
            queued = jobs.enqueue(session, kind="deliver_message", payload={"name": name, "data": payload},
                                  actor=actor, key=f"message:{key}" if key else None)
            record = records.job_record(queued)
        echo(record, as_json, lambda r: f"queued as job {r['id']}; the worker delivers it")
        return
    with transaction(ctx) as session:
        delivery = messages.send_message(session, name=name, payload=payload, actor=actor)
    result = {"started": delivery.started, "continued": delivery.continued}
    echo(result, as_json, lambda r: f"started {r['started'] or 'none'}; continued {r['continued'] or 'none'}")


@click.command("links")
@click.argument("instance_id", type=RecordId("instance"))
@json_flag
@click.pass_context
@fail_cleanly
def links(ctx: click.Context, instance_id: int, as_json: bool) -> None:
    """Instances this one raised (out) and the ones that raised it (in)."""
    with reading(ctx) as session:
        queries.get_instance(session, instance_id)
        rows = queries.instance_links(session, instance_id)
    echo(rows, as_json, lambda rs: "\n".join(
        f"{'->' if r['direction'] == 'out' else '<-'} instance {r['instance_id']} {r['process_id']} "
        f"[{r['status']}] ({r['kind']})" for r in rs) or "no links")


@click.command("evidence")
@as_option
@click.option("--instance", "instance_id", type=RecordId("instance"), default=None,
              help="List an instance's evidence files.")
@click.option("--get", "evidence_id", type=RecordId("evidence file"), default=None,
              help="Write this evidence file out.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where --get writes the file (default: evidence-ID-NAME in the current folder).")
@json_flag
@click.pass_context
@fail_cleanly
def evidence_(ctx: click.Context, actor: str, instance_id: int | None, evidence_id: int | None, out: Path | None,
              as_json: bool) -> None:
    """List evidence files, or write one out after checking its SHA-256 (the reading is audited)."""
    if (instance_id is None) == (evidence_id is None):
        raise click.UsageError("give either --instance or --get")
    if evidence_id is None:
        with reading(ctx) as session:
            files = access.readable_instance(session, instance_id, actor)[1]
            rows = [records.evidence_record(e) for e in files]
        echo(rows, as_json, lambda rs: "\n".join(
            f"{r['id']:>5} task {r['task_id']:<6} {r['sha256'][:12]} {r['size']:>9} B {r['file_name']}"
            for r in rs) or "no evidence files")
        return
    if out is not None:
        refuse_existing(out)  # before the reading, which is audited
    with transaction(ctx) as session:
        row, content = evidence.read(session, evidence_id, actor)
        record = records.evidence_record(row)
    target = out or Path(f"evidence-{record['id']}-{record['file_name']}")
    write_new(target, content)
    echo({**record, "written_to": str(target)}, as_json, lambda r: f"wrote {r['written_to']} (sha256 {r['sha256']})")
