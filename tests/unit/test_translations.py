"""The compiled Chinese catalogue matches its source, and every page string is translated."""
from __future__ import annotations

import io

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from engine.config import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "webui" / "translations" / "zh" / "LC_MESSAGES"


def test_the_compiled_catalogue_is_up_to_date_and_complete():
    with (CATALOGUE / "messages.po").open("rb") as source:
        catalog = read_po(source)
    assert [m.id for m in catalog if m.id and not m.string] == []
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert (CATALOGUE / "messages.mo").read_bytes() == compiled.getvalue(), "run scripts/i18n.sh"
