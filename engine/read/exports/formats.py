"""One table, three formats: CSV and XLSX for working with the rows, PDF for reading them offline.

Every export opens with the same statement: what it holds (title, period, filter), when and by whom it
was made, and the result of checking the audit trail's hash chain at that moment.
"""
from __future__ import annotations

import csv
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

from engine.errors import InvalidFormData

FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: float = 1.0  # relative width in the PDF


@dataclass(frozen=True)
class Table:
    """Rows to export, with the statement that heads them (list of (label, value) pairs)."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    statement: Sequence[tuple[str, str]] = field(default_factory=tuple)

    def cells(self) -> list[list[str]]:
        return [[_text(row.get(c.key)) for c in self.columns] for row in self.rows]


def render(table: Table, fmt: str) -> bytes:
    """The table as a file in the format (csv, xlsx or pdf)."""
    writers = {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}
    if fmt not in writers:
        raise InvalidFormData("export", {"format": [f"{fmt!r} is not one of {', '.join(FORMATS)}"]})
    return writers[fmt](table)


def to_csv(table: Table) -> bytes:
    """UTF-8 with a BOM (Excel reads Chinese right); the statement as leading `#` lines, then header and rows."""
    out = io.StringIO()
    for label, value in table.statement:
        out.write(f"# {label}: {value}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in table.columns])
    writer.writerows([[_inert(cell) for cell in row] for row in table.cells()])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """A sheet of rows (header frozen, filters on) and a sheet with the statement."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_name(table.title)
    sheet.append([c.key for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.cells():
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # text as typed: a title such as "=HYPERLINK(…)" must not become a formula
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(12 + 14 * column.width, 80)
    about = book.create_sheet("About")
    about.append(["", table.title])
    for label, value in table.statement:
        about.append([label, value])
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 28, 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(table: Table) -> bytes:
    """Landscape A4: the statement, then the rows with the header repeated on every page."""
    from reportlab.lib.pagesizes import A4, landscape

    story = [*statement_flowables(table.title, table.statement),
             pdf_grid(table.columns, table.cells(), landscape(A4)[0] - 2 * MARGIN)]
    if not table.rows:
        story.append(pdf_paragraph("(no rows)", pdf_styles()["body"]))
    return build_pdf(story, landscape(A4))


# --- PDF building blocks, shared with the documents that are not one table (a trace, records by clause) ---

MARGIN = 36  # points
FONT = "WenQuanYiMicroHei"
# WenQuanYi Micro Hei (Apache-2.0): every hanzi of GBK, Latin and more, in TrueType outlines, from the pinned
# wheel paperang-p2-fonts-cjk. Every PDF embeds the subset of it that it uses, so it reads the same anywhere.
FONT_PACKAGE, FONT_FILE = "paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc"
_font_lock = threading.Lock()


def pdf_font() -> str:
    """The name of the PDFs' font, registered with reportlab on first use (reading the file takes ~0.1 s)."""
    from reportlab.pdfbase import pdfmetrics

    with _font_lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            from importlib.resources import files

            from reportlab.pdfbase.ttfonts import TTFont

            with files(FONT_PACKAGE).joinpath(FONT_FILE).open("rb") as file:
                pdfmetrics.registerFont(TTFont(FONT, file, subfontIndex=0))  # 0: the proportional face
    return FONT


def pdf_styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=pdf_font(), fontSize=9, leading=12, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=20, spaceAfter=6),
        "heading": ParagraphStyle("heading", parent=base, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4),
        "body": base,
        "statement": ParagraphStyle("statement", parent=base, fontSize=8.5, leading=11),
        "head": ParagraphStyle("head", parent=base, fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
    }


def pdf_paragraph(text: str, style: Any) -> Any:
    from reportlab.platypus import Paragraph
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def pdf_grid(columns: Sequence[Column], cells: Sequence[Sequence[str]], width: float) -> Any:
    """A table of wrapped cells, columns sized by their relative widths, the header on every page."""
    from reportlab.lib import colors
    from reportlab.platypus import LongTable

    styles = pdf_styles()
    total = sum(c.width for c in columns)
    grid = LongTable([[pdf_paragraph(c.title, styles["head"]) for c in columns],
                      *([pdf_paragraph(text, styles["cell"]) for text in row] for row in cells)],
                     repeatRows=1, colWidths=[width * c.width / total for c in columns])
    grid.setStyle(pdf_table_style(
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8efe9")),
        ("VALIGN", (0, 0), (-1, -1), "TOP")))
    return grid


def pdf_table_style(*commands: tuple[Any, ...]) -> Any:
    """A TableStyle with the cells in the PDFs' font: a table otherwise selects Helvetica (not embedded) for each."""
    from reportlab.platypus import TableStyle
    return TableStyle([("FONT", (0, 0), (-1, -1), pdf_font()), *commands])


def statement_flowables(title: str, statement: Sequence[tuple[str, str]]) -> list[Any]:
    from reportlab.platypus import Spacer
    styles = pdf_styles()
    return [pdf_paragraph(title, styles["title"]),
            *(pdf_paragraph(f"{label}: {value}", styles["statement"]) for label, value in statement),
            Spacer(1, 8)]


def build_pdf(story: list[Any], pagesize: tuple[float, float]) -> bytes:
    from reportlab.platypus import SimpleDocTemplate

    out = io.BytesIO()
    font = pdf_font()

    def number_pages(canvas: Any, doc: Any) -> None:
        canvas.setFont(font, 7)
        canvas.drawRightString(pagesize[0] - MARGIN, MARGIN / 2, f"CarbonFlow  p. {doc.page}")

    # initialFontName: else each page starts by selecting Helvetica, a font the PDF would not embed.
    SimpleDocTemplate(out, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                      bottomMargin=MARGIN, title="CarbonFlow export", author="CarbonFlow", initialFontName=font,
                      invariant=True).build(story, onFirstPage=number_pages, onLaterPages=number_pages)
    return out.getvalue()


def _inert(cell: str) -> str:
    """A CSV cell that a spreadsheet shows as text: one starting like a formula gets a leading apostrophe."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _sheet_name(title: str) -> str:
    # Excel allows 31 characters and none of []:*?/\ in a sheet name.
    return "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Export"
