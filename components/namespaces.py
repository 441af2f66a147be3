"""The server and runner namespaces, each with its PodSecurity level."""

from __future__ import annotations

import pulumi
from pulumi_kubernetes.core.v1 import Namespace

from components.adoption import import_id
from components.labels import common_labels, object_meta
from components.settings import Adoption, NamespaceSettings, PodSecurity


class Namespaces(pulumi.ComponentResource):
    """Namespaces for the Forgejo server and the Actions runner.

    Separate by default: the server's namespace enforces ``baseline``, and only
    the runner's admits the privileged Docker-in-Docker sidecar. The seed's
    single privileged namespace is the ``shared`` layout.
    """

    def __init__(
        self,
        name: str,
        settings: NamespaceSettings,
        retain_on_delete: bool,
        adoption: Adoption | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("goldentooth:index:Namespaces", name, None, opts)
        # Deleting the server namespace would delete the data volume with it,
        # so it is retained whenever the data is protected.
        server = self._namespace(
            f"{name}-server",
            settings.server,
            settings.server_pod_security,
            retain_on_delete,
            import_id(adoption, settings.server),
            adopted=adoption is not None,
        )
        self.server: pulumi.Output[str] = server.metadata.name
        if settings.shared:
            self.runner: pulumi.Output[str] = self.server
        else:
            # Created after the server's namespace, which is the first object a first `pulumi up` meets on a
            # cluster that already runs Forgejo: when that one is refused, nothing at all has been created.
            runner = self._namespace(
                f"{name}-runner",
                settings.runner,
                settings.runner_pod_security,
                False,
                None,
                adopted=False,
                after=server,
            )
            self.runner = runner.metadata.name
        self.register_outputs({"server": self.server, "runner": self.runner})

    def _namespace(
        self,
        resource_name: str,
        namespace: str,
        pod_security: PodSecurity,
        retain_on_delete: bool,
        import_from: str | None,
        *,
        adopted: bool,
        after: Namespace | None = None,
    ) -> Namespace:
        return Namespace(
            resource_name,
            metadata=object_meta(
                name=namespace,
                labels={**common_labels("namespace"), **pod_security.labels()},
                adopted=adopted,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                retain_on_delete=retain_on_delete,
                import_=import_from,
                depends_on=[after] if after else None,
            ),
        )
