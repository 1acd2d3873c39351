"""What the exports say around their rows, in Chinese (the default) or English: titles, column headings, the
statement that heads each file, page numbers. Names of things (actions, people, processes) are engine.read.labels."""
from __future__ import annotations

from engine.read.audit_chain import ChainVerification

TEXT: dict[str, tuple[str, str]] = {
    # the statement that heads every export
    "holds": ("内容", "Holds"), "period": ("期间", "Period"), "filter": ("筛选条件", "Filter"),
    "exported_by": ("导出人", "Exported by"), "exported_at": ("导出时间", "Exported at"),
    "chain": ("审计链校验", "Audit chain"), "none": ("无", "none"), "whole_life": ("全过程", "its whole life"),
    # around the rows
    "about": ("说明", "About"), "no_rows": ("（无记录）", "(no rows)"), "timeline": ("时间线", "Timeline"),
    "no_records": ("本期间无记录。", "No records in this period."), "yes": ("是", "yes"), "no": ("否", "no"),
    # titles
    "audit_title": ("CarbonFlow 审计追踪", "CarbonFlow audit trail"),
    "register_title": ("CarbonFlow 不符合项台账", "CarbonFlow nonconformity register"),
    "trace_title": ("CarbonFlow 不符合项追溯", "CarbonFlow nonconformity trace"),
    "records_title": ("CarbonFlow 按条款的记录", "CarbonFlow records by clause"),
    # what each holds
    "audit_holds": ("审计事件 {n} 条（最新的在前）", "{n} audit events (newest first)"),
    "register_holds": ("不符合项 {n} 项（在本期间提出）", "{n} nonconformities (raised in the period)"),
    "trace_holds": ("不符合项 #{id} 的追溯：{n} 个时间点", "the trace of nonconformity #{id}: {n} moments"),
    "records_holds": ("标注 (R) 的条款 {clauses} 条，记录 {n} 条", "{n} records for {clauses} clauses marked (R)"),
    "record_holds": ("流程实例 #{id} 的记录：{n} 个步骤", "the record of instance #{id}: {n} steps"),
    # filters
    "actor": ("操作人", "actor"), "action": ("操作", "action"), "instance": ("流程实例", "instance"),
    "status": ("状态", "status"), "source": ("来源", "source"), "severity": ("严重程度", "severity"),
    "clause": ("条款", "clause"), "department": ("部门", "department"), "search": ("搜索", "search"),
}
PAGE = ("第 {page} 页 / 共 {pages} 页", "Page {page} of {pages}")
CHAIN_INTACT = ("完整（校验于 {at}）：{events} 条事件，链头 #{seq} sha256 {hash}",
                "verified intact at {at}: {events} events, head #{seq} sha256 {hash}")
# Continued from a checkpoint: the events up to it were verified by an earlier check, those after it now.
CHAIN_INTACT_SINCE = ("完整（校验于 {at}）：事件 #{through} 及之前已校验（{since} 的校验点），其后 {events} 条事件本次校验，"
                      "链头 #{seq} sha256 {hash}",
                      "verified intact at {at}: up to event #{through} (checkpoint of {since}), {events} events after "
                      "it verified now, head #{seq} sha256 {hash}")
CHAIN_BROKEN = ("已被破坏（校验于 {at}）：{problem}", "BROKEN (checked {at}): {problem}")


def word(key: str, lang: str, **values: object) -> str:
    """The text in the language (Chinese unless ``lang`` is "en"), with its {placeholders} filled."""
    text = TEXT[key][1 if lang == "en" else 0]
    return text.format(**values) if values else text


def page_of(page: int, pages: int, lang: str) -> str:
    return PAGE[1 if lang == "en" else 0].format(page=page, pages=pages)


def chain_line(result: ChainVerification, lang: str = "en") -> str:
    """The chain's check in a sentence (English for the command line unless asked otherwise)."""
    at = result.checked_at.isoformat(timespec="seconds")
    index = 1 if lang == "en" else 0
    if not result.ok:
        return CHAIN_BROKEN[index].format(at=at, problem=result.problem)
    head = {"at": at, "events": result.events, "seq": result.head_seq, "hash": result.head_hash}
    since = result.checkpoint
    if since is None:
        return CHAIN_INTACT[index].format(**head)
    return CHAIN_INTACT_SINCE[index].format(**head, through=since.through_seq,
                                            since=since.at.isoformat(timespec="seconds"))


def filter_line(parts: list[tuple[str, str]], lang: str) -> str:
    """"操作 = 完成任务 (complete), …" from (filter key, value as read) pairs; "无"/"none" when empty."""
    if not parts:
        return word("none", lang)
    return ("，" if lang != "en" else ", ").join(f"{word(key, lang)} = {value}" for key, value in parts)
