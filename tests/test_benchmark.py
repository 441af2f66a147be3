"""The benchmark script still runs, and times nothing of the program outside its timed window.

Not a timed test: it takes one sample and checks its shape, not its numbers.
"""

import importlib.util
import subprocess
from types import ModuleType

import pytest

from tests.stack import ROOT


def _benchmark_module() -> ModuleType:  # benchmarks/ is a folder of scripts, not a package
    spec = importlib.util.spec_from_file_location("mock_run_overhead", ROOT / "benchmarks" / "mock_run_overhead.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_sample_reports_import_harness_and_run_seconds() -> None:
    try:
        timings = _benchmark_module().sample()
    except subprocess.CalledProcessError as error:  # e.g. the harness imported a project module early
        pytest.fail(f"benchmark sample failed:\n{error.stderr}")
    assert sorted(timings) == ["harness", "import", "run"]
    assert all(seconds > 0 for seconds in timings.values())
