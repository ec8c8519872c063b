"""Run every benchmark in this package: each module with a ``run(results)`` function, in name order.

Each benchmark adds its figures to ``results`` under its own key; the whole mapping is written to
``bench/results.json``. ``python -m bench links`` runs only the named ones.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

import bench

RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str]) -> int:
    wanted = set(argv)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))
    failed = False
    for name in names:
        if wanted and name not in wanted:
            continue
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "run"):
            continue
        print(f"== bench.{name}", flush=True)
        ok = module.run(results)
        failed = failed or ok is False
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"results written to {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
