import sys
from pathlib import Path

import pytest

# Tests import the program's modules (components.*) and helpers (tests.*) from the project root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.program import ProgramRun, run_program


@pytest.fixture(scope="session")
def goldentooth() -> ProgramRun:
    """The program under mocks with the committed goldentooth stack config."""
    return run_program()
