"""PDF documents that are more than one table: a timeline (a nonconformity's trace) and sections of tables
(the records held for each clause)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.read.exports.formats import Column, Table
from engine.read.exports.pdf import (
    MARGIN,
    build_pdf,
    pdf_grid,
    pdf_paragraph,
    pdf_styles,
    pdf_table_style,
    statement_flowables,
)
from engine.read.exports.words import word


@dataclass(frozen=True)
class Moment:
    """One entry of a timeline: when, who, what, and the lines that say more."""

    when: str
    who: str
    what: str
    details: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Section:
    """A heading with a table under it (an empty table says so)."""

    heading: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, object]]
    note: str = ""


def timeline_pdf(title: str, statement: Sequence[tuple[str, str]], facts: Sequence[tuple[str, str]],
                 moments: Sequence[Moment], lang: str = "zh") -> bytes:
    """Portrait A4: the statement, the facts as a two-column table, then the moments in order."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import KeepTogether
    from reportlab.platypus import Table as Grid

    styles = pdf_styles(lang)
    width = A4[0] - 2 * MARGIN
    story = [*statement_flowables(title, statement, lang)]
    if facts:
        grid = Grid([[pdf_paragraph(k, styles["head"]), pdf_paragraph(v, styles["cell"])] for k, v in facts],
                    colWidths=[width * 0.25, width * 0.75])
        grid.setStyle(pdf_table_style(("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                                      ("VALIGN", (0, 0), (-1, -1), "TOP")))
        story.append(grid)
    story.append(pdf_paragraph(word("timeline", lang), styles["heading"]))
    for number, moment in enumerate(moments, start=1):
        lines = [pdf_paragraph(f"{number}. {moment.when} · {moment.who} · {moment.what}", styles["body"]),
                 *(pdf_paragraph(f"    {line}", styles["cell"]) for line in moment.details)]
        story.append(KeepTogether(lines))
    return build_pdf(story, A4, title=title, lang=lang)


def sections_pdf(title: str, statement: Sequence[tuple[str, str]], sections: Sequence[Section],
                 lang: str = "zh") -> bytes:
    """Landscape A4: the statement, then each section's heading and table."""
    from reportlab.lib.pagesizes import A4, landscape

    styles = pdf_styles(lang)
    width = landscape(A4)[0] - 2 * MARGIN
    story = [*statement_flowables(title, statement, lang)]
    for section in sections:
        story.append(pdf_paragraph(section.heading, styles["heading"]))
        if section.note:
            story.append(pdf_paragraph(section.note, styles["statement"]))
        if section.rows:
            cells = Table(section.heading, section.columns, section.rows, lang=lang).cells()
            story.append(pdf_grid(section.columns, cells, width, lang))
        else:
            story.append(pdf_paragraph(word("no_records", lang), styles["cell"]))
    return build_pdf(story, landscape(A4), title=title, lang=lang)
