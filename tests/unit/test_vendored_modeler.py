"""The modeler bundle is what scripts/build_modeler.sh builds from the sources beside it, and nothing else."""
from __future__ import annotations

import hashlib
import re

from engine.config import PROJECT_ROOT

VENDOR = PROJECT_ROOT / "webui" / "static" / "vendor" / "modeler"
SOURCES = PROJECT_ROOT / "webui" / "modeler"
LINE = re.compile(r"^([0-9a-f]{64})  (\S.*)$")


def _listed() -> dict[str, str]:
    lines = (VENDOR / "VERSION").read_text(encoding="utf-8").splitlines()
    return {match.group(2): match.group(1) for match in map(LINE.match, lines) if match}


def test_every_source_and_output_file_matches_its_sha256_in_version():
    listed = _listed()
    for path, digest in listed.items():
        assert hashlib.sha256((PROJECT_ROOT / path).read_bytes()).hexdigest() == digest, \
            f"{path} changed since the last build: run scripts/build_modeler.sh and commit its output"


def test_version_lists_every_source_so_a_new_one_cannot_skip_the_build():
    listed = set(_listed())
    sources = {str(p.relative_to(PROJECT_ROOT)) for p in (SOURCES / "src").rglob("*") if p.is_file()}
    sources |= {"webui/modeler/package.json", "webui/modeler/package-lock.json", "scripts/build_modeler.sh"}
    assert sources <= listed
    assert {"webui/static/vendor/modeler/modeler.js", "webui/static/vendor/modeler/LICENSE"} <= listed


def test_the_bpmn_io_watermark_stays_visible_in_the_modeler():
    assert "watermark must stay fully visible" in (VENDOR / "LICENSE").read_text(encoding="utf-8")
    for css in ("carbonflow-modeler.css",):
        assert "bjs-powered-by" not in (VENDOR / css).read_text(encoding="utf-8")
