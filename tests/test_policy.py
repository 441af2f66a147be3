"""The policy pack (policy/): each policy once passing and once failing, then over the real program.

Arguments are built the way pulumi-policy 1.21 builds them from the engine's
request (pulumi_policy/policy.py, Analyze/AnalyzeStack): wire-form props,
secrets unwrapped by ``deserialize_properties``, then wrapped in the proxy that
raises on unknown values. The pack's ``__main__.py`` is never imported (its
``PolicyPack(...)`` serves forever); the last test starts it as the engine
does and talks to it over gRPC on loopback.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UnknownValueError, unknown_checking_proxy

from components import naming
from components.config import ConfigError, parse_settings
from policy import rules, stack_config
from tests.program import ProgramRun, Registered, run_program
from tests.stack import PROJECT, ROOT, STACK, goldentooth_config

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RUNNER_SECRET = "0123456789abcdef0123456789abcdef01234567"


def _urn(typ: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{typ}::{name}"


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=None,
    )


def _props(props: Mapping[str, Any]) -> Any:
    return unknown_checking_proxy(deserialize_properties(dict(props)))


def resource_args(
    typ: str, props: Mapping[str, Any], name: str = "subject", config: Mapping[str, Any] | None = None
) -> ResourceValidationArgs:
    return ResourceValidationArgs(typ, _props(props), _urn(typ, name), name, _options(), None, config)


def policy_resource(typ: str, props: Mapping[str, Any], name: str = "subject") -> PolicyResource:
    return PolicyResource(typ, _props(props), _urn(typ, name), name, _options(), None, None, [], {})


def violations(policy: ResourceValidationPolicy, args: ResourceValidationArgs) -> list[str]:
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    policy.validate(args, report)
    return found


def stack_violations(policy: StackValidationPolicy, resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append((message, urn))

    policy.validate(StackValidationArgs(resources), report)
    return found


def deployment(namespace: str, init_containers: list[dict[str, Any]], containers: list[dict[str, Any]]) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "forgejo-runner", "namespace": namespace},
        "spec": {"template": {"spec": {"initContainers": init_containers, "containers": containers}}},
    }


DIND = {"name": "dind", "image": "docker:28.3.0-dind", "securityContext": {"privileged": True}}
RUNNER = {"name": "runner", "image": "code.forgejo.org/forgejo/runner:12.0.1"}


def release(name: str = "forgejo", namespace: str = "forgejo", version: Any = "15.0.3", **values: Any) -> dict:
    return {
        "chart": "oci://code.forgejo.org/forgejo-helm/forgejo",
        "version": version,
        "name": name,
        "namespace": namespace,
        "values": values,
    }


def http_route(backend: str, port: float = 3000.0, namespace: str = "forgejo") -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "forgejo", "namespace": namespace},
        "spec": {"rules": [{"backendRefs": [{"name": backend, "port": port}]}]},
    }


# ---------------------------------------------------------------- privileged containers

PRIVILEGED = rules.PRIVILEGED_ONLY_IN_RUNNER_NAMESPACE


def test_privileged_dind_sidecar_passes_in_the_runner_namespace() -> None:
    args = resource_args(DEPLOYMENT, deployment("forgejo-runner", [DIND], [RUNNER]))

    assert violations(PRIVILEGED, args) == []


def test_privileged_init_container_outside_the_runner_namespace_is_refused() -> None:
    args = resource_args(DEPLOYMENT, deployment("forgejo", [DIND], [RUNNER]))

    assert violations(PRIVILEGED, args) == [
        "Deployment forgejo/forgejo-runner: container 'dind' (initContainers) is privileged in namespace 'forgejo'; "
        "privileged containers may only run in the runner namespace 'forgejo-runner'"
    ]


def test_privileged_main_container_of_a_statefulset_is_refused() -> None:
    props = deployment("default", [], [{**RUNNER, "securityContext": {"privileged": True}}])
    args = resource_args("kubernetes:apps/v1:StatefulSet", props)

    assert violations(PRIVILEGED, args) == [
        "StatefulSet default/forgejo-runner: container 'runner' (containers) is privileged in namespace 'default'; "
        "privileged containers may only run in the runner namespace 'forgejo-runner'"
    ]


def test_privileged_extra_container_in_the_forgejo_release_is_refused() -> None:
    props = release(extraContainers=[{"name": "runner-registration"}, {"name": "dind", **DIND}])

    assert violations(PRIVILEGED, resource_args(rules.HELM_RELEASE, props)) == [
        "Helm release forgejo: container 'dind' (values.extraContainers) is privileged in namespace 'forgejo'; "
        "privileged containers may only run in the runner namespace 'forgejo-runner'"
    ]


def test_privileged_forgejo_container_through_release_values_is_refused() -> None:
    props = release(containerSecurityContext={"privileged": True})

    assert violations(PRIVILEGED, resource_args(rules.HELM_RELEASE, props)) == [
        "Helm release forgejo: values.containerSecurityContext.privileged is true in namespace 'forgejo'; "
        "privileged containers may only run in the runner namespace 'forgejo-runner'"
    ]


def test_unprivileged_extra_container_in_the_forgejo_release_passes() -> None:
    props = release(extraContainers=[{"name": "runner-registration", "securityContext": {"privileged": False}}])

    assert violations(PRIVILEGED, resource_args(rules.HELM_RELEASE, props)) == []


def test_runner_namespace_comes_from_the_pack_config() -> None:
    props = deployment("forgejo", [DIND], [RUNNER])

    assert violations(PRIVILEGED, resource_args(DEPLOYMENT, props, config={"runnerNamespace": "forgejo"})) == []
    assert len(violations(PRIVILEGED, resource_args(DEPLOYMENT, props, config={"runnerNamespace": "ci"}))) == 1


def test_unknown_privileged_flag_defers_to_the_engine_during_preview() -> None:
    # The engine turns this exception into an advisory "can't run policy during preview".
    props = deployment("forgejo", [{**DIND, "securityContext": {"privileged": UNKNOWN_BOOLEAN_VALUE}}], [])

    with pytest.raises(UnknownValueError):
        violations(PRIVILEGED, resource_args(DEPLOYMENT, props))


# ---------------------------------------------------------------- plaintext secrets

SECRET_ENV = rules.NO_PLAINTEXT_SECRET_ENV


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("FORGEJO_RUNNER_SECRET", True),
        ("adminPassword", True),
        ("API_TOKEN", True),
        ("cache.secret", True),
        ("SECRET_KEY", True),
        ("DOCKER_TLS_CERTDIR", False),
        ("RUNNER_NAME", False),
        ("secretName", False),
        ("TOKEN_FILE", False),
        ("GITEA_TEMP", False),
    ],
)
def test_secret_names_are_recognised_and_references_are_not(name: str, secret: bool) -> None:
    assert rules.looks_secret_name(name) is secret


def test_secret_env_from_a_secret_key_ref_passes() -> None:
    register = {
        "name": "register",
        "env": [
            {
                "name": "FORGEJO_RUNNER_SECRET",
                "valueFrom": {"secretKeyRef": {"name": "forgejo-runner", "key": "token"}},
            },
            {"name": "DOCKER_HOST", "value": "unix:///var/run/docker.sock"},
        ],
    }

    assert violations(SECRET_ENV, resource_args(DEPLOYMENT, deployment("forgejo-runner", [register], []))) == []


def test_secret_env_with_a_literal_value_is_refused() -> None:
    register = {"name": "register", "env": [{"name": "FORGEJO_RUNNER_SECRET", "value": RUNNER_SECRET}]}

    assert violations(SECRET_ENV, resource_args(DEPLOYMENT, deployment("forgejo-runner", [register], []))) == [
        "Deployment forgejo-runner/forgejo-runner: container 'register' (initContainers) sets FORGEJO_RUNNER_SECRET "
        "as a plain value; take it from a Secret with valueFrom.secretKeyRef"
    ]


def test_secret_env_in_the_release_values_is_refused() -> None:
    props = release(
        extraContainers=[{"name": "sidecar", "env": [{"name": "ADMIN_PASSWORD", "value": "hunter22"}]}],
        deployment={"env": [{"name": "GITEA__security__SECRET_KEY", "value": "abc"}]},
    )

    assert violations(SECRET_ENV, resource_args(rules.HELM_RELEASE, props)) == [
        "Helm release forgejo: container 'sidecar' (values.extraContainers) sets ADMIN_PASSWORD as a plain value; "
        "take it from a Secret with valueFrom.secretKeyRef",
        "Helm release forgejo: container 'forgejo' (values.deployment.env) sets GITEA__security__SECRET_KEY as a "
        "plain value; take it from a Secret with valueFrom.secretKeyRef",
    ]


CONFIG_MAPS = rules.NO_SECRETS_IN_CONFIG_MAPS


def config_map(data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "ci"}, "data": data}


def test_config_map_with_settings_and_secret_references_passes() -> None:
    data = {"config.yaml": "runner:\n  file: .runner\n  capacity: 1\ncache:\n  secret: ''\n", "secretName": "x"}

    assert violations(CONFIG_MAPS, resource_args(rules.CONFIG_MAP, config_map(data))) == []


def test_config_map_with_secret_values_is_refused() -> None:
    data = {
        "admin-password": "hunter22",
        "runner": f"shared secret is {RUNNER_SECRET}",
        "config.yaml": "cache:\n  enabled: true\n  secret: s3cr3t\n",
    }

    assert violations(CONFIG_MAPS, resource_args(rules.CONFIG_MAP, config_map(data))) == [
        "ConfigMap ci/cm: data key 'admin-password' is named like a secret; put it in a Secret",
        "ConfigMap ci/cm: data key 'runner' holds a 40-hex string (a token or a runner secret); put it in a Secret",
        "ConfigMap ci/cm: data key 'config.yaml' sets 'secret' to a literal value; put it in a Secret",
    ]


# ---------------------------------------------------------------- Helm chart versions

HELM = rules.HELM_CHART_VERSION_PINNED


@pytest.mark.parametrize("typ", [rules.HELM_RELEASE, rules.HELM_CHART_V4])
def test_exact_chart_version_passes(typ: str) -> None:
    assert violations(HELM, resource_args(typ, release(version="15.0.3"))) == []


@pytest.mark.parametrize(
    "version", [">=15 <16", "15.x", "latest", "", None, "15.0", "15.0.3\n", "1\u0665.0.3", "v15.0.3", "015.0.3"]
)
def test_chart_version_range_or_missing_is_refused(version: Any) -> None:
    assert violations(HELM, resource_args(rules.HELM_RELEASE, release(version=version))) == [
        f"Helm chart 'oci://code.forgejo.org/forgejo-helm/forgejo' has version {version!r}; pin one exact version "
        "such as '15.0.3' (no ranges, no 'latest', not empty)"
    ]


def test_local_chart_without_version_passes() -> None:
    props = {"chart": "./charts/forgejo", "namespace": "forgejo"}

    assert violations(HELM, resource_args(rules.HELM_CHART_V4, props)) == []


# ---------------------------------------------------------------- HTTPRoute backends

ROUTES = rules.HTTPROUTE_BACKENDS_EXIST
HTTPROUTE = rules.HTTPROUTES[0]


def test_route_to_the_release_http_service_passes() -> None:
    resources = [policy_resource(rules.HELM_RELEASE, release()), policy_resource(HTTPROUTE, http_route("forgejo-http"))]

    assert stack_violations(ROUTES, resources) == []


def test_route_to_the_seed_service_name_is_refused() -> None:
    # The seed's stutter the other way round: release "forgejo" makes forgejo-http, not forgejo-forgejo-http.
    route = policy_resource(HTTPROUTE, http_route("forgejo-forgejo-http"), name="forgejo-route")
    resources = [policy_resource(rules.HELM_RELEASE, release()), route]

    assert stack_violations(ROUTES, resources) == [
        (
            "HTTPRoute forgejo/forgejo: backend forgejo/forgejo-forgejo-http is not a Service this stack creates "
            "(it creates: forgejo/forgejo-http)",
            route.urn,
        )
    ]


def test_route_to_the_wrong_port_is_refused() -> None:
    resources = [
        policy_resource(rules.HELM_RELEASE, release(service={"http": {"port": 8080.0}})),
        policy_resource(HTTPROUTE, http_route("forgejo-http", port=3000.0)),
    ]

    assert [message for message, _ in stack_violations(ROUTES, resources)] == [
        "HTTPRoute forgejo/forgejo: backend forgejo/forgejo-http port 3000 is not one the Service serves (8080)"
    ]


def test_route_to_a_release_in_another_namespace_is_refused() -> None:
    resources = [
        policy_resource(rules.HELM_RELEASE, release(namespace="git")),
        policy_resource(HTTPROUTE, http_route("forgejo-http", namespace="forgejo")),
    ]

    assert [message for message, _ in stack_violations(ROUTES, resources)] == [
        "HTTPRoute forgejo/forgejo: backend forgejo/forgejo-http is not a Service this stack creates "
        "(it creates: git/forgejo-http)"
    ]


def test_route_follows_the_chart_namespace_override() -> None:
    chart = policy_resource(rules.HELM_RELEASE, release(namespace="forgejo", namespaceOverride="git"))
    route_elsewhere = policy_resource(HTTPROUTE, http_route("forgejo-http", namespace="forgejo"))
    route_there = policy_resource(HTTPROUTE, http_route("forgejo-http", namespace="git"))

    assert stack_violations(ROUTES, [chart, route_there]) == []
    assert [message for message, _ in stack_violations(ROUTES, [chart, route_elsewhere])] == [
        "HTTPRoute forgejo/forgejo: backend forgejo/forgejo-http is not a Service this stack creates "
        "(it creates: git/forgejo-http)"
    ]


def test_route_to_a_plain_service_of_the_stack_passes() -> None:
    service = {"metadata": {"name": "web", "namespace": "forgejo"}, "spec": {"ports": [{"port": 80.0}]}}
    resources = [policy_resource(rules.SERVICE, service), policy_resource(HTTPROUTE, http_route("web", port=80.0))]

    assert stack_violations(ROUTES, resources) == []


def test_the_pack_and_the_program_share_one_naming_rule_and_one_version_rule() -> None:
    assert rules.chart_fullname is naming.chart_fullname
    assert rules.is_exact_version is naming.is_exact_version
    # The rule the program's chartVersion and forgejoVersion keys go through, too.
    with pytest.raises(ConfigError, match=r"chartVersion: 'v15\.0\.3' is not an exact semantic version"):
        parse_settings({**goldentooth_config(), "chartVersion": "v15.0.3"})


# ---------------------------------------------------------------- mirrors

MIRRORS = rules.MIRROR_CLONE_ADDRESS


def mirror(clone_addr: str) -> dict[str, Any]:
    return {"repo_owner": "forgejo_admin", "repo_name": "mcp", "clone_addr": clone_addr, "service": "git"}


def test_https_clone_address_passes() -> None:
    assert violations(MIRRORS, resource_args(rules.MIRROR, mirror("https://github.com/goldentooth/mcp.git"))) == []


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("http://github.com/goldentooth/mcp.git", "'http://github.com/goldentooth/mcp.git' is not an https:// address"),
        ("git@github.com:goldentooth/mcp.git", "'git@github.com:goldentooth/mcp.git' is not an https:// address"),
        (
            "https://x-access-token:ghp_abc@github.com/goldentooth/mcp.git",
            "the clone address carries credentials before '@'; use the mirror's upstream token instead",
        ),
        (
            "https://github.com/goldentooth/mcp.git?access_token=ghp_abc",
            "the clone address carries a credential in its query string; use the mirror's upstream token instead",
        ),
    ],
)
def test_plain_or_credentialed_clone_address_is_refused(address: str, problem: str) -> None:
    assert violations(MIRRORS, resource_args(rules.MIRROR, mirror(address))) == [f"Mirror forgejo_admin/mcp: {problem}"]


# ---------------------------------------------------------------- the real program

PROGRAM_CONFIGS: dict[str, dict[str, str]] = {
    "goldentooth": {},
    "fullnameOverride": {"fullnameOverride": "git"},
    "other-release-name": {"releaseName": "gitea"},
}


def _resource_args(registered: Registered, config: Mapping[str, Any] | None = None) -> ResourceValidationArgs:
    return resource_args(registered.typ, registered.inputs, registered.name, config)


def _program_resources(run: ProgramRun) -> list[PolicyResource]:
    return [policy_resource(r.typ, r.inputs, r.name) for r in run.resources]


def _program_violations(run: ProgramRun, config: Mapping[str, Any] | None = None) -> Iterator[str]:
    for registered in run.resources:
        for policy in rules.RESOURCE_POLICIES:
            for message in violations(policy, _resource_args(registered, config)):
                yield f"{policy.name}: {message}"
    for stack_policy in rules.STACK_POLICIES:
        for message, _ in stack_violations(stack_policy, _program_resources(run)):
            yield f"{stack_policy.name}: {message}"


@pytest.mark.parametrize("overrides", PROGRAM_CONFIGS.values(), ids=PROGRAM_CONFIGS.keys())
def test_every_policy_passes_the_program(overrides: dict[str, str]) -> None:
    run = run_program(overrides)
    # Each policy has something of its own to look at, so a pass is not a vacuous one.
    types = {r.typ for r in run.resources}
    assert {DEPLOYMENT, rules.HELM_RELEASE, rules.CONFIG_MAP, HTTPROUTE, rules.MIRROR} <= types

    assert list(_program_violations(run)) == []


def test_shared_layout_needs_the_pack_told_its_runner_namespace() -> None:
    run = run_program({"namespaceLayout": "shared", "serverPodSecurity": '{"enforce": "privileged"}'})

    assert sorted(_program_violations(run)) == [
        f"privileged-only-in-runner-namespace: Deployment forgejo/{deployment}: container 'dind' (initContainers) "
        "is privileged in namespace 'forgejo'; privileged containers may only run in the runner namespace "
        "'forgejo-runner'"
        for deployment in ("forgejo-runner-amd64-runner", "forgejo-runner")  # sorted: '-' before ':'
    ]
    assert list(_program_violations(run, {"runnerNamespace": "forgejo"})) == []


def test_every_runner_group_is_in_the_one_namespace_the_pack_allows() -> None:
    """Groups share the runner namespace, so the pack's one allowed namespace covers each of them and no other."""
    run = run_program()
    deployments = [r for r in run.resources if r.typ == DEPLOYMENT]

    assert sorted((r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]) for r in deployments) == [
        ("forgejo-runner", "forgejo-runner"),
        ("forgejo-runner", "forgejo-runner-amd64-runner"),
    ]
    assert list(_program_violations(run)) == []
    assert len(list(_program_violations(run, {"runnerNamespace": "ci-runners"}))) == 2


def test_program_with_a_plaintext_secret_in_its_runner_config_map_is_refused() -> None:
    run = run_program()
    config_map_registration = run.one(rules.CONFIG_MAP, "forgejo-runner-config")
    config_map_registration.inputs["data"]["config.yaml"] += f"cache:\n  secret: {RUNNER_SECRET}\n"

    assert violations(CONFIG_MAPS, _resource_args(config_map_registration)) == [
        "ConfigMap forgejo-runner/forgejo-runner-config: data key 'config.yaml' holds a 40-hex string (a token or a "
        "runner secret); put it in a Secret",
        "ConfigMap forgejo-runner/forgejo-runner-config: data key 'config.yaml' sets 'secret' to a literal value; "
        "put it in a Secret",
    ]


# ---------------------------------------------------------------- the pack as the engine runs it


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(json.loads(json.dumps(props)))
    return struct


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    # What the Python language host runs for a policy pack: pulumi.policy run_path()s the directory.
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(ROOT / "policy")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline().strip() if ready else ""
        if not line.isdigit():
            process.kill()
            pytest.fail(f"the policy pack did not start: {process.communicate()[1]}")
        with grpc.insecure_channel(f"127.0.0.1:{line}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_pack_serves_every_policy_as_mandatory(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())

    assert info.name == "goldentooth-forgejo"
    assert {(p.name, p.enforcementLevel) for p in info.policies} == {
        (policy.name, analyzer_pb2.MANDATORY) for policy in rules.POLICIES
    }
    assert {policy.enforcement_level for policy in rules.POLICIES} == {EnforcementLevel.MANDATORY}


def test_pack_reports_a_privileged_pod_outside_the_runner_namespace(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    request = analyzer_pb2.AnalyzeRequest(
        type=DEPLOYMENT,
        properties=_struct(deployment("forgejo", [DIND], [RUNNER])),
        urn=_urn(DEPLOYMENT, "runner"),
        name="runner",
    )

    response = analyzer.Analyze(request)

    assert [(d.policyName, d.message) for d in response.diagnostics] == [
        (
            "privileged-only-in-runner-namespace",
            f"{PRIVILEGED.description}\nDeployment forgejo/forgejo-runner: container 'dind' (initContainers) is "
            "privileged in namespace 'forgejo'; privileged containers may only run in the runner namespace "
            "'forgejo-runner'",
        )
    ]


def test_pack_reads_the_runner_namespace_from_its_config(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    analyzer.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                PRIVILEGED.name: analyzer_pb2.PolicyConfig(
                    enforcementLevel=analyzer_pb2.MANDATORY, properties=_struct({"runnerNamespace": "forgejo"})
                )
            }
        )
    )
    try:
        response = analyzer.Analyze(
            analyzer_pb2.AnalyzeRequest(
                type=DEPLOYMENT,
                properties=_struct(deployment("forgejo", [DIND], [RUNNER])),
                urn=_urn(DEPLOYMENT, "runner"),
                name="runner",
            )
        )
    finally:
        analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest())

    assert list(response.diagnostics) == []


# ---------------------------------------------------------------- the pack's config, derived from the stack's


def test_pack_config_names_the_runner_namespace_the_program_uses() -> None:
    assert stack_config.policy_config("goldentooth") == {
        "privileged-only-in-runner-namespace": {"runnerNamespace": "forgejo-runner"}
    }
    assert parse_settings(goldentooth_config()).runner_namespace == "forgejo-runner"


def test_pack_config_follows_a_shared_layout(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stack_file = yaml.safe_load((ROOT / "Pulumi.goldentooth.yaml").read_text())
    stack_file["config"]["goldentooth-forgejo:namespaceLayout"] = "shared"
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.shared.yaml").write_text(yaml.safe_dump(stack_file))
    monkeypatch.setattr(stack_config, "ROOT", tmp_path)

    assert stack_config.policy_config("shared") == {
        "privileged-only-in-runner-namespace": {"runnerNamespace": "forgejo"}
    }
