"""Reading the secrets of an install this stack takes over.

An adopted Forgejo already has an admin password and a runner secret in use.
They are read from the existing Secrets by reference (a Pulumi ``get``, which
reads the live object and manages nothing), so the takeover keeps them:
a generated admin password would lock the mirror provider out, and a new
runner secret would unregister the runner.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

import pulumi
from pulumi_kubernetes.core.v1 import Secret

from components.settings import Adoption


def import_id(adoption: Adoption | None, name: str, namespace: str | None = None) -> str | None:
    """The ``import_`` option's value for an adopted object; None for a fresh install or after the takeover."""
    return adoption.import_id(name, namespace) if adoption else None


def existing_secret_value(
    resource_name: str, namespace: str, secret_name: str, key: str, opts: pulumi.ResourceOptions
) -> pulumi.Output[str]:
    """One key of an existing Secret, decoded, as a secret Output; fails clearly if the key is missing."""
    existing = Secret.get(resource_name, f"{namespace}/{secret_name}", opts=opts)

    def decode(data: Mapping[str, str] | None) -> str:
        if not data or key not in data:
            raise ValueError(
                f"Secret {namespace}/{secret_name} has no key {key!r}; adoption reads the existing value from it "
                "(or supply it with `pulumi config set --secret ...`)"
            )
        return base64.b64decode(data[key]).decode()

    return pulumi.Output.secret(existing.data.apply(decode))
