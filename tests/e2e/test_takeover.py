"""Scenario 6: take over what Flux deployed, following the README's runbook.

The cluster first gets goldentooth as the seed left it: the release
``forgejo-forgejo`` installed by helm from the stand-in chart, and the seed's
Secrets, runner ConfigMap and Deployment and HTTPRoute, in one privileged
namespace. The data claim carries an annotation that must survive.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import ClusterForgejo, new_project
from tests.e2e.pulumi_cli import STACK, PulumiProject
from tests.e2e.readme import command_starting, fenced_lines
from tests.e2e.test_first_deploy import stand_in_settings

CHART = Path(__file__).parent / "chart" / "forgejo"
OLD_PASSWORD = "FluxEraAdminPassword0123456789ab"
OLD_RUNNER_SECRET = "0123456789abcdef0123456789abcdef01234567"
BACKUP_MARK = {"goldentooth.net/backup": "taken-before-takeover"}

# The seed's HelmRelease values (gitops infrastructure/forgejo/release.yaml).
SEED_VALUES = {
    "image": {"rootless": True},
    "gitea": {
        "admin": {"existingSecret": "forgejo-admin"},
        "config": {
            "actions": {"ENABLED": True},
            "mirror": {"ENABLED": True, "MIN_INTERVAL": "5m"},
            "server": {"DOMAIN": "git.goldentooth.net", "ROOT_URL": "https://git.goldentooth.net/"},
            "service": {"DISABLE_REGISTRATION": True},
            "database": {"DB_TYPE": "sqlite3"},
        },
    },
    "persistence": {"enabled": True, "storageClass": "seaweedfs", "size": "10Gi"},
    "nodeSelector": {"node.kubernetes.io/disk-type": "nvme"},
    "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
}


def _secret(name: str, data: dict[str, str]) -> dict[str, Any]:
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "Opaque", "data": encoded}


SEED_RUNNER_CONFIG = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "forgejo-runner-config"},
    "data": {
        "config.yaml": yaml.safe_dump(
            {
                "log": {"level": "info"},
                "runner": {
                    "file": ".runner",
                    "capacity": 1,
                    "timeout": "3h",
                    "labels": ["ubuntu-latest:docker://node:20-bookworm"],
                },
                "cache": {"enabled": True},
                "container": {"network": "", "privileged": False, "docker_host": "unix:///var/run/docker.sock"},
            }
        )
    },
}
SEED_RUNNER = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "forgejo-runner", "labels": {"app": "forgejo-runner"}},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "forgejo-runner"}},
        "template": {
            "metadata": {"labels": {"app": "forgejo-runner"}},
            "spec": {
                "nodeSelector": {"node.kubernetes.io/disk-type": "nvme"},
                "initContainers": [
                    {
                        "name": "register",
                        "image": "code.forgejo.org/forgejo/runner:6.3.1",
                        "command": [
                            "forgejo-runner",
                            "create-runner-file",
                            "--connect",
                            "--instance",
                            "http://forgejo-forgejo-http.forgejo.svc.cluster.local:3000",
                            "--name",
                            "bramble-runner",
                            "--secret",
                            "$(FORGEJO_RUNNER_SECRET)",
                        ],
                        "env": [
                            {
                                "name": "FORGEJO_RUNNER_SECRET",
                                "valueFrom": {"secretKeyRef": {"name": "forgejo-runner", "key": "token"}},
                            }
                        ],
                        "workingDir": "/data",
                        "volumeMounts": [{"name": "runner-data", "mountPath": "/data"}],
                    }
                ],
                "containers": [
                    {
                        "name": "runner",
                        "image": "code.forgejo.org/forgejo/runner:6.3.1",
                        "command": [
                            "sh",
                            "-c",
                            "while [ ! -S /var/run/docker.sock ]; do sleep 1; done\n"
                            "exec forgejo-runner daemon --config /etc/runner/config.yaml",
                        ],
                        "securityContext": {"runAsUser": 0},
                        "env": [{"name": "DOCKER_HOST", "value": "unix:///var/run/docker.sock"}],
                        "workingDir": "/data",
                        "volumeMounts": [
                            {"name": "runner-data", "mountPath": "/data"},
                            {"name": "runner-config", "mountPath": "/etc/runner"},
                            {"name": "docker-sock", "mountPath": "/var/run"},
                        ],
                    },
                    {
                        "name": "dind",
                        "image": "docker:27-dind",
                        "securityContext": {"privileged": True},
                        "env": [{"name": "DOCKER_TLS_CERTDIR", "value": ""}],
                        "volumeMounts": [{"name": "docker-sock", "mountPath": "/var/run"}],
                    },
                ],
                "volumes": [
                    {"name": "runner-data", "emptyDir": {}},
                    {"name": "runner-config", "configMap": {"name": "forgejo-runner-config"}},
                    {"name": "docker-sock", "emptyDir": {}},
                ],
            },
        },
    },
}
SEED_ROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {"name": "forgejo"},
    "spec": {
        "parentRefs": [{"name": "goldentooth", "namespace": "gateway", "sectionName": "https"}],
        "hostnames": ["git.goldentooth.net"],
        "rules": [{"backendRefs": [{"name": "forgejo-forgejo-http", "port": 3000}]}],
    },
}


def flux_era(cluster: Cluster, tools_bin: Path, workdir: Path, forgejo: ClusterForgejo) -> dict[str, Any]:
    """goldentooth before the takeover; returns the data claim as it was."""
    cluster.post(
        "/api/v1/namespaces",
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "forgejo", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}},
        },
    )
    cluster.post(
        "/api/v1/namespaces/forgejo/secrets",
        _secret("forgejo-admin", {"username": "forgejo_admin", "password": OLD_PASSWORD}),
    )
    cluster.post("/api/v1/namespaces/forgejo/secrets", _secret("forgejo-runner", {"token": OLD_RUNNER_SECRET}))
    values = workdir / "seed-values.yaml"
    values.write_text(yaml.safe_dump(SEED_VALUES))
    subprocess.run(
        [
            str(tools_bin / "helm"),
            "install",
            "forgejo-forgejo",
            str(CHART),
            "--namespace",
            "forgejo",
            "--values",
            str(values),
            "--wait",
            "--timeout",
            "5m",
        ],
        env={"KUBECONFIG": str(cluster.kubeconfig), "HOME": str(workdir), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        timeout=600,
    )
    cluster.post("/api/v1/namespaces/forgejo/configmaps", SEED_RUNNER_CONFIG)
    cluster.post("/apis/apps/v1/namespaces/forgejo/deployments", SEED_RUNNER)
    cluster.post("/apis/gateway.networking.k8s.io/v1/namespaces/forgejo/httproutes", SEED_ROUTE)
    claim = cluster.patch(
        "/api/v1/namespaces/forgejo/persistentvolumeclaims/gitea-shared-storage",
        {"metadata": {"annotations": BACKUP_MARK}},
    )
    forgejo.add_repo(
        "forgejo_admin",
        "mcp",
        original_url="https://github.com/goldentooth/mcp.git",
        mirror_interval="5m0s",
        has_actions=False,
    )
    return claim


def cluster_snapshot(cluster: Cluster) -> dict[str, Any]:
    """Names and versions of everything in the namespaces a first `up` would touch."""
    paths = ("/api/v1/namespaces", "/api/v1/namespaces/forgejo/secrets", "/api/v1/namespaces/forgejo/configmaps",
             "/apis/apps/v1/namespaces/forgejo/deployments", "/api/v1/namespaces/forgejo/persistentvolumeclaims",
             "/apis/gateway.networking.k8s.io/v1/namespaces/forgejo/httproutes")  # fmt: skip
    return {
        path: sorted(
            (item["metadata"]["name"], item["metadata"]["resourceVersion"]) for item in cluster.get(path)["items"]
        )
        for path in paths
    }


def runbook_step_3() -> list[str]:
    """The config commands of the README's takeover step 3, in order."""
    lines = fenced_lines()
    first = lines.index("pulumi config set --path 'adoption.enabled' true")
    preview = lines.index("pulumi preview --stack goldentooth --diff", first)
    return lines[first:preview]


@pytest.fixture(scope="module")
def taken_over(
    tmp_path_factory: pytest.TempPathFactory,
    tools_bin: Path,
    pulumi_home: Path,
    cluster: Cluster,
    forgejo: ClusterForgejo,
) -> tuple[PulumiProject, dict[str, Any], list[dict[str, Any]]]:
    workdir = tmp_path_factory.mktemp("takeover")
    claim_before = flux_era(cluster, tools_bin, workdir, forgejo)
    project = new_project(workdir, tools_bin, pulumi_home, cluster)
    (workdir / "state").mkdir()
    for step in (
        f"pulumi login file://{workdir / 'state'}",
        "pulumi install",
        f"pulumi stack select {STACK} --create --secrets-provider passphrase",
    ):
        project.sh(step)
    stand_in_settings(project, forgejo)
    before = cluster_snapshot(cluster)
    plain_up = project.pulumi("up", "--stack", STACK, "--yes", check=False)
    (workdir / "plain-up.json").write_text(json.dumps({"returncode": plain_up.returncode, "output": plain_up.output,
                                                       "unchanged": cluster_snapshot(cluster) == before}))  # fmt: skip
    for command in runbook_step_3():
        project.sh(command)
    project.pulumi("preview", "--stack", STACK, "--diff")
    steps = project.preview_steps()
    project.interactive(f"pulumi up --stack {STACK}")
    return project, claim_before, steps


def test_preview_imports_the_flux_objects_and_replaces_only_what_holds_no_data(
    taken_over: tuple[PulumiProject, dict[str, Any], list[dict[str, Any]]],
) -> None:
    _, _, steps = taken_over
    by_op: dict[str, set[str]] = {}
    for step in steps:
        by_op.setdefault(step["op"], set()).add(step["urn"].split("::")[-1])

    assert by_op.get("import") == {
        "forgejo-server",
        "forgejo-release",
        "forgejo-admin",
        "forgejo-runner-secret",
        "forgejo-runner-config",
        "forgejo-runner-deployment",
        "forgejo-route",
        "forgejo-data",
    }
    assert not {"replace", "create-replacement", "delete-replaced", "delete"} & set(by_op)


def test_the_data_claim_is_the_same_claim_with_its_annotations(
    taken_over: tuple[PulumiProject, dict[str, Any], list[dict[str, Any]]], cluster: Cluster
) -> None:
    _, before, _ = taken_over
    claim = cluster.get("/api/v1/namespaces/forgejo/persistentvolumeclaims/gitea-shared-storage")

    assert claim["metadata"]["uid"] == before["metadata"]["uid"]
    assert claim["metadata"]["annotations"]["goldentooth.net/backup"] == "taken-before-takeover"
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_the_existing_secrets_keep_their_values(
    taken_over: tuple[PulumiProject, dict[str, Any], list[dict[str, Any]]], cluster: Cluster
) -> None:
    project, _, _ = taken_over
    admin = cluster.get("/api/v1/namespaces/forgejo/secrets/forgejo-admin")["data"]
    runner = cluster.get("/api/v1/namespaces/forgejo/secrets/forgejo-runner")["data"]
    exported = json.loads(project.pulumi("stack", "output", "--json", "--show-secrets", "--stack", STACK).output)

    assert base64.b64decode(admin["password"]).decode() == OLD_PASSWORD
    assert base64.b64decode(runner["token"]).decode() == OLD_RUNNER_SECRET
    assert exported["admin_password"] == OLD_PASSWORD


def test_the_existing_mirror_is_adopted_with_actions_on(
    taken_over: tuple[PulumiProject, dict[str, Any], list[dict[str, Any]]], forgejo: ClusterForgejo
) -> None:
    repo = forgejo.repo("forgejo_admin/mcp")

    assert repo is not None
    assert repo["has_actions"] is True
    assert len(forgejo.repos) == 1


def test_the_seed_runner_runs_untouched_until_the_hand_over(
    taken_over: tuple[PulumiProject, dict[str, Any], list[dict[str, Any]]], cluster: Cluster
) -> None:
    runner = cluster.get("/apis/apps/v1/namespaces/forgejo/deployments/forgejo-runner")

    assert runner["spec"]["selector"] == {"matchLabels": {"app": "forgejo-runner"}}
    assert [c["name"] for c in runner["spec"]["template"]["spec"]["containers"]] == ["runner", "dind"]


def test_the_hand_over_replaces_only_the_runner_and_then_nothing_changes(
    taken_over: tuple[PulumiProject, dict[str, Any], list[dict[str, Any]]], cluster: Cluster
) -> None:
    project, before, _ = taken_over
    project.sh(command_starting("pulumi config set --path 'adoption.enabled' false"))

    steps = project.preview_steps()
    project.pulumi("up", "--stack", STACK, "--yes")

    replaced = {step["urn"].split("::")[-1] for step in steps if step["op"] == "replace"}
    assert replaced == {"forgejo-runner-config", "forgejo-runner-deployment"}
    assert "delete" not in {step["op"] for step in steps}
    runner = cluster.get("/apis/apps/v1/namespaces/forgejo/deployments/forgejo-runner")
    assert [c["name"] for c in runner["spec"]["template"]["spec"]["initContainers"]] == ["dind", "register"]
    claim = cluster.get("/api/v1/namespaces/forgejo/persistentvolumeclaims/gitea-shared-storage")
    assert claim["metadata"]["uid"] == before["metadata"]["uid"]
    project.pulumi("preview", "--stack", STACK, "--expect-no-changes")


def test_a_plain_first_up_is_refused_at_the_first_object_and_changes_nothing_in_the_cluster(
    taken_over: tuple[PulumiProject, dict[str, Any], list[dict[str, Any]]],
) -> None:
    project, _, _ = taken_over
    plain_up = json.loads((project.directory.parent / "plain-up.json").read_text())

    assert plain_up["returncode"] != 0
    assert plain_up["unchanged"] is True
    assert "Namespace::forgejo-server" in plain_up["output"]
    assert "Server-Side Apply field conflict" in plain_up["output"]
