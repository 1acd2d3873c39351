"""The pages people work from, timed over HTTP on the demo plant: what a user waits for, everything included.

Run from the project root:

    .venv/bin/python benchmarks/pages_bench.py [--runs 30]

It builds the demo plant on a temporary SQLite file, serves the web app with waitress on a loopback port,
signs each user in once, and times GET of each page (median and p95 over --runs, ms), beside the
sign-in page (no database read) as the yardstick of what serving a page costs at all.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from engine.config import Settings  # noqa: E402
from engine.models import HumanTask  # noqa: E402
from engine.services import deployments  # noqa: E402
from scripts.screenshots import build_demo  # noqa: E402
from tests.browser.live import serving  # noqa: E402
from webui.app import create_app  # noqa: E402
from benchmarks.web_client import api_token, signed_in  # noqa: E402


def _post_json(token: str, body: dict[str, object]) -> urllib.request.OpenerDirector:
    """An opener that POSTs this JSON body with a bearer token (for the API's checks)."""
    class Posting(urllib.request.OpenerDirector):
        def open(self, url, data=None, timeout=60):  # type: ignore[no-untyped-def, override]
            request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            return urllib.request.urlopen(request, timeout=timeout)
    return Posting()


def _time(opener: urllib.request.OpenerDirector, url: str, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with opener.open(url) as response:
            response.read()
            assert response.status == 200, url
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as directory:
        db, passwords = build_demo(Path(directory))
        settings = Settings(database_url=str(db.engine.url), processes_dir=ROOT / "processes",
                            data_dir=Path(directory), secret_key="bench", secure_cookies=False)
        with db.reading() as session:
            open_tasks = list(session.scalars(select(HumanTask).where(HumanTask.status == "ready")
                                              .order_by(HumanTask.id)))
        task = open_tasks[0]
        # The management review's inputs: drafted from the year's records, with a link to each.
        review = next(t for t in open_tasks if t.name == "gather_inputs")
        source = (ROOT / "processes" / "corrective_action.bpmn").read_text(encoding="utf-8")
        with db.transaction() as session:  # a second version, so that the diff has something to show
            deployments.deploy_as_admin(session, source=source.replace('value="P7D"', 'value="P3D"', 1).encode(),
                                        file_name="corrective_action.bpmn", actor="admin", note="Sooner")
        with serving(create_app(settings, db=db)) as base:
            body = signed_in(base, "li.carbon", passwords["li.carbon"])
            gm = signed_in(base, "zhang.gm", passwords["zhang.gm"])
            verifier = signed_in(base, "he.verifier", passwords["he.verifier"])
            admin = signed_in(base, "admin", passwords["admin"])
            validate = _post_json(api_token(base, "admin", passwords["admin"]), {"bpmn": source})
            pages = [("sign-in page (yardstick)", urllib.request.build_opener(), "/sign-in"),
                     ("inbox, for my roles", body, "/inbox?tab=candidate"),
                     (f"task page ({task.name}, with its record)", verifier, f"/tasks/{task.id}"),
                     ("task page (gather_inputs, with its sources)", verifier, f"/tasks/{review.id}"),
                     (f"instance page #{task.instance_id} (its record)", verifier, f"/instances/{task.instance_id}"),
                     ("approvals", gm, "/approvals"),
                     ("dashboard (the plant)", gm, "/dashboard"),
                     ("records by clause", verifier, "/audit/records"),
                     ("processes (admin)", admin, "/processes"),
                     ("a process's versions", admin, "/processes/corrective_action"),
                     ("diff v1 → v2 (page)", admin, "/processes/corrective_action/diff"),
                     ("diff v1 → v2 (both diagrams' JSON)", admin, "/processes/corrective_action/diff.json?old=1&new=2"),
                     ("modeler page", admin, "/processes/corrective_action/v2/modeler"),
                     ("validate corrective_action (API POST)", validate, "/api/v1/processes/validate"),
                     ("instances (admin)", admin, "/instances"),
                     ("incidents", admin, "/incidents"),
                     ("diagram heat JSON", admin, "/processes/corrective_action/v1/heat.json")]
            rows = [(name, *_time(opener, base + path, runs)) for name, opener, path in pages]
    print(f"CarbonFlow pages over HTTP (demo plant, SQLite, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}, {runs} runs each)")
    width = max(len(r[0]) for r in rows)
    print(f"{'page':<{width}}  median ms  p95 ms  × sign-in")
    for name, median, p95 in rows:
        print(f"{name:<{width}}  {median:9.1f}  {p95:6.1f}  {median / rows[0][1]:8.1f}")


if __name__ == "__main__":
    main()
