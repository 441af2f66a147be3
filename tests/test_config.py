"""The config loader: the goldentooth values, and bad input refused with the key named."""

from __future__ import annotations

import json
from typing import Annotated, Any, get_args

import pytest
import trustme
from pydantic import BeforeValidator, TypeAdapter

from components.config import ConfigError, PerFieldDefaults, PodSecurity, Settings, parse_settings
from components.values import Model
from tests.program import ProgramFailed, run_program
from tests.stack import goldentooth_config, project_file

CA_PEM = trustme.CA().cert_pem.bytes().decode()


def resources(cpu: tuple[str, str], memory: tuple[str, str]) -> dict[str, dict[str, str]]:
    return {"requests": {"cpu": cpu[0], "memory": memory[0]}, "limits": {"cpu": cpu[1], "memory": memory[1]}}


def test_goldentooth_stack_loads_the_seed_values() -> None:
    settings = parse_settings(goldentooth_config())

    assert settings.model_dump(exclude={"mirrors", "api_tokens"}) == {
        "hostname": "git.goldentooth.net",
        "admin_email": "forgejo_admin@goldentooth.net",
        "admin_username": "forgejo_admin",
        "chart_source": "oci://code.forgejo.org/forgejo-helm",
        "chart_version": "15.0.3",
        "forgejo_version": "13.0.3",
        "fullname_override": "",
        "release_name": "forgejo",
        "adoption": None,
        "storage_class": "seaweedfs",
        "storage_size": "10Gi",
        "existing_claim": "",
        "sqlite_unsafe_storage_classes": ["seaweedfs"],
        "node_selector": {"node.kubernetes.io/disk-type": "nvme"},
        "resources": resources(("100m", "1"), ("256Mi", "512Mi")),
        "mirror_min_interval": "5m",
        "service_port": 3000,
        "ssh_enabled": False,
        "protect_data": True,
        "namespace_layout": "separate",
        "server_namespace": "forgejo",
        "runner_namespace": "forgejo-runner",
        "server_pod_security": {"enforce": "baseline", "warn": "restricted", "audit": "restricted"},
        "gateway": {"name": "goldentooth", "namespace": "gateway", "section_name": "https"},
        "tls_mode": "export",
        "runner_name": "bramble-runner",
        "runner_image": "code.forgejo.org/forgejo/runner:12.0.1",
        "dind_image": "docker:28.3.0-dind",
        "runner_labels": ["ubuntu-latest:docker://node:20-bookworm"],
        "runner_capacity": 1,
        "runner_timeout": "3h",
        "runner_shutdown_timeout": "15m",
        "runner_node_selector": {"node.kubernetes.io/disk-type": "nvme"},
        "runner_resources": resources(("100m", "2"), ("128Mi", "1Gi")),
        "dind_resources": resources(("100m", "2"), ("256Mi", "2Gi")),
        "runner_docker_cache_size": "",
        "runner_docker_cache_storage_class": "",
        "runner_scope": "forgejo_admin",
        "runner_groups": [AMD64_GROUP],
        "registry_ca": None,
        "runner_egress": {
            "enabled": True,
            "allow_cidrs": ["10.4.11.0/24", "10.4.12.0/22"],
            "allow_namespaces": ["docker-registry"],
        },
        "forgejo_api_url": "",
        "forgejo_ca_bundle": "",
        "forgejo_ca_from": {
            "secret_name": "gateway-tls",
            "config_map_name": "",
            "key": "ca.crt",
            "namespace": "gateway",
        },
        "forgejo_insecure": False,
        "image_registry": "registry.goldentooth.net",
        "image_name": "goldentooth-mcp",
        "image_automation": {"namespace": "flux-system", "interval": "5m", "cert_secret_name": "registry-ca"},
        "admin_password": None,
        "runner_secret": None,
        "forgejo_api_token": None,
        "mirror_upstream_tokens": None,
    }
    assert [mirror.full_name for mirror in settings.mirrors] == ["forgejo_admin/mcp"]
    assert [token.model_dump() for token in settings.api_tokens] == [
        {
            "name": "git-sync",
            "user": "forgejo_admin",  # the admin's, as no user is given
            "scopes": ["read:repository"],
            "secret": {"namespace": "git-sync", "name": "forgejo-git-sync-token", "key": "token"},
        }
    ]
    assert settings.image == "code.forgejo.org/forgejo/forgejo:13.0.3-rootless"
    assert settings.internal_url == "http://forgejo-http.forgejo.svc.cluster.local:3000"
    assert settings.tls_dns_names == ["git.goldentooth.net"]
    assert settings.runner_pod_security.labels() == {"pod-security.kubernetes.io/enforce": "privileged"}
    assert settings.api_url == "https://git.goldentooth.net"


def test_the_flat_runner_keys_are_the_first_group_and_runner_groups_the_rest() -> None:
    settings = parse_settings(goldentooth_config())

    assert [group.model_dump() for group in settings.runners] == [
        {
            **AMD64_GROUP,
            "name": "bramble-runner",
            "labels": ["ubuntu-latest:docker://node:20-bookworm"],
            "architecture": "",
            "node_selector": {"node.kubernetes.io/disk-type": "nvme"},
        },
        AMD64_GROUP,
    ]
    assert settings.runners[1].pod_node_selector == {"kubernetes.io/arch": "amd64"}


def test_seaweedfs_storage_warns_that_sqlite_is_unsafe_there() -> None:
    settings = parse_settings(goldentooth_config())

    assert len(settings.warnings) == 1
    assert settings.warnings[0].startswith("goldentooth-forgejo:storageClass 'seaweedfs' is listed in")
    assert "POSIX file locking" in settings.warnings[0]


def test_safe_storage_class_gives_no_warning() -> None:
    settings = parse_settings({**goldentooth_config(), "storageClass": "local-path"})

    assert settings.warnings == []


def test_existing_claim_replaces_class_and_size() -> None:
    settings = parse_settings({**goldentooth_config(), "storageClass": "", "existingClaim": "forgejo-data"})

    assert (settings.existing_claim, settings.storage_class) == ("forgejo-data", "")
    assert settings.warnings == []


def test_shared_layout_puts_server_and_runner_in_one_privileged_namespace() -> None:
    settings = parse_settings(
        {**goldentooth_config(), "namespaceLayout": "shared", "serverPodSecurity": '{"enforce": "privileged"}'}
    )

    assert (settings.server_namespace, settings.runner_namespace) == ("forgejo", "forgejo")
    assert settings.server_pod_security == PodSecurity(enforce="privileged", warn="restricted", audit="restricted")
    assert settings.runner_pod_security == settings.server_pod_security
    assert settings.shared


AMD64_GROUP = {
    "name": "amd64-runner",
    "labels": ["ubuntu-latest-amd64:docker://node:20-bookworm"],
    "capacity": 1,
    "architecture": "amd64",
    "node_selector": {},
    "resources": resources(("100m", "2"), ("128Mi", "1Gi")),
    "dind_resources": resources(("100m", "2"), ("256Mi", "2Gi")),
    "docker_cache_size": "",
    "docker_cache_storage_class": "",
    "replicas": 1,
    "scope": "forgejo_admin",
}


def _groups(change: dict[str, Any], *more: dict[str, Any]) -> str:
    """runnerGroups as the CLI hands it over: goldentooth's amd64 group with ``change``, then ``more`` groups."""
    amd64 = {
        "name": "amd64-runner",
        "architecture": "amd64",
        "labels": ["ubuntu-latest-amd64:docker://node:20-bookworm"],
    }
    return json.dumps([{**amd64, **change}, *({**amd64, "name": "b", **group} for group in more)])


KEY_REF = {"secret_name": "", "config_map_name": "ca", "key": "ca.crt"}
ADOPTED = {"admin_secret": "forgejo-admin", "data_claim": "gitea-shared-storage"}
RESTRICTED = {"warn": "restricted", "audit": "restricted"}
FLUX = {"namespace": "flux-system", "interval": "5m"}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        # `pulumi config set --path serverPodSecurity.enforce privileged` makes the stack value this and nothing else.
        ("serverPodSecurity", {"enforce": "privileged"}, {"enforce": "privileged", **RESTRICTED}),
        ("resources", {"limits": {"memory": "1Gi"}}, resources(("100m", "1"), ("256Mi", "1Gi"))),
        ("runnerResources", {"requests": {"cpu": "250m"}}, resources(("250m", "2"), ("128Mi", "1Gi"))),
        ("dindResources", {}, resources(("100m", "2"), ("256Mi", "2Gi"))),
        ("registryCa", {"registry": "r.example.net", "configMapName": "ca"}, {**KEY_REF, "registry": "r.example.net"}),
        ("adoption", {"enabled": True, "releaseName": "f"}, {"enabled": True, "release_name": "f", **ADOPTED}),
        ("runnerEgress", {}, {"enabled": True, "allow_cidrs": [], "allow_namespaces": []}),
        ("runnerEgress", {"enabled": False}, {"enabled": False, "allow_cidrs": [], "allow_namespaces": []}),
        ("runnerEgress", {"allowCidrs": ["fd00::/8"]}, {"enabled": True, "allow_cidrs": ["fd00::/8"],
                                                         "allow_namespaces": []}),
        ("imageAutomation", {"certSecretName": "ca"}, {**FLUX, "cert_secret_name": "ca"}),
    ],
)  # fmt: skip
def test_an_object_key_merges_with_its_defaults_field_by_field(key: str, value: Any, expected: Any) -> None:
    overrides = {key: json.dumps(value)}
    if key == "adoption":
        overrides.update(namespaceLayout="shared", serverPodSecurity='{"enforce": "privileged"}')
    settings = parse_settings({**goldentooth_config(), **overrides})

    field = next(name for name, field in Settings.model_fields.items() if field.alias == key)
    assert getattr(settings, field).model_dump() == expected


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{path}{key}.").items()}
    return {path.rstrip("."): value}


def model_defaults(key: str) -> dict[str, Any]:
    """The nested defaults the model fills in for ``key`` ("requests.cpu": "100m"); "" means "not set"."""
    field = next(field for field in Settings.model_fields.values() if field.alias == key)
    for validator in field.metadata:
        if isinstance(validator, BeforeValidator) and isinstance(validator.func, PerFieldDefaults):
            return _flat(validator.func.defaults)
    nested = [
        t for t in (field.annotation, *get_args(field.annotation)) if isinstance(t, type) and issubclass(t, Model)
    ]
    fields = nested[0].model_fields.values() if nested else ()
    return {str(f.alias): f.default for f in fields if isinstance(f.default, str | bool) and f.default != ""}


@pytest.mark.parametrize("key", sorted(project_file()["config"]))
def test_pulumi_yaml_and_the_model_agree_on_defaults(key: str) -> None:
    """Pulumi.yaml's default passes the model, and its description lists exactly the nested defaults the model
    fills in, so the two cannot disagree about what an unset field means."""
    declaration = project_file()["config"][key]
    field = next(field for field in Settings.model_fields.values() if field.alias == key)
    if "default" in declaration:
        annotation: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        TypeAdapter(annotation).validate_python(declaration["default"])
    listed = declaration["description"].partition("Per-field defaults: ")[2].removesuffix(".")
    expected = ", ".join(
        f"{path}: {json.dumps(v) if isinstance(v, bool) else v}" for path, v in model_defaults(key).items()
    )
    assert listed == expected


def test_runner_grace_period_outlasts_its_shutdown_timeout() -> None:
    settings = parse_settings({**goldentooth_config(), "runnerShutdownTimeout": "1h30m"})

    assert settings.termination_grace_seconds == 5400 + 30


def test_docker_cache_and_registry_ca_are_off_unless_configured() -> None:
    assert parse_settings(goldentooth_config()).registry_ca is None
    settings = parse_settings(
        {
            **goldentooth_config(),
            "runnerDockerCacheSize": "50Gi",
            "runnerDockerCacheStorageClass": "local-path",
            "registryCa": '{"registry": "registry.goldentooth.net", "secretName": "step-ca-root"}',
        }
    )

    assert (settings.runner_docker_cache_size, settings.runner_docker_cache_storage_class) == ("50Gi", "local-path")
    assert settings.registry_ca is not None
    assert settings.registry_ca.model_dump() == {
        "registry": "registry.goldentooth.net", "key": "ca.crt", "secret_name": "step-ca-root", "config_map_name": ""
    }  # fmt: skip


def test_external_tls_mode_exports_no_dns_names() -> None:
    settings = parse_settings({**goldentooth_config(), "tlsMode": "external"})

    assert settings.tls_dns_names == []


def test_fullname_override_changes_service_and_internal_url() -> None:
    settings = parse_settings({**goldentooth_config(), "fullnameOverride": "forgejo-forgejo"})

    assert settings.http_service_name == "forgejo-forgejo-http"
    assert settings.internal_url == "http://forgejo-forgejo-http.forgejo.svc.cluster.local:3000"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("forgejoVersion", "13.0.3-rc.1"),
        ("runnerImage", "code.forgejo.org/forgejo/runner@sha256:" + "a" * 64),
        ("dindImage", "docker:28.3.0-dind-rootless"),
        ("runnerLabels", '["ubuntu-latest:docker://node:20-bookworm", "arm:host"]'),
        ("runnerTimeout", "2562047h47m16.854775807s"),
        ("forgejoApiUrl", "https://git.goldentooth.net:8443/"),
        ("forgejoApiUrl", "https://git.goldentooth.net/api/v1"),
        ("forgejoApiUrl", "http://127.0.0.1:3000"),
        ("adminEmail", "ops+forgejo@git.goldentooth.net"),
        ("adminUsername", "goldentooth.admin"),
        ("registryCa", '{"registry": "registry.goldentooth.net:5000", "configMapName": "ca", "key": "root.pem"}'),
        ("resources", '{"limits": {"cpu": "16", "memory": "64Gi"}}'),
        ("runnerEgress", '{"allowCidrs": ["192.168.1.20/32", "0.0.0.0/0", "2001:db8::/32"]}'),
        ("runnerEgress", '{"allowNamespaces": ["docker-registry", "kube-system"]}'),
        (
            "runnerLabels",
            '["node:docker://node:20", "deb:docker://debian:12.12", "n:docker://node@sha256:' + "a" * 64 + '"]',
        ),
        ("runnerScope", ""),
        ("runnerScope", "goldentooth/mcp.server"),
        ("runnerGroups", "[]"),
        ("runnerGroups", _groups({"architecture": "arm64", "nodeSelector": {"kubernetes.io/arch": "arm64"}})),
        ("runnerGroups", _groups({"replicas": 3, "resources": {"limits": {"memory": "4Gi"}}})),
        ("imageAutomation", '{"certSecretName": "registry-ca", "interval": "1.5h"}'),
        ("imageAutomation", '{"certSecretName": "registry-ca", "interval": "1h30m15s500ms"}'),
    ],
)
def test_good_values_pass(key: str, value: str) -> None:
    parse_settings({**goldentooth_config(), key: value})


def test_tokens_of_one_name_for_two_users_are_two_tokens() -> None:
    tokens = [{"name": "ci", "scopes": ["all"]}, {"name": "ci", "user": "goldentooth", "scopes": ["read:user"]}]
    settings = parse_settings({**goldentooth_config(), "apiTokens": json.dumps(tokens)})

    assert [(t.user, t.name, t.scopes, t.secret) for t in settings.api_tokens] == [
        ("forgejo_admin", "ci", ["all"], None),
        ("goldentooth", "ci", ["read:user"], None),
    ]


def test_a_ca_bundle_replaces_the_ca_from_the_cluster() -> None:
    settings = parse_settings({**goldentooth_config(), "forgejoCaFrom": "{}", "forgejoCaBundle": CA_PEM})

    assert (settings.forgejo_ca_bundle, settings.forgejo_ca_from) == (CA_PEM, None)


# (key to change, bad value, key named in the error, words the reason must contain)
BAD_CONFIGS = [
    # Runner groups (issue 15): refused before anything registers, naming the group's key.
    ("runnerGroups", _groups({"name": "bramble-runner"}), "runnerGroups[0].name", "already the name of runnerName"),
    (
        "runnerGroups",
        _groups({}, {"name": "amd64-runner", "labels": ["b:host"]}),
        "runnerGroups[1].name",
        "of runnerGroups[0].name",
    ),
    ("runnerGroups", _groups({"name": "Amd64"}), "runnerGroups[0].name", "RFC 1123 label"),
    ("runnerGroups", _groups({"name": "registration"}), "runnerGroups[0].name", "server side's registration Secret"),
    (
        "runnerGroups",
        _groups({"labels": ["Ubuntu-Latest:docker://node:22-bookworm"]}),
        "runnerGroups[0].labels[0]",
        "which runnerLabels[0] names already",
    ),
    (
        "runnerGroups",
        _groups({}, {"name": "b", "labels": ["x:host", "ubuntu-latest-AMD64:host"]}),
        "runnerGroups[1].labels[1]",
        "which runnerGroups[0].labels[0] names already",
    ),
    (
        "runnerGroups",
        _groups({"labels": ["x:docker://node:latest"]}),
        "runnerGroups[0].labels[0]",
        "moving tag 'latest'",
    ),
    ("runnerGroups", _groups({"labels": ["x:docker://node"]}), "runnerGroups[0].labels[0]", "has no tag"),
    ("runnerGroups", _groups({"labels": ["x:docker://node:lts"]}), "runnerGroups[0].labels[0]", "names no version"),
    ("runnerGroups", _groups({"labels": []}), "runnerGroups[0].labels", "at least one label"),
    ("runnerGroups", '[{"name": "x"}]', "runnerGroups[0].labels", "is required"),
    ("runnerGroups", _groups({"architecture": "x86_64"}), "runnerGroups[0].architecture", "not one of arm64, amd64"),
    (
        "runnerGroups",
        _groups({"nodeSelector": {"kubernetes.io/arch": "arm64"}}),
        "runnerGroups[0].nodeSelector.kubernetes.io/arch",
        "but architecture is 'amd64'",
    ),
    ("runnerGroups", _groups({"replicas": 2, "dockerCacheSize": "20Gi"}), "runnerGroups[0].replicas", "ReadWriteOnce"),
    ("runnerGroups", _groups({"replicas": 0}), "runnerGroups[0].replicas", "below 1"),
    (
        "runnerGroups",
        _groups({"dockerCacheStorageClass": "local-path"}),
        "runnerGroups[0].dockerCacheStorageClass",
        "cache off",
    ),
    ("runnerGroups", _groups({"scope": "forgejo admin"}), "runnerGroups[0].scope", "not a valid Forgejo user name"),
    ("runnerGroups", _groups({"capacity": 0}), "runnerGroups[0].capacity", "below 1"),
    ("runnerGroups", _groups({"tolerations": []}), "runnerGroups[0]", "unknown field 'tolerations'"),
    ("runnerGroups", '{"name": "x"}', "runnerGroups", "must be a list"),
    ("runnerName", "registration", "runnerName", "server side's registration Secret"),
    ("runnerLabels", '["ubuntu-latest:docker://node:current"]', "runnerLabels[0]", "names no version"),
    ("runnerScope", "admin", "runnerScope", "reserved by Forgejo"),
    ("runnerScope", "forgejo_admin/mcp.git", "runnerScope", "reserved by Forgejo"),
    ("runnerScope", "forgejo_admin/", "runnerScope", "not a repository name"),
    ("runnerScope", "forgejo_admin/mcp/x", "runnerScope", "not a repository name"),
    ("hostname", "Git.Goldentooth.net", "hostname", "RFC 1123"),
    ("hostname", "git", "hostname", "fully qualified"),
    ("hostname", "10.0.0.5", "hostname", "IP address"),
    ("hostname", "*.goldentooth.net", "hostname", "RFC 1123"),
    ("chartVersion", ">=16.0.0 <17.0.0", "chartVersion", "exact semantic version"),
    ("chartVersion", "16", "chartVersion", "exact semantic version"),
    ("chartVersion", "v16.2.0", "chartVersion", "exact semantic version"),
    ("chartSource", "https://charts.example.net", "chartSource", "neither an oci:// repository nor a local path"),
    ("chartSource", "oci://code.forgejo.org", "chartSource", "not an OCI repository"),
    ("chartSource", "oci://Bad_Host/charts", "chartSource", "not an OCI repository"),
    ("chartSource", "charts/forgejo", "chartSource", "not a chart directory (no Chart.yaml there)"),
    ("chartSource", "forgejo-15.0.3.tgz", "chartSource", "no such chart archive"),
    ("releaseName", "Forgejo", "releaseName", "Helm release name"),
    ("releaseName", "f" * 54, "releaseName", "53"),
    ("fullnameOverride", "Forgejo_Server", "fullnameOverride", "RFC 1123 label"),
    ("fullnameOverride", "a" * 60, "fullnameOverride", "longer than a Kubernetes name allows"),
    ("serverNamespace", "Forgejo", "serverNamespace", "RFC 1123 label"),
    ("runnerNamespace", "forgejo", "runnerNamespace", "same as serverNamespace"),
    ("namespaceLayout", "together", "namespaceLayout", "not one of separate, shared"),
    ("serverPodSecurity", '{"enforce": "strict"}', "serverPodSecurity.enforce", "not a PodSecurity level"),
    ("serverPodSecurity", '{"warn": "restricted"}', "serverPodSecurity.enforce", "is required"),
    ("serverPodSecurity", '{"enforce": "baseline", "enforce-version": "latest"}', "serverPodSecurity", "unknown field"),
    ("adminUsername", "admin", "adminUsername", "reserved by Forgejo"),
    ("adminUsername", "forgejo admin", "adminUsername", "not a valid Forgejo user name"),
    ("adminEmail", "forgejo_admin", "adminEmail", "not an e-mail address"),
    ("storageSize", "10 GB", "storageSize", "not a Kubernetes quantity"),
    ("storageSize", "0", "storageSize", "greater than zero"),
    ("storageClass", "Fast_SSD", "storageClass", "RFC 1123 subdomain"),
    ("existingClaim", "forgejo-data", "existingClaim", "not both"),
    ("nodeSelector", '{"disk type": "nvme"}', "nodeSelector.disk type", "label key"),
    (
        "nodeSelector",
        '{"node.kubernetes.io/disk-type": "nvme ssd"}',
        "nodeSelector.node.kubernetes.io/disk-type",
        "label value",
    ),
    ("nodeSelector", '["nvme"]', "nodeSelector", "must be an object"),
    ("resources", '{"requests": {"cpu": "lots"}}', "resources.requests.cpu", "not a Kubernetes quantity"),
    ("resources", '{"requests": {"gpu": "1"}}', "resources.requests", "unknown field 'gpu'; use cpu, memory"),
    (
        "resources",
        '{"requests": {"memory": "1Gi"}, "limits": {"memory": "512Mi"}}',
        "resources.requests.memory",
        "more than the limit",
    ),
    (
        "resources",
        '{"requests": {"cpu": "100.5m"}, "limits": {"cpu": "100.1m"}}',
        "resources.requests.cpu",
        "more than the limit",
    ),
    ("resources", '{"request": {"cpu": "1"}}', "resources", "unknown field"),
    ("mirrorMinInterval", "5 minutes", "mirrorMinInterval", "not a Go duration"),
    ("mirrorMinInterval", "30s", "mirrorMinInterval", "below 1m"),
    ("gateway", '{"name": "goldentooth", "namespace": "gateway"}', "gateway.sectionName", "required"),
    (
        "gateway",
        '{"name": "Golden Tooth", "namespace": "gateway", "sectionName": "https"}',
        "gateway.name",
        "RFC 1123 subdomain",
    ),
    ("gateway", '"goldentooth"', "gateway", "must be an object"),
    ("servicePort", "70000", "servicePort", "not a TCP port"),
    ("servicePort", "http", "servicePort", "not a whole number"),
    ("tlsMode", "patch", "tlsMode", "dnsNames list is atomic"),
    ("protectData", "yes", "protectData", "not true or false"),
    ("sqliteUnsafeStorageClasses", '"seaweedfs"', "sqliteUnsafeStorageClasses", "must be a list"),
    ("sqliteUnsafeStorageClasses", '["seaweedfs\\n"]', "sqliteUnsafeStorageClasses[0]", "RFC 1123 subdomain"),
    ("hostnme", "git.goldentooth.net", "hostnme", "did you mean 'hostname'"),
    ("forgejoVersion", "13", "forgejoVersion", "exact semantic version"),
    ("runnerName", "Bramble Runner", "runnerName", "RFC 1123 label"),
    ("runnerLabels", '["ubuntu-latest"]', "runnerLabels[0]", "not a runner label"),
    ("runnerLabels", '["ubuntu-latest:docker://node"]', "runnerLabels[0]", "has no tag"),
    ("runnerLabels", '["ubuntu-latest:docker://node:latest"]', "runnerLabels[0]", "moving tag 'latest'"),
    ("runnerLabels", "[]", "runnerLabels", "at least one label"),
    ("runnerCapacity", "0", "runnerCapacity", "below 1"),
    ("runnerCapacity", "two", "runnerCapacity", "not a whole number"),
    ("runnerTimeout", "3 hours", "runnerTimeout", "not a Go duration"),
    ("runnerShutdownTimeout", "-1m", "runnerShutdownTimeout", "not a Go duration"),
    ("runnerImage", "code.forgejo.org/forgejo/runner", "runnerImage", "has no tag"),
    ("dindImage", "docker:latest", "dindImage", "moving tag 'latest'"),
    ("dindImage", "Docker:27-dind", "dindImage", "not an image reference"),
    ("runnerResources", '{"limits": {"memory": "1 GB"}}', "runnerResources.limits.memory", "Kubernetes quantity"),
    (
        "dindResources",
        '{"requests": {"cpu": "4"}, "limits": {"cpu": "2"}}',
        "dindResources.requests.cpu",
        "more than the limit",
    ),
    ("runnerNodeSelector", '{"role": "gpu box"}', "runnerNodeSelector.role", "label value"),
    ("runnerDockerCacheSize", "lots", "runnerDockerCacheSize", "not a Kubernetes quantity"),
    ("runnerDockerCacheStorageClass", "local-path", "runnerDockerCacheStorageClass", "cache off"),
    ("registryCa", '{"secretName": "ca"}', "registryCa.registry", "is required"),
    ("registryCa", '{"registry": "registry.goldentooth.net"}', "registryCa", "exactly one of secretName"),
    (
        "registryCa",
        '{"registry": "https://registry.goldentooth.net", "secretName": "ca"}',
        "registryCa.registry",
        "not a registry host",
    ),
    ("imageRegistry", "https://registry.goldentooth.net", "imageRegistry", "not a registry host"),
    ("serverPodSecurity", '{"enforce": "restricted"}', "serverPodSecurity.enforce", "refuses the chart's pods"),
    (
        "registryCa",
        '{"registry": "r.example.net", "secretName": "ca", "key": "ca crt"}',
        "registryCa.key",
        "not a Secret or ConfigMap key",
    ),
    ("forgejoApiUrl", "https://", "forgejoApiUrl", "with a host"),
    ("forgejoApiUrl", "http://git.goldentooth.net", "forgejoApiUrl", "unencrypted"),
    ("forgejoApiUrl", "https://admin:pw@git.goldentooth.net", "forgejoApiUrl", "credentials"),
    ("imageName", "Goldentooth-MCP", "imageName", "not an image name"),
    ("imageName", "", "imageName", "together with imageRegistry"),
    ("imageAutomation", '"on"', "imageAutomation", "must be an object"),
    ("imageAutomation", '{"namespace": "flux-system"}', "imageAutomation.certSecretName", "is required: the Secret"),
    ("imageAutomation", '{"certSecretName": "Registry CA"}', "imageAutomation.certSecretName", "RFC 1123 subdomain"),
    (
        "imageAutomation",
        '{"certSecretName": "registry-ca", "namespace": "kube-system"}',
        "imageAutomation.namespace",
        "Kubernetes keeps for itself",
    ),
    ("imageAutomation", '{"certSecretName": "ca", "interval": "1d"}', "imageAutomation.interval", "not a Go duration"),
    ("imageAutomation", '{"certSecretName": "ca", "interval": "500us"}', "imageAutomation.interval", "Flux accepts"),
    ("imageAutomation", '{"certSecretName": "ca", "interval": "0"}', "imageAutomation.interval", "Flux accepts"),
    ("imageAutomation", '{"certSecretName": "ca", "interval": "0s"}', "imageAutomation.interval", "longer than 0"),
    ("imageAutomation", '{"certSecretName": "ca", "interval": "5m\\n"}', "imageAutomation.interval", "Go duration"),
    ("imageAutomation", '{"certSecretName": "ca", "insecure": true}', "imageAutomation", "unknown field 'insecure'"),
    ("releaseName", "forgejo.prod", "releaseName", "cannot contain '.'"),
    # A YAML block scalar ("|") ends its value with a newline, which an anchored `match` lets through.
    ("hostname", "git.goldentooth.net\n", "hostname", "RFC 1123"),
    ("chartVersion", "15.0.3\n", "chartVersion", "exact semantic version"),
    ("releaseName", "forgejo\n", "releaseName", "Helm release name"),
    ("serverNamespace", "forgejo\n", "serverNamespace", "RFC 1123 label"),
    ("adminUsername", "forgejo_admin\n", "adminUsername", "not a valid Forgejo user name"),
    ("adminEmail", "admin@goldentooth.net\n", "adminEmail", "not an e-mail address"),
    ("storageSize", "10Gi\n", "storageSize", "not a Kubernetes quantity"),
    ("storageClass", "local-path\n", "storageClass", "RFC 1123 subdomain"),
    (
        "nodeSelector",
        '{"node.kubernetes.io/disk-type": "nvme\\n"}',
        "nodeSelector.node.kubernetes.io/disk-type",
        "label value",
    ),
    ("runnerLabels", '["ubuntu-latest:docker://node:20-bookworm\\n"]', "runnerLabels[0]", "not a runner label"),
    ("dindImage", "docker:27-dind\n", "dindImage", "not an image reference"),
    ("imageName", "goldentooth-mcp\n", "imageName", "not an image name"),
    (
        "registryCa",
        '{"registry": "r.example.net", "secretName": "ca", "key": "ca.crt\\n"}',
        "registryCa.key",
        "not a Secret or ConfigMap key",
    ),
    # Python's \d takes any Unicode digit; Kubernetes, Helm and Go take ASCII ones only.
    ("chartVersion", "1\u0665.0.3", "chartVersion", "exact semantic version"),
    ("storageSize", "\u0661\u0660Gi", "storageSize", "not a Kubernetes quantity"),
    ("mirrorMinInterval", "\u0665m", "mirrorMinInterval", "not a Go duration"),
    ("dindImage", "registry.local:\u0665000/docker:27-dind", "dindImage", "not an image reference"),
    ("imageRegistry", "registry.goldentooth.net:\u0665000", "imageRegistry", "not a registry host"),
    ("forgejoApiUrl", "https://git.goldentooth.net\n", "forgejoApiUrl", "whitespace or control characters"),
    # Values that would fail only at apply time (issue 14), named with their key.
    ("adminEmail", "admin@g\u00f6ldentooth.net", "adminEmail", "e-mail address Forgejo accepts"),
    ("adminEmail", "-admin@goldentooth.net", "adminEmail", "not starting with '-'"),
    ("adminEmail", "admin;ops@goldentooth.net", "adminEmail", "no ';'"),
    ("adminEmail", "admin..ops@goldentooth.net", "adminEmail", "e-mail address Forgejo accepts"),
    ("adminUsername", "Ghost", "adminUsername", "reserved by Forgejo"),
    ("adminUsername", "forgejo.rss", "adminUsername", "reserved by Forgejo"),
    ("adminUsername", "admin.keys", "adminUsername", "reserved by Forgejo"),
    ("adminUsername", "logo.png", "adminUsername", "reserved by Forgejo"),
    ("adminUsername", "forgejo-actions", "adminUsername", "reserved by Forgejo"),
    ("forgejoVersion", "13.0.3-rootless", "forgejoVersion", "which the program adds itself"),
    ("forgejoVersion", "13.0.3+gitea-1.22.0", "forgejoVersion", "an image tag cannot carry"),
    ("forgejoVersion", "v13.0.3", "forgejoVersion", "exact semantic version"),
    ("serverNamespace", "kube-system", "serverNamespace", "Kubernetes keeps for itself"),
    ("serverNamespace", "default", "serverNamespace", "Kubernetes keeps for itself"),
    ("runnerNamespace", "kube-public", "runnerNamespace", "Kubernetes keeps for itself"),
    ("runnerNamespace", "kube-node-lease", "runnerNamespace", "Kubernetes keeps for itself"),
    ("storageSize", "10", "storageSize", "less than 1Mi"),
    ("runnerDockerCacheSize", "1000", "runnerDockerCacheSize", "less than 1Mi"),
    ("resources", '{"limits": {"memory": "512"}}', "resources.limits.memory", "less than 1Mi"),
    ("dindResources", '{"requests": {"memory": "256m"}}', "dindResources.requests.memory", "less than 1Mi"),
    ("runnerResources", '{"limits": {"cpu": "2000"}}', "runnerResources.limits.cpu", "more CPU than any node has"),
    ("runnerTimeout", "2562048h", "runnerTimeout", "longer than Go's longest duration"),
    ("runnerShutdownTimeout", "2562047h47m16.854775808s", "runnerShutdownTimeout", "Go's longest duration"),
    ("mirrorMinInterval", "99999999999999999999s", "mirrorMinInterval", "longer than Go's longest duration"),
    ("forgejoApiUrl", "https://g\u0456t.goldentooth.net", "forgejoApiUrl", "non-ASCII host name"),
    ("forgejoApiUrl", "https://git.goldentooth.net/?token=abc", "forgejoApiUrl", "belongs in forgejoApiToken"),
    ("forgejoApiUrl", "https://git.goldentooth.net/#top", "forgejoApiUrl", "without a path"),
    ("forgejoApiUrl", "https://git.goldentooth.net/forgejo", "forgejoApiUrl", "without a path"),
    ("forgejoApiUrl", "https://git.goldentooth.net:99999", "forgejoApiUrl", "port"),
    ("forgejoApiUrl", "https://git.goldentooth.net:0", "forgejoApiUrl", "port"),
    ("forgejoCaBundle", "root_ca.crt", "forgejoCaBundle", "not PEM certificates"),
    (
        "forgejoCaBundle",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "forgejoCaBundle",
        "does not parse",
    ),
    (
        "forgejoCaBundle",
        CA_PEM + "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
        "forgejoCaBundle",
        "holds a private key",
    ),
    ("forgejoCaBundle", CA_PEM, "forgejoCaFrom", "together with forgejoCaBundle"),
    ("forgejoCaFrom", '{"secretName": "gateway-tls"}', "forgejoCaFrom.namespace", "is required"),
    (
        "forgejoCaFrom",
        '{"secretName": "t", "configMapName": "t", "namespace": "gateway"}',
        "forgejoCaFrom",
        "exactly one",
    ),
    (
        "forgejoCaFrom",
        '{"secretName": "gateway-tls", "namespace": "gateway", "key": ".."}',
        "forgejoCaFrom.key",
        "not a Secret or ConfigMap key",
    ),
    ("forgejoInsecure", "true", "forgejoInsecure", "while forgejoCaBundle or forgejoCaFrom is set"),
    (
        "registryCa",
        '{"registry": "r.example.net", "secretName": "ca", "key": ".."}',
        "registryCa.key",
        "not a Secret or ConfigMap key",
    ),
    (
        "registryCa",
        '{"registry": "r.example.net", "secretName": "ca", "key": "certs/ca.crt"}',
        "registryCa.key",
        "not a Secret or ConfigMap key",
    ),
    ("dindImage", "docker:dind", "dindImage", "moving tag 'dind'"),
    ("dindImage", "docker:28-dind", "dindImage", "moving tag '28-dind'"),
    ("runnerImage", "code.forgejo.org/forgejo/runner:12", "runnerImage", "moving tag '12'"),
    (
        "runnerLabels",
        '["ubuntu-latest:docker://node:20-bookworm", "Ubuntu-Latest:docker://node:22-bookworm"]',
        "runnerLabels[1]",
        "again with another image",
    ),
    (
        "runnerLabels",
        '["ubuntu-latest:docker://node:20-bookworm", "ubuntu-latest:docker://node:20-bookworm"]',
        "runnerLabels[1]",
        "again with the same label",
    ),
    (
        "runnerEgress",
        '{"allowCidrs": ["10.4.11.7/24"]}',
        "runnerEgress.allowCidrs[0]",
        "host bits set; the block it lies in is '10.4.11.0/24'",
    ),
    ("runnerEgress", '{"allowCidrs": ["10.0.0.0/8", "fd00::1/8"]}', "runnerEgress.allowCidrs[1]", "host bits set"),
    ("runnerEgress", '{"allowCidrs": ["10.4.11.7"]}', "runnerEgress.allowCidrs[0]", "needs its /prefix"),
    ("runnerEgress", '{"allowCidrs": ["10.4.11.0/33"]}', "runnerEgress.allowCidrs[0]", "not a CIDR block"),
    ("runnerEgress", '{"allowCidrs": ["registry.goldentooth.net"]}', "runnerEgress.allowCidrs[0]", "not a CIDR"),
    ("runnerEgress", '{"allowCidrs": ["FD00::/8"]}', "runnerEgress.allowCidrs[0]", "write it as 'fd00::/8'"),
    ("runnerEgress", '{"allowCidrs": "10.4.11.0/24"}', "runnerEgress.allowCidrs", "must be a list"),
    ("runnerEgress", '{"allowNamespaces": ["Docker_Registry"]}', "runnerEgress.allowNamespaces[0]", "RFC 1123 label"),
    ("runnerEgress", '{"allowNamespace": ["docker-registry"]}', "runnerEgress", "unknown field 'allowNamespace'"),
    ("runnerEgress", '{"enabled": "yes"}', "runnerEgress.enabled", "is not true or false"),
    ("apiTokens", '[{"name": "git-sync", "scopes": ["read:repo"]}]', "apiTokens[0].scopes[0]", "token scope"),
    ("apiTokens", '[{"name": "git-sync", "scopes": ["sudo"]}]', "apiTokens[0].scopes[0]", "read:repository"),
    ("apiTokens", '[{"name": "git-sync", "scopes": []}]', "apiTokens[0].scopes", "at least one scope"),
    ("apiTokens", '[{"name": "git-sync"}]', "apiTokens[0].scopes", "is required"),
    ("apiTokens", '[{"scopes": ["all"]}]', "apiTokens[0].name", "is required"),
    ("apiTokens", '[{"name": "git sync", "scopes": ["all"]}]', "apiTokens[0].name", "not a token name"),
    ("apiTokens", '[{"name": "-sync", "scopes": ["all"]}]', "apiTokens[0].name", "starting with a letter"),
    ("apiTokens", '[{"name": "git-sync\\n", "scopes": ["all"]}]', "apiTokens[0].name", "not a token name"),
    ("apiTokens", '[{"name": "s", "user": "a b", "scopes": ["all"]}]', "apiTokens[0].user", "Forgejo user name"),
    ("apiTokens", '[{"name": "s", "scope": ["all"]}]', "apiTokens[0]", "unknown field 'scope'"),
    ("apiTokens", '{"name": "s"}', "apiTokens", "must be a list"),
    (
        "apiTokens",
        '[{"name": "s", "scopes": ["all"], "secret": {"name": "t"}}]',
        "apiTokens[0].secret.namespace",
        "is required",
    ),
    (
        "apiTokens",
        '[{"name": "s", "scopes": ["all"], "secret": {"namespace": "kube-system", "name": "t"}}]',
        "apiTokens[0].secret.namespace",
        "Kubernetes keeps for itself",
    ),
    (
        "apiTokens",
        '[{"name": "s", "scopes": ["all"], "secret": {"namespace": "ci", "name": "T"}}]',
        "apiTokens[0].secret.name",
        "RFC 1123 subdomain",
    ),
    (
        "apiTokens",
        '[{"name": "s", "scopes": ["all"], "secret": {"namespace": "ci", "name": "t", "key": "a/b"}}]',
        "apiTokens[0].secret.key",
        "not a Secret or ConfigMap key",
    ),
    (  # no user means the admin's: the same token twice
        "apiTokens",
        '[{"name": "s", "scopes": ["all"]}, {"name": "s", "user": "Forgejo_Admin", "scopes": ["read:user"]}]',
        "apiTokens[1].name",
        "names Forgejo_Admin's token 's' again (already apiTokens[0])",
    ),
    (
        "apiTokens",
        '[{"name": "a", "scopes": ["all"], "secret": {"namespace": "ci", "name": "t"}},'
        ' {"name": "b", "scopes": ["all"], "secret": {"namespace": "ci", "name": "t", "key": "other"}}]',
        "apiTokens[1].secret",
        "writes Secret ci/t again (already apiTokens[0])",
    ),
]


@pytest.mark.parametrize(
    ("key", "value", "named_key", "reason"), BAD_CONFIGS, ids=[f"{row[0]}={row[1]}" for row in BAD_CONFIGS]
)
def test_bad_value_is_refused_naming_the_key(key: str, value: str, named_key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), key: value})

    messages = [str(problem) for problem in refused.value.problems]
    assert any(
        message.startswith(f"goldentooth-forgejo:{named_key}: ") and reason in message for message in messages
    ), messages


def test_invalid_release_name_is_reported_once_for_what_it_is() -> None:
    # The service name made from it is invalid too, but that is the same problem, not a second one.
    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), "releaseName": "Forgejo"})

    assert [str(problem) for problem in refused.value.problems] == [
        "goldentooth-forgejo:releaseName: 'Forgejo' is not a valid Helm release name: use at most 53 lower-case "
        "letters, digits, '-' and '.', starting and ending with a letter or digit"
    ]


def test_image_automation_without_an_image_names_the_keys_it_needs() -> None:
    raw = {**goldentooth_config(), "imageRegistry": "", "imageName": ""}

    with pytest.raises(ConfigError) as refused:
        parse_settings(raw)

    assert [str(problem) for problem in refused.value.problems] == [
        "goldentooth-forgejo:imageAutomation: needs imageRegistry and imageName: the image Flux watches is "
        "<imageRegistry>/<imageName>"
    ]
    assert parse_settings({**raw, "imageAutomation": "{}"}).image_repository is None


def test_image_automation_with_a_half_set_image_reports_only_the_image_key() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), "imageName": ""})

    assert [problem.key for problem in refused.value.problems] == ["imageName"]


def test_missing_required_key_is_reported() -> None:
    raw = goldentooth_config()
    del raw["hostname"]

    with pytest.raises(ConfigError) as refused:
        parse_settings(raw)

    assert [str(p) for p in refused.value.problems] == [
        "goldentooth-forgejo:hostname: is not set (every key is declared in Pulumi.yaml; "
        "keys without a default are required)"
    ]


def test_all_problems_are_reported_at_once() -> None:
    raw = {**goldentooth_config(), "hostname": "git", "chartVersion": "^16", "adminUsername": "admin"}

    with pytest.raises(ConfigError) as refused:
        parse_settings(raw)

    assert [problem.key for problem in refused.value.problems] == ["adminUsername", "chartVersion", "hostname"]
    assert str(refused.value).startswith("3 configuration problem(s); nothing was applied.")


def test_shared_layout_with_baseline_server_namespace_is_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), "namespaceLayout": "shared"})

    assert [problem.key for problem in refused.value.problems] == ["serverPodSecurity.enforce"]


def test_admin_password_set_in_plain_text_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), "adminPassword": "hunter2-plaintext"})

    assert [problem.key for problem in refused.value.problems] == ["adminPassword"]
    assert "pulumi config set --secret adminPassword" in str(refused.value)
    assert "hunter2-plaintext" not in str(refused.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("forgejoApiUrl", "https://admin:hunter2@git.goldentooth.net\n"),
        ("forgejoApiUrl", "ftp://admin:hunter2@git.goldentooth.net"),
        ("imageRegistry", "admin:hunter2@registry.goldentooth.net"),
    ],
)
def test_address_with_credentials_is_refused_without_echoing_them(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), key: value})

    assert [problem.key for problem in refused.value.problems] == [key]
    assert "hunter2" not in str(refused.value)


def test_short_secret_admin_password_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), "adminPassword": "short"}, secret_keys=frozenset({"adminPassword"}))

    assert [problem.key for problem in refused.value.problems] == ["adminPassword"]
    assert "short'" not in str(refused.value)


def test_runner_secret_that_is_not_40_hex_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings(
            {**goldentooth_config(), "runnerSecret": "NOT-HEX-" * 5}, secret_keys=frozenset({"runnerSecret"})
        )

    assert [str(problem) for problem in refused.value.problems] == [
        "goldentooth-forgejo:runnerSecret: must be exactly 40 lower-case hex characters "
        "(e.g. the output of `openssl rand -hex 20`)"
    ]


def test_bad_config_stops_the_program_before_any_resource_registers() -> None:
    with pytest.raises(ProgramFailed) as failed:
        run_program({"hostname": "not a host", "chartVersion": ">=16 <17"})

    assert isinstance(failed.value.error, ConfigError)
    assert [problem.key for problem in failed.value.error.problems] == ["chartVersion", "hostname"]
    assert failed.value.registered == []
