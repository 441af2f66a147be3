"""Reference data the tests check against, kept in the repository so a plain clone is enough.

Every file starts with a line naming its source and version. YAML reads that
line as a comment; JSON has no comments, so :func:`load_json` skips it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

REFERENCE = Path(__file__).resolve().parent
CRD_DIR = REFERENCE / "crds"


def load_json(name: str) -> Any:
    source_line, _, body = (REFERENCE / name).read_text().partition("\n")
    assert source_line.startswith("# Source:"), f"{name} must start with a '# Source:' line"
    return json.loads(body)


def load_yaml(name: str) -> Any:
    return yaml.safe_load((REFERENCE / name).read_text())
