"""The goldentooth stack's config as the Pulumi CLI would hand it to the program.

The CLI merges the defaults declared in Pulumi.yaml with the stack file and
passes every value as a string (objects and lists as JSON). Tests start from
exactly that, so a default that drifts from the stack file shows up here.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "goldentooth-forgejo"
STACK = "goldentooth"


def _as_config_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    # YAML booleans become "true"/"false", numbers their digits, structures JSON:
    # what `pulumi config get --json` shows as a string value.
    return json.dumps(value)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def project_file() -> dict[str, Any]:
    return yaml.load((ROOT / "Pulumi.yaml").read_text(), Loader=_LOADER)  # noqa: S506 (a safe loader)


def stack_file() -> dict[str, Any]:
    return yaml.load((ROOT / f"Pulumi.{STACK}.yaml").read_text(), Loader=_LOADER)  # noqa: S506 (a safe loader)


def goldentooth_config() -> dict[str, str]:
    return dict(_goldentooth_config())


@cache
def _goldentooth_config() -> dict[str, str]:
    """Project keys (namespace stripped) to config strings: defaults overlaid with the stack file."""
    raw = {
        key: _as_config_string(declaration["default"])
        for key, declaration in project_file()["config"].items()
        if "default" in declaration
    }
    for full_key, value in stack_file()["config"].items():
        namespace, _, key = full_key.partition(":")
        assert namespace == PROJECT, f"stack file key {full_key} is outside the project namespace"
        if is_encrypted(value):
            continue  # `pulumi config set --secret` wrote it; only the CLI, with the passphrase, can read it
        raw[key] = _as_config_string(value)
    return raw


def is_encrypted(value: Any) -> bool:
    """A value as `pulumi config set --secret` writes it: ``{secure: v1:...}``."""
    return isinstance(value, dict) and set(value) == {"secure"}
