"""axe-core (vendored for the tests only) run in a page: the serious and critical accessibility violations it finds."""
from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, the level a public body's procurement asks for.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def serious_violations(page: Any) -> list[str]:
    """Each serious or critical violation on the page as "rule: element, element" (empty when there is none)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
                          ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
                          " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))", TAGS)
    return [f"{v['id']} ({v['impact']}): {', '.join(v['nodes'])}" for v in found if v["impact"] in ("serious", "critical")]
