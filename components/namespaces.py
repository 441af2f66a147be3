"""The server and runner namespaces, each with its PodSecurity level.

Separate by default: the server's enforces ``baseline``, and only the runner's admits the privileged
Docker-in-Docker sidecar. The seed's single privileged namespace is the ``shared`` layout.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.cluster import metadata
from components.config import PodSecurity, Settings


class Namespaces(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("goldentooth:index:Namespaces", name, None, opts)

        def namespace(side: str, namespace: str, pod_security: PodSecurity, **options: Any) -> k8s.core.v1.Namespace:
            meta = metadata(namespace, None, "namespace", pod_security.labels())
            return k8s.core.v1.Namespace(
                f"{name}-{side}", metadata=meta, opts=pulumi.ResourceOptions(parent=self, **options)
            )

        # Deleting the server namespace would delete the data volume with it, so it is retained whenever the data
        # is protected.
        self.server_namespace = namespace(
            "server", settings.server_namespace, settings.server_pod_security, retain_on_delete=settings.protect_data
        )
        self.server: pulumi.Output[str] = self.server_namespace.metadata.name
        self.runner: pulumi.Output[str] = self.server
        if not settings.shared:
            # Created after the server's namespace, which is the first object a first `pulumi up` meets on a
            # cluster that already runs Forgejo: when that one is refused, nothing at all has been created.
            runner = namespace(
                "runner", settings.runner_namespace, settings.runner_pod_security, depends_on=[self.server_namespace]
            )
            self.runner = runner.metadata.name
        self.register_outputs({"server": self.server, "runner": self.runner})
