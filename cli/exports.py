"""`carbonflow export`: the same exports as the auditor's pages, for scheduled use (cron, a verifier's script)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from cli.base import RecordId, fail_cleanly, reading, refuse_existing, transaction, write_new
from engine.errors import InvalidFormData
from engine.read import audit_chain
from engine.read.exports import audit_trail, formats, instance_record_pdf, nonconformity_exports
from engine.read.exports.period import ReportingPeriod
from engine.read.exports.words import chain_line
from engine.read.nonconformities import SEVERITIES, SOURCES, STATUSES, NonconformityFilter
from engine.services import audit

KINDS = ("audit", "nonconformities", "trace", "records", "record")
PDF_ONLY = ("trace", "records", "record")


@dataclass(frozen=True)
class Export:
    body: bytes
    rows: int


@click.command("export")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--format", "fmt", type=click.Choice(formats.FORMATS), required=True,
              help="csv, xlsx or pdf (trace and records: pdf only).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write; an existing file is never overwritten.")
@click.option("--from", "first", default=None, help="First day (YYYY-MM-DD, plant calendar).")
@click.option("--to", "last", default=None, help="Last day, included.")
@click.option("--actor", "actor_filter", default=None, help="audit: only this actor's events.")
@click.option("--action", default=None, help="audit: only this action.")
@click.option("--instance", "instance_id", type=RecordId("instance"), default=None,
              help="audit: only this instance's events; trace: the nonconformity (its instance id); "
                   "record: the instance.")
@click.option("--status", type=click.Choice(STATUSES), default=None,
              help="nonconformities: open (overdue included), overdue, closed or closed_late.")
@click.option("--source", type=click.Choice(SOURCES), default=None, help="nonconformities: where they came from.")
@click.option("--severity", type=click.Choice(SEVERITIES), default=None, help="nonconformities: this severity.")
@click.option("--clause", default=None, help="nonconformities: this clause and its sub-clauses (e.g. 8.1).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="The file's language: headings, labels and names (Chinese by default).")
@click.option("--as", "actor", required=True, help="Who exports (a role that oversees the system; for a record, "
                                                    "a reader of the instance).")
@click.pass_context
@fail_cleanly
def export(ctx: click.Context, kind: str, fmt: str, out: Path, first: str | None, last: str | None,
           lang: str, actor: str, **filters: Any) -> None:
    """Export the audit trail or the nonconformity register (CSV, XLSX, PDF), a nonconformity's trace, the
    records by clause or one instance's record (PDF), each stating the audit chain's check."""
    if kind in PDF_ONLY and fmt != "pdf":
        raise InvalidFormData("export", {"format": [f"the {kind} export is a PDF; use --format pdf"]})
    if kind in ("trace", "record") and filters["instance_id"] is None:
        what = "the nonconformity" if kind == "trace" else "the instance"
        raise InvalidFormData("export", {"instance": [f"name {what}: --instance ID"]})
    refuse_existing(out)  # before the work of making it; write_new checks again as it writes
    settings = ctx.obj.settings
    period = ReportingPeriod.parse(first, last, settings.timezone)
    with reading(ctx) as session:
        made = _build(session, kind, fmt, period, by=actor, lang=lang, **filters)
        verified = audit_chain.verified(session)  # the check the file's statement states
    write_new(out, made.body)
    with transaction(ctx) as session:
        audit.record_checkpoint(session, verified=verified, actor=actor)
        audit.record(session, action="export", actor=actor,
                     instance_id=filters["instance_id"] if kind in ("trace", "record") else None,
                     data={"export": kind, "format": fmt, "rows": made.rows, "file": out.name,
                           "period": period.label, "lang": lang})
    unit = {"trace": "moments", "record": "steps"}.get(kind, "rows")
    click.echo(f"{out}: {made.rows} {unit}; audit chain {chain_line(verified)}")


def _build(session: Any, kind: str, fmt: str, period: ReportingPeriod, *, by: str, lang: str,
           **filters: Any) -> Export:
    if kind == "record":
        body, steps = instance_record_pdf.record_pdf(session, filters["instance_id"], by=by, zone=period.zone,
                                                     lang=lang)
        return Export(body, steps)
    if kind == "trace":
        body, moments = nonconformity_exports.trace_pdf(session, filters["instance_id"], by=by, zone=period.zone,
                                                        lang=lang)
        return Export(body, moments)
    if kind == "records":
        body, records = nonconformity_exports.records_pdf(session, period=period, by=by, lang=lang)
        return Export(body, records)
    if kind == "nonconformities":
        table = nonconformity_exports.register_table(session, period=period, by=by, where=NonconformityFilter(
            status=filters["status"], source=filters["source"], severity=filters["severity"],
            clause=filters["clause"]), lang=lang)
    else:
        table = audit_trail.audit_trail_table(session, period=period, by=by, actor=filters["actor_filter"],
                                              action=filters["action"], instance_id=filters["instance_id"],
                                              lang=lang)
    return Export(formats.render(table, fmt), len(table.rows))
