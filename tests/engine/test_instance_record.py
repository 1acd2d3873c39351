"""An instance read as its record: its start and every step with entries, evidence and signatures; and its PDF."""
from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from engine.errors import NotPermitted
from engine.read.exports.instance_record_pdf import record_pdf
from engine.read.instance_record import record_of
from tests.factories import PASSWORD, complete, instance
from tests.processes.test_baseline_adjustment import assessment, decision, recalculation, start
from tests.unit.test_export_formats import not_embedded, pdf_fonts

ZONE = ZoneInfo("Asia/Shanghai")


def _signed_baseline(db) -> int:
    from engine.services import tasks
    from tests.factories import open_task

    bl = start(db, description="Line 3 (grinding) added to the plant.")
    complete(db, bl, "assess_significance", "body", assessment())
    complete(db, bl, "recalculate_baseline", "staff_prod", recalculation("6900"))
    complete(db, bl, "approve_baseline", "gm", decision(False))
    complete(db, bl, "recalculate_baseline", "staff_prod", recalculation("6750"))
    with db.transaction() as session:
        tasks.complete_signed(session, task_id=open_task(db, bl, "approve_baseline").id, actor="gm",
                              data=decision(True), password=PASSWORD)
    return bl


def test_the_record_holds_the_start_and_every_round_in_order_with_their_signatures(db):
    bl = _signed_baseline(db)
    with db.reading() as session:
        record = record_of(session, instance(db, bl))
    assert [s.element for s in record.steps] == ["start_by_hand", "assess_significance", "recalculate_baseline",
                                                 "approve_baseline", "recalculate_baseline", "approve_baseline"]
    assert "Line 3 (grinding) added to the plant." in {line.value_en for line in record.steps[0].lines}
    signed = [record.signatures[s.task_id] for s in record.steps if s.task_id in record.signatures]
    assert [(s.by, s.meaning) for s in signed] == [("gm", "rejected"), ("gm", "approved")]  # both decisions signed


def test_the_record_pdf_reads_back_with_the_labels_and_values_in_chinese_or_english(db):
    bl = _signed_baseline(db)
    with db.reading() as session:
        chinese, steps = record_pdf(session, bl, by="auditor", zone=ZONE)
        english, _ = record_pdf(session, bl, by="auditor", zone=ZONE, lang="en")
    assert steps == 6
    zh = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(chinese)).pages)
    en = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(english)).pages)
    assert "流程实例记录" in zh and "变化情况说明：Line 3 (grinding) added to the plant." in zh
    assert "What changed: Line 3 (grinding) added to the plant." in en and "Use 2024 grinding data." in en
    assert "Signed" in en and "approved" in en and "verified intact" in en


def test_the_record_pdf_carries_its_font_so_that_it_reads_the_same_everywhere(db):
    bl = _signed_baseline(db)
    with db.reading() as session:
        chinese, _ = record_pdf(session, bl, by="auditor", zone=ZONE)
        english, _ = record_pdf(session, bl, by="auditor", zone=ZONE, lang="en")
    for pdf in (chinese, english):
        assert pdf_fonts(pdf) and not_embedded(pdf) == []  # no Helvetica, no reader-supplied STSong-Light
    zh = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(chinese)).pages)
    for words in ("CarbonFlow 流程实例记录", "业务编号", "碳排放基准调整", "批准基准调整", "电子签名"):
        assert words in zh, words


def test_only_a_reader_of_the_instance_gets_its_record(db):
    bl = _signed_baseline(db)
    with db.reading() as session, pytest.raises(NotPermitted):
        record_pdf(session, bl, by="staff_energy", zone=ZONE)
