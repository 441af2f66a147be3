"""The one config loader: reads every key, validates it, reports all problems at once.

Defaults live in ``Pulumi.yaml`` only (the CLI fills them in), so this module
never repeats one. A key that is missing here means the project file and the
loader disagree, which is reported like any other problem. Nothing in this
module registers a resource: ``__main__.py`` calls :func:`load_settings`
first, so a bad value stops the program before anything is applied.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping

import pulumi
from pulumi.runtime import config as runtime_config

from components import naming, rules
from components.config_reader import (
    PROJECT,
    ConfigError,
    ConfigReader,
    Problem,
    load_node_selector,
    load_pod_security,
    load_resources,
    string_map,
)
from components.durations import parse_duration
from components.mirror_rules import MirrorSpec, mirror_spec_problems
from components.settings import (
    Adoption,
    DockerCache,
    ForgejoSettings,
    GatewayParent,
    ImageBuild,
    MirrorSettings,
    NamespaceSettings,
    PodSecurity,
    RegistryCa,
    Resources,
    RunnerSettings,
    Secrets,
    Settings,
    Storage,
)

__all__ = [
    "PROJECT",
    "Adoption",
    "ConfigError",
    "DockerCache",
    "ForgejoSettings",
    "GatewayParent",
    "ImageBuild",
    "MirrorSettings",
    "NamespaceSettings",
    "PodSecurity",
    "Problem",
    "RegistryCa",
    "Resources",
    "RunnerSettings",
    "Secrets",
    "Settings",
    "Storage",
    "load_settings",
    "parse_settings",
]

# Secret overrides are read with get_secret and documented in the README rather
# than declared in Pulumi.yaml: the CLI treats a declared key without a default
# as required, and refuses a default on a secret key (pulumi/pulumi#21865).
OPTIONAL_SECRET_KEYS = ("adminPassword", "runnerSecret", "forgejoApiToken", "mirrorUpstreamTokens")

TLS_MODES = ("export", "external")
NAMESPACE_LAYOUTS = ("separate", "shared")


def _load_storage(reader: ConfigReader, unsafe_classes: list[str]) -> tuple[Storage, list[str]]:
    size = reader.string("storageSize", rules.positive_quantity)
    storage_class = reader.string("storageClass", rules.dns_subdomain, allow_empty=True)
    existing_claim = reader.string("existingClaim", rules.dns_subdomain, allow_empty=True)
    warnings = []
    if existing_claim and storage_class:
        reader.problem(
            "existingClaim",
            "is set together with storageClass; use either an existing claim or a class for a new claim, not both",
        )
    if storage_class in unsafe_classes:
        warnings.append(
            f"{PROJECT}:storageClass {storage_class!r} is listed in sqliteUnsafeStorageClasses: Forgejo's SQLite "
            "database needs POSIX file locking for its write-ahead log, which this class cannot provide (a FUSE "
            "mount grew the WAL without bound and corrupted the database). Use a local or block storage class, "
            "or an existingClaim on one."
        )
    return Storage(size=size, storage_class=storage_class, existing_claim=existing_claim), warnings


def _load_namespaces(reader: ConfigReader) -> NamespaceSettings:
    layout = reader.choice("namespaceLayout", NAMESPACE_LAYOUTS)
    server = reader.string("serverNamespace", rules.dns_label)
    runner = reader.string("runnerNamespace", rules.dns_label)
    server_pod_security = load_pod_security(reader, "serverPodSecurity")
    if server_pod_security.enforce == "restricted":
        # The chart's pods set no seccomp profile or runAsNonRoot, so admission
        # would refuse them and the release would time out after 15 minutes.
        reader.problem(
            "serverPodSecurity.enforce",
            "'restricted' refuses the chart's pods (no seccompProfile or runAsNonRoot); enforce 'baseline' "
            "and warn/audit 'restricted'",
        )
    # The runner's Docker-in-Docker sidecar is a privileged container, which
    # only the privileged level admits.
    runner_pod_security = PodSecurity(enforce="privileged")
    if layout == "shared":
        if server_pod_security.enforce != "privileged":
            reader.problem(
                "serverPodSecurity.enforce",
                f"is {server_pod_security.enforce!r}, but namespaceLayout 'shared' runs the privileged "
                "Docker-in-Docker runner in the server namespace; set enforce to 'privileged' or use "
                "namespaceLayout 'separate'",
            )
        return NamespaceSettings(server, server, server_pod_security, server_pod_security)
    if server == runner:
        reader.problem(
            "runnerNamespace",
            f"is the same as serverNamespace ({server!r}); with namespaceLayout 'separate' choose another name, "
            "or set namespaceLayout to 'shared'",
        )
    return NamespaceSettings(server, runner, server_pod_security, runner_pod_security)


def _load_gateway(reader: ConfigReader) -> GatewayParent:
    raw = string_map(reader, "gateway", reader.structured("gateway", dict))
    unknown = sorted(set(raw) - {"name", "namespace", "sectionName"})
    if unknown:
        reader.problem("gateway", f"unknown field(s) {', '.join(unknown)}; use name, namespace and sectionName")
    checks = {"name": rules.dns_subdomain, "namespace": rules.dns_label, "sectionName": rules.dns_subdomain}
    for part, check in checks.items():
        if part not in raw:
            reader.problem(f"gateway.{part}", "is required")
        else:
            reader.problem(f"gateway.{part}", check(raw[part]))
    return GatewayParent(raw.get("name", ""), raw.get("namespace", ""), raw.get("sectionName", ""))


def _load_forgejo(reader: ConfigReader, warnings: list[str]) -> ForgejoSettings:
    release_name = reader.string("releaseName", rules.helm_release_name)
    fullname_override = reader.string("fullnameOverride", rules.dns_label, allow_empty=True)
    service_name = naming.http_service_name(release_name, fullname_override)
    # Only names that pass their own rules get this check, so each problem is reported once, for what it is.
    if not reader.refused("releaseName", "fullnameOverride") and rules.dns_label(service_name):
        why = (
            ", but a Kubernetes Service name cannot contain '.'; use a release name without dots"
            if "." in service_name
            else " longer than a Kubernetes name allows (63); use a shorter name"
        )
        reader.problem(
            "fullnameOverride" if fullname_override else "releaseName",
            f"makes the chart's service name {service_name!r}{why}",
        )
    min_interval = reader.string("mirrorMinInterval", rules.go_duration)
    if not reader.refused("mirrorMinInterval") and parse_duration(min_interval) < parse_duration("1m"):
        reader.problem("mirrorMinInterval", f"{min_interval!r} is below 1m, which Forgejo silently raises to 1m")
    unsafe_classes = reader.structured("sqliteUnsafeStorageClasses", list)
    if not all(isinstance(name, str) for name in unsafe_classes):
        reader.problem("sqliteUnsafeStorageClasses", "must be a list of storage class names")
        unsafe_classes = []
    for index, name in enumerate(unsafe_classes):
        # A misspelt entry would never match, and the warning it exists for would never show.
        reader.problem(f"sqliteUnsafeStorageClasses[{index}]", rules.dns_subdomain(name))
    storage, storage_warnings = _load_storage(reader, unsafe_classes)
    warnings.extend(storage_warnings)
    return ForgejoSettings(
        hostname=reader.string("hostname", rules.hostname),
        chart_source=reader.string("chartSource", rules.chart_source),
        chart_version=reader.string("chartVersion", rules.exact_version),
        version=reader.string("forgejoVersion", rules.exact_version),
        release_name=release_name,
        fullname_override=fullname_override,
        admin_username=reader.string("adminUsername", rules.forgejo_username),
        admin_email=reader.string("adminEmail", rules.email),
        storage=storage,
        node_selector=load_node_selector(reader, "nodeSelector"),
        resources=load_resources(reader, "resources"),
        mirror_min_interval=min_interval,
        service_port=reader.integer("servicePort", rules.port),
        protect_data=reader.boolean("protectData"),
        ssh_enabled=reader.boolean("sshEnabled"),
    )


def _load_docker_cache(reader: ConfigReader) -> DockerCache | None:
    size = reader.string("runnerDockerCacheSize", rules.positive_quantity, allow_empty=True)
    storage_class = reader.string("runnerDockerCacheStorageClass", rules.dns_subdomain, allow_empty=True)
    if not size:
        if storage_class:
            reader.problem("runnerDockerCacheStorageClass", "is set but runnerDockerCacheSize is empty (cache off)")
        return None
    return DockerCache(size=size, storage_class=storage_class)


def _load_registry_ca(reader: ConfigReader) -> RegistryCa | None:
    raw = string_map(reader, "registryCa", reader.structured("registryCa", dict))
    if not raw:
        return None
    unknown = sorted(set(raw) - {"registry", "secretName", "configMapName", "key"})
    if unknown:
        reader.problem(
            "registryCa", f"unknown field(s) {', '.join(unknown)}; use registry, secretName or configMapName, and key"
        )
    registry = raw.get("registry", "")
    # certs.d directories are named host[:port], exactly as images name the registry.
    if not registry:
        reader.problem("registryCa.registry", "is required, e.g. 'registry.goldentooth.net'")
    else:
        reader.problem("registryCa.registry", rules.registry_host(registry))
    sources = [name for name in ("secretName", "configMapName") if raw.get(name)]
    if len(sources) != 1:
        reader.problem("registryCa", "needs exactly one of secretName or configMapName holding the CA certificate")
    for name in sources:
        reader.problem(f"registryCa.{name}", rules.dns_subdomain(raw[name]))
    reader.problem("registryCa.key", rules.config_key(raw.get("key", "ca.crt")))
    return RegistryCa(
        registry=registry,
        key=raw.get("key", "ca.crt"),
        secret_name=raw.get("secretName", ""),
        config_map_name=raw.get("configMapName", ""),
    )


def _load_runner(reader: ConfigReader) -> RunnerSettings:
    labels = reader.structured("runnerLabels", list)
    if not labels:
        reader.problem("runnerLabels", "needs at least one label, e.g. 'ubuntu-latest:docker://node:20-bookworm'")
    for index, label in enumerate(labels):
        reader.problem(
            f"runnerLabels[{index}]", rules.runner_label(label) if isinstance(label, str) else "must be a string"
        )
    timeout = reader.string("runnerTimeout", rules.go_duration)
    shutdown_timeout = reader.string("runnerShutdownTimeout", rules.go_duration)
    return RunnerSettings(
        name=reader.string("runnerName", rules.dns_label),
        image=reader.string("runnerImage", rules.pinned_image),
        dind_image=reader.string("dindImage", rules.pinned_image),
        labels=tuple(label for label in labels if isinstance(label, str)),
        capacity=reader.integer(
            "runnerCapacity", lambda n: None if n >= 1 else f"{n} is below 1; a runner needs room for at least one job"
        ),
        timeout=timeout,
        shutdown_timeout=shutdown_timeout,
        node_selector=load_node_selector(reader, "runnerNodeSelector"),
        resources=load_resources(reader, "runnerResources"),
        dind_resources=load_resources(reader, "dindResources"),
        docker_cache=_load_docker_cache(reader),
        registry_ca=_load_registry_ca(reader),
    )


# Config field names (camelCase, as Pulumi config is written) of a mirror entry.
_MIRROR_FIELDS = {
    "cloneAddr": "clone_addr",
    "owner": "owner",
    "name": "name",
    "interval": "interval",
    "service": "service",
    "actions": "actions",
    "private": "private",
    "description": "description",
    "lfs": "lfs",
    "wiki": "wiki",
    "retain": "retain",
    "syncAfterCreate": "sync_after_create",
    "dispatchWorkflow": "dispatch_workflow",
    "dispatchRef": "dispatch_ref",
}
_MIRROR_CONFIG_NAMES = {spec_field: config_field for config_field, spec_field in _MIRROR_FIELDS.items()}
_REQUIRED_MIRROR_FIELDS = ("cloneAddr", "owner", "name")


def _load_mirror(
    reader: ConfigReader, key: str, raw: object, min_interval: str, protect_data: bool
) -> MirrorSpec | None:
    if not isinstance(raw, dict):
        reader.problem(key, "must be an object with cloneAddr, owner and name")
        return None
    unknown = sorted(set(raw) - set(_MIRROR_FIELDS))
    if unknown:
        reader.problem(key, f"unknown field(s) {', '.join(unknown)}; use {', '.join(_MIRROR_FIELDS)}")
    missing = [name for name in _REQUIRED_MIRROR_FIELDS if name not in raw]
    for name in missing:
        reader.problem(f"{key}.{name}", "is required")
    if missing:
        return None
    # A mirror's repository is data: it is kept on delete as protectData says, unless the mirror says otherwise.
    fields = {
        "retain": protect_data,
        **{_MIRROR_FIELDS[name]: value for name, value in raw.items() if name in _MIRROR_FIELDS},
    }
    spec = MirrorSpec(**fields)
    if rules.go_duration(min_interval) is None:
        for field_name, reason in mirror_spec_problems(spec, min_interval):
            reader.problem(f"{key}.{_MIRROR_CONFIG_NAMES[field_name]}", reason)
    return spec


def _load_mirrors(reader: ConfigReader, forgejo: ForgejoSettings) -> MirrorSettings:
    specs = []
    min_interval = forgejo.mirror_min_interval
    for index, raw in enumerate(reader.structured("mirrors", list)):
        spec = _load_mirror(reader, f"mirrors[{index}]", raw, min_interval, forgejo.protect_data)
        if spec is not None:
            specs.append(spec)
    seen: dict[str, int] = {}
    for index, spec in enumerate(specs):
        # Forgejo compares owner and repository names case-insensitively, and so do the resource names.
        first = seen.setdefault(spec.full_name.lower(), index)
        if first != index:
            reader.problem(f"mirrors[{index}]", f"mirrors {spec.full_name} again (already mirrors[{first}])")
    api_url = reader.string("forgejoApiUrl", rules.api_url, allow_empty=True) or f"https://{forgejo.hostname}"
    ca_bundle = reader.string("forgejoCaBundle", allow_empty=True)
    if ca_bundle and "-----BEGIN CERTIFICATE-----" not in ca_bundle:
        reader.problem("forgejoCaBundle", "is not a PEM certificate bundle (no '-----BEGIN CERTIFICATE-----')")
    insecure = reader.boolean("forgejoInsecure")
    if insecure and ca_bundle:
        reader.problem("forgejoInsecure", "is true while forgejoCaBundle is set; keep verification and drop this")
    return MirrorSettings(
        mirrors=tuple(specs), api_url=api_url.rstrip("/"), ca_bundle=ca_bundle or None, insecure=insecure
    )


def _unknown_key_problems(raw: Mapping[str, str], keys_read: set[str]) -> list[Problem]:
    unknown = sorted(set(raw) - keys_read)
    if not unknown:
        return []
    import difflib  # only for a typo's suggestion: every preview would pay for importing it up front

    problems = []
    for key in unknown:
        close = difflib.get_close_matches(key, sorted(keys_read), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(Problem(key, f"is not a setting of this program{hint}"))
    return problems


_ADOPTION_FIELDS = ("enabled", "releaseName", "adminSecret", "dataClaim")


def _load_adoption(reader: ConfigReader) -> Adoption | None:
    raw = reader.structured("adoption", dict)
    if not raw:
        return None
    unknown = sorted(set(raw) - set(_ADOPTION_FIELDS))
    if unknown:
        reader.problem("adoption", f"unknown field(s) {', '.join(unknown)}; use {', '.join(_ADOPTION_FIELDS)}")
    enabled = raw.get("enabled")
    if not isinstance(enabled, bool):
        reader.problem(
            "adoption.enabled",
            "must be true (import the existing objects on the takeover run) or false (after it)",
        )
    release_name = raw.get("releaseName")
    if not isinstance(release_name, str) or not release_name:
        reader.problem(
            "adoption.releaseName",
            "is required: the existing Helm release (Flux names it <targetNamespace>-<name>, e.g. forgejo-forgejo)",
        )
        release_name = ""
    else:
        reader.problem("adoption.releaseName", rules.helm_release_name(release_name))
    names = {}
    for field_name, default in (("adminSecret", "forgejo-admin"), ("dataClaim", "gitea-shared-storage")):
        value = raw.get(field_name, default)
        if not isinstance(value, str):
            reader.problem(f"adoption.{field_name}", "must be a string")
            value = default
        else:
            reader.problem(f"adoption.{field_name}", rules.dns_subdomain(value))
        names[field_name] = value
    return Adoption(
        enabled=enabled is True,
        release_name=release_name,
        admin_secret=names["adminSecret"],
        data_claim=names["dataClaim"],
    )


def _adopt(
    reader: ConfigReader, adoption: Adoption, forgejo: ForgejoSettings, namespaces: NamespaceSettings
) -> ForgejoSettings:
    """The Forgejo settings of an adopted install: its release name, and its data claim taken over by Pulumi."""
    if not namespaces.shared:
        reader.problem(
            "namespaceLayout",
            "must be 'shared' while adopting: the seed's runner objects live in the server namespace "
            "(move to 'separate' after the takeover if you want)",
        )
    if forgejo.storage.existing_claim:
        reader.problem("existingClaim", "is set while adopting; the adopted claim is adoption.dataClaim")
    storage = forgejo.storage._replace(existing_claim=adoption.data_claim)
    return forgejo._replace(release_name=adoption.release_name, storage=storage)


def _load_image_build(reader: ConfigReader) -> ImageBuild | None:
    registry = reader.string("imageRegistry", rules.registry_host, allow_empty=True)
    name = reader.string("imageName", rules.image_name, allow_empty=True)
    if bool(registry) != bool(name):
        reader.problem("imageName" if registry else "imageRegistry", "is needed together with the other image key")
    return ImageBuild(registry=registry, name=name) if registry and name else None


def _check_upstream_tokens(reader: ConfigReader, raw: str | None, specs: tuple[MirrorSpec, ...]) -> None:
    if raw is None:
        return
    try:
        tokens = json.loads(raw)
    except json.JSONDecodeError:
        tokens = None
    if not isinstance(tokens, dict) or not all(isinstance(value, str) for value in tokens.values()):
        reader.problem("mirrorUpstreamTokens", 'must be an object {"owner/name": "<token>"} (values not shown)')
        return
    known = {spec.full_name for spec in specs}
    for name in sorted(set(tokens) - known):
        reader.problem("mirrorUpstreamTokens", f"has a token for {name!r}, which is not a configured mirror")
    for name in sorted(tokens):
        reason = rules.token(tokens[name])
        if reason:
            reader.problem("mirrorUpstreamTokens", f"the token for {name!r} {reason}")


def parse_settings(raw: Mapping[str, str], secret_keys: frozenset[str] = frozenset()) -> Settings:
    """Validate raw config strings (project namespace stripped) into Settings.

    Pure: no Pulumi runtime needed, so tests can drive it with plain dicts.
    Raises ConfigError listing every problem.
    """
    reader = ConfigReader(raw, secret_keys)
    warnings: list[str] = []
    forgejo = _load_forgejo(reader, warnings)
    namespaces = _load_namespaces(reader)
    gateway = _load_gateway(reader)
    tls_mode = reader.choice(
        "tlsMode",
        TLS_MODES,
        why=(
            " (there is no mode that edits an existing cert-manager Certificate: its dnsNames list is atomic, "
            "so a patch would own the whole list and deleting the patch would reset it)"
        ),
    )
    runner = _load_runner(reader)
    mirrors = _load_mirrors(reader, forgejo)
    image_build = _load_image_build(reader)
    adoption = _load_adoption(reader)
    if adoption is not None:
        forgejo = _adopt(reader, adoption, forgejo, namespaces)
    password = reader.secret_plaintext("adminPassword")
    if password is not None and len(password) < 8:
        reader.problem("adminPassword", "is shorter than 8 characters, Forgejo's default MIN_PASSWORD_LENGTH")
    runner_secret = reader.secret_plaintext("runnerSecret")
    if runner_secret is not None:
        reader.problem("runnerSecret", rules.shared_secret(runner_secret))
    api_token = reader.secret_plaintext("forgejoApiToken")
    if api_token is not None:
        reader.problem("forgejoApiToken", rules.token(api_token))
    _check_upstream_tokens(reader, reader.secret_plaintext("mirrorUpstreamTokens"), mirrors.mirrors)
    reader.problems.extend(_unknown_key_problems(raw, reader.keys_read))
    if reader.problems:
        raise ConfigError(reader.problems)
    return Settings(
        forgejo=forgejo,
        namespaces=namespaces,
        gateway=gateway,
        tls_mode=tls_mode,
        runner=runner,
        mirrors=mirrors,
        image_build=image_build,
        adoption=adoption,
        warnings=tuple(warnings),
    )


def _raw_project_config() -> tuple[dict[str, str], frozenset[str]]:
    """This project's keys and which of them are secret, from the Pulumi runtime.

    pulumi.Config only answers for keys it is asked about; listing every key
    is what lets a misspelt key be reported instead of silently ignored.
    """
    prefix = f"{PROJECT}:"
    everything = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    raw = {key.removeprefix(prefix): str(value) for key, value in everything.items() if key.startswith(prefix)}
    secret_keys = frozenset(key for key in raw if runtime_config.is_config_secret(prefix + key))
    return raw, secret_keys


def _upstream_tokens(config: pulumi.Config) -> dict[str, pulumi.Output[str]]:
    """One secret Output per mirror; parse_settings has already checked the shape and the names."""
    tokens = config.get_secret_object("mirrorUpstreamTokens")
    if tokens is None:
        return {}
    # The keys ("owner/name") are not secret, only the values are.
    names = json.loads(config.get("mirrorUpstreamTokens") or "{}")
    return {name: tokens.apply(operator.itemgetter(name)) for name in names}


def load_settings() -> Settings:
    """Read and validate the stack config; log warnings; raise ConfigError on any problem."""
    raw, secret_keys = _raw_project_config()
    settings = parse_settings(raw, secret_keys)
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    config = pulumi.Config(PROJECT)
    secrets = Secrets(
        admin_password=config.get_secret("adminPassword"),
        runner_secret=config.get_secret("runnerSecret"),
        forgejo_api_token=config.get_secret("forgejoApiToken"),
        mirror_upstream_tokens=_upstream_tokens(config),
    )
    return settings._replace(secrets=secrets)
