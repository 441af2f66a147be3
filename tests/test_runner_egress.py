"""The runner pods' NetworkPolicy under mocks: exactly what it allows, in both layouts, and that it can be off."""

from __future__ import annotations

from typing import Any

import pytest

from tests import manifests
from tests.program import ProgramRun, run_program

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SHARED = {"namespaceLayout": "shared", "serverPodSecurity": '{"enforce": "privileged"}'}
RUNNER_PODS = {
    "matchLabels": {"app.kubernetes.io/component": "runner", "app.kubernetes.io/part-of": "goldentooth-forgejo"}
}
DNS = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {
                "matchExpressions": [{"key": "k8s-app", "operator": "In", "values": ["kube-dns", "node-local-dns"]}]
            },
        }
    ],
    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
}
INTERNET = {
    "to": [
        {
            "ipBlock": {
                "cidr": "0.0.0.0/0",
                "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"],
            }
        },
        {"ipBlock": {"cidr": "::/0", "except": ["fc00::/7", "fe80::/10"]}},
    ]
}


def forgejo(namespace: str, release: str = "forgejo", port: int = 3000) -> dict[str, Any]:
    return {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                "podSelector": {
                    "matchLabels": {"app.kubernetes.io/name": "forgejo", "app.kubernetes.io/instance": release}
                },
            }
        ],
        "ports": [{"port": port, "protocol": "TCP"}],
    }


def allowed(namespaces: list[str], cidrs: list[str]) -> dict[str, Any]:
    return {
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}} for name in namespaces]
        + [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]
    }


def policy(run: ProgramRun) -> dict[str, Any]:
    return manifests.as_manifest(run.one(NETWORK_POLICY).inputs)


def test_goldentooth_runner_pods_reach_dns_forgejo_the_gateway_the_registry_and_the_internet_only() -> None:
    run = run_program()
    registered = run.one(NETWORK_POLICY)

    assert policy(run) == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "forgejo-runner-egress",
            "namespace": "forgejo-runner",
            "labels": {
                "app.kubernetes.io/part-of": "goldentooth-forgejo",
                "app.kubernetes.io/managed-by": "pulumi",
                "app.kubernetes.io/component": "runner-egress",
            },
        },
        "spec": {
            "podSelector": RUNNER_PODS,
            # No ingress rules: nothing may connect to a runner pod.
            "policyTypes": ["Ingress", "Egress"],
            "egress": [
                DNS,
                forgejo("forgejo"),
                INTERNET,
                allowed(["gateway", "docker-registry"], ["10.4.11.0/24", "10.4.12.0/22"]),
            ],
        },
    }
    assert registered.parent_type_and_name == ("goldentooth:index:RunnerEgress", "forgejo-runner-egress")
    assert any(
        dependency.endswith("::forgejo-runner") for dependency in run.one("goldentooth:index:RunnerEgress").dependencies
    )


def test_every_runner_groups_deployment_carries_the_labels_the_policy_selects() -> None:
    deployments = run_program().of_type("kubernetes:apps/v1:Deployment")

    assert sorted(d.name for d in deployments) == [
        "forgejo-runner-amd64-runner-deployment",
        "forgejo-runner-deployment",
    ]
    for deployment in deployments:
        assert RUNNER_PODS["matchLabels"].items() <= deployment.inputs["spec"]["template"]["metadata"]["labels"].items()


def test_shared_layout_fences_the_runner_pods_in_the_server_namespace_not_forgejo() -> None:
    spec = policy(run_program(SHARED))

    assert spec["metadata"]["namespace"] == "forgejo"
    assert spec["spec"]["podSelector"] == RUNNER_PODS
    assert spec["spec"]["egress"][1] == forgejo("forgejo")


def test_forgejo_is_reached_on_the_pod_port_of_the_adopted_release() -> None:
    run = run_program(
        {**SHARED, "adoption": '{"enabled": false, "releaseName": "forgejo-forgejo"}', "servicePort": "8080"}
    )

    assert policy(run)["spec"]["egress"][1] == forgejo("forgejo", release="forgejo-forgejo", port=8080)


def test_the_gateway_namespace_is_allowed_once_and_nothing_else_by_default() -> None:
    run = run_program({"runnerEgress": '{"allowNamespaces": ["gateway"]}'})

    assert policy(run)["spec"]["egress"][3] == allowed(["gateway"], [])


@pytest.mark.parametrize("value", ['{"enabled": false}', '{"enabled": false, "allowCidrs": ["10.4.11.0/24"]}'])
def test_runner_egress_off_makes_no_network_policy(value: str) -> None:
    run = run_program({"runnerEgress": value})

    assert run.of_type(NETWORK_POLICY) == []
    assert len(run.of_type("goldentooth:index:RunnerEgress")) == 1
