"""One table, three formats: CSV and XLSX for working with the rows, PDF for reading them offline.

Every export opens with the same statement: what it holds (title, period, filter), when and by whom it
was made, and the result of checking the audit trail's hash chain at that moment. Headings are in the
table's language; numbers stay numbers and times stay times in the spreadsheet.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.errors import InvalidFormData
from engine.read.exports.pdf import MARGIN, build_pdf, pdf_grid, pdf_paragraph, pdf_styles, statement_flowables
from engine.read.exports.words import word

FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
DATETIME_FORMAT, DATE_FORMAT = "yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: float = 1.0  # relative width in the PDF
    pdf: bool = True  # False: in the spreadsheet only (a code beside its label, the recorded JSON)


@dataclass(frozen=True)
class Table:
    """Rows to export, with the statement that heads them (list of (label, value) pairs).

    A row's values keep their types: int and float, date, datetime (shown as the wall time of its own zone), bool,
    text; None is an empty cell.
    """

    title: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    statement: Sequence[tuple[str, str]] = field(default_factory=tuple)
    lang: str = "zh"

    def cells(self, columns: Sequence[Column] | None = None) -> list[list[str]]:
        return [[_text(row.get(c.key), self.lang) for c in (columns or self.columns)] for row in self.rows]


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
    writer.writerow([c.title for c in table.columns])
    writer.writerows([[_inert(cell) for cell in row] for row in table.cells()])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """A sheet of rows (header frozen, filters on; numbers numeric, times as dates) and a sheet with the statement."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_name(table.title)
    sheet.append([c.title for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(table.rows, start=2):
        for index, column in enumerate(table.columns, start=1):
            _put(sheet.cell(number, index), row.get(column.key), table.lang)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(12 + 14 * column.width, 80)
    about = book.create_sheet(word("about", table.lang))
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

    columns = [c for c in table.columns if c.pdf]
    story = [*statement_flowables(table.title, table.statement, table.lang),
             pdf_grid(columns, table.cells(columns), landscape(A4)[0] - 2 * MARGIN, table.lang)]
    if not table.rows:
        story.append(pdf_paragraph(word("no_rows", table.lang), pdf_styles(table.lang)["body"]))
    return build_pdf(story, landscape(A4), title=table.title, lang=table.lang)


def _put(cell: Any, value: Any, lang: str) -> None:
    """A spreadsheet cell of the value's own type; text as typed (a title such as "=HYPERLINK(…)" stays text)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, date)):
        cell.value = _text(value, lang)
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.value, cell.number_format = value.replace(tzinfo=None), DATETIME_FORMAT  # its own zone's wall time
    elif isinstance(value, date):
        cell.value, cell.number_format = value, DATE_FORMAT
    else:
        cell.value = value


def _inert(cell: str) -> str:
    """A CSV cell that a spreadsheet shows as text: one starting like a formula gets a leading apostrophe."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _text(value: Any, lang: str = "zh") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return word("yes" if value else "no", lang)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")  # the wall time of its own zone, as in the spreadsheet
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _sheet_name(title: str) -> str:
    # Excel allows 31 characters and none of []:*?/\ in a sheet name.
    return "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Export"
