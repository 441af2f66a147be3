"""The gateway's Certificate, covering its own names plus goldentooth-forgejo's ``tls_dns_names``.

The Certificate is owned here, whole: cert-manager's ``spec.dnsNames`` is an
atomic list under server-side apply, so a second stack patching it would fight
this one. Instead the forgejo stack publishes the names it needs and this
stack reads them, so a new Forgejo host name reaches the certificate on this
stack's next ``pulumi up``. ``require_output`` makes a missing output an error
rather than a certificate that silently drops the name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

ISSUER_REF = {"name": "step-ca", "kind": "StepClusterIssuer", "group": "certmanager.step.sm"}
DURATION = "24h"
RENEW_BEFORE = "8h"


def merge_dns_names(own: Iterable[str], published: Iterable[str]) -> list[str]:
    """Own names first, then the published ones; each name once, in first-seen order."""
    return list(dict.fromkeys([*own, *published]))


def _names(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(name, str) and name for name in value):
        raise ValueError(f"{what} must be a list of host names, got {value!r}")
    return value


def main() -> None:
    config = pulumi.Config()
    own = _names(config.require_object("dnsNames"), "dnsNames")
    forgejo = pulumi.StackReference(config.require("forgejoStack"))
    published = forgejo.require_output("tls_dns_names")
    dns_names = published.apply(lambda names: merge_dns_names(own, _names(names, "tls_dns_names")))

    k8s.apiextensions.CustomResource(
        "gateway-certificate",
        api_version="cert-manager.io/v1",
        kind="Certificate",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=config.require("certificateName"), namespace=config.require("namespace")
        ),
        # CustomResource passes spec through untouched: cert-manager's own camelCase names.
        spec={
            "secretName": config.require("secretName"),
            "issuerRef": ISSUER_REF,
            "subject": {"organizations": ["Goldentooth"]},
            "duration": DURATION,
            "renewBefore": RENEW_BEFORE,
            "dnsNames": dns_names,
        },
    )
    pulumi.export("dns_names", dns_names)
