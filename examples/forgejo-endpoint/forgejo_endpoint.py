"""goldentooth-forgejo's in-cluster URL in a ConfigMap, for a pod in another namespace.

``internal_url`` is plain http to the chart's Service (TLS ends at the gateway),
so an in-cluster client such as a runner or a bot talks to Forgejo without
leaving the cluster. The ConfigMap key is an environment variable name, so the
consumer can load it with ``envFrom``.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

URL_KEY = "FORGEJO_URL"


def main() -> None:
    config = pulumi.Config()
    forgejo = pulumi.StackReference(config.require("forgejoStack"))
    internal_url = forgejo.require_output("internal_url")

    k8s.core.v1.ConfigMap(
        "forgejo-endpoint",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=config.require("configMapName"), namespace=config.require("namespace")
        ),
        data={URL_KEY: internal_url},
    )
    pulumi.export("forgejo_internal_url", internal_url)
