"""The Forgejo Actions runner: registration, daemon and a Docker-in-Docker sidecar, race-free."""

from __future__ import annotations

import hashlib
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.cluster import (
    RUNNER_SECRET_KEY,
    RUNNER_SECRET_NAME,
    common_labels,
    object_meta,
    opaque_secret,
)
from components.config import Settings

DEPLOYMENT_NAME = "forgejo-runner"
CONFIG_MAP_NAME = "forgejo-runner-config"
CACHE_CLAIM_NAME = "forgejo-runner-docker"
SECRET_ENV = "FORGEJO_RUNNER_SECRET"
SECRET_VERSION_ANNOTATION = "goldentooth.net/runner-secret-version"
CONFIG_DIR = "/etc/runner"
CONFIG_FILE = f"{CONFIG_DIR}/config.yaml"
DOCKER_SOCKET = "unix:///var/run/docker.sock"


def runner_config_yaml(settings: Settings) -> str:
    """The runner's config.yaml. It takes its labels only from here (not from environment variables or flags),
    which is why the seed's runner first registered with no labels and picked up no jobs."""
    config = {
        "log": {"level": "info"},
        # The file is relative to the working directory (/data), where create-runner-file wrote it.
        "runner": {"file": ".runner", "capacity": settings.runner_capacity, "timeout": settings.runner_timeout,
                   "shutdown_timeout": settings.runner_shutdown_timeout, "labels": list(settings.runner_labels)},
        "cache": {"enabled": True},
        # The DinD sidecar's socket; the runner also mounts it into job containers, so a job can `docker build`.
        "container": {"docker_host": DOCKER_SOCKET, "network": "", "privileged": False},
    }  # fmt: skip
    return yaml.safe_dump(config, sort_keys=False)


def _dind_container(settings: Settings) -> dict[str, Any]:
    """The Docker daemon, as a native sidecar (an init container with restartPolicy Always).

    Native sidecar rather than a wait loop: the kubelet starts the runner only
    after this startup probe passes (`docker info` answers on the socket), so
    the daemon never meets a missing socket and nothing crash-loops during
    DinD's ~8 s boot. On shutdown the kubelet stops it only after the runner
    has exited, so running jobs keep their Docker daemon while they finish.
    Needs Kubernetes 1.29+.
    """
    mounts: list[dict[str, Any]] = [{"name": "docker-socket", "mount_path": "/var/run"}]
    if settings.runner_docker_cache_size:
        mounts.append({"name": "docker-cache", "mount_path": "/var/lib/docker"})
    if settings.registry_ca is not None:
        mounts.append(
            {
                "name": "registry-ca",
                "mount_path": f"/etc/docker/certs.d/{settings.registry_ca.registry}",
                "read_only": True,
            }
        )
    docker_info = {"exec_": {"command": ["docker", "info"]}}
    return {
        "name": "dind",
        "image": settings.dind_image,
        "restart_policy": "Always",
        # The image's entrypoint adds an unauthenticated tcp://0.0.0.0:2375
        # listener when its arguments start with an option; naming dockerd
        # first keeps the entrypoint's dind setup and only the unix socket.
        "args": ["dockerd", f"--host={DOCKER_SOCKET}"],
        "env": [{"name": "DOCKER_TLS_CERTDIR", "value": ""}],
        "security_context": {"privileged": True},
        "startup_probe": {**docker_info, "period_seconds": 2, "timeout_seconds": 5, "failure_threshold": 90},
        # Generous: a restart of this container kills every running job, and
        # `docker info` on a busy Pi can take longer than the default second.
        "liveness_probe": {**docker_info, "period_seconds": 30, "timeout_seconds": 10, "failure_threshold": 6},
        "resources": settings.dind_resources.as_dict(),
        "volume_mounts": mounts,
    }


def _register_container(settings: Settings) -> dict[str, Any]:
    """create-runner-file: writes /data/.runner from the shared secret.

    It pings the instance first, so while Forgejo is still starting it fails
    and the kubelet retries it with backoff; nothing runs before it succeeds.
    """
    return {
        "name": "register",
        "image": settings.runner_image,
        "command": [
            "forgejo-runner",
            "create-runner-file",
            "--connect",
            "--instance",
            settings.internal_url,
            "--name",
            settings.runner_name,
            "--secret",
            f"$({SECRET_ENV})",
        ],
        "env": [
            {
                "name": SECRET_ENV,
                "value_from": {"secret_key_ref": {"name": RUNNER_SECRET_NAME, "key": RUNNER_SECRET_KEY}},
            }
        ],
        "working_dir": "/data",
        "resources": settings.runner_resources.as_dict(),
        "security_context": {"allow_privilege_escalation": False},
        "volume_mounts": [{"name": "runner-data", "mount_path": "/data"}],
    }


def _daemon_container(settings: Settings) -> dict[str, Any]:
    return {
        "name": "runner",
        "image": settings.runner_image,
        # The image prints help and exits without an explicit command.
        "command": ["forgejo-runner", "daemon", "--config", CONFIG_FILE],
        "env": [{"name": "DOCKER_HOST", "value": DOCKER_SOCKET}],
        "working_dir": "/data",
        # The DinD socket is owned by root.
        "security_context": {"run_as_user": 0, "allow_privilege_escalation": False},
        "resources": settings.runner_resources.as_dict(),
        "volume_mounts": [
            {"name": "runner-data", "mount_path": "/data"},
            {"name": "runner-config", "mount_path": CONFIG_DIR, "read_only": True},
            {"name": "docker-socket", "mount_path": "/var/run"},
        ],
    }


def _volumes(settings: Settings) -> list[dict[str, Any]]:
    volumes: list[dict[str, Any]] = [
        {"name": "runner-data", "empty_dir": {}},
        {"name": "runner-config", "config_map": {"name": CONFIG_MAP_NAME}},
        {"name": "docker-socket", "empty_dir": {}},
    ]
    if settings.runner_docker_cache_size:
        volumes.append({"name": "docker-cache", "persistent_volume_claim": {"claim_name": CACHE_CLAIM_NAME}})
    ca = settings.registry_ca
    if ca is not None:
        items = [{"key": ca.key, "path": "ca.crt"}]
        source = (
            {"secret": {"secret_name": ca.secret_name, "items": items}}
            if ca.secret_name
            else {"config_map": {"name": ca.config_map_name, "items": items}}
        )
        volumes.append({"name": "registry-ca", **source})
    return volumes


def _resource_version(secret: k8s.core.v1.Secret) -> pulumi.Output[str]:
    """The Secret's resourceVersion: it changes with the data, and carries none of it."""
    return secret.metadata.apply(lambda metadata: (metadata.resource_version if metadata else None) or "")


def _deployment_spec(
    settings: Settings,
    labels: dict[str, str],
    config_yaml: str,
    secret_version: pulumi.Input[str],
) -> dict[str, Any]:
    selector = {"app.kubernetes.io/name": DEPLOYMENT_NAME, "app.kubernetes.io/instance": settings.runner_name}
    return {
        "replicas": 1,
        # One registration, one daemon: never two pods sharing the runner's
        # identity (or a ReadWriteOnce cache) during a rollout.
        "strategy": {"type": "Recreate"},
        "selector": {"match_labels": selector},
        "template": {
            "metadata": {
                "labels": labels,
                "annotations": {
                    # A config change changes the template, so the pod rolls.
                    "checksum/config": hashlib.sha256(config_yaml.encode()).hexdigest(),
                    # A rotated shared secret must reach create-runner-file, which
                    # only runs when the pod starts: a new Secret version rolls it.
                    SECRET_VERSION_ANNOTATION: secret_version,
                },
            },
            "spec": {
                "automount_service_account_token": False,
                "node_selector": dict(settings.runner_node_selector),
                # Longer than the runner's shutdown_timeout, so a running job can finish.
                "termination_grace_period_seconds": settings.termination_grace_seconds,
                "init_containers": [_dind_container(settings), _register_container(settings)],
                "containers": [_daemon_container(settings)],
                "volumes": _volumes(settings),
            },
        },
    }


class ActionsRunner(pulumi.ComponentResource):
    """A Forgejo Actions runner Deployment with a Docker-in-Docker sidecar."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        *,
        shared_secret: pulumi.Output[str],
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("goldentooth:index:ActionsRunner", name, None, opts)
        namespace = settings.runner_namespace
        child = pulumi.ResourceOptions(parent=self, depends_on=depends_on)
        labels = {
            **common_labels("runner"),
            "app.kubernetes.io/name": DEPLOYMENT_NAME,
            "app.kubernetes.io/instance": settings.runner_name,
        }

        secret = opaque_secret(
            f"{name}-secret",
            RUNNER_SECRET_NAME,
            namespace,
            {RUNNER_SECRET_KEY: shared_secret},
            child,
        )
        config_yaml = runner_config_yaml(settings)
        config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=object_meta(name=CONFIG_MAP_NAME, namespace=namespace, labels=labels),
            data={"config.yaml": config_yaml},
            opts=child,
        )
        dependencies: list[pulumi.Resource] = [*depends_on, secret, config_map]
        if settings.runner_docker_cache_size:
            dependencies.append(
                k8s.core.v1.PersistentVolumeClaim(
                    f"{name}-docker-cache",
                    metadata=object_meta(name=CACHE_CLAIM_NAME, namespace=namespace, labels=labels),
                    spec={
                        "access_modes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": settings.runner_docker_cache_size}},
                        **(
                            {"storage_class_name": cache_class}
                            if (cache_class := settings.runner_docker_cache_storage_class)
                            else {}
                        ),
                    },
                    opts=child,
                )
            )

        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=object_meta(name=DEPLOYMENT_NAME, namespace=namespace, labels=labels),
            # A plain dict in the SDK's snake_case; the SDK maps it to the API's camelCase.
            spec=cast(
                k8s.apps.v1.DeploymentSpecArgsDict,
                _deployment_spec(settings, labels, config_yaml, _resource_version(secret)),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=dependencies),
        )
        self.name: pulumi.Output[str] = pulumi.Output.from_input(settings.runner_name)
        self.labels: pulumi.Output[list[str]] = pulumi.Output.from_input(list(settings.runner_labels))
        self.register_outputs({"name": self.name, "labels": self.labels})
