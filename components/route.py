"""The HTTPRoute that publishes Forgejo through the cluster's shared gateway."""

from __future__ import annotations

import pulumi
from pulumi_kubernetes.apiextensions import CustomResource

from components.adoption import import_id
from components.labels import common_labels, object_meta
from components.settings import Adoption, GatewayParent


class GatewayRoute(pulumi.ComponentResource):
    """An HTTPRoute (gateway.networking.k8s.io/v1) from a host name to a Service.

    TLS ends at the gateway, so the backend is the chart's plain-HTTP service.
    The gateway's certificate must cover the host name: the stack exports
    ``tls_dns_names`` for the stack that owns that certificate.
    """

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        hostname: str,
        gateway: GatewayParent,
        service_name: str,
        service_port: int,
        depends_on: list[pulumi.Resource],
        adoption: Adoption | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("goldentooth:index:GatewayRoute", name, None, opts)
        # CustomResource passes spec through untouched: the keys must be the
        # CRD's own camelCase names, not snake_case.
        CustomResource(
            f"{name}-route",
            api_version="gateway.networking.k8s.io/v1",
            kind="HTTPRoute",
            metadata=object_meta(
                name=name, namespace=namespace, labels=common_labels("route"), adopted=adoption is not None
            ),
            spec={
                "parentRefs": [
                    {"name": gateway.name, "namespace": gateway.namespace, "sectionName": gateway.section_name}
                ],
                "hostnames": [hostname],
                "rules": [{"backendRefs": [{"name": service_name, "port": service_port}]}],
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=depends_on, import_=import_id(adoption, name, namespace)
            ),
        )
        self.hostname: pulumi.Output[str] = pulumi.Output.from_input(hostname)
        self.register_outputs({"hostname": self.hostname})
