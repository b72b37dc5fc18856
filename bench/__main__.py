"""`make bench`: runs every bench module's run() in turn and prints their figures."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(selected: list[str]) -> None:
    here = Path(__file__).parent
    for path in (here.parent / "functions", here.parent):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    for name in names:
        if selected and name not in selected:
            continue
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "run"):
            continue
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.perf_counter()
        module.run()
        print(f"(bench.{name} took {time.perf_counter() - started:.1f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
