"""The program under mocks with the goldentooth stack: exactly what it registers."""

from __future__ import annotations

from typing import Any

from tests.program import (
    GENERATED_ADMIN_PASSWORD,
    GENERATED_SECRET,
    MINTED_API_TOKEN,
    SECRET_SIG_KEY,
    SECRET_SIG_VALUE,
    TOKEN_SUFFIX,
    ProgramRun,
    run_program,
)

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
SECRET = "kubernetes:core/v1:Secret"
HTTPROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
LABELS = {"app.kubernetes.io/part-of": "goldentooth-forgejo", "app.kubernetes.io/managed-by": "pulumi"}


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


def values_of(run: ProgramRun) -> dict[str, Any]:
    return dict(run.one(RELEASE, "forgejo-release").inputs["values"])


def test_the_server_runs_the_pinned_rootless_forgejo(goldentooth: ProgramRun) -> None:
    """The chart's own tag would float with the chart; the image is the stack's forgejoVersion, rootless."""
    assert values_of(goldentooth)["image"] == {
        "rootless": True,
        "fullOverride": "code.forgejo.org/forgejo/forgejo:13.0.3-rootless",
    }


def test_a_rollout_never_runs_two_servers_on_the_sqlite_volume(goldentooth: ProgramRun) -> None:
    values = values_of(goldentooth)

    assert values["strategy"] == {"type": "Recreate"}
    assert values["gitea"]["config"]["database"] == {"DB_TYPE": "sqlite3"}
    assert values["persistence"] == {"enabled": True, "create": True, "storageClass": "seaweedfs", "size": "10Gi"}


def test_the_server_is_placed_and_sized_as_the_stack_says(goldentooth: ProgramRun) -> None:
    values = values_of(goldentooth)

    assert values["nodeSelector"] == {"node.kubernetes.io/disk-type": "nvme"}
    assert values["resources"] == {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "512Mi"},
    }
    assert values["service"] == {"http": {"port": 3000}}


def test_the_server_pods_meet_podsecurity_restricted(goldentooth: ProgramRun) -> None:
    """What the `restricted` level checks (kubernetes.io/docs/concepts/security/pod-security-standards), so the
    namespace's warn/audit labels stay quiet; the registration sidecar is checked in tests/test_runner.py."""
    values = values_of(goldentooth)
    pod, container = values["podSecurityContext"], values["containerSecurityContext"]

    assert (pod["runAsNonRoot"], pod["seccompProfile"]) == (True, {"type": "RuntimeDefault"})
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert container["runAsNonRoot"] is True
    assert container["runAsUser"] != 0


def test_the_data_volume_is_not_rechowned_on_every_start(goldentooth: ProgramRun) -> None:
    assert values_of(goldentooth)["podSecurityContext"]["fsGroupChangePolicy"] == "OnRootMismatch"


def test_the_admin_comes_from_the_generated_secret_and_stays_in_step_with_it(goldentooth: ProgramRun) -> None:
    assert values_of(goldentooth)["gitea"]["admin"] == {
        "existingSecret": "forgejo-admin",
        "email": "forgejo_admin@goldentooth.net",
        "passwordMode": "keepUpdated",  # a rotated password in the Secret reaches Forgejo
    }


def test_the_public_url_is_the_gateways_host_over_https(goldentooth: ProgramRun) -> None:
    server = values_of(goldentooth)["gitea"]["config"]["server"]

    assert (server["DOMAIN"], server["ROOT_URL"]) == ("git.goldentooth.net", "https://git.goldentooth.net/")
    # The gateway serves HTTPS only: no SSH server, and no ssh:// clone URL that nothing answers.
    assert (server["START_SSH_SERVER"], server["DISABLE_SSH"]) == (False, True)


def test_actions_and_mirrors_are_on_and_due_mirrors_are_looked_for_every_minute(goldentooth: ProgramRun) -> None:
    config = values_of(goldentooth)["gitea"]["config"]

    assert config["actions"] == {"ENABLED": True}
    assert config["mirror"] == {"ENABLED": True, "MIN_INTERVAL": "5m"}
    assert config["cron.update_mirrors"] == {"SCHEDULE": "@every 1m", "NO_SUCCESS_NOTICE": True}
    assert config["service"] == {"DISABLE_REGISTRATION": True}


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
        "goldentooth:index:ActionsRunner",
        "goldentooth:index:ApiTokens",
        "goldentooth:index:ForgejoServer",
        "goldentooth:index:GatewayRoute",
        "goldentooth:index:ImageAutomation",
        "goldentooth:index:Mirrors",
        "goldentooth:index:Namespaces",
        "goldentooth:index:RunnerEgress",
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
        "runner_groups": [
            {"name": "bramble-runner", "labels": ["ubuntu-latest:docker://node:20-bookworm"]},
            {"name": "amd64-runner", "labels": ["ubuntu-latest-amd64:docker://node:20-bookworm"]},
        ],
        "mirrors": {
            "forgejo_admin/mcp": {
                "html_url": "https://git.goldentooth.net/forgejo_admin/mcp",
                "clone_url": "https://git.goldentooth.net/forgejo_admin/mcp.git",
                "has_actions": True,
                "mirror_interval": "5m0s",
            }
        },
        "api_tokens": {
            "forgejo_admin/git-sync": {
                "user": "forgejo_admin",
                "name": "git-sync",
                "token_name": f"git-sync-{TOKEN_SUFFIX}",
                "scopes": ["read:repository"],
                "secret": {"namespace": "git-sync", "name": "forgejo-git-sync-token", "key": "token"},
            }
        },
        "api_token_values": {"forgejo_admin/git-sync": MINTED_API_TOKEN},
        "image_repository": "registry.goldentooth.net/goldentooth-mcp",
        "image_policy": "flux-system:goldentooth-mcp",
    }
    assert goldentooth.secret_exports == {"admin_password", "api_token_values"}


def test_supplied_admin_password_is_used_instead_of_generating_one() -> None:
    run = run_program(secrets={"adminPassword": "supplied-password-42"})

    assert sorted(r.name for r in run.of_type(GENERATED_SECRET)) == [
        "forgejo-runner-amd64-runner-secret",
        "forgejo-runner-secret",
    ]
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
