"""Print the policy pack's config for a stack, derived from the stack's own config.

The privileged-container policy must know the runner namespace, which the
stack's config decides (namespaceLayout 'shared' puts the runner in the server
namespace, as an adopted install does). Deriving it here keeps CI from
refusing a valid stack. Usage, from the project root:

    python policy/stack_config.py goldentooth > policy-config.json
    pulumi preview --stack goldentooth --policy-pack policy --policy-pack-config policy-config.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
POLICY = "privileged-only-in-runner-namespace"


def stack_values(stack: str) -> dict[str, Any]:
    """The project's keys for ``stack``: Pulumi.yaml defaults overlaid with the stack file."""
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    values = {key: spec["default"] for key, spec in project["config"].items() if "default" in spec}
    stack_config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()).get("config") or {}
    prefix = f"{project['name']}:"
    values.update({key.removeprefix(prefix): value for key, value in stack_config.items() if key.startswith(prefix)})
    return values


def policy_config(stack: str) -> dict[str, Any]:
    values = stack_values(stack)
    shared = values["namespaceLayout"] == "shared"
    runner_namespace = values["serverNamespace"] if shared else values["runnerNamespace"]
    return {POLICY: {"runnerNamespace": runner_namespace}}


if __name__ == "__main__":
    print(json.dumps(policy_config(sys.argv[1] if len(sys.argv) > 1 else "goldentooth")))
