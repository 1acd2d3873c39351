"""Any instance's record as a PDF to read offline: its facts, then each step with its entries, evidence and
signature, in the reader's language (Chinese by default), headed by the audit chain's check."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.read import access
from engine.read.exports.documents import Moment, timeline_pdf
from engine.read.exports.statement import statement
from engine.read.exports.words import word
from engine.read.instance_record import InstanceRecord, record_of
from engine.read.labels import Labels, labels, split_name
from engine.read.steps import Step

LABELS = {
    "zh": {"process": "流程", "title": "事项", "key": "业务编号", "status": "状态", "started": "发起",
           "ended": "结束", "links": "关联流程实例", "evidence": "证据文件", "signed": "电子签名",
           "heading": "CarbonFlow 流程实例记录", "none": "无"},
    "en": {"process": "Process", "title": "About", "key": "Business key", "status": "Status", "started": "Started",
           "ended": "Ended", "links": "Linked instances", "evidence": "Evidence", "signed": "Signed",
           "heading": "CarbonFlow instance record", "none": "none"},
}


def record_pdf(session: Session, instance_id: int, *, by: str, zone: ZoneInfo, lang: str = "zh") -> tuple[bytes, int]:
    """The record of an instance the reader may read; (PDF, how many steps)."""
    instance = access.readable_instance(session, instance_id, by)[0]
    record = record_of(session, instance)
    lang = "en" if lang == "en" else "zh"
    words, names = LABELS[lang], labels(session, lang)
    head = statement(session, holds=word("record_holds", lang, id=instance.id, n=len(record.steps)),
                     period=word("whole_life", lang), filters="", by=by, zone=zone, lang=lang)
    moments = [_moment(step, record, words, names, zone) for step in record.steps]
    title = f"{words['heading']} #{instance.id}"
    return timeline_pdf(title, head, _facts(record, words, names, zone), moments, lang), len(moments)


def _facts(record: InstanceRecord, words: dict[str, str], names: Labels, zone: ZoneInfo) -> list[tuple[str, str]]:
    instance = record.instance
    links = "; ".join(f"{'→' if link['direction'] == 'out' else '←'} "
                      f"{names.instance(None, process_id=link['process_id'], key=link['business_key'])} "
                      f"#{link['instance_id']}" for link in record.links) or words["none"]
    return [(words["process"], f"{names.pick(*split_name(record.definition.name))} (v{record.definition.version})"),
            (words["title"], instance.title or words["none"]), (words["key"], instance.business_key or words["none"]),
            (words["status"], names.instance_status(instance.status)),
            (words["started"], f"{_local(instance.started_at, zone)} · {names.person(instance.started_by)}"),
            (words["ended"], _local(instance.ended_at, zone) if instance.ended_at else words["none"]),
            (words["links"], links)]


def _moment(step: Step, record: InstanceRecord, words: dict[str, str], names: Labels, zone: ZoneInfo) -> Moment:
    colon = ": " if names.lang == "en" else "："
    details = [f"{names.pick(line.label_zh, line.label_en)}{colon}{names.pick(line.value_zh, line.value_en)}"
               for line in step.lines]
    details += [f"{words['evidence']}{colon}{e.file_name} (SHA-256 {e.sha256})" for e in step.evidence]
    signature = record.signatures.get(step.task_id) if step.task_id is not None else None
    if signature is not None:
        details.append(f"{words['signed']}{colon}{names.person(signature.by)} · {_local(signature.at, zone)} · "
                       f"{names.meaning(signature.meaning)}")
    return Moment(_local(step.at, zone) if step.at else "", names.person(step.by), names.pick(step.title, step.title_en),
                  details)


def _local(moment: object, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined]
