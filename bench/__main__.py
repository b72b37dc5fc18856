"""`make bench`: runs every bench module's run() in turn, each in its own process, and prints their figures.

Each module sets up its own emulator and environment; a fresh process keeps one module's cached clients,
settings and models from leaking into the next. stdout carries the figures only: the functions' JSON logs
and EMF metric lines go to .local/logs/bench.<module>.jsonl, named in one line after the figures.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
LOG_DIR = HERE.parent / ".local" / "logs"
# Modules the default run leaves out, each with why: `make bench BENCH=<name>` runs one by name.
BY_NAME_ONLY = {"roaming": "starts the federated pair and sends 39 alerts one at a time: about 2 min"}


def run_module(module_name: str, log_path: Path) -> None:
    """Runs one module's run(): its figures on stdout, what the functions log in `log_path`."""
    from infra.tools.log_file import logs_to

    print(f"\n=== {module_name} ===", flush=True)
    with logs_to(log_path) as routed:
        module = importlib.import_module(module_name)
        started = time.perf_counter()
        module.run()
        took = time.perf_counter() - started
    print(f"({module_name} took {took:.1f} s; {routed.lines} log lines in {log_path})", flush=True)


def run_one(name: str) -> None:
    for path in (HERE.parent / "functions", HERE.parent):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    run_module(f"bench.{name}", LOG_DIR / f"bench.{name}.jsonl")


def main(selected: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_"))
    unknown = set(selected) - set(names)
    if unknown:
        print(f"unknown bench modules: {', '.join(sorted(unknown))}; known: {', '.join(names)}")
        return 2
    chosen = [n for n in names if n in selected or (not selected and n not in BY_NAME_ONLY)]
    for name in sorted(set(BY_NAME_ONLY) - set(chosen)) if not selected else ():
        print(f"left out: {name} ({BY_NAME_ONLY[name]}); make bench BENCH={name} runs it", flush=True)
    if len(chosen) == 1:
        run_one(chosen[0])
        return 0
    failed = [n for n in chosen if subprocess.run([sys.executable, "-m", "bench", n], check=False).returncode]
    if failed:
        print(f"\nbench modules that stopped with an error: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
