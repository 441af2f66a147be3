"""The Actions runner under mocks: registration on both sides, the runner pod, and its config."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.runner_registration import REGISTER_LOOP
from tests import manifests, reference
from tests.program import (
    GENERATED_RUNNER_SECRET,
    GENERATED_SECRET,
    SECRET_RESOURCE_VERSION,
    SECRET_SIG_KEY,
    SECRET_SIG_VALUE,
    ProgramRun,
    run_program,
)

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
RELEASE = "kubernetes:helm.sh/v3:Release"
RUNNER_EXAMPLE = reference.load_yaml("forgejo-runner-config.example.yaml")
SEED_RUNNER_CONFIG = {
    "log": {"level": "info"},
    "runner": {
        "file": ".runner",
        "capacity": 1,
        "timeout": "3h",
        "shutdown_timeout": "15m",
        "labels": ["ubuntu-latest:docker://node:20-bookworm"],
    },
    "cache": {"enabled": True},
    "container": {"docker_host": "unix:///var/run/docker.sock", "network": "", "privileged": False},
}
DOCKER_INFO = {"exec": {"command": ["docker", "info"]}}


FIRST_GROUP = "forgejo-runner-deployment"
AMD64_GROUP = "forgejo-runner-amd64-runner-deployment"


def deployment(run: ProgramRun, name: str = FIRST_GROUP) -> dict[str, Any]:
    return manifests.as_manifest(run.one(DEPLOYMENT, name).inputs)


def pod_spec(run: ProgramRun, name: str = FIRST_GROUP) -> dict[str, Any]:
    return deployment(run, name)["spec"]["template"]["spec"]


def containers_by_name(run: ProgramRun, name: str = FIRST_GROUP) -> dict[str, dict[str, Any]]:
    spec = pod_spec(run, name)
    return {c["name"]: c for c in [*spec["initContainers"], *spec["containers"]]}


def test_shared_secret_is_generated_as_20_bytes_of_hex(goldentooth: ProgramRun) -> None:
    generated = goldentooth.one(GENERATED_SECRET, "forgejo-runner-secret")

    assert {key: generated.inputs[key] for key in ("kind", "length")} == {"kind": "hex", "length": 20}
    assert generated.additional_secret_outputs == ["value"]
    assert generated.parent_type_and_name == ("goldentooth:index:ForgejoServer", "forgejo")


@pytest.mark.parametrize(
    ("resource_name", "secret_name", "namespace", "parent"),
    [
        ("forgejo-runner-registration", "forgejo-runner-registration", "forgejo", "goldentooth:index:ForgejoServer"),
        ("forgejo-runner-secret", "forgejo-runner", "forgejo-runner", "goldentooth:index:ActionsRunner"),
    ],
)
def test_each_side_keeps_the_shared_secret_in_its_own_namespace(
    goldentooth: ProgramRun, resource_name: str, secret_name: str, namespace: str, parent: str
) -> None:
    secret = goldentooth.one(SECRET, resource_name)

    assert secret.inputs["metadata"]["name"] == secret_name
    assert secret.inputs["metadata"]["namespace"] == namespace
    assert secret.inputs["stringData"][SECRET_SIG_KEY] == SECRET_SIG_VALUE
    assert secret.inputs["stringData"]["value"]["token"] == GENERATED_RUNNER_SECRET
    assert secret.parent_type_and_name[0] == parent


def test_each_group_has_its_own_generated_secret_on_both_sides(goldentooth: ProgramRun) -> None:
    generated = goldentooth.one(GENERATED_SECRET, "forgejo-runner-amd64-runner-secret")
    registration = goldentooth.one(SECRET, "forgejo-runner-registration").inputs["stringData"]["value"]
    runner_side = goldentooth.one(SECRET, "forgejo-runner-amd64-runner-secret")

    assert {key: generated.inputs[key] for key in ("kind", "length")} == {"kind": "hex", "length": 20}
    assert generated.parent_type_and_name == ("goldentooth:index:ForgejoServer", "forgejo")
    assert sorted(registration) == ["token", "token-amd64-runner"]
    assert runner_side.inputs["metadata"] == {
        "name": "forgejo-runner-amd64-runner",
        "namespace": "forgejo-runner",
        "labels": runner_side.inputs["metadata"]["labels"],
    }
    assert runner_side.inputs["stringData"]["value"] == {"token": GENERATED_RUNNER_SECRET}
    assert runner_side.parent_type_and_name == ("goldentooth:index:ActionsRunner", "forgejo-runner-amd64-runner")


def test_registration_sidecar_registers_from_the_forgejo_pod(goldentooth: ProgramRun) -> None:
    values = goldentooth.one(RELEASE).inputs["values"]

    assert values["extraContainers"] == [
        {
            "name": "runner-registration",
            "image": "code.forgejo.org/forgejo/forgejo:13.0.3-rootless",
            "command": [
                "/bin/sh",
                "-c",
                REGISTER_LOOP,
                "runner-registration",
                *("bramble-runner", "forgejo_admin", "/run/forgejo-runner-secret/bramble-runner"),
                *("amd64-runner", "forgejo_admin", "/run/forgejo-runner-secret/amd64-runner"),
            ],
            "env": [
                {"name": "GITEA_APP_INI", "value": "/data/gitea/conf/app.ini"},
                {"name": "GITEA_CUSTOM", "value": "/data/gitea"},
                {"name": "GITEA_WORK_DIR", "value": "/data"},
                {"name": "GITEA_TEMP", "value": "/tmp/gitea"},
                {"name": "TMPDIR", "value": "/tmp/gitea"},
                {"name": "HOME", "value": "/data/gitea/git"},
            ],
            "volumeMounts": [
                {"name": "data", "mountPath": "/data"},
                {"name": "temp", "mountPath": "/tmp"},
                {"name": "runner-shared-secret", "mountPath": "/run/forgejo-runner-secret", "readOnly": True},
            ],
            "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}},
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": True,
                "runAsUser": 1000,
                "runAsGroup": 1000,
            },
        }
    ]
    assert values["extraVolumes"] == [
        {
            "name": "runner-shared-secret",
            "secret": {
                "secretName": "forgejo-runner-registration",
                "items": [
                    {"key": "token", "path": "bramble-runner"},
                    {"key": "token-amd64-runner", "path": "amd64-runner"},
                ],
            },
        }
    ]
    # The sidecar runs the exact image the server runs.
    assert values["image"]["fullOverride"] == values["extraContainers"][0]["image"]


def test_register_init_container_uses_plain_http_and_a_secret_key_ref(goldentooth: ProgramRun) -> None:
    assert containers_by_name(goldentooth)["register"] == {
        "name": "register",
        "image": "code.forgejo.org/forgejo/runner:12.0.1",
        "command": [
            "forgejo-runner",
            "create-runner-file",
            "--connect",
            "--instance",
            "http://forgejo-http.forgejo.svc.cluster.local:3000",
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
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
        "securityContext": {"allowPrivilegeEscalation": False},
        "volumeMounts": [{"name": "runner-data", "mountPath": "/data"}],
    }


def test_runner_daemon_runs_as_root_with_the_mounted_config(goldentooth: ProgramRun) -> None:
    assert containers_by_name(goldentooth)["runner"] == {
        "name": "runner",
        "image": "code.forgejo.org/forgejo/runner:12.0.1",
        "command": ["forgejo-runner", "daemon", "--config", "/etc/runner/config.yaml"],
        "env": [{"name": "DOCKER_HOST", "value": "unix:///var/run/docker.sock"}],
        "workingDir": "/data",
        "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": False},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
        "volumeMounts": [
            {"name": "runner-data", "mountPath": "/data"},
            {"name": "runner-config", "mountPath": "/etc/runner", "readOnly": True},
            {"name": "docker-socket", "mountPath": "/var/run"},
        ],
    }


def test_dind_is_a_native_sidecar_listening_on_the_unix_socket_only(goldentooth: ProgramRun) -> None:
    spec = pod_spec(goldentooth)

    assert [c["name"] for c in spec["initContainers"]] == ["dind", "register"]
    assert spec["initContainers"][0] == {
        "name": "dind",
        "image": "docker:28.3.0-dind",
        "restartPolicy": "Always",
        "args": ["dockerd", "--host=unix:///var/run/docker.sock"],
        "env": [{"name": "DOCKER_TLS_CERTDIR", "value": ""}],
        "securityContext": {"privileged": True},
        "startupProbe": {**DOCKER_INFO, "periodSeconds": 2, "timeoutSeconds": 5, "failureThreshold": 90},
        "livenessProbe": {**DOCKER_INFO, "periodSeconds": 30, "timeoutSeconds": 10, "failureThreshold": 6},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
        "volumeMounts": [{"name": "docker-socket", "mountPath": "/var/run"}],
    }
    assert goldentooth.of_type("kubernetes:core/v1:Service") == []


def test_runner_pod_shape(goldentooth: ProgramRun) -> None:
    deployment = manifests.as_manifest(goldentooth.one(DEPLOYMENT, FIRST_GROUP).inputs)
    spec = deployment["spec"]

    assert deployment["metadata"]["name"] == "forgejo-runner"
    assert deployment["metadata"]["namespace"] == "forgejo-runner"
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    assert spec["selector"] == {
        "matchLabels": {"app.kubernetes.io/name": "forgejo-runner", "app.kubernetes.io/instance": "bramble-runner"}
    }
    template = spec["template"]["spec"]
    assert template["nodeSelector"] == {"node.kubernetes.io/disk-type": "nvme"}
    assert template["terminationGracePeriodSeconds"] == 15 * 60 + 30
    assert template["automountServiceAccountToken"] is False
    assert template["volumes"] == [
        {"name": "runner-data", "emptyDir": {}},
        {"name": "runner-config", "configMap": {"name": "forgejo-runner-config"}},
        {"name": "docker-socket", "emptyDir": {}},
    ]


def test_grace_period_is_longer_than_the_runner_shutdown_timeout(goldentooth: ProgramRun) -> None:
    config = yaml.safe_load(goldentooth.one(CONFIG_MAP, "forgejo-runner-config").inputs["data"]["config.yaml"])
    shutdown_seconds = 15 * 60
    assert config["runner"]["shutdown_timeout"] == "15m"
    assert pod_spec(goldentooth)["terminationGracePeriodSeconds"] > shutdown_seconds


def test_config_map_carries_the_runner_config_as_yaml(goldentooth: ProgramRun) -> None:
    config_map = goldentooth.one(CONFIG_MAP, "forgejo-runner-config")

    assert config_map.inputs["metadata"]["name"] == "forgejo-runner-config"
    assert config_map.inputs["metadata"]["namespace"] == "forgejo-runner"
    assert yaml.safe_load(config_map.inputs["data"]["config.yaml"]) == SEED_RUNNER_CONFIG


def _key_paths(tree: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for key, value in tree.items():
        paths.add(f"{prefix}{key}")
        if isinstance(value, dict):
            paths |= _key_paths(value, f"{prefix}{key}.")
    return paths


def test_every_runner_config_key_exists_in_the_runner_example(goldentooth: ProgramRun) -> None:
    written = yaml.safe_load(goldentooth.one(CONFIG_MAP, "forgejo-runner-config").inputs["data"]["config.yaml"])

    assert _key_paths(written) - _key_paths(RUNNER_EXAMPLE) == set()


def test_config_change_rolls_the_pod(goldentooth: ProgramRun) -> None:
    more_capacity = run_program({"runnerCapacity": "2"})

    def checksum(run: ProgramRun) -> str:
        return run.one(DEPLOYMENT, FIRST_GROUP).inputs["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

    assert len(checksum(goldentooth)) == 64
    assert checksum(more_capacity) != checksum(goldentooth)


def test_a_new_shared_secret_version_rolls_the_pod(goldentooth: ProgramRun) -> None:
    annotations = goldentooth.one(DEPLOYMENT, FIRST_GROUP).inputs["spec"]["template"]["metadata"]["annotations"]

    assert annotations["goldentooth.net/runner-secret-version"] == SECRET_RESOURCE_VERSION
    assert GENERATED_RUNNER_SECRET not in repr(annotations)


def test_docker_layer_cache_is_a_claim_mounted_at_var_lib_docker() -> None:
    run = run_program({"runnerDockerCacheSize": "50Gi", "runnerDockerCacheStorageClass": "local-path"})

    claim = run.one(PVC, "forgejo-runner-docker-cache")
    assert manifests.as_manifest(claim.inputs)["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "50Gi"}},
        "storageClassName": "local-path",
    }
    assert claim.inputs["metadata"]["namespace"] == "forgejo-runner"
    assert {"name": "docker-cache", "persistentVolumeClaim": {"claimName": "forgejo-runner-docker"}} in pod_spec(run)[
        "volumes"
    ]
    assert {"name": "docker-cache", "mountPath": "/var/lib/docker"} in containers_by_name(run)["dind"]["volumeMounts"]
    manifests.validate(claim.inputs)


@pytest.mark.parametrize(
    ("source", "volume"),
    [
        (
            '"secretName": "step-ca-root"',
            {"secret": {"secretName": "step-ca-root", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        ),
        (
            '"configMapName": "step-ca", "key": "root.pem"',
            {"configMap": {"name": "step-ca", "items": [{"key": "root.pem", "path": "ca.crt"}]}},
        ),
    ],
    ids=["secret", "config-map"],
)
def test_registry_ca_is_trusted_through_certs_d(source: str, volume: dict[str, Any]) -> None:
    run = run_program({"registryCa": f'{{"registry": "registry.goldentooth.net", {source}}}'})

    assert {"name": "registry-ca", **volume} in pod_spec(run)["volumes"]
    assert {
        "name": "registry-ca",
        "mountPath": "/etc/docker/certs.d/registry.goldentooth.net",
        "readOnly": True,
    } in containers_by_name(run)["dind"]["volumeMounts"]
    assert not any("insecure-registry" in arg for arg in containers_by_name(run)["dind"]["args"])


def test_supplied_runner_secret_replaces_the_generated_one() -> None:
    supplied = "fedcba9876543210fedcba9876543210fedcba98"
    run = run_program(secrets={"runnerSecret": supplied})

    # It is the first group's; another group's is generated still.
    assert sorted(r.name for r in run.of_type(GENERATED_SECRET)) == [
        "forgejo-admin-password",
        "forgejo-runner-amd64-runner-secret",
    ]
    assert run.one(SECRET, "forgejo-runner-secret").inputs["stringData"]["value"] == {"token": supplied}


def test_instance_url_follows_the_computed_service_name() -> None:
    run = run_program({"fullnameOverride": "forgejo-forgejo"})

    command = containers_by_name(run)["register"]["command"]
    assert command[command.index("--instance") + 1] == "http://forgejo-forgejo-http.forgejo.svc.cluster.local:3000"


def test_runner_starts_after_the_forgejo_release(goldentooth: ProgramRun) -> None:
    deployment = goldentooth.one(DEPLOYMENT, FIRST_GROUP)

    assert any(d.endswith("::forgejo-release") for d in deployment.dependencies)
    assert deployment.parent_type_and_name == ("goldentooth:index:ActionsRunner", "forgejo-runner")


def _pod_specs(run: ProgramRun) -> list[tuple[str, dict[str, Any]]]:
    """(namespace, containers) for every pod this program defines, the chart's extra containers included."""
    specs = []
    for deployment in run.of_type(DEPLOYMENT):
        manifest = manifests.as_manifest(deployment.inputs)
        template = manifest["spec"]["template"]["spec"]
        specs.append((manifest["metadata"]["namespace"], template))
    for release in run.of_type(RELEASE):
        specs.append((release.inputs["namespace"], {"containers": release.inputs["values"].get("extraContainers", [])}))
    return specs


@pytest.mark.parametrize(
    "overrides",
    [{}, {"namespaceLayout": "shared", "serverPodSecurity": '{"enforce": "privileged"}'}],
    ids=["separate", "shared"],
)
def test_privileged_containers_only_in_the_runner_namespace(overrides: dict[str, str]) -> None:
    run = run_program(overrides)
    runner_namespace = run.exports["runner_namespace"]

    privileged = [
        (namespace, container["name"])
        for namespace, spec in _pod_specs(run)
        for container in [*spec.get("initContainers", []), *spec["containers"]]
        if container.get("securityContext", {}).get("privileged")
    ]
    assert privileged == [(runner_namespace, "dind"), (runner_namespace, "dind")]  # one per runner group


def test_no_secret_value_in_pod_specs_or_config_maps(goldentooth: ProgramRun) -> None:
    places = [*(spec for _, spec in _pod_specs(goldentooth)), *(c.inputs for c in goldentooth.of_type(CONFIG_MAP))]

    assert [place for place in places if GENERATED_RUNNER_SECRET in repr(place)] == []
    env_values = [
        env
        for _, spec in _pod_specs(goldentooth)
        for container in [*spec.get("initContainers", []), *spec["containers"]]
        for env in container.get("env", [])
        if "SECRET" in env["name"]
    ]
    # Sorted: the groups' Deployments register in no fixed order.
    assert sorted(env_values, key=repr) == [
        {"name": "FORGEJO_RUNNER_SECRET", "valueFrom": {"secretKeyRef": {"name": name, "key": "token"}}}
        for name in ("forgejo-runner", "forgejo-runner-amd64-runner")
    ]


def test_runner_outputs(goldentooth: ProgramRun) -> None:
    assert goldentooth.exports["runner_name"] == "bramble-runner"
    assert goldentooth.exports["runner_labels"] == ["ubuntu-latest:docker://node:20-bookworm"]
    assert goldentooth.exports["runner_namespace"] == "forgejo-runner"


def _names(run: ProgramRun, parent: str) -> list[tuple[str, str, str]]:
    """(type, Pulumi name, Kubernetes name) of every child of one runner group's component."""
    return sorted(
        (r.typ, r.name, r.inputs["metadata"]["name"])
        for r in run.resources
        if r.parent_type_and_name == ("goldentooth:index:ActionsRunner", parent)
    )


def test_the_first_group_keeps_the_names_it_had_before_there_were_groups(goldentooth: ProgramRun) -> None:
    assert _names(goldentooth, "forgejo-runner") == [
        (DEPLOYMENT, "forgejo-runner-deployment", "forgejo-runner"),
        (CONFIG_MAP, "forgejo-runner-config", "forgejo-runner-config"),
        (SECRET, "forgejo-runner-secret", "forgejo-runner"),
    ]


def test_another_group_is_named_forgejo_runner_and_its_name() -> None:
    run = run_program(
        {"runnerGroups": '[{"name": "amd64-runner", "labels": ["x:docker://node:20-bookworm"], '
         '"dockerCacheSize": "20Gi"}]'}
    )  # fmt: skip

    assert _names(run, "forgejo-runner-amd64-runner") == [
        (DEPLOYMENT, "forgejo-runner-amd64-runner-deployment", "forgejo-runner-amd64-runner"),
        (CONFIG_MAP, "forgejo-runner-amd64-runner-config", "forgejo-runner-amd64-runner-config"),
        (PVC, "forgejo-runner-amd64-runner-docker-cache", "forgejo-runner-amd64-runner-docker"),
        (SECRET, "forgejo-runner-amd64-runner-secret", "forgejo-runner-amd64-runner"),
    ]
    assert {"name": "docker-cache", "persistentVolumeClaim": {"claimName": "forgejo-runner-amd64-runner-docker"}} in (
        pod_spec(run, AMD64_GROUP)["volumes"]
    )
    assert run.of_type(PVC)[0].parent_type_and_name[1] == "forgejo-runner-amd64-runner"


def test_the_amd64_group_runs_on_x86_64_nodes_with_its_own_config_and_secret(goldentooth: ProgramRun) -> None:
    amd64 = deployment(goldentooth, AMD64_GROUP)
    template = amd64["spec"]["template"]["spec"]
    config = yaml.safe_load(
        goldentooth.one(CONFIG_MAP, "forgejo-runner-amd64-runner-config").inputs["data"]["config.yaml"]
    )

    assert amd64["metadata"]["name"] == "forgejo-runner-amd64-runner"
    assert amd64["metadata"]["namespace"] == "forgejo-runner"
    assert amd64["spec"]["selector"] == {
        "matchLabels": {"app.kubernetes.io/name": "forgejo-runner", "app.kubernetes.io/instance": "amd64-runner"}
    }
    assert template["nodeSelector"] == {"kubernetes.io/arch": "amd64"}
    assert {"name": "runner-config", "configMap": {"name": "forgejo-runner-amd64-runner-config"}} in template["volumes"]
    register = containers_by_name(goldentooth, AMD64_GROUP)["register"]
    assert register["command"][register["command"].index("--name") + 1] == "amd64-runner"
    assert register["env"][0]["valueFrom"]["secretKeyRef"] == {"name": "forgejo-runner-amd64-runner", "key": "token"}
    assert config["runner"]["labels"] == ["ubuntu-latest-amd64:docker://node:20-bookworm"]


def test_replicas_and_architecture_reach_the_deployment() -> None:
    run = run_program(
        {"runnerGroups": '[{"name": "pis", "labels": ["pi:docker://node:20-bookworm"], "replicas": 3, '
         '"architecture": "arm64", "nodeSelector": {"node.kubernetes.io/disk-type": "nvme"}}]'}
    )  # fmt: skip
    pis = deployment(run, "forgejo-runner-pis-deployment")

    assert pis["spec"]["replicas"] == 3
    assert pis["spec"]["template"]["spec"]["nodeSelector"] == {
        "node.kubernetes.io/disk-type": "nvme",
        "kubernetes.io/arch": "arm64",
    }


def test_adoption_imports_only_the_first_group() -> None:
    run = run_program(
        {
            "adoption": '{"enabled": true, "releaseName": "forgejo-forgejo"}',
            "namespaceLayout": "shared",
            "serverPodSecurity": '{"enforce": "privileged"}',
        }
    )
    # The takeover's stack transform, as the engine applies it (components/takeover.py).
    registered = run.transformed()
    amd64 = [r for r in registered if r.parent_type_and_name[1] == "forgejo-runner-amd64-runner"]
    first = [r for r in registered if r.typ == DEPLOYMENT and r.name == FIRST_GROUP]

    assert sorted(r.name for r in amd64) == [
        "forgejo-runner-amd64-runner-config",
        "forgejo-runner-amd64-runner-deployment",
        "forgejo-runner-amd64-runner-secret",
    ]
    assert [(r.name, r.import_id, r.ignore_changes) for r in amd64 if r.import_id or r.ignore_changes] == []
    assert all("pulumi.com/patchForce" not in (r.inputs["metadata"].get("annotations") or {}) for r in amd64)
    assert [r.import_id for r in first] == ["forgejo/forgejo-runner"]
