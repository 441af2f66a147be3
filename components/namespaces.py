"""The server and runner namespaces, each with its PodSecurity level."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.cluster import common_labels, object_meta
from components.config import PodSecurity, Settings


class Namespaces(pulumi.ComponentResource):
    """Namespaces for the Forgejo server and the Actions runner.

    Separate by default: the server's namespace enforces ``baseline``, and only
    the runner's admits the privileged Docker-in-Docker sidecar. The seed's
    single privileged namespace is the ``shared`` layout.
    """

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("goldentooth:index:Namespaces", name, None, opts)
        # Deleting the server namespace would delete the data volume with it,
        # so it is retained whenever the data is protected.
        server = self._namespace(
            f"{name}-server",
            settings.server_namespace,
            settings.server_pod_security,
            pulumi.ResourceOptions(retain_on_delete=settings.protect_data),
        )
        self.server_namespace = server
        self.server: pulumi.Output[str] = server.metadata.name
        self.runner: pulumi.Output[str] = self.server
        if not settings.shared:
            # Created after the server's namespace, which is the first object a first `pulumi up` meets on a
            # cluster that already runs Forgejo: when that one is refused, nothing at all has been created.
            runner = self._namespace(
                f"{name}-runner",
                settings.runner_namespace,
                settings.runner_pod_security,
                pulumi.ResourceOptions(depends_on=[server]),
            )
            self.runner = runner.metadata.name
        self.register_outputs({"server": self.server, "runner": self.runner})

    def _namespace(
        self, resource_name: str, namespace: str, pod_security: PodSecurity, opts: pulumi.ResourceOptions
    ) -> k8s.core.v1.Namespace:
        return k8s.core.v1.Namespace(
            resource_name,
            metadata=object_meta(name=namespace, labels={**common_labels("namespace"), **pod_security.labels()}),
            opts=pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self), opts),
        )
