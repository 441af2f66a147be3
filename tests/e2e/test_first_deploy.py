"""Scenarios 1-5 on one stack: the README's first deploy, idempotence, a change in place, mirrors, policies.

The tests run in file order on the stack the module fixture deploys; the ones
that change it come after the ones that only look.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.cluster import ApiError, Cluster
from tests.e2e.conftest import ClusterForgejo, new_project
from tests.e2e.pulumi_cli import ROOT, STACK, PulumiProject
from tests.e2e.readme import command_starting, deploy_steps

NVME_NODES = {"bramble-1", "bramble-2", "bramble-3"}
AMD64_NODES = {"velaryon"}
STACK_FILE = f"Pulumi.{STACK}.yaml"
UPSTREAM_TOKEN = "ghp_e2eUpstreamToken0123456789abcdefABCD"
DATA_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:core/v1:PersistentVolumeClaim", "Mirror", "Namespace")


def stand_in_settings(project: PulumiProject, forgejo: ClusterForgejo) -> None:
    """What differs from goldentooth: the chart, and where the Forgejo API is (its CA comes from the cluster,
    as on goldentooth, through the stack file's forgejoCaFrom)."""
    project.config_set("chartSource", "tests/e2e/chart/forgejo")
    project.config_set("forgejoApiUrl", forgejo.url)
    project.config_set("mirrorUpstreamTokens", json.dumps({"forgejo_admin/mcp": UPSTREAM_TOKEN}), secret=True)


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory,
    tools_bin: Path,
    pulumi_home: Path,
    cluster: Cluster,
    forgejo: ClusterForgejo,
) -> PulumiProject:
    """The README's deploy command, step by step, on a new stack; `pulumi up` is answered as a person would."""
    workdir = tmp_path_factory.mktemp("first-deploy")
    project = new_project(workdir, tools_bin, pulumi_home, cluster)
    *setup, up = deploy_steps(f"file://{workdir / 'state'}")
    (workdir / "state").mkdir()
    for step in setup:
        project.sh(step)
    shutil.copy2(project.directory / STACK_FILE, workdir / "stack-file-as-the-readme-left-it.yaml")
    stand_in_settings(project, forgejo)
    assert up == f"pulumi up --stack {STACK}"
    project.interactive(up)
    return project


def secret_value(cluster: Cluster, namespace: str, name: str, key: str) -> str:
    data = cluster.get(f"/api/v1/namespaces/{namespace}/secrets/{name}")["data"]
    return base64.b64decode(data[key]).decode()


def pods(cluster: Cluster, namespace: str, selector: str) -> list[dict[str, Any]]:
    return list(cluster.get(f"/api/v1/namespaces/{namespace}/pods?labelSelector={selector}")["items"])


def _exists(cluster: Cluster, path: str) -> bool | None:
    try:
        cluster.get(path)
    except ApiError:
        return None
    return True


def ready(pod: dict[str, Any]) -> bool:
    conditions = pod.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


# -- 1. first deploy -------------------------------------------------------------------------------


def test_namespaces_carry_their_pod_security_levels(deployed: PulumiProject, cluster: Cluster) -> None:
    server = cluster.get("/api/v1/namespaces/forgejo")["metadata"]["labels"]
    runner = cluster.get("/api/v1/namespaces/forgejo-runner")["metadata"]["labels"]

    assert {k: v for k, v in server.items() if k.startswith("pod-security")} == {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }
    assert {k: v for k, v in runner.items() if k.startswith("pod-security")} == {
        "pod-security.kubernetes.io/enforce": "privileged"
    }


def test_admin_secret_holds_the_admin_and_a_generated_password(deployed: PulumiProject, cluster: Cluster) -> None:
    assert secret_value(cluster, "forgejo", "forgejo-admin", "username") == "forgejo_admin"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", secret_value(cluster, "forgejo", "forgejo-admin", "password"))


def test_the_route_points_at_the_service_the_chart_made(deployed: PulumiProject, cluster: Cluster) -> None:
    outputs = json.loads(deployed.pulumi("stack", "output", "--json", "--stack", STACK).output)
    route = cluster.get("/apis/gateway.networking.k8s.io/v1/namespaces/forgejo/httproutes/forgejo")
    backend = route["spec"]["rules"][0]["backendRefs"][0]

    service = cluster.get(f"/api/v1/namespaces/forgejo/services/{backend['name']}")

    assert outputs["http_service_name"] == backend["name"] == "forgejo-http"
    assert [port["port"] for port in service["spec"]["ports"]] == [backend["port"]] == [3000]
    assert route["spec"]["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": "goldentooth",
            "namespace": "gateway",
            "sectionName": "https",
        }
    ]


def test_flux_admitted_the_image_repository_and_policy_with_their_crd_defaults(
    deployed: PulumiProject, cluster: Cluster
) -> None:
    """The real API server ran the CRDs' schemas and CEL rules (ImagePolicy's interval rules) and filled in
    their defaults; the policy's marker name is the stack's output."""
    outputs = json.loads(deployed.pulumi("stack", "output", "--json", "--stack", STACK).output)
    flux = "/apis/image.toolkit.fluxcd.io/v1/namespaces/flux-system"

    repository = cluster.get(f"{flux}/imagerepositories/goldentooth-mcp")
    policy = cluster.get(f"{flux}/imagepolicies/goldentooth-mcp")

    assert repository["spec"] == {
        "image": "registry.goldentooth.net/goldentooth-mcp",
        "interval": "5m",
        "certSecretRef": {"name": "registry-ca"},
        "exclusionList": ["^.*\\.sig$"],
        "provider": "generic",
    }
    assert policy["spec"] == {
        "imageRepositoryRef": {"name": "goldentooth-mcp"},
        "filterTags": {"pattern": "^(?P<ts>[0-9]{8}T[0-9]{6}Z)-[0-9a-f]{7,40}$", "extract": "$ts"},
        "policy": {"alphabetical": {"order": "asc"}},
        "digestReflectionPolicy": "Never",
    }
    assert outputs["image_policy"] == "flux-system:goldentooth-mcp"


@pytest.mark.parametrize(
    ("deployment", "group", "nodes", "label"),
    [
        ("forgejo-runner", "bramble-runner", NVME_NODES, "ubuntu-latest:docker://node:20-bookworm"),
        ("forgejo-runner-amd64-runner", "amd64-runner", AMD64_NODES, "ubuntu-latest-amd64:docker://node:20-bookworm"),
    ],
    ids=["arm64-nvme", "amd64"],
)
def test_each_runner_group_is_available_on_its_own_nodes(
    deployed: PulumiProject, cluster: Cluster, deployment: str, group: str, nodes: set[str], label: str
) -> None:
    live = cluster.get(f"/apis/apps/v1/namespaces/forgejo-runner/deployments/{deployment}")
    runners = pods(
        cluster, "forgejo-runner", f"app.kubernetes.io/name=forgejo-runner,app.kubernetes.io/instance={group}"
    )

    assert {c["type"]: c["status"] for c in live["status"]["conditions"]}["Available"] == "True"
    assert live["status"]["availableReplicas"] == 1
    assert len(runners) == 1
    assert {pod["spec"]["nodeName"] for pod in runners} <= nodes
    assert all(ready(pod) for pod in runners)
    dind = next(c for c in runners[0]["spec"]["initContainers"] if c["name"] == "dind")
    assert dind["securityContext"]["privileged"] is True
    config = cluster.get(f"/api/v1/namespaces/forgejo-runner/configmaps/{deployment}-config")
    assert yaml.safe_load(config["data"]["config.yaml"])["runner"]["labels"] == [label]
    secret = cluster.get(f"/api/v1/namespaces/forgejo-runner/secrets/{deployment}")
    assert re.fullmatch(r"[0-9a-f]{40}", base64.b64decode(secret["data"]["token"]).decode())


def test_the_server_side_holds_each_groups_secret_and_registers_each_group(
    deployed: PulumiProject, cluster: Cluster
) -> None:
    registration = "forgejo-runner-registration"
    first = secret_value(cluster, "forgejo-runner", "forgejo-runner", "token")
    amd64 = secret_value(cluster, "forgejo-runner", "forgejo-runner-amd64-runner", "token")
    (server,) = pods(cluster, "forgejo", "app.kubernetes.io/name=forgejo")
    sidecar = next(c for c in server["spec"]["containers"] if c["name"] == "runner-registration")

    assert secret_value(cluster, "forgejo", registration, "token") == first
    assert secret_value(cluster, "forgejo", registration, "token-amd64-runner") == amd64 != first
    assert sidecar["command"][4:] == [
        *("bramble-runner", "forgejo_admin", "/run/forgejo-runner-secret/bramble-runner"),
        *("amd64-runner", "forgejo_admin", "/run/forgejo-runner-secret/amd64-runner"),
    ]


def test_forgejo_pod_with_its_registration_sidecar_is_admitted_under_baseline(
    deployed: PulumiProject, cluster: Cluster
) -> None:
    (server,) = pods(cluster, "forgejo", "app.kubernetes.io/name=forgejo")

    assert [container["name"] for container in server["spec"]["containers"]] == ["forgejo", "runner-registration"]
    assert server["spec"]["nodeName"] in NVME_NODES
    assert ready(server)


def test_the_forgejo_pod_and_its_sidecar_pass_restricted_without_a_warning(
    deployed: PulumiProject, cluster: Cluster
) -> None:
    """The server namespace warns and audits `restricted`; a namespace that enforces it admits the same pod."""
    (server,) = pods(cluster, "forgejo", "app.kubernetes.io/name=forgejo")
    cluster.post(
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "restricted-check",
         "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
    )  # fmt: skip
    cluster.wait_for(
        "the new namespace's default ServiceAccount",
        lambda: _exists(cluster, "/api/v1/namespaces/restricted-check/serviceaccounts/default"),
    )
    spec = {key: value for key, value in server["spec"].items() if key != "nodeName"}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "forgejo-copy"}, "spec": spec}

    admitted = cluster.post("/api/v1/namespaces/restricted-check/pods", pod)

    assert admitted["metadata"]["name"] == "forgejo-copy"
    sidecar = next(c for c in server["spec"]["containers"] if c["name"] == "runner-registration")
    assert {"name": "temp", "mountPath": "/tmp"} in sidecar["volumeMounts"]
    assert server["spec"]["securityContext"]["fsGroupChangePolicy"] == "OnRootMismatch"


def test_a_privileged_pod_is_refused_in_the_server_namespace(deployed: PulumiProject, cluster: Cluster) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "privileged-probe"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.37", "securityContext": {"privileged": True}}]},
    }

    with pytest.raises(ApiError) as refused:
        cluster.post("/api/v1/namespaces/forgejo/pods", pod)

    assert refused.value.status == 403
    assert 'violates PodSecurity "baseline:latest": privileged' in refused.value.message


def test_the_runner_egress_policy_is_admitted_as_written(deployed: PulumiProject, cluster: Cluster) -> None:
    """The simulated cluster has no CNI, so this shows the API server took the policy, not that it blocks."""
    live = cluster.get("/apis/networking.k8s.io/v1/namespaces/forgejo-runner/networkpolicies/forgejo-runner-egress")
    runners = pods(
        cluster, "forgejo-runner", "app.kubernetes.io/component=runner,app.kubernetes.io/part-of=goldentooth-forgejo"
    )

    def namespace(name: str) -> dict[str, Any]:
        return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}

    assert live["spec"] == {
        "podSelector": {
            "matchLabels": {"app.kubernetes.io/component": "runner", "app.kubernetes.io/part-of": "goldentooth-forgejo"}
        },
        "policyTypes": ["Ingress", "Egress"],
        "egress": [
            {
                "to": [{**namespace("kube-system"), "podSelector": {"matchExpressions": [
                    {"key": "k8s-app", "operator": "In", "values": ["kube-dns", "node-local-dns"]}]}}],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            },
            {
                "to": [{**namespace("forgejo"), "podSelector": {"matchLabels": {
                    "app.kubernetes.io/name": "forgejo", "app.kubernetes.io/instance": "forgejo"}}}],
                "ports": [{"protocol": "TCP", "port": 3000}],
            },
            {
                "to": [
                    {"ipBlock": {"cidr": "0.0.0.0/0", "except": [
                        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"]}},
                    {"ipBlock": {"cidr": "::/0", "except": ["fc00::/7", "fe80::/10"]}},
                ]
            },
            {
                "to": [namespace("gateway"), namespace("docker-registry"),
                       {"ipBlock": {"cidr": "10.4.11.0/24"}}, {"ipBlock": {"cidr": "10.4.12.0/22"}}]
            },
        ],
    }  # fmt: skip
    # The policy's selector finds every runner group's pod, and only those.
    assert sorted(pod["metadata"]["labels"]["app.kubernetes.io/instance"] for pod in runners) == [
        "amd64-runner", "bramble-runner"]  # fmt: skip
    # The Forgejo pod's port the policy opens is the one the chart gave its container.
    (server,) = pods(cluster, "forgejo", "app.kubernetes.io/name=forgejo,app.kubernetes.io/instance=forgejo")
    forgejo = next(c for c in server["spec"]["containers"] if c["name"] == "forgejo")
    assert {"name": "http", "containerPort": 3000, "protocol": "TCP"} in forgejo["ports"]


def test_ci_still_passes_on_the_stack_file_the_readme_commands_changed(deployed: PulumiProject, tmp_path: Path) -> None:
    """Stack creation writes `encryptionsalt:`, `config set --secret` a `secure:` value; CI must take both."""
    clone = tmp_path / "clone"
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", ".*_cache"))
    written = clone / STACK_FILE
    shutil.copy2(deployed.directory.parent / "stack-file-as-the-readme-left-it.yaml", written)
    deployed.pulumi("config", "set", "--secret", "--stack", STACK, "--config-file", str(written),
                    "runnerSecret", "0123456789abcdef0123456789abcdef01234567")  # fmt: skip

    unit_tier = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "not e2e", "-q", "-p", "no:cacheprovider"],
        cwd=clone, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip

    assert "encryptionsalt: v1:" in written.read_text()
    assert "secure: v1:" in written.read_text()
    assert unit_tier.returncode == 0, unit_tier.stdout[-3000:]


# -- 2. idempotence --------------------------------------------------------------------------------


def test_preview_right_after_up_expects_no_changes(deployed: PulumiProject) -> None:
    deployed.pulumi("preview", "--stack", STACK, "--expect-no-changes")


def test_refresh_right_after_up_expects_no_changes(deployed: PulumiProject) -> None:
    deployed.pulumi("refresh", "--stack", STACK, "--yes", "--expect-no-changes")


# -- 4. mirrors through the engine -----------------------------------------------------------------


def test_mirror_exists_with_actions_on(deployed: PulumiProject, forgejo: ClusterForgejo) -> None:
    repo = forgejo.repo("forgejo_admin/mcp")

    assert repo is not None
    assert repo["mirror"] is True
    assert repo["has_actions"] is True
    assert repo["mirror_interval"] == "5m0s"
    assert repo["original_url"] == "https://github.com/goldentooth/mcp.git"


def git_sync_token(forgejo: ClusterForgejo) -> str:
    """The value of the git-sync token, as only Forgejo's database knows it."""
    [(name, value)] = forgejo.token_values("forgejo_admin").items()
    assert re.fullmatch(r"git-sync-[0-9a-f]{8}", name)
    return value


def test_the_git_sync_token_exists_read_only_and_its_secret_holds_it(
    deployed: PulumiProject, forgejo: ClusterForgejo, cluster: Cluster
) -> None:
    [token] = forgejo.tokens.values()
    outputs = json.loads(deployed.pulumi("stack", "output", "--json", "--stack", STACK).output)

    assert (token["user"], token["scope"]) == ("forgejo_admin", "read:repository")
    assert secret_value(cluster, "git-sync", "forgejo-git-sync-token", "token") == git_sync_token(forgejo)
    assert outputs["api_tokens"]["forgejo_admin/git-sync"]["token_name"] == token["name"]
    assert outputs["api_token_values"] == "[secret]"


def test_a_second_up_sends_forgejo_no_write(deployed: PulumiProject, forgejo: ClusterForgejo) -> None:
    forgejo.clear_log()

    deployed.pulumi("up", "--stack", STACK, "--yes")

    assert forgejo.writes() == []


def test_no_secret_is_in_plain_text_in_the_state(
    deployed: PulumiProject, cluster: Cluster, forgejo: ClusterForgejo
) -> None:
    secrets = {
        "admin password": secret_value(cluster, "forgejo", "forgejo-admin", "password"),
        "runner secret": secret_value(cluster, "forgejo-runner", "forgejo-runner", "token"),
        "upstream token": UPSTREAM_TOKEN,
        "git-sync token": git_sync_token(forgejo),
    }
    exported = json.dumps(deployed.stack_export())
    on_disk = "".join(path.read_text() for path in (deployed.directory.parent / "state").rglob("*.json"))

    assert exported.count('"secure"') or exported.count("ciphertext")
    leaked = {name for name, value in secrets.items() if value in exported or value in on_disk}
    assert leaked == set()


# -- 5. policy pack --------------------------------------------------------------------------------


def test_policy_pack_passes_for_goldentooth(deployed: PulumiProject) -> None:
    deployed.sh(command_starting("(cd policy && pulumi install) && pulumi preview"))
    deployed.sh(command_starting(".venv/bin/python policy/stack_config.py"))
    deployed.sh(command_starting("pulumi preview --stack goldentooth --policy-pack policy --policy-pack-config"))


def test_policy_pack_refuses_a_privileged_runner_outside_the_namespace_it_was_told(deployed: PulumiProject) -> None:
    deployed.config_set("runnerNamespace", "ci-runners")
    try:
        # The pack's default runner namespace is forgejo-runner; the derived config would say ci-runners.
        failed = deployed.pulumi("preview", "--stack", STACK, "--policy-pack", "policy", check=False)
    finally:
        deployed.config_set("runnerNamespace", "forgejo-runner")

    assert failed.returncode != 0
    assert "privileged-only-in-runner-namespace" in failed.output
    assert "ci-runners" in failed.output


# -- 3. a change in place --------------------------------------------------------------------------


def test_a_change_in_place_updates_without_replacing_what_holds_data(
    deployed: PulumiProject, forgejo: ClusterForgejo, cluster: Cluster
) -> None:
    deployed.pulumi("config", "set", "--stack", STACK, "--path", "mirrors[0].interval", "10m")
    deployed.pulumi("config", "set", "--stack", STACK, "--path", "runnerLabels[1]", "debian:docker://debian:12.12")
    deployed.pulumi("config", "set", "--stack", STACK, "--path", "resources.limits.memory", "768Mi")

    changed = deployed.preview_changes()
    data_holders = [
        (op, name)
        for op, name in changed
        if op in ("replace", "create-replacement", "delete-replaced", "delete")
        and any(kind in name for kind in ("forgejo-release", "forgejo-server", "forgejo-admin", "mirrors"))
    ]

    assert data_holders == []
    assert ("update", "forgejo-release") in changed
    assert ("update", "forgejo-runner-deployment") in changed
    assert any(op == "update" and "mcp" in name for op, name in changed)

    deployed.pulumi("up", "--stack", STACK, "--yes")
    deployed.pulumi("preview", "--stack", STACK, "--expect-no-changes")
    repo = forgejo.repo("forgejo_admin/mcp")
    assert repo is not None
    assert repo["mirror_interval"] == "10m0s"
    config_map = cluster.get("/api/v1/namespaces/forgejo-runner/configmaps/forgejo-runner-config")
    assert "debian:docker://debian:12.12" in config_map["data"]["config.yaml"]
