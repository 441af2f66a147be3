"""The goldentooth-forgejo policies: validate functions and the policy objects.

Importing this module starts nothing: ``PolicyPack(...)`` (in ``__main__.py``)
is what starts the policy server and blocks, so tests import this module and
call the validate functions with hand-built arguments.

Every function reads ``props`` in wire form (camelCase, as the engine sends
them). During ``pulumi preview`` the engine wraps ``props`` in proxies that
are ``Mapping``/``Sequence`` rather than ``dict``/``list`` and that raise when
an unknown value is read; the helpers below only test for those ABCs, and a
value that is not known yet makes the engine report the policy as advisory
"can't run during preview" instead of guessing.

The chart naming rule and the exact-version rule are the program's own
(``components/naming.py``, plain Python that the pack's virtualenv can import:
``__main__.py`` puts the project root on ``sys.path``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.naming import chart_fullname, is_exact_version

PACK_NAME = "goldentooth-forgejo"

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
HELM_CHART_V4 = "kubernetes:helm.sh/v4:Chart"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SERVICE = "kubernetes:core/v1:Service"
HTTPROUTES = (
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    "kubernetes:gateway.networking.k8s.io/v1beta1:HTTPRoute",
)
MIRROR = "pulumi-python:dynamic/forgejo:Mirror"

# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:core/v1:ReplicationController": ("spec", "template", "spec"),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")

# The runner namespace of the goldentooth stack (config key runnerNamespace);
# override it with --policy-pack-config when the stack uses another one.
DEFAULT_RUNNER_NAMESPACE = "forgejo-runner"
# The Forgejo chart's HTTP service port when values.service.http.port is unset.
FORGEJO_CHART_HTTP_PORT = 3000
DEFAULT_NAMESPACE = "default"

_SECRET_WORD = re.compile(r"pass(?:word|wd|phrase)|secret|token|api[-_.]?key|private[-_.]?key|credential", re.I)
# Names that point at a secret rather than hold one: secretName, TOKEN_FILE, PASSWORD_PATH, tokenUrl...
_REFERENCE_SUFFIX = re.compile(r"(?:name|file|path|dir|ref|url)s?$", re.I)
_HEX40 = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{40}(?![0-9A-Fa-f])")
# "key: value" (YAML) or "key = value" (INI, app.ini) inside a ConfigMap value.
_ASSIGNMENT = re.compile(r"^\s*[\"']?([A-Za-z0-9_.\-]+)[\"']?\s*[:=]\s*(.*?)\s*$")
_EMPTY_VALUES = {"", '""', "''", "~", "null", "|", ">", "|-", ">-"}


# ---------------------------------------------------------------- helpers


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else ()


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        value = _mapping(value).get(key)
    return value


def looks_secret_name(name: str) -> bool:
    """True for names such as API_TOKEN, adminPassword, cache.secret; false for secretName, TOKEN_FILE."""
    return bool(_SECRET_WORD.search(name)) and not _REFERENCE_SUFFIX.search(name)


def _object_name(props: Mapping[str, Any], fallback: str) -> str:
    metadata = _mapping(props.get("metadata"))
    name = metadata.get("name") or fallback
    namespace = metadata.get("namespace")
    return f"{namespace}/{name}" if namespace else str(name)


def _namespace(props: Mapping[str, Any]) -> str:
    return str(_dig(props, "metadata", "namespace") or DEFAULT_NAMESPACE)


def _pod_containers(pod_spec: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for field in CONTAINER_LISTS:
        for container in _sequence(_mapping(pod_spec).get(field)):
            yield field, _mapping(container)


def _helm_values(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(props.get("values"))


def _helm_namespace(props: Mapping[str, Any]) -> str:
    """Where the chart's objects land: the chart's namespaceOverride, else the release namespace."""
    return str(_helm_values(props).get("namespaceOverride") or props.get("namespace") or DEFAULT_NAMESPACE)


def _helm_containers(values: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Containers a Forgejo chart release adds through its values."""
    for container in _sequence(values.get("extraContainers")):
        yield "values.extraContainers", _mapping(container)


def _workload(args: ResourceValidationArgs) -> tuple[str, str, list[tuple[str, Mapping[str, Any]]]] | None:
    """(description, namespace, containers) of a workload or a Helm release; None for anything else."""
    props = args.props
    if args.resource_type in POD_SPEC_PATHS:
        pod_spec = _dig(props, *POD_SPEC_PATHS[args.resource_type])
        kind = args.resource_type.rsplit(":", 1)[-1]
        return f"{kind} {_object_name(props, args.name)}", _namespace(props), list(_pod_containers(pod_spec))
    if args.resource_type == HELM_RELEASE:
        name = props.get("name") or args.name
        return f"Helm release {name}", _helm_namespace(props), list(_helm_containers(_helm_values(props)))
    return None


# ---------------------------------------------------------------- privileged containers


def runner_namespace(config: Mapping[str, Any]) -> str:
    return str(config.get("runnerNamespace") or DEFAULT_RUNNER_NAMESPACE)


def validate_privileged_only_in_runner_namespace(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Privileged containers (Docker-in-Docker) only in the runner namespace."""
    workload = _workload(args)
    if workload is None:
        return
    description, namespace, containers = workload
    allowed = runner_namespace(args.get_config())
    if namespace == allowed:
        return
    if args.resource_type == HELM_RELEASE:
        values = _helm_values(args.props)
        for key in ("containerSecurityContext", "securityContext"):
            if _dig(values, key, "privileged") is True:
                report(
                    f"{description}: values.{key}.privileged is true in namespace {namespace!r}; privileged "
                    f"containers may only run in the runner namespace {allowed!r}",
                    None,
                )
    for field, container in containers:
        if _dig(container, "securityContext", "privileged") is True:
            report(
                f"{description}: container {container.get('name')!r} ({field}) is privileged in namespace "
                f"{namespace!r}; privileged containers may only run in the runner namespace {allowed!r}",
                None,
            )


# ---------------------------------------------------------------- plaintext secrets


def validate_no_plaintext_secret_env(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Env vars named like secrets take their value from a Secret (valueFrom), never a literal value."""
    workload = _workload(args)
    if workload is None:
        return
    description, _, containers = workload
    if args.resource_type == HELM_RELEASE:
        env = _dig(_helm_values(args.props), "deployment", "env")
        containers = [*containers, ("values.deployment.env", {"name": "forgejo", "env": env})]
    for field, container in containers:
        for variable in _sequence(container.get("env")):
            variable = _mapping(variable)
            name = str(variable.get("name", ""))
            if looks_secret_name(name) and "value" in variable:
                report(
                    f"{description}: container {container.get('name')!r} ({field}) sets {name} as a plain "
                    "value; take it from a Secret with valueFrom.secretKeyRef",
                    None,
                )


def secret_findings(key: str, value: Any) -> list[str]:
    """Why a ConfigMap entry looks like it holds a secret (empty when it doesn't)."""
    text = value if isinstance(value, str) else ""
    findings = []
    if looks_secret_name(key) and text.strip() not in _EMPTY_VALUES:
        findings.append(f"key {key!r} is named like a secret")
    if _HEX40.search(text):
        findings.append(f"key {key!r} holds a 40-hex string (a token or a runner secret)")
    for line in text.splitlines():
        match = _ASSIGNMENT.match(line)
        if match is None:
            continue
        inner_key, inner_value = match.groups()
        if looks_secret_name(inner_key) and inner_value not in _EMPTY_VALUES and not inner_value.startswith("$"):
            findings.append(f"key {key!r} sets {inner_key!r} to a literal value")
    return findings


def validate_no_secrets_in_config_maps(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """ConfigMaps are not encrypted or access-restricted like Secrets: no secret values in them."""
    if args.resource_type != CONFIG_MAP:
        return
    name = _object_name(args.props, args.name)
    for field in ("data", "binaryData"):
        for key, value in _mapping(args.props.get(field)).items():
            for finding in secret_findings(key, value if field == "data" else ""):
                report(f"ConfigMap {name}: {field} {finding}; put it in a Secret", None)


# ---------------------------------------------------------------- Helm chart versions


def _is_local_chart(chart: str) -> bool:
    return chart.startswith(("./", "../", "/", "file://")) or chart.endswith(".tgz")


def validate_helm_chart_version_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Helm charts are pinned to one exact version; a range or no version moves without a code change."""
    if args.resource_type not in (HELM_RELEASE, HELM_CHART_V4):
        return
    chart = str(args.props.get("chart") or "")
    version = args.props.get("version")
    if not version and _is_local_chart(chart):
        return  # a chart from this repository or an archive URL is pinned by its content
    if not is_exact_version(version):
        report(
            f"Helm chart {chart!r} has version {version!r}; pin one exact version such as '15.0.3' "
            "(no ranges, no 'latest', not empty)",
            None,
        )


# ---------------------------------------------------------------- HTTPRoute backends


def chart_name(chart: str, values: Mapping[str, Any]) -> str:
    """The chart's name as its helpers see it: nameOverride, else the last path segment of the reference."""
    override = values.get("nameOverride")
    if override:
        return str(override)
    return chart.rstrip("/").rsplit("/", 1)[-1].split(":", 1)[0].removesuffix(".tgz")


def stack_services(args: StackValidationArgs) -> dict[tuple[str, str], set[float]]:
    """(namespace, name) -> ports of every Service this stack creates, directly or through a Helm release."""
    services: dict[tuple[str, str], set[float]] = {}
    for resource in args.resources:
        props = resource.props
        if resource.resource_type == HELM_RELEASE:
            values = _helm_values(props)
            release = str(props.get("name") or resource.name)
            name = chart_name(str(props.get("chart") or ""), values)
            full = chart_fullname(release, str(values.get("fullnameOverride") or ""), name)
            port = _dig(values, "service", "http", "port") or FORGEJO_CHART_HTTP_PORT
            services.setdefault((_helm_namespace(props), f"{full}-http"), set()).add(float(port))
        elif resource.resource_type == SERVICE:
            ports = {float(_mapping(p).get("port", 0)) for p in _sequence(_dig(props, "spec", "ports"))}
            services.setdefault((_namespace(props), str(_dig(props, "metadata", "name"))), set()).update(ports)
    return services


def validate_httproute_backends_exist(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every HTTPRoute backend is a Service this stack creates, on a port it serves (the seed's route
    pointed at forgejo-http while the chart had made forgejo-forgejo-http, and Envoy answered 500)."""
    services = stack_services(args)
    for resource in args.resources:
        if resource.resource_type not in HTTPROUTES:
            continue
        route_namespace = _namespace(resource.props)
        route = _object_name(resource.props, resource.name)
        for rule in _sequence(_dig(resource.props, "spec", "rules")):
            for ref in _sequence(_mapping(rule).get("backendRefs")):
                ref = _mapping(ref)
                if ref.get("group", "") != "" or ref.get("kind", "Service") != "Service":
                    continue
                key = (str(ref.get("namespace") or route_namespace), str(ref.get("name")))
                if key not in services:
                    known = ", ".join(f"{ns}/{name}" for ns, name in sorted(services)) or "none"
                    report(
                        f"HTTPRoute {route}: backend {key[0]}/{key[1]} is not a Service this stack creates "
                        f"(it creates: {known})",
                        resource.urn,
                    )
                elif ref.get("port") is not None and float(ref["port"]) not in services[key]:
                    ports = ", ".join(str(int(port)) for port in sorted(services[key]))
                    report(
                        f"HTTPRoute {route}: backend {key[0]}/{key[1]} port {ref['port']:g} is not one the "
                        f"Service serves ({ports})",
                        resource.urn,
                    )


# ---------------------------------------------------------------- mirrors


def clone_address_problem(address: str) -> str | None:
    parts = urlsplit(address)
    if parts.scheme != "https" or not parts.hostname:
        return f"{address!r} is not an https:// address"
    if parts.username is not None or parts.password is not None:
        return "the clone address carries credentials before '@'; use the mirror's upstream token instead"
    if any(looks_secret_name(name) for name, _ in parse_qsl(parts.query)):
        return "the clone address carries a credential in its query string; use the mirror's upstream token instead"
    return None


def validate_mirror_clone_address(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Mirrors pull over https, with no credentials in the URL (it is stored and shown in plain text)."""
    if args.resource_type != MIRROR:
        return
    problem = clone_address_problem(str(args.props.get("clone_addr") or ""))
    if problem:
        report(f"Mirror {args.props.get('repo_owner')}/{args.props.get('repo_name')}: {problem}", None)


# ---------------------------------------------------------------- the policies

MANDATORY = EnforcementLevel.MANDATORY

PRIVILEGED_ONLY_IN_RUNNER_NAMESPACE = ResourceValidationPolicy(
    name="privileged-only-in-runner-namespace",
    description="Privileged containers (Docker-in-Docker) run only in the Actions runner namespace.",
    validate=validate_privileged_only_in_runner_namespace,
    enforcement_level=MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={"runnerNamespace": {"type": "string", "default": DEFAULT_RUNNER_NAMESPACE}},
    ),
)
NO_PLAINTEXT_SECRET_ENV = ResourceValidationPolicy(
    name="no-plaintext-secret-env",
    description="Container env vars named like passwords, tokens or secrets come from a Secret (valueFrom).",
    validate=validate_no_plaintext_secret_env,
    enforcement_level=MANDATORY,
)
NO_SECRETS_IN_CONFIG_MAPS = ResourceValidationPolicy(
    name="no-secrets-in-config-maps",
    description="ConfigMaps hold no secret-looking values (keys named *password*/*token*/*secret*, 40-hex strings).",
    validate=validate_no_secrets_in_config_maps,
    enforcement_level=MANDATORY,
)
HELM_CHART_VERSION_PINNED = ResourceValidationPolicy(
    name="helm-chart-version-pinned",
    description="Helm releases and charts name one exact chart version.",
    validate=validate_helm_chart_version_pinned,
    enforcement_level=MANDATORY,
)
HTTPROUTE_BACKENDS_EXIST = StackValidationPolicy(
    name="httproute-backends-exist",
    description="HTTPRoute backends are Services this stack creates (a Helm release's <fullname>-http, or a Service).",
    validate=validate_httproute_backends_exist,
    enforcement_level=MANDATORY,
)
MIRROR_CLONE_ADDRESS = ResourceValidationPolicy(
    name="mirror-clone-address-https-no-credentials",
    description="Forgejo mirrors pull from an https:// address with no credentials in it.",
    validate=validate_mirror_clone_address,
    enforcement_level=MANDATORY,
)

RESOURCE_POLICIES: list[ResourceValidationPolicy] = [
    PRIVILEGED_ONLY_IN_RUNNER_NAMESPACE,
    NO_PLAINTEXT_SECRET_ENV,
    NO_SECRETS_IN_CONFIG_MAPS,
    HELM_CHART_VERSION_PINNED,
    MIRROR_CLONE_ADDRESS,
]
STACK_POLICIES: list[StackValidationPolicy] = [HTTPROUTE_BACKENDS_EXIST]
POLICIES: list[Policy] = [*RESOURCE_POLICIES, *STACK_POLICIES]
