"""How much the program itself costs on top of importing Pulumi.

Prints (time to import the Pulumi modules the program uses + time to run the
goldentooth program under mocks) / (time to import those modules), measured
in one fresh process. Target: <= 1.15, i.e. the program adds at most 15% to
the unavoidable import cost that every `pulumi preview` pays.

Run from the project root: .venv/bin/python benchmarks/mock_run_overhead.py
This is a benchmark, not a test: timings depend on the machine.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.15

# The Pulumi modules the program and its mocked run import.
PULUMI_MODULES = (
    "pulumi",
    "pulumi.dynamic",
    "pulumi.runtime.mocks",
    "pulumi_kubernetes.core.v1",
    "pulumi_kubernetes.meta.v1",
    "pulumi_kubernetes.apps.v1",
    "pulumi_kubernetes.helm.v3",
    "pulumi_kubernetes.apiextensions",
    "pulumi_random",
)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    # The goldentooth stack's SQLite warning is expected; keep the output to the number.
    logging.disable(logging.WARNING)

    start = time.perf_counter()
    for module in PULUMI_MODULES:
        importlib.import_module(module)
    imported = time.perf_counter()

    from tests.program import run_program

    run_program()
    finished = time.perf_counter()

    import_seconds = imported - start
    run_seconds = finished - imported
    ratio = (import_seconds + run_seconds) / import_seconds
    print(f"import {import_seconds:.3f}s, program under mocks {run_seconds:.3f}s")
    print(f"ratio {ratio:.3f} (target <= {TARGET})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
