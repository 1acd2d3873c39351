"""PDF building blocks shared by every PDF export: the embedded CJK font, paragraph styles, a wrapped table, the
statement, and pages numbered "第 N 页 / 共 M 页" (or "Page N of M") at the foot of each."""
from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from engine.read.exports.words import page_of

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


def pdf_styles(lang: str = "zh") -> dict[str, Any]:
    """The paragraph styles; Chinese breaks a line between any two characters, English between words (a run
    longer than the line, Chinese in an English file, is still split)."""
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=pdf_font(), fontSize=9, leading=12,
                          wordWrap=None if lang == "en" else "CJK", splitLongWords=True)
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


def pdf_grid(columns: Sequence[Any], cells: Sequence[Sequence[str]], width: float, lang: str = "zh") -> Any:
    """A table of wrapped cells, columns (each with a title and a relative width) sized, the header on every page."""
    from reportlab.lib import colors
    from reportlab.platypus import LongTable

    styles = pdf_styles(lang)
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


def statement_flowables(title: str, statement: Sequence[tuple[str, str]], lang: str = "zh") -> list[Any]:
    """The title, then the statement a line a pair."""
    from reportlab.platypus import Spacer
    styles = pdf_styles(lang)
    colon = ": " if lang == "en" else "："
    return [pdf_paragraph(title, styles["title"]),
            *(pdf_paragraph(f"{label}{colon}{value}", styles["statement"]) for label, value in statement),
            Spacer(1, 8)]


def build_pdf(story: list[Any], pagesize: tuple[float, float], *, title: str = "CarbonFlow",
              lang: str = "zh") -> bytes:
    """The story laid out on pages of ``pagesize``, each footed with the title and "page N of M" in ``lang``."""
    from reportlab.platypus import SimpleDocTemplate

    out = io.BytesIO()
    font = pdf_font()

    def foot(canvas: Any, page: int, pages: int) -> None:
        canvas.setFont(font, 7)
        canvas.drawString(MARGIN, MARGIN / 2, title)
        canvas.drawRightString(pagesize[0] - MARGIN, MARGIN / 2, page_of(page, pages, lang))

    # initialFontName: else each page starts by selecting Helvetica, a font the PDF would not embed.
    SimpleDocTemplate(out, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                      bottomMargin=MARGIN, title=title, author="CarbonFlow", initialFontName=font,
                      invariant=True, lang="en" if lang == "en" else "zh-CN").build(
        story, canvasmaker=_numbered_canvas(foot))
    return out.getvalue()


def _numbered_canvas(foot: Callable[[Any, int, int], None]) -> Any:
    """A canvas that holds back its pages until the last one, so that each can say how many there are."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            pages = len(self._held)
            for number, state in enumerate(self._held, start=1):
                self.__dict__.update(state)
                foot(self, number, pages)
                super().showPage()
            super().save()

    return NumberedCanvas
