"""The HTTPRoute (gateway.networking.k8s.io/v1) that publishes Forgejo through the cluster's shared gateway.

TLS ends at the gateway, so the backend is the chart's plain-HTTP Service. The gateway's certificate must cover the
host name: the stack exports ``tls_dns_names`` for the stack that owns that certificate.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.cluster import metadata
from components.config import Settings


class GatewayRoute(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        settings: Settings,
        *,
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("goldentooth:index:GatewayRoute", name, None, opts)
        gateway = settings.gateway
        # CustomResource passes spec through untouched: the keys must be the CRD's own camelCase names.
        k8s.apiextensions.CustomResource(
            f"{name}-route",
            api_version="gateway.networking.k8s.io/v1",
            kind="HTTPRoute",
            metadata=metadata(name, settings.server_namespace, "route"),
            spec={
                "parentRefs": [
                    {"name": gateway.name, "namespace": gateway.namespace, "sectionName": gateway.section_name}
                ],
                "hostnames": [settings.hostname],
                "rules": [{"backendRefs": [{"name": settings.http_service_name, "port": settings.service_port}]}],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )
        self.hostname: pulumi.Output[str] = pulumi.Output.from_input(settings.hostname)
        self.register_outputs({"hostname": self.hostname})
