"""Start-up of the `carbonflow` command: wall time and import time of the commands scripts call most.

Run from the project root:

    .venv/bin/python benchmarks/cli_startup_bench.py [--runs 15] [--before PATH]

It makes a temporary SQLite database (`carbonflow init`, the demo users), then runs each command as a fresh
process `--runs` times and prints the median and best wall time, the import time of the command's own code
(`python -X importtime`, the entry point's cumulative figure) and the ratio to a process that only imports
SQLAlchemy and SpiffWorkflow. `--before PATH` measures another checkout of CarbonFlow the same way (with
its own database), e.g. `git worktree add /tmp/before <commit>`, to compare a change side by side.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The entry point of a checkout: `cli.main` now, `webui.cli` before the command line had a package of its own.
ENTRY = "import sys; sys.argv[0] = 'carbonflow'; from {module} import main; main()"
COMMANDS = [("users --json", ["users", "--json"]),
            ("tasks --as li.carbon --json", ["tasks", "--as", "li.carbon", "--json"]),
            ("--help", ["--help"])]
BASELINE = "import sqlalchemy, SpiffWorkflow.bpmn"
OURS = {"cli", "webui", "engine", "demo", "forms"}


def _entry(tree: Path) -> str:
    return ENTRY.format(module="cli.main" if (tree / "cli" / "main.py").exists() else "webui.cli")


def _env(tree: Path, database: Path) -> dict[str, str]:
    # The tree's own packages first, so that a --before checkout runs its own code.
    return {**os.environ, "PYTHONPATH": str(tree), "DATABASE_URL": f"sqlite:///{database}"}


def _run(code: str, args: list[str], env: dict[str, str], cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *extra, "-c", code, *args], env=env, cwd=cwd, capture_output=True,
                          text=True, check=True)


def _wall(code: str, args: list[str], env: dict[str, str], cwd: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        _run(code, args, env, cwd)
        times.append(time.perf_counter() - start)
    return times


def _import_ms(code: str, args: list[str], env: dict[str, str], cwd: Path) -> float:
    """What importing CarbonFlow's code costs the command, from -X importtime (median of 3): the cumulative
    time of every top-level import of our packages (the entry point, then the command's own module)."""
    figures = []
    for _ in range(3):
        lines = _run(code, args, env, cwd, "-X", "importtime").stderr.splitlines()
        cells = [line.split("|") for line in lines if line.startswith("import time:") and line.count("|") == 2]
        figures.append(sum(int(c[1]) for c in cells if c[2].startswith(" ") and not c[2].startswith("  ")
                           and c[2].strip().split(".")[0] in OURS) / 1000)
    return statistics.median(figures)


def measure(tree: Path, label: str, runs: int, baseline: float) -> list[tuple[str, ...]]:
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        env = _env(tree, Path(directory) / "cf.db")
        code = _entry(tree)
        for setup in (["init"], ["demo-users"]):
            _run(code, setup, env, tree)
        for name, args in COMMANDS:
            times = _wall(code, args, env, tree, runs)
            median = statistics.median(times)
            rows.append((label, f"carbonflow {name}", f"{median:.3f}", f"{min(times):.3f}",
                         f"{_import_ms(code, args, env, tree):.0f}", f"{median / baseline:.1f}x"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", type=Path, default=None, help="Another checkout to measure the same way.")
    options = parser.parse_args()
    baseline_times = _wall(BASELINE, [], dict(os.environ), ROOT, options.runs)
    baseline = statistics.median(baseline_times)
    rows = [("-", f"python -c '{BASELINE}'", f"{baseline:.3f}", f"{min(baseline_times):.3f}", "-", "1.0x")]
    if options.before:
        rows += measure(options.before.resolve(), "before", options.runs, baseline)
    rows += measure(ROOT, "now", options.runs, baseline)
    load = os.getloadavg()[0]
    print(f"carbonflow start-up (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load:.2f}, "
          f"{options.runs} runs each)")
    header = ("tree", "command", "median s", "best s", "import ms", "vs baseline")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    main()
