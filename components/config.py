"""The program's settings: one declarative model of the stack config, validated once, before anything registers.

Each field of :class:`Settings` is a key of the ``goldentooth-forgejo:`` namespace (its camelCase alias). Top-level
defaults live in Pulumi.yaml (the CLI fills them in, so a key missing here means the two disagree); nested objects
merge with their per-field defaults, so ``pulumi config set --path serverPodSecurity.enforce privileged`` keeps warn
and audit. A rule relating two keys sits on the later field and reads the earlier one from ``info.data``, where a
key that failed its own rule is absent: each problem is reported once, for what it is, and all of them in one run.
``__main__.py`` calls :func:`load_settings` first, so a bad value stops the program before anything is applied.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BeforeValidator, Field, ValidationError, ValidationInfo, field_validator, model_validator

from components import naming
from components import values as v
from components.api_token_provider import ApiTokenSpec
from components.durations import parse_duration
from components.mirror_spec import MirrorConfig

PROJECT = "goldentooth-forgejo"
# Read with get_secret and documented in the README rather than declared in Pulumi.yaml: the CLI treats a declared
# key without a default as required, and refuses a default on a secret key (pulumi/pulumi#21865).
OPTIONAL_SECRET_KEYS = ("adminPassword", "runnerSecret", "forgejoApiToken", "mirrorUpstreamTokens")
SHUTDOWN_MARGIN_SECONDS = 30  # between the runner's shutdown_timeout and the pod's grace period
_OFF = BeforeValidator(lambda value: None if value == {} else value)  # {}, Pulumi.yaml's default, turns it off


class PodSecurity(v.Model):
    """PodSecurity levels of a namespace; a mode set to null gets no label."""

    enforce: v.PodSecurityLevel
    warn: v.PodSecurityLevel | None = "restricted"
    audit: v.PodSecurityLevel | None = "restricted"

    def labels(self) -> dict[str, str]:
        return {f"pod-security.kubernetes.io/{mode}": level for mode, level in self.model_dump().items() if level}


class Amounts(v.Model):
    cpu: v.Cpu | None = None
    memory: v.Bytes | None = None


class Resources(v.Model):
    requests: Amounts = Amounts()
    limits: Amounts = Amounts()

    @model_validator(mode="after")
    def _request_within_limit(self) -> Resources:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for name in ("cpu", "memory"):
            request, limit = getattr(self.requests, name), getattr(self.limits, name)
            if request and limit and (v.parse_quantity(request) or 0) > (v.parse_quantity(limit) or 0):
                reason = f"{request} is more than the limit {limit}; Kubernetes refuses a request above its limit"
                problems.append((("requests", name), reason))
        v.refuse(problems)
        return self

    def as_dict(self) -> dict[str, dict[str, str]]:
        return self.model_dump(exclude_none=True)


@dataclass(frozen=True)
class PerFieldDefaults:
    """Nested defaults of a key whose shape is shared (three keys are Resources): set fields win, field by field."""

    defaults: dict[str, dict[str, str]]

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        merged = {key: {**inner, **value.get(key, {})} for key, inner in self.defaults.items()}
        return {**value, **{key: merged[key] for key in merged if isinstance(value.get(key, {}), dict)}}


def _defaults(cpu: tuple[str, str], memory: tuple[str, str]) -> BeforeValidator:  # (request, limit) of each
    defaults = {"requests": {"cpu": cpu[0], "memory": memory[0]}, "limits": {"cpu": cpu[1], "memory": memory[1]}}
    return BeforeValidator(PerFieldDefaults(defaults))


RunnerResources = Annotated[Resources, _defaults(cpu=("100m", "2"), memory=("128Mi", "1Gi"))]
DindResources = Annotated[Resources, _defaults(cpu=("100m", "2"), memory=("256Mi", "2Gi"))]
ARCHITECTURES = ("arm64", "amd64")
ARCH_LABEL = "kubernetes.io/arch"
# The first group's runner-side Secret is "forgejo-runner", another's "forgejo-runner-<name>": this one would take
# the server side's name (<fullname>-runner-registration) when both share a namespace and the release is "forgejo".
_GROUP_NAME = v.first(lambda n: f"{n!r} would name the group's Secret like the server side's registration Secret; "
                      "choose another name" if n == "registration" else None, v.DNS_LABEL)  # fmt: skip


class RunnerGroup(v.Model):
    """One kind of runner (README: "Runner groups"): a Deployment of identical pods with its own labels, shared secret
    and registration. The flat keys (runnerName, runnerLabels, ...) are the first group; ``runnerGroups`` adds more."""

    name: Annotated[str, v.rule(_GROUP_NAME)]
    labels: v.RunnerLabels
    capacity: v.Capacity = 1
    architecture: v.Blank[Annotated[str, v.one_of(*ARCHITECTURES, why=f" (the node label {ARCH_LABEL})")]] = ""
    node_selector: v.NodeSelector = Field(default_factory=dict)
    resources: RunnerResources = Field(default_factory=dict, validate_default=True)
    dind_resources: DindResources = Field(default_factory=dict, validate_default=True)
    docker_cache_size: v.Blank[v.Bytes] = ""
    docker_cache_storage_class: v.Blank[v.DnsSubdomain] = ""
    replicas: Annotated[int, v.rule(lambda n: f"{n} is below 1" if n < 1 else None)] = 1
    scope: v.RunnerScope = ""

    @model_validator(mode="after")
    def _consistent(self) -> RunnerGroup:
        arch = self.node_selector.get(ARCH_LABEL, self.architecture)
        problems = [(where, why) for where, why, refused in (
            (("nodeSelector", ARCH_LABEL), f"is {arch!r}, but architecture is {self.architecture!r}; no node has both "
             "(keep one of them)", self.architecture and arch != self.architecture),
            (("replicas",), f"is {self.replicas} with a Docker cache: its ReadWriteOnce claim holds one daemon's "
             "/var/lib/docker, which a second pod can neither mount nor share", self.docker_cache_size and
             self.replicas > 1),
            (("dockerCacheStorageClass",), "is set but dockerCacheSize is empty (cache off)",
             self.docker_cache_storage_class and not self.docker_cache_size),
        ) if refused]  # fmt: skip
        v.refuse(problems)
        return self

    @property
    def pod_node_selector(self) -> dict[str, str]:
        return {**self.node_selector, **({ARCH_LABEL: self.architecture} if self.architecture else {})}


def _across_groups(groups: list[RunnerGroup], data: dict[str, Any]) -> v.Problems:
    """A name, and a label name, belong to one group: runnerName and runnerLabels are the first group's (their own
    repeats are refused by their own rules, so a repeat is always a group's)."""
    names: list[tuple[tuple[str | int, ...], str, str]] = [((), "runnerName", data.get("runner_name", ""))]
    names += [((i, "name"), f"runnerGroups[{i}].name", group.name) for i, group in enumerate(groups)]
    labels: list[tuple[tuple[str | int, ...], str, str]] = [
        ((), f"runnerLabels[{j}]", label) for j, label in enumerate(data.get("runner_labels", ()))
    ]
    labels += [((i, "labels", j), f"runnerGroups[{i}].labels[{j}]", label)
               for i, group in enumerate(groups) for j, label in enumerate(group.labels)]  # fmt: skip
    return [(names[i][0], f"{names[i][2]!r} is already the name of {names[at][1]}; give each group its own")
            for i, at in v.repeats([name for *_, name in names])] + [
        (labels[i][0], f"names {labels[i][2].partition(':')[0]!r}, which {labels[at][1]} names already; a job picks "
         "a runner by label name, so each name belongs to one group")
        for i, at in v.repeats([v.label_name(label) for *_, label in labels])
    ]  # fmt: skip


class Gateway(v.Model):
    name: v.DnsSubdomain
    namespace: v.DnsLabel
    section_name: v.DnsSubdomain


class KeyRef(v.Model):
    secret_name: v.Blank[v.DnsSubdomain] = ""
    config_map_name: v.Blank[v.DnsSubdomain] = ""
    key: v.ConfigKey = "ca.crt"

    @model_validator(mode="after")
    def _one_source(self) -> KeyRef:
        if bool(self.secret_name) == bool(self.config_map_name):
            raise ValueError("needs exactly one of secretName or configMapName holding the CA certificate")
        return self


class RegistryCa(KeyRef):
    """A private registry's CA, from the runner namespace, trusted by DinD at /etc/docker/certs.d/<registry>/."""

    registry: v.RegistryHost = Field(description="the registry's host[:port], e.g. 'registry.goldentooth.net'")


class CaFrom(KeyRef):
    """The CA that signed Forgejo's certificate, read from the cluster: cert-manager's ca.crt beside the gateway's."""

    namespace: v.DnsLabel


class RunnerEgress(v.Model):
    """The runner pods' NetworkPolicy: besides DNS, Forgejo, the gateway and the internet, the cluster is closed
    to them but for these namespaces and blocks (a registry reached at a LoadBalancer or LAN address, say)."""

    enabled: bool = True
    allow_cidrs: list[v.Cidr] = Field(default_factory=list)
    allow_namespaces: list[v.DnsLabel] = Field(default_factory=list)


class ImageAutomationConfig(v.Model):
    """Flux's ImageRepository and ImagePolicy for <imageRegistry>/<imageName>, trusting the registry's CA."""

    namespace: v.Namespace = "flux-system"
    interval: v.FluxInterval = "5m"
    cert_secret_name: v.DnsSubdomain = Field(
        description="the Secret in that namespace holding the registry's CA as ca.crt (Flux's certSecretRef)"
    )


class Adoption(v.Model):
    """Taking over the objects Flux deployed (components/takeover.py). The names hold while this block is in the
    config; ``enabled`` imports the objects, on the takeover run only. Secrets of an adopted install are read, never
    generated: a new admin password would lock the mirror provider out, a new runner secret would unregister the
    runner."""

    enabled: bool = Field(description="true (import the existing objects on the takeover run) or false (after it)")
    release_name: v.HelmReleaseName = Field(
        description="the existing Helm release (Flux names it <targetNamespace>-<name>, e.g. forgejo-forgejo)"
    )
    admin_secret: v.DnsSubdomain = "forgejo-admin"
    data_claim: v.DnsSubdomain = "gitea-shared-storage"


class TokenSecret(v.Model):
    """Where a token's value is delivered: one key of a Secret in the consumer's namespace, which must exist."""

    namespace: v.Namespace
    name: v.DnsSubdomain
    key: v.ConfigKey = "token"


class ApiTokenConfig(ApiTokenSpec):
    """An access token as configured: ``user`` defaults to the admin, ``secret`` (optional) delivers the value."""

    user: v.Blank[v.ForgejoName] = ""
    secret: TokenSecret | None = None


_TLS_MODE_WHY = (
    " (there is no mode that edits an existing cert-manager Certificate: its dnsNames list is atomic, so a patch "
    "would own the whole list and deleting the patch would reset it)"
)


def _relations(field: str, value: Any, data: dict[str, Any]) -> str | v.Problems | None:
    match field:
        case "fullname_override" if value:
            return v.service_name_problem("", value)
        case "release_name" if data.get("fullname_override") == "":
            return v.service_name_problem(value, "")
        case "existing_claim" if value and data.get("storage_class"):
            return "is set together with storageClass; use an existing claim or a class for a new claim, not both"
        case "existing_claim" if value and data.get("adoption"):
            return "is set while adopting; the adopted claim is adoption.dataClaim"
        case "namespace_layout" if data.get("adoption") and value != "shared":
            return ("must be 'shared' while adopting: the seed's runner objects live in the server namespace (move to "
                    "'separate' after the takeover if you want)")  # fmt: skip
        case "runner_namespace" if data.get("namespace_layout") == "separate" and value == data.get("server_namespace"):
            return (f"is the same as serverNamespace ({value!r}); with namespaceLayout 'separate' choose another "
                    "name, or set namespaceLayout to 'shared'")  # fmt: skip
        case "server_pod_security" if value.enforce == "restricted":  # the chart's init containers set no seccomp
            return [(("enforce",), "'restricted' refuses the chart's pods (no seccompProfile or runAsNonRoot); "
                     "enforce 'baseline' and warn/audit 'restricted'")]  # fmt: skip
        case "server_pod_security" if data.get("namespace_layout") == "shared" and value.enforce != "privileged":
            return [(("enforce",), f"is {value.enforce!r}, but namespaceLayout 'shared' runs the privileged "
                     "Docker-in-Docker runner in the server namespace; set enforce to 'privileged' or use "
                     "namespaceLayout 'separate'")]  # fmt: skip
        case "runner_docker_cache_storage_class" if value and data.get("runner_docker_cache_size") == "":
            return "is set but runnerDockerCacheSize is empty (cache off)"
        case "mirrors":  # Forgejo compares names case-insensitively, and so do the resource names
            return [
                ((i,), f"mirrors {value[i].full_name} again (already mirrors[{at}])")
                for i, at in v.repeats([mirror.full_name.lower() for mirror in value])
            ]
        case "forgejo_ca_from" if value and data.get("forgejo_ca_bundle"):
            return "is set together with forgejoCaBundle; keep one of them (`pulumi config rm` the other)"
        case "forgejo_insecure" if value and (data.get("forgejo_ca_bundle") or data.get("forgejo_ca_from")):
            return "is true while forgejoCaBundle or forgejoCaFrom is set; keep verification and drop this"
        case "image_name" if "image_registry" in data and bool(data["image_registry"]) != bool(value):
            return "is needed together with imageRegistry (set both, or neither)"
        case "runner_groups":
            return _across_groups(value, data)
        case "image_automation" if value and data.get("image_name") == "":
            return "needs imageRegistry and imageName: the image Flux watches is <imageRegistry>/<imageName>"
        case "mirror_upstream_tokens" if value and "mirrors" in data:
            strays = sorted(set(value) - {mirror.full_name for mirror in data["mirrors"]})
            return [((), f"has a token for {name!r}, which is not a configured mirror") for name in strays]
        case "api_tokens":  # names are unique per user in Forgejo; one Secret has one writer
            return _token_clashes(value, data.get("admin_username", ""))
    return None


def _token_clashes(tokens: list[ApiTokenConfig], admin: str) -> v.Problems:
    users = [token.user or admin for token in tokens]
    secrets = [f"{t.secret.namespace}/{t.secret.name}" if t.secret else None for t in tokens]
    return [((i, "name"), f"names {users[i]}'s token {tokens[i].name!r} again (already apiTokens[{at}])")
            for i, at in v.repeats([(user.lower(), token.name) for user, token in zip(users, tokens, strict=True)])] + [
        ((i, "secret"), f"writes Secret {secrets[i]} again (already apiTokens[{at}]); give each token its own Secret")
        for i, at in v.repeats(secrets)
    ]  # fmt: skip


class Settings(v.Model):
    """Every key of the stack config, and the four secret overrides (validated here, read with get_secret)."""

    hostname: v.Hostname
    admin_email: v.Email
    admin_username: v.AdminUsername
    chart_source: v.ChartSource
    chart_version: v.ExactVersion
    forgejo_version: v.ForgejoVersion
    fullname_override: v.Blank[v.DnsLabel]
    release_name: v.HelmReleaseName
    adoption: Annotated[Adoption | None, _OFF]
    storage_class: v.Blank[v.DnsSubdomain]
    storage_size: v.Bytes
    existing_claim: v.Blank[v.DnsSubdomain]
    sqlite_unsafe_storage_classes: list[v.DnsSubdomain]
    node_selector: v.NodeSelector
    resources: Annotated[Resources, _defaults(cpu=("100m", "1"), memory=("256Mi", "512Mi"))]
    mirror_min_interval: v.MinInterval
    service_port: v.Port
    ssh_enabled: bool
    protect_data: bool
    namespace_layout: Annotated[str, v.one_of("separate", "shared")]
    server_namespace: v.Namespace
    runner_namespace: v.Namespace
    server_pod_security: PodSecurity
    gateway: Gateway
    tls_mode: Annotated[str, v.one_of("export", "external", why=_TLS_MODE_WHY)]
    runner_name: Annotated[str, v.rule(_GROUP_NAME)]
    runner_image: v.ExactImage
    dind_image: v.ExactImage
    runner_labels: v.RunnerLabels
    runner_capacity: v.Capacity
    runner_timeout: v.GoDuration
    runner_shutdown_timeout: v.GoDuration
    runner_node_selector: v.NodeSelector
    runner_resources: RunnerResources
    dind_resources: DindResources
    runner_docker_cache_size: v.Blank[v.Bytes]
    runner_docker_cache_storage_class: v.Blank[v.DnsSubdomain]
    runner_scope: v.RunnerScope
    runner_groups: list[RunnerGroup]
    registry_ca: Annotated[RegistryCa | None, _OFF]
    runner_egress: RunnerEgress
    mirrors: list[MirrorConfig]
    api_tokens: list[ApiTokenConfig]
    forgejo_api_url: v.Blank[v.ApiUrl]
    forgejo_ca_bundle: v.OptionalCaBundle
    forgejo_ca_from: Annotated[CaFrom | None, _OFF]
    forgejo_insecure: bool
    image_registry: v.Blank[v.RegistryHost]
    image_name: v.Blank[v.ImageName]
    image_automation: Annotated[ImageAutomationConfig | None, _OFF]
    admin_password: v.Password | None = Field(None, repr=False)
    runner_secret: v.SharedSecret | None = Field(None, repr=False)
    forgejo_api_token: v.Token | None = Field(None, repr=False)
    mirror_upstream_tokens: dict[str, v.Token] | None = Field(None, repr=False)

    @field_validator("*", mode="after")
    @classmethod
    def _related(cls, value: Any, info: ValidationInfo) -> Any:
        """The rules that relate a key to keys before it (absent from ``info.data`` when they failed their own)."""
        reason = _relations(str(info.field_name), value, info.data)
        v.refuse([((), reason)] if isinstance(reason, str) else reason or [])
        return value

    @model_validator(mode="after")
    def _effective(self) -> Settings:
        """What the program applies: an adopted install keeps its release name and claim; ``shared`` puts the
        runner in the server namespace."""
        update: dict[str, Any] = {"runner_namespace": self.server_namespace} if self.shared else {}
        # A token without a user is the admin's.
        update["api_tokens"] = [t.model_copy(update={"user": t.user or self.admin_username}) for t in self.api_tokens]
        if self.adoption:
            update.update(release_name=self.adoption.release_name, existing_claim=self.adoption.data_claim)
        return self.model_copy(update=update)

    @property
    def runners(self) -> tuple[RunnerGroup, ...]:
        """Every runner group: the flat keys' first (runner<Field>, and dindResources), validated by the same model,
        then runnerGroups."""
        flat = {name: name if name.startswith("dind") else f"runner_{name}" for name in RunnerGroup.model_fields}
        first = {name: getattr(self, key) for name, key in flat.items() if key in Settings.model_fields}
        return (RunnerGroup.model_validate(first), *self.runner_groups)

    @property
    def shared(self) -> bool:
        return self.namespace_layout == "shared"

    @property
    def url(self) -> str:
        return f"https://{self.hostname}/"

    @property
    def api_url(self) -> str:
        return (self.forgejo_api_url or f"https://{self.hostname}").rstrip("/")

    @property
    def fullname(self) -> str:
        return naming.chart_fullname(self.release_name, self.fullname_override)

    @property
    def image(self) -> str:
        """Server and registration sidecar: the same exact Forgejo."""
        return f"{naming.FORGEJO_IMAGE_REPOSITORY}:{self.forgejo_version}-rootless"

    @property
    def http_service_name(self) -> str:
        return naming.http_service_name(self.release_name, self.fullname_override)

    @property
    def internal_url(self) -> str:
        return naming.internal_url(self.http_service_name, self.server_namespace, self.service_port)

    @property
    def image_repository(self) -> str | None:
        """What the build workflow template pushes, and Flux watches."""
        return f"{self.image_registry}/{self.image_name}" if self.image_name else None

    @property
    def runner_pod_security(self) -> PodSecurity:
        # DinD is a privileged container, which only the privileged level admits.
        return self.server_pod_security if self.shared else PodSecurity(enforce="privileged", warn=None, audit=None)

    @property
    def tls_dns_names(self) -> list[str]:
        # "external": the gateway's certificate already covers the host (a wildcard, say).
        return [self.hostname] if self.tls_mode == "export" else []

    @property
    def termination_grace_seconds(self) -> int:
        # Kubernetes kills the pod when the grace period ends; the runner gives up on its jobs a little before.
        return parse_duration(self.runner_shutdown_timeout) // 10**9 + SHUTDOWN_MARGIN_SECONDS

    @property
    def warnings(self) -> list[str]:
        if self.storage_class not in self.sqlite_unsafe_storage_classes:
            return []
        return [
            f"{PROJECT}:storageClass {self.storage_class!r} is listed in sqliteUnsafeStorageClasses: Forgejo's SQLite "
            "database needs POSIX file locking for its write-ahead log, which this class cannot provide (a FUSE mount "
            "grew the WAL without bound and corrupted the database). Use a local or block storage class, or an "
            "existingClaim on one."
        ]


@dataclass(frozen=True)
class Problem:
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{PROJECT}:{self.key}: {self.reason}"


class ConfigError(Exception):
    """Every problem found in the stack config, each naming its key."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.key)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"{len(problems)} configuration problem(s); nothing was applied. "
            f"Fix them with `pulumi config set <key> <value>` (add --secret for secrets):\n{lines}"
        )


def _is_text(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        return _is_text(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return all(_is_text(argument) or argument is NoneType for argument in get_args(annotation))
    return annotation is str


# The CLI hands every value over as a string: objects, lists, numbers and booleans as JSON.
_JSON_KEYS = frozenset(field.alias for field in Settings.model_fields.values() if not _is_text(field.annotation))


def _value(key: str, text: str) -> Any:
    try:
        return json.loads(text) if key in _JSON_KEYS else text
    except json.JSONDecodeError:
        return text  # refused by its type, with the key named


def parse_settings(raw: Mapping[str, str], secret_keys: frozenset[str] = frozenset()) -> Settings:
    """Raw config strings (project namespace stripped) to Settings. Pure: tests drive it with plain dicts.
    Raises ConfigError listing every problem."""
    problems = [
        Problem(key, f"is stored in plain text in the stack file; set it with `pulumi config set --secret {key}`")
        for key in OPTIONAL_SECRET_KEYS
        if key in raw and key not in secret_keys
    ]
    values = {key: _value(key, text) for key, text in raw.items()}
    try:
        settings = Settings.model_validate(
            values, by_alias=True, by_name=False, context={"min_interval": raw.get("mirrorMinInterval")}
        )
    except ValidationError as error:
        problems += [Problem(key, reason) for key, reason in v.validation_problems(error, Settings)]
    if problems:
        raise ConfigError(problems)
    return settings


@dataclass(frozen=True)
class Secrets:
    """Secret overrides from config; None means "generate one" (or, for the API token, "use the admin")."""

    admin_password: pulumi.Output[str] | None = None
    runner_secret: pulumi.Output[str] | None = None
    forgejo_api_token: pulumi.Output[str] | None = None
    mirror_upstream_tokens: Mapping[str, pulumi.Output[str]] | None = None


def load_settings() -> tuple[Settings, Secrets]:
    """Read and validate the stack config; log warnings; raise ConfigError on any problem."""
    prefix = f"{PROJECT}:"
    # pulumi.Config answers only for keys it is asked about; listing every key reports a misspelt one.
    everything = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    raw = {key.removeprefix(prefix): str(value) for key, value in everything.items() if key.startswith(prefix)}
    settings = parse_settings(raw, frozenset(key for key in raw if runtime_config.is_config_secret(prefix + key)))
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    config = pulumi.Config(PROJECT)
    tokens = config.get_secret_object("mirrorUpstreamTokens")
    names = settings.mirror_upstream_tokens or {}  # the names ("owner/name") are not secret, only the values are
    return settings, Secrets(
        admin_password=config.get_secret("adminPassword"),
        runner_secret=config.get_secret("runnerSecret"),
        forgejo_api_token=config.get_secret("forgejoApiToken"),
        mirror_upstream_tokens={name: tokens.apply(operator.itemgetter(name)) for name in names}
        if tokens is not None and names
        else None,
    )
