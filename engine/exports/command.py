"""`carbonflow export`: the same exports as the auditor's pages, for scheduled use (cron, a verifier's script)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from engine.cli import _fail_cleanly, _reading, _transaction, main
from engine.exports import audit_trail, formats
from engine.exports.period import ReportingPeriod
from engine.services import audit

KINDS = ("audit",)


@main.command("export")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--format", "fmt", type=click.Choice(formats.FORMATS), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write; an existing file is never overwritten.")
@click.option("--from", "first", default=None, help="First day (YYYY-MM-DD, plant calendar).")
@click.option("--to", "last", default=None, help="Last day, included.")
@click.option("--actor", "actor_filter", default=None, help="audit: only this actor's events.")
@click.option("--action", default=None, help="audit: only this action.")
@click.option("--instance", "instance_id", type=int, default=None, help="audit: only this instance.")
@click.option("--as", "actor", required=True, help="Who exports (a role that oversees the system).")
@click.pass_context
@_fail_cleanly
def export(ctx: click.Context, kind: str, fmt: str, out: Path, first: str | None, last: str | None,
           actor_filter: str | None, action: str | None, instance_id: int | None, actor: str) -> None:
    """Export the audit trail (more kinds below) as CSV, XLSX or PDF, stating the audit chain's check."""
    period = ReportingPeriod.parse(first, last, ctx.obj.settings.timezone)
    with _reading(ctx) as session:
        table = _build(session, kind, period, actor_filter=actor_filter, action=action, instance_id=instance_id,
                       by=actor)
        body = formats.render(table, fmt)
    try:
        with open(out, "xb") as file:  # never over an existing file or through a symlink
            file.write(body)
    except FileExistsError as exc:
        raise click.ClickException(f"{out} exists; choose another --out") from exc
    with _transaction(ctx) as session:
        audit.record(session, action="export", actor=actor, data={
            "export": kind, "format": fmt, "rows": len(table.rows), "file": out.name, "period": period.label})
    click.echo(f"{out}: {len(table.rows)} rows; {dict(table.statement)['Audit chain']}")


def _build(session: Any, kind: str, period: ReportingPeriod, *, by: str, **filters: Any) -> formats.Table:
    return audit_trail.audit_trail_table(session, period=period, by=by, actor=filters["actor_filter"],
                                         action=filters["action"], instance_id=filters["instance_id"])
