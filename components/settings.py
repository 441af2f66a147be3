"""The program's validated settings: plain, typed, frozen values.

Built only by the config loader (components/config.py); components read them
and never touch pulumi.Config themselves.
"""

from collections.abc import Mapping
from typing import NamedTuple

import pulumi

from components import naming
from components.durations import parse_duration
from components.mirror_rules import MirrorSpec

# Seconds between the runner's shutdown_timeout and the pod's grace period.
SHUTDOWN_MARGIN_SECONDS = 30


class PodSecurity(NamedTuple):
    enforce: str
    warn: str | None = None
    audit: str | None = None

    def labels(self) -> dict[str, str]:
        levels = {"enforce": self.enforce, "warn": self.warn, "audit": self.audit}
        return {f"pod-security.kubernetes.io/{mode}": level for mode, level in levels.items() if level}


class NamespaceSettings(NamedTuple):
    server: str
    runner: str
    server_pod_security: PodSecurity
    runner_pod_security: PodSecurity

    @property
    def shared(self) -> bool:
        return self.server == self.runner


class Resources(NamedTuple):
    requests: dict[str, str]
    limits: dict[str, str]

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {"requests": dict(self.requests), "limits": dict(self.limits)}


class Storage(NamedTuple):
    """Either a claim the chart creates (class + size) or an existing claim."""

    size: str
    storage_class: str = ""
    existing_claim: str = ""


class GatewayParent(NamedTuple):
    name: str
    namespace: str
    section_name: str


class ForgejoSettings(NamedTuple):
    hostname: str
    chart_source: str
    chart_version: str
    version: str
    release_name: str
    fullname_override: str
    admin_username: str
    admin_email: str
    storage: Storage
    node_selector: dict[str, str]
    resources: Resources
    mirror_min_interval: str
    service_port: int
    protect_data: bool
    ssh_enabled: bool = False

    @property
    def url(self) -> str:
        return f"https://{self.hostname}/"

    @property
    def chart(self) -> str:
        return naming.chart_reference(self.chart_source)

    @property
    def http_service_name(self) -> str:
        return naming.http_service_name(self.release_name, self.fullname_override)

    @property
    def fullname(self) -> str:
        return naming.chart_fullname(self.release_name, self.fullname_override)

    @property
    def image(self) -> str:
        return f"{naming.FORGEJO_IMAGE_REPOSITORY}:{self.version}-rootless"


class DockerCache(NamedTuple):
    """A persistent /var/lib/docker for the DinD sidecar, so rebuilds don't start cold."""

    size: str
    storage_class: str = ""


class RegistryCa(NamedTuple):
    """A private registry's CA certificate, trusted by DinD through /etc/docker/certs.d/<registry>/ca.crt."""

    registry: str
    key: str
    secret_name: str = ""
    config_map_name: str = ""


class RunnerSettings(NamedTuple):
    name: str
    image: str
    dind_image: str
    labels: tuple[str, ...]
    capacity: int
    timeout: str
    shutdown_timeout: str
    node_selector: dict[str, str]
    resources: Resources
    dind_resources: Resources
    docker_cache: DockerCache | None = None
    registry_ca: RegistryCa | None = None

    @property
    def termination_grace_seconds(self) -> int:
        # Kubernetes kills the pod when the grace period ends; the runner must
        # have given up on its jobs (shutdown_timeout) a little before that.
        return parse_duration(self.shutdown_timeout) // 1_000_000_000 + SHUTDOWN_MARGIN_SECONDS


class MirrorSettings(NamedTuple):
    mirrors: tuple[MirrorSpec, ...]
    api_url: str
    ca_bundle: str | None
    insecure: bool


class Adoption(NamedTuple):
    """Taking over the objects Flux deployed from the seed's manifests.

    The names apply for as long as this block is in the config, so the adopted
    objects keep their names after the takeover; ``enabled`` adds Pulumi's
    ``import_`` option, for the takeover run only. Secrets of an adopted
    install are always read from the existing Secrets, never generated: a new
    admin password would lock the mirror provider out, and a new runner secret
    would unregister the runner.
    """

    enabled: bool
    release_name: str
    admin_secret: str
    data_claim: str

    def import_id(self, name: str, namespace: str | None = None) -> str | None:
        """Pulumi's import ID for a Kubernetes object ("<namespace>/<name>"), or None when not importing."""
        if not self.enabled:
            return None
        return f"{namespace}/{name}" if namespace else name


class ImageBuild(NamedTuple):
    """Where the image build workflow template pushes: <registry>/<name>:<sha> and :latest."""

    registry: str
    name: str

    @property
    def repository(self) -> str:
        return f"{self.registry}/{self.name}"


class Secrets(NamedTuple):
    """Secret overrides from config; None means "generate one" (or, for the API token, "use the admin")."""

    admin_password: pulumi.Output[str] | None = None
    runner_secret: pulumi.Output[str] | None = None
    forgejo_api_token: pulumi.Output[str] | None = None
    mirror_upstream_tokens: Mapping[str, pulumi.Output[str]] | None = None


class Settings(NamedTuple):
    forgejo: ForgejoSettings
    namespaces: NamespaceSettings
    gateway: GatewayParent
    tls_mode: str
    runner: RunnerSettings
    mirrors: MirrorSettings
    image_build: ImageBuild | None
    adoption: Adoption | None
    secrets: Secrets = Secrets()
    warnings: tuple[str, ...] = ()

    @property
    def internal_url(self) -> str:
        return naming.internal_url(self.forgejo.http_service_name, self.namespaces.server, self.forgejo.service_port)

    @property
    def tls_dns_names(self) -> list[str]:
        # In "external" mode the gateway's certificate already covers the host
        # (a wildcard, say), so there is nothing for the certificate owner to add.
        return [self.forgejo.hostname] if self.tls_mode == "export" else []
