"""The program under mocks with the goldentooth stack: exactly what it registers."""

from __future__ import annotations

import pytest

from tests.program import (
    GENERATED_ADMIN_PASSWORD,
    GENERATED_SECRET,
    SECRET_SIG_KEY,
    SECRET_SIG_VALUE,
    ProgramRun,
    run_program,
)

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
SECRET = "kubernetes:core/v1:Secret"
HTTPROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
LABELS = {"app.kubernetes.io/part-of": "goldentooth-forgejo", "app.kubernetes.io/managed-by": "pulumi"}


@pytest.fixture(scope="module")
def goldentooth() -> ProgramRun:
    return run_program()


def test_server_namespace_enforces_baseline_and_warns_restricted(goldentooth: ProgramRun) -> None:
    namespace = goldentooth.one(NAMESPACE, "forgejo-server")

    assert namespace.inputs == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "forgejo",
            "labels": {
                **LABELS,
                "app.kubernetes.io/component": "namespace",
                "pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        },
    }
    assert namespace.retain_on_delete is True
    assert namespace.parent_type_and_name == ("goldentooth:index:Namespaces", "forgejo")


def test_runner_namespace_is_privileged_for_docker_in_docker(goldentooth: ProgramRun) -> None:
    namespace = goldentooth.one(NAMESPACE, "forgejo-runner")

    assert namespace.inputs["metadata"] == {
        "name": "forgejo-runner",
        "labels": {
            **LABELS,
            "app.kubernetes.io/component": "namespace",
            "pod-security.kubernetes.io/enforce": "privileged",
        },
    }
    assert namespace.retain_on_delete is False


def test_shared_layout_creates_one_privileged_namespace() -> None:
    run = run_program({"namespaceLayout": "shared", "serverPodSecurity": '{"enforce": "privileged"}'})

    namespaces = run.of_type(NAMESPACE)
    assert [n.inputs["metadata"]["name"] for n in namespaces] == ["forgejo"]
    assert namespaces[0].inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert run.exports["server_namespace"] == run.exports["runner_namespace"] == "forgejo"


def test_admin_password_is_generated_alphanumeric(goldentooth: ProgramRun) -> None:
    password = goldentooth.one(GENERATED_SECRET, "forgejo-admin-password")

    assert {key: password.inputs[key] for key in ("kind", "length")} == {"kind": "password", "length": 32}
    assert password.parent_type_and_name == ("goldentooth:index:ForgejoServer", "forgejo")
    assert password.additional_secret_outputs == ["value"]


def test_admin_secret_holds_username_and_password_as_a_secret(goldentooth: ProgramRun) -> None:
    secret = goldentooth.one(SECRET, "forgejo-admin")

    assert secret.inputs == {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": "forgejo-admin",
            "namespace": "forgejo",
            "labels": {**LABELS, "app.kubernetes.io/component": "secret"},
        },
        "stringData": {
            SECRET_SIG_KEY: SECRET_SIG_VALUE,
            "value": {"username": "forgejo_admin", "password": GENERATED_ADMIN_PASSWORD},
        },
    }
    assert secret.parent_type_and_name == ("goldentooth:index:ForgejoServer", "forgejo")


def test_release_installs_the_pinned_oci_chart_under_a_pinned_name(goldentooth: ProgramRun) -> None:
    release = goldentooth.one(RELEASE, "forgejo-release")

    assert release.inputs["chart"] == "oci://code.forgejo.org/forgejo-helm/forgejo"
    assert release.inputs["version"] == "15.0.3"
    assert release.inputs["name"] == "forgejo"
    assert release.inputs["namespace"] == "forgejo"
    assert release.inputs["timeout"] == 900
    assert release.protect is True
    assert release.parent_type_and_name == ("goldentooth:index:ForgejoServer", "forgejo")
    assert any(dependency.endswith("::forgejo-admin") for dependency in release.dependencies)
    assert any(dependency.endswith("::forgejo-server") for dependency in release.dependencies)


def test_release_values_carry_the_seed_and_the_later_lessons(goldentooth: ProgramRun) -> None:
    values = goldentooth.one(RELEASE, "forgejo-release").inputs["values"]

    registration = values.pop("extraContainers"), values.pop("extraVolumes")  # asserted in test_runner_registration
    assert registration[0][0]["name"] == "runner-registration"
    assert values == {
        "image": {"rootless": True, "fullOverride": "code.forgejo.org/forgejo/forgejo:13.0.3-rootless"},
        "strategy": {"type": "Recreate"},
        "service": {"http": {"port": 3000}},
        "podSecurityContext": {
            "fsGroup": 1000,
            "fsGroupChangePolicy": "OnRootMismatch",
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "runAsGroup": 1000,
        },
        "persistence": {"enabled": True, "create": True, "storageClass": "seaweedfs", "size": "10Gi"},
        "nodeSelector": {"node.kubernetes.io/disk-type": "nvme"},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "gitea": {
            "admin": {
                "existingSecret": "forgejo-admin",
                "email": "forgejo_admin@goldentooth.net",
                "passwordMode": "keepUpdated",
            },
            "config": {
                "actions": {"ENABLED": True},
                "mirror": {"ENABLED": True, "MIN_INTERVAL": "5m"},
                "cron.update_mirrors": {"SCHEDULE": "@every 1m", "NO_SUCCESS_NOTICE": True},
                "server": {
                    "DOMAIN": "git.goldentooth.net",
                    "ROOT_URL": "https://git.goldentooth.net/",
                    "START_SSH_SERVER": False,
                    "DISABLE_SSH": True,
                },
                "service": {"DISABLE_REGISTRATION": True},
                "database": {"DB_TYPE": "sqlite3"},
            },
        },
    }


def test_existing_claim_is_mounted_instead_of_creating_one() -> None:
    run = run_program({"storageClass": "", "existingClaim": "forgejo-data"})

    values = run.one(RELEASE).inputs["values"]
    assert values["persistence"] == {"enabled": True, "create": False, "claimName": "forgejo-data"}


def test_protect_data_off_lets_destroy_remove_release_and_namespace() -> None:
    run = run_program({"protectData": "false"})

    assert run.one(RELEASE).protect is False
    assert run.one(NAMESPACE, "forgejo-server").retain_on_delete is False


def test_fullname_override_renames_admin_secret_service_and_route_backend() -> None:
    run = run_program({"fullnameOverride": "forgejo-forgejo"})

    assert run.one(RELEASE).inputs["values"]["fullnameOverride"] == "forgejo-forgejo"
    assert run.one(SECRET, "forgejo-admin").inputs["metadata"]["name"] == "forgejo-forgejo-admin"
    backend = run.one(HTTPROUTE).inputs["spec"]["rules"][0]["backendRefs"][0]
    assert backend == {"name": "forgejo-forgejo-http", "port": 3000}
    assert run.exports["internal_url"] == "http://forgejo-forgejo-http.forgejo.svc.cluster.local:3000"


def test_route_attaches_to_the_shared_gateway_and_the_computed_service(goldentooth: ProgramRun) -> None:
    route = goldentooth.one(HTTPROUTE, "forgejo-route")

    assert route.inputs == {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "name": "forgejo",
            "namespace": "forgejo",
            "labels": {**LABELS, "app.kubernetes.io/component": "route"},
        },
        "spec": {
            "parentRefs": [{"name": "goldentooth", "namespace": "gateway", "sectionName": "https"}],
            "hostnames": ["git.goldentooth.net"],
            "rules": [{"backendRefs": [{"name": "forgejo-http", "port": 3000}]}],
        },
    }
    assert route.parent_type_and_name == ("goldentooth:index:GatewayRoute", "forgejo")
    assert any(dependency.endswith("::forgejo-release") for dependency in route.dependencies)


def test_components_use_one_type_token_scheme(goldentooth: ProgramRun) -> None:
    components = sorted(r.typ for r in goldentooth.resources if r.typ.startswith("goldentooth:"))

    assert components == [
        "goldentooth:index:ActionsRunner",
        "goldentooth:index:ForgejoServer",
        "goldentooth:index:GatewayRoute",
        "goldentooth:index:ImageAutomation",
        "goldentooth:index:Mirrors",
        "goldentooth:index:Namespaces",
    ]


def test_stack_outputs_form_the_documented_contract(goldentooth: ProgramRun) -> None:
    assert goldentooth.exports == {
        "url": "https://git.goldentooth.net/",
        "hostname": "git.goldentooth.net",
        "server_namespace": "forgejo",
        "runner_namespace": "forgejo-runner",
        "http_service_name": "forgejo-http",
        "internal_url": "http://forgejo-http.forgejo.svc.cluster.local:3000",
        "helm_release_name": "forgejo",
        "chart_version": "15.0.3",
        "admin_username": "forgejo_admin",
        "admin_password": GENERATED_ADMIN_PASSWORD,
        "tls_dns_names": ["git.goldentooth.net"],
        "runner_name": "bramble-runner",
        "runner_labels": ["ubuntu-latest:docker://node:20-bookworm"],
        "mirrors": {
            "forgejo_admin/mcp": {
                "html_url": "https://git.goldentooth.net/forgejo_admin/mcp",
                "clone_url": "https://git.goldentooth.net/forgejo_admin/mcp.git",
                "has_actions": True,
                "mirror_interval": "5m0s",
            }
        },
        "image_repository": "registry.goldentooth.net/goldentooth-mcp",
        "image_policy": "flux-system:goldentooth-mcp",
    }
    assert goldentooth.secret_exports == {"admin_password"}


def test_supplied_admin_password_is_used_instead_of_generating_one() -> None:
    run = run_program(secrets={"adminPassword": "supplied-password-42"})

    assert [r.name for r in run.of_type(GENERATED_SECRET)] == ["forgejo-runner-secret"]
    assert run.one(SECRET, "forgejo-admin").inputs["stringData"]["value"]["password"] == "supplied-password-42"
    assert run.exports["admin_password"] == "supplied-password-42"
    assert "admin_password" in run.secret_exports


def test_ssh_is_on_only_when_asked_for_and_then_advertises_the_public_host() -> None:
    server = run_program({"sshEnabled": "true"}).one(RELEASE).inputs["values"]["gitea"]["config"]["server"]

    assert {key: server[key] for key in ("START_SSH_SERVER", "DISABLE_SSH", "SSH_DOMAIN")} == {
        "START_SSH_SERVER": True,
        "DISABLE_SSH": False,
        "SSH_DOMAIN": "git.goldentooth.net",
    }
