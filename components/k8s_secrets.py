"""Opaque Secrets, and the names both sides of the runner's shared secret agree on."""

from __future__ import annotations

import pulumi
from pulumi_kubernetes.core.v1 import Secret

from components.labels import common_labels, object_meta

# The runner side's Secret, named as in the seed (Secret forgejo-runner, key token).
RUNNER_SECRET_NAME = "forgejo-runner"
RUNNER_SECRET_KEY = "token"


def opaque_secret(
    resource_name: str,
    secret_name: str,
    namespace: str,
    string_data: dict[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
    *,
    adopted: bool = False,
) -> Secret:
    """A Secret for pods to read by secretKeyRef or volume; pulumi-kubernetes keeps its data secret in state."""
    return Secret(
        resource_name,
        metadata=object_meta(name=secret_name, namespace=namespace, labels=common_labels("secret"), adopted=adopted),
        type="Opaque",
        string_data=string_data,
        opts=opts,
    )
