"""A Forgejo Actions runner group: registration, daemon and a Docker-in-Docker sidecar, race-free."""

from __future__ import annotations

import hashlib

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.cluster import RUNNER_SECRET_KEY, claim_spec, metadata, opaque_secret
from components.config import Resources, RunnerGroup, Settings

core = k8s.core.v1
DEPLOYMENT_NAME = "forgejo-runner"
CONFIG_MAP_NAME = "forgejo-runner-config"  # the seed's, which an adopted install imports
SECRET_ENV = "FORGEJO_RUNNER_SECRET"
CONFIG_DIR = "/etc/runner"
DOCKER_SOCKET = "unix:///var/run/docker.sock"


def object_name(settings: Settings, group: RunnerGroup) -> str:
    """The group's Kubernetes names and component name: the first group keeps the seed's forgejo-runner, so existing
    stacks keep their objects; another is forgejo-runner-<name> (its ConfigMap <that>-config, claim <that>-docker)."""
    return DEPLOYMENT_NAME if group.name == settings.runner_name else f"{DEPLOYMENT_NAME}-{group.name}"


def runner_config_yaml(settings: Settings, group: RunnerGroup) -> str:
    """The runner's config.yaml. It takes its labels only from here (not from environment variables or flags),
    which is why the seed's runner first registered with no labels and picked up no jobs."""
    config = {
        "log": {"level": "info"},
        # The file is relative to the working directory (/data), where create-runner-file wrote it.
        "runner": {"file": ".runner", "capacity": group.capacity, "timeout": settings.runner_timeout,
                   "shutdown_timeout": settings.runner_shutdown_timeout, "labels": list(group.labels)},
        "cache": {"enabled": True},
        # The DinD sidecar's socket; the runner also mounts it into job containers, so a job can `docker build`.
        "container": {"docker_host": DOCKER_SOCKET, "network": "", "privileged": False},
    }  # fmt: skip
    return yaml.safe_dump(config, sort_keys=False)


def _mount(name: str, path: str, *, read_only: bool | None = None) -> core.VolumeMountArgs:
    return core.VolumeMountArgs(name=name, mount_path=path, read_only=read_only)


def _resources(resources: Resources) -> core.ResourceRequirementsArgs:
    amounts = resources.as_dict()
    return core.ResourceRequirementsArgs(requests=amounts.get("requests"), limits=amounts.get("limits"))


def _docker_info(period: int, timeout: int, failures: int) -> core.ProbeArgs:
    command = core.ExecActionArgs(command=["docker", "info"])
    return core.ProbeArgs(exec_=command, period_seconds=period, timeout_seconds=timeout, failure_threshold=failures)


def pod_spec(settings: Settings, group: RunnerGroup, base: str) -> core.PodSpecArgs:
    """Three containers sharing /data and the Docker socket, and the volumes they mount."""
    runner_resources, ca = _resources(group.resources), settings.registry_ca
    dind_mounts = [_mount("docker-socket", "/var/run")]
    volumes = [
        core.VolumeArgs(name="runner-data", empty_dir=core.EmptyDirVolumeSourceArgs()),
        core.VolumeArgs(name="runner-config", config_map=core.ConfigMapVolumeSourceArgs(name=f"{base}-config")),
        core.VolumeArgs(name="docker-socket", empty_dir=core.EmptyDirVolumeSourceArgs()),
    ]
    if group.docker_cache_size:
        dind_mounts.append(_mount("docker-cache", "/var/lib/docker"))
        claim = core.PersistentVolumeClaimVolumeSourceArgs(claim_name=f"{base}-docker")
        volumes.append(core.VolumeArgs(name="docker-cache", persistent_volume_claim=claim))
    if ca is not None:
        dind_mounts.append(_mount("registry-ca", f"/etc/docker/certs.d/{ca.registry}", read_only=True))
        items = [core.KeyToPathArgs(key=ca.key, path="ca.crt")]
        in_secret = core.SecretVolumeSourceArgs(secret_name=ca.secret_name, items=items) if ca.secret_name else None
        in_config_map = None if in_secret else core.ConfigMapVolumeSourceArgs(name=ca.config_map_name, items=items)
        volumes.append(core.VolumeArgs(name="registry-ca", secret=in_secret, config_map=in_config_map))
    # The Docker daemon as a native sidecar (an init container with restartPolicy Always, Kubernetes 1.29+), not a
    # wait loop: the kubelet starts the runner only after its startup probe passes (`docker info` answers on the
    # socket), so nothing meets a missing socket or crash-loops during DinD's ~8 s boot; on shutdown it stops only
    # after the runner has exited, so running jobs keep their daemon while they finish.
    dind = core.ContainerArgs(
        name="dind",
        image=settings.dind_image,
        restart_policy="Always",
        # The image's entrypoint adds an unauthenticated tcp://0.0.0.0:2375 listener when its arguments start with
        # an option; naming dockerd first keeps the entrypoint's dind setup and only the unix socket.
        args=["dockerd", f"--host={DOCKER_SOCKET}"],
        env=[core.EnvVarArgs(name="DOCKER_TLS_CERTDIR", value="")],
        security_context=core.SecurityContextArgs(privileged=True),
        startup_probe=_docker_info(period=2, timeout=5, failures=90),
        # Generous: a restart of this container kills every running job, and `docker info` on a busy Pi can take
        # longer than the default second.
        liveness_probe=_docker_info(period=30, timeout=10, failures=6),
        resources=_resources(group.dind_resources),
        volume_mounts=dind_mounts,
    )
    # create-runner-file writes /data/.runner from the shared secret. It pings the instance first, so while Forgejo
    # is still starting it fails and the kubelet retries it with backoff; nothing runs before it succeeds. The
    # runner's UUID and token are derived from the secret, so every replica writes the same .runner: a group is one
    # registration, however many pods.
    secret = core.EnvVarSourceArgs(secret_key_ref=core.SecretKeySelectorArgs(name=base, key=RUNNER_SECRET_KEY))
    command = ["forgejo-runner", "create-runner-file", "--connect", "--instance", settings.internal_url,
               "--name", group.name, "--secret", f"$({SECRET_ENV})"]  # fmt: skip
    register = core.ContainerArgs(
        name="register",
        image=settings.runner_image,
        command=command,
        env=[core.EnvVarArgs(name=SECRET_ENV, value_from=secret)],
        working_dir="/data",
        resources=runner_resources,
        security_context=core.SecurityContextArgs(allow_privilege_escalation=False),
        volume_mounts=[_mount("runner-data", "/data")],
    )
    daemon = core.ContainerArgs(
        name="runner",
        image=settings.runner_image,
        # The image prints help and exits without an explicit command.
        command=["forgejo-runner", "daemon", "--config", f"{CONFIG_DIR}/config.yaml"],
        env=[core.EnvVarArgs(name="DOCKER_HOST", value=DOCKER_SOCKET)],
        working_dir="/data",
        # The DinD socket is owned by root.
        security_context=core.SecurityContextArgs(run_as_user=0, allow_privilege_escalation=False),
        resources=runner_resources,
        volume_mounts=[
            _mount("runner-data", "/data"),
            _mount("runner-config", CONFIG_DIR, read_only=True),
            _mount("docker-socket", "/var/run"),
        ],
    )
    return core.PodSpecArgs(
        automount_service_account_token=False,
        node_selector=group.pod_node_selector,
        # Longer than the runner's shutdown_timeout, so a running job can finish.
        termination_grace_period_seconds=settings.termination_grace_seconds,
        init_containers=[dind, register],
        containers=[daemon],
        volumes=volumes,
    )


class ActionsRunner(pulumi.ComponentResource):
    """One runner group: a Deployment of runners, each with a Docker-in-Docker sidecar, and its config and secret."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        group: RunnerGroup,
        *,
        shared_secret: pulumi.Output[str],
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("goldentooth:index:ActionsRunner", name, None, opts)
        namespace, base = settings.runner_namespace, object_name(settings, group)
        child = pulumi.ResourceOptions(parent=self, depends_on=depends_on)
        selector = {"app.kubernetes.io/name": DEPLOYMENT_NAME, "app.kubernetes.io/instance": group.name}

        def meta(object_name: str) -> k8s.meta.v1.ObjectMetaArgs:
            return metadata(object_name, namespace, "runner", selector)

        secret = opaque_secret(f"{name}-secret", base, namespace, {RUNNER_SECRET_KEY: shared_secret}, child)
        config_yaml = runner_config_yaml(settings, group)
        config_map = core.ConfigMap(
            f"{name}-config", metadata=meta(f"{base}-config"), data={"config.yaml": config_yaml}, opts=child
        )
        dependencies: list[pulumi.Resource] = [*depends_on, secret, config_map]
        if group.docker_cache_size:
            claim = claim_spec(group.docker_cache_size, group.docker_cache_storage_class)
            cache = core.PersistentVolumeClaim(
                f"{name}-docker-cache", metadata=meta(f"{base}-docker"), spec=claim, opts=child
            )
            dependencies.append(cache)
        annotations: dict[str, pulumi.Input[str]] = {
            # A config change changes the template, so the pod rolls.
            "checksum/config": hashlib.sha256(config_yaml.encode()).hexdigest(),
            # A rotated shared secret must reach create-runner-file, which only runs when the pod starts: a new
            # Secret version rolls it. The resourceVersion changes with the data, and carries none of it.
            "goldentooth.net/runner-secret-version": secret.metadata.apply(
                lambda m: (m.resource_version if m else None) or ""
            ),
        }
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=meta(base),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=group.replicas,
                # Never an old and a new pod at once during a rollout: the new one may carry a new registration (a
                # rotated secret), and a Docker cache claim is ReadWriteOnce.
                strategy=k8s.apps.v1.DeploymentStrategyArgs(type="Recreate"),
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                template=core.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=meta(base).labels, annotations=annotations),
                    spec=pod_spec(settings, group, base),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=dependencies),
        )
        self.name: pulumi.Output[str] = pulumi.Output.from_input(group.name)
        self.labels: pulumi.Output[list[str]] = pulumi.Output.from_input(list(group.labels))
        self.register_outputs({"name": self.name, "labels": self.labels})
