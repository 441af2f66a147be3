"""The runner pods' NetworkPolicy: a mirror's workflows run upstream code in a privileged Docker daemon, so those
pods reach DNS, Forgejo, the gateway and the internet, and nothing else of the cluster (above all not its API).

Kubernetes allows what any rule allows, so the rules below only add. A NetworkPolicy sees a connection after the
Service address has been translated to a pod's (DNAT): Forgejo is matched on its pod's container port, which the
chart sets to ``service.http.port`` (``server.HTTP_PORT``), and a registry Service on its pods' namespace.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.cluster import PART_OF, metadata
from components.config import Settings
from components.naming import CHART_NAME

POLICY_NAME = "forgejo-runner-egress"
# Every runner Deployment's pods carry these (their metadata's component is "runner"); one policy fences them all,
# and in the shared layout not the Forgejo pod beside them.
RUNNER_PODS = {"app.kubernetes.io/component": "runner", "app.kubernetes.io/part-of": PART_OF}
# CoreDNS answers as k8s-app=kube-dns; a NodeLocal DNSCache on the pod network (goldentooth's, behind Cilium's
# LocalRedirectPolicy) as k8s-app=node-local-dns. A hostNetwork cache at 169.254.20.10 needs allowCidrs.
DNS_APPS = ["kube-dns", "node-local-dns"]
# The API server, the nodes, other pods and Services all live in these (and the cloud metadata address too).
PRIVATE_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"]
PRIVATE_V6 = ["fc00::/7", "fe80::/10"]

Peer = k8s.networking.v1.NetworkPolicyPeerArgs
Rule = k8s.networking.v1.NetworkPolicyEgressRuleArgs
Selector = k8s.meta.v1.LabelSelectorArgs


def _namespace(name: str) -> Selector:
    return Selector(match_labels={"kubernetes.io/metadata.name": name})


def _port(port: int, protocol: str = "TCP") -> k8s.networking.v1.NetworkPolicyPortArgs:
    return k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol=protocol)


def egress_rules(settings: Settings) -> list[Rule]:
    egress = settings.runner_egress
    dns_pods = Selector(match_expressions=[k8s.meta.v1.LabelSelectorRequirementArgs(
        key="k8s-app", operator="In", values=DNS_APPS)])  # fmt: skip
    forgejo_pods = Selector(
        match_labels={"app.kubernetes.io/name": CHART_NAME, "app.kubernetes.io/instance": settings.release_name}
    )
    internet = [Peer(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr, except_=private))
                for cidr, private in (("0.0.0.0/0", PRIVATE_V4), ("::/0", PRIVATE_V6))]  # fmt: skip
    # Jobs clone from ROOT_URL, through the gateway; pushes go to the registry named in allowNamespaces/allowCidrs.
    namespaces = [settings.gateway.namespace, *(n for n in egress.allow_namespaces if n != settings.gateway.namespace)]
    allowed = [Peer(namespace_selector=_namespace(name)) for name in namespaces]
    allowed += [Peer(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr)) for cidr in egress.allow_cidrs]
    return [
        Rule(to=[Peer(namespace_selector=_namespace("kube-system"), pod_selector=dns_pods)],
             ports=[_port(53, "UDP"), _port(53, "TCP")]),
        Rule(to=[Peer(namespace_selector=_namespace(settings.server_namespace), pod_selector=forgejo_pods)],
             ports=[_port(settings.service_port)]),
        Rule(to=internet),
        Rule(to=allowed),
    ]  # fmt: skip


class RunnerEgress(pulumi.ComponentResource):
    """A NetworkPolicy in the runner namespace. Ingress is denied too: the runner only dials out (it polls Forgejo
    for jobs, and the job containers reach its cache inside the pod), so an open port a job leaves behind, or
    DinD's, is no way in from other pods."""

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("goldentooth:index:RunnerEgress", name, None, opts)
        self.policy_name: pulumi.Output[str] | None = None
        if settings.runner_egress.enabled:
            policy = k8s.networking.v1.NetworkPolicy(
                f"{name}-policy",
                metadata=metadata(POLICY_NAME, settings.runner_namespace, "runner-egress"),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=Selector(match_labels=RUNNER_PODS),
                    policy_types=["Ingress", "Egress"],
                    egress=egress_rules(settings),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.policy_name = policy.metadata.name
        self.register_outputs({"policy_name": self.policy_name})
