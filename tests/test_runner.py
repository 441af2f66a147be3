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


@pytest.fixture(scope="module")
def goldentooth() -> ProgramRun:
    return run_program()


def pod_spec(run: ProgramRun) -> dict[str, Any]:
    return manifests.as_manifest(run.one(DEPLOYMENT).inputs)["spec"]["template"]["spec"]


def containers_by_name(run: ProgramRun) -> dict[str, dict[str, Any]]:
    spec = pod_spec(run)
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
    assert secret.inputs["stringData"] == {
        SECRET_SIG_KEY: SECRET_SIG_VALUE,
        "value": {"token": GENERATED_RUNNER_SECRET},
    }
    assert secret.parent_type_and_name[0] == parent


def test_registration_sidecar_registers_from_the_forgejo_pod(goldentooth: ProgramRun) -> None:
    values = goldentooth.one(RELEASE).inputs["values"]

    assert values["extraContainers"] == [
        {
            "name": "runner-registration",
            "image": "code.forgejo.org/forgejo/forgejo:13.0.3-rootless",
            "command": ["/bin/sh", "-c", REGISTER_LOOP],
            "env": [
                {"name": "GITEA_APP_INI", "value": "/data/gitea/conf/app.ini"},
                {"name": "GITEA_CUSTOM", "value": "/data/gitea"},
                {"name": "GITEA_WORK_DIR", "value": "/data"},
                {"name": "GITEA_TEMP", "value": "/tmp/gitea"},
                {"name": "TMPDIR", "value": "/tmp/gitea"},
                {"name": "HOME", "value": "/data/gitea/git"},
                {"name": "RUNNER_NAME", "value": "bramble-runner"},
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
                "items": [{"key": "token", "path": "token"}],
            },
        }
    ]
    # The sidecar runs the exact image the server runs.
    assert values["image"]["fullOverride"] == values["extraContainers"][0]["image"]


def test_registration_loop_reads_the_secret_from_a_file_and_follows_rotation() -> None:
    register = (
        'forgejo forgejo-cli actions register --name "$RUNNER_NAME" '
        "--secret-file /run/forgejo-runner-secret/token --keep-labels"
    )
    assert register in REGISTER_LOOP
    assert 'current="$(sha256sum /run/forgejo-runner-secret/token' in REGISTER_LOOP
    assert "--secret " not in REGISTER_LOOP


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
    deployment = manifests.as_manifest(goldentooth.one(DEPLOYMENT).inputs)
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
    config = yaml.safe_load(goldentooth.one(CONFIG_MAP).inputs["data"]["config.yaml"])
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
    written = yaml.safe_load(goldentooth.one(CONFIG_MAP).inputs["data"]["config.yaml"])

    assert _key_paths(written) - _key_paths(RUNNER_EXAMPLE) == set()


def test_config_change_rolls_the_pod(goldentooth: ProgramRun) -> None:
    more_capacity = run_program({"runnerCapacity": "2"})

    def checksum(run: ProgramRun) -> str:
        return run.one(DEPLOYMENT).inputs["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

    assert len(checksum(goldentooth)) == 64
    assert checksum(more_capacity) != checksum(goldentooth)


def test_a_new_shared_secret_version_rolls_the_pod(goldentooth: ProgramRun) -> None:
    annotations = goldentooth.one(DEPLOYMENT).inputs["spec"]["template"]["metadata"]["annotations"]

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

    assert [r.name for r in run.of_type(GENERATED_SECRET)] == ["forgejo-admin-password"]
    assert run.one(SECRET, "forgejo-runner-secret").inputs["stringData"]["value"] == {"token": supplied}


def test_instance_url_follows_the_computed_service_name() -> None:
    run = run_program({"fullnameOverride": "forgejo-forgejo"})

    command = containers_by_name(run)["register"]["command"]
    assert command[command.index("--instance") + 1] == "http://forgejo-forgejo-http.forgejo.svc.cluster.local:3000"


def test_runner_starts_after_the_forgejo_release(goldentooth: ProgramRun) -> None:
    deployment = goldentooth.one(DEPLOYMENT)

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
    assert privileged == [(runner_namespace, "dind")]


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
    assert env_values == [
        {"name": "FORGEJO_RUNNER_SECRET", "valueFrom": {"secretKeyRef": {"name": "forgejo-runner", "key": "token"}}}
    ]


def test_runner_outputs(goldentooth: ProgramRun) -> None:
    assert goldentooth.exports["runner_name"] == "bramble-runner"
    assert goldentooth.exports["runner_labels"] == ["ubuntu-latest:docker://node:20-bookworm"]
    assert goldentooth.exports["runner_namespace"] == "forgejo-runner"
