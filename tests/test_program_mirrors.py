"""The program's mirrors under mocks: one resource per configured mirror, wired to the release."""

from __future__ import annotations

import json

import pytest

from components.config import ConfigError, parse_settings
from tests.program import (
    GATEWAY_CA_PEM,
    GENERATED_ADMIN_PASSWORD,
    SECRET_SIG_KEY,
    SECRET_SIG_VALUE,
    ProgramRun,
    run_program,
    secret,
)
from tests.stack import goldentooth_config

MIRROR = "pulumi-python:dynamic/forgejo:Mirror"
MCP = {
    "cloneAddr": "https://github.com/goldentooth/mcp.git",
    "owner": "forgejo_admin",
    "name": "mcp",
    "interval": "5m",
    "service": "github",
}


def test_goldentooth_mirrors_mcp_with_actions_on(goldentooth: ProgramRun) -> None:
    mirror = goldentooth.one(MIRROR, "mirrors/forgejo_admin/mcp")

    inputs = {key: value for key, value in mirror.inputs.items() if key != "__provider"}
    assert inputs == {
        "api_url": "https://git.goldentooth.net",
        "api_auth": secret({"username": "forgejo_admin", "password": GENERATED_ADMIN_PASSWORD}),
        "repo_owner": "forgejo_admin",
        "repo_name": "mcp",
        "clone_addr": "https://github.com/goldentooth/mcp.git",
        "ca_bundle": secret(GATEWAY_CA_PEM),  # read from the gateway's Secret (forgejoCaFrom)
        "min_interval": "5m",
        "mirror_interval": "5m",
        "service": "github",
        "has_actions": True,
        "private": False,
        "description": "",
        "lfs": False,
        "wiki": False,
        "sync_after_create": False,
        "insecure": False,
    }
    assert mirror.parent_type_and_name == ("goldentooth:index:Mirrors", "mirrors")
    assert mirror.additional_secret_outputs == ["api_auth", "auth_token"]


def test_serialized_provider_is_stored_as_a_secret(goldentooth: ProgramRun) -> None:
    provider_blob = goldentooth.one(MIRROR).inputs["__provider"]

    assert isinstance(provider_blob, dict)
    assert provider_blob[SECRET_SIG_KEY] == SECRET_SIG_VALUE


def test_mirror_waits_for_the_release_and_the_route(goldentooth: ProgramRun) -> None:
    dependencies = goldentooth.one(MIRROR).dependencies

    assert any(d.endswith("$kubernetes:helm.sh/v3:Release::forgejo-release") for d in dependencies)
    assert any(d.endswith("$kubernetes:gateway.networking.k8s.io/v1:HTTPRoute::forgejo-route") for d in dependencies)


def test_one_resource_per_configured_mirror() -> None:
    second = {"cloneAddr": "https://github.com/goldentooth/gitops", "owner": "forgejo_admin", "name": "gitops"}
    run = run_program({"mirrors": json.dumps([MCP, second])})

    assert sorted(m.name for m in run.of_type(MIRROR)) == ["mirrors/forgejo_admin/gitops", "mirrors/forgejo_admin/mcp"]
    gitops = run.one(MIRROR, "mirrors/forgejo_admin/gitops").inputs
    assert (gitops["mirror_interval"], gitops["service"], gitops["has_actions"]) == ("8h", "git", True)


def test_no_mirrors_configured_registers_none() -> None:
    run = run_program({"mirrors": "[]"})

    assert run.of_type(MIRROR) == []
    assert run.exports["mirrors"] == {}


def test_mirror_outputs_are_exported(goldentooth: ProgramRun) -> None:
    assert goldentooth.exports["mirrors"] == {
        "forgejo_admin/mcp": {
            "html_url": "https://git.goldentooth.net/forgejo_admin/mcp",
            "clone_url": "https://git.goldentooth.net/forgejo_admin/mcp.git",
            "has_actions": True,
            "mirror_interval": "5m0s",
        }
    }


def test_api_token_replaces_admin_basic_auth() -> None:
    run = run_program(secrets={"forgejoApiToken": "api-token-sentinel"})

    assert run.one(MIRROR).inputs["api_auth"] == secret({"token": "api-token-sentinel"})


def test_upstream_token_reaches_only_its_mirror_as_a_secret() -> None:
    run = run_program(secrets={"mirrorUpstreamTokens": json.dumps({"forgejo_admin/mcp": "ghp_upstream_sentinel"})})

    assert run.one(MIRROR).inputs["auth_token"] == secret("ghp_upstream_sentinel")


def test_ca_bundle_and_api_url_reach_the_provider() -> None:
    overrides = {
        "forgejoCaFrom": "{}",
        "forgejoCaBundle": GATEWAY_CA_PEM,
        "forgejoApiUrl": "https://forgejo.internal:8443/",
    }
    run = run_program(overrides)

    inputs = run.one(MIRROR).inputs
    assert (inputs["ca_bundle"], inputs["api_url"]) == (GATEWAY_CA_PEM, "https://forgejo.internal:8443")
    assert [r for r in run.resources if r.typ == "kubernetes:core/v1:Secret" and "gateway" in r.name] == []


def test_the_ca_is_read_from_the_gateways_secret_and_nothing_is_managed_there(goldentooth: ProgramRun) -> None:
    # A read (custom=None in the mocks): no Secret named forgejo-ca is registered, so nothing in gateway/ changes.
    assert not any(r.name == "forgejo-ca" for r in goldentooth.resources)
    assert goldentooth.one(MIRROR).inputs["ca_bundle"] == secret(GATEWAY_CA_PEM)


def test_the_ca_can_come_from_a_config_map() -> None:
    ca_from = {"configMapName": "gateway-ca", "namespace": "gateway", "key": "root.pem"}
    run = run_program({"forgejoCaFrom": json.dumps(ca_from)})

    assert run.one(MIRROR).inputs["ca_bundle"] == GATEWAY_CA_PEM


def test_no_ca_configured_leaves_the_default_bundle() -> None:
    assert "ca_bundle" not in run_program({"forgejoCaFrom": "{}"}).one(MIRROR).inputs


@pytest.mark.parametrize(
    ("protect_data", "retain", "kept"),
    [
        ("true", None, True),  # the default: protectData keeps the mirrors' repositories too
        ("true", False, False),  # a mirror may ask to be deleted for real
        ("false", None, False),
        ("false", True, True),
    ],
)
def test_retain_defaults_to_protect_data(protect_data: str, retain: bool | None, kept: bool) -> None:
    mirror = MCP if retain is None else {**MCP, "retain": retain}
    run = run_program({"protectData": protect_data, "mirrors": json.dumps([mirror])})

    assert run.one(MIRROR).retain_on_delete is kept


def test_the_goldentooth_mirror_is_retained(goldentooth: ProgramRun) -> None:
    assert goldentooth.one(MIRROR).retain_on_delete is True


def test_mirrors_whose_dashed_names_would_collide_are_two_resources() -> None:
    first = {**MCP, "owner": "gt-org", "name": "mcp"}
    second = {**MCP, "owner": "gt", "name": "org-mcp"}
    run = run_program({"mirrors": json.dumps([first, second])})

    assert sorted(m.name for m in run.of_type(MIRROR)) == ["mirrors/gt-org/mcp", "mirrors/gt/org-mcp"]


BAD_MIRRORS = [
    ({**MCP, "interval": "1m"}, "mirrors[0].interval", "below the server's minimum"),
    ({**MCP, "interval": "5 minutes"}, "mirrors[0].interval", "Go duration"),
    ({**MCP, "name": "mcp server"}, "mirrors[0].name", "letters, digits"),
    ({**MCP, "name": "m" * 101}, "mirrors[0].name", "at most 100"),
    ({**MCP, "cloneAddr": "http://github.com/goldentooth/mcp.git"}, "mirrors[0].cloneAddr", "https"),
    ({**MCP, "cloneAddr": "https://user:pw@github.com/goldentooth/mcp.git"}, "mirrors[0].cloneAddr", "credentials"),
    ({**MCP, "service": "bitbucket"}, "mirrors[0].service", "git"),
    ({**MCP, "actions": "yes"}, "mirrors[0].actions", "true or false"),
    ({**MCP, "owner": "forgejo admin"}, "mirrors[0].owner", "not a valid Forgejo user name"),
    (
        {**MCP, "cloneAddr": "https://g\u0456thub.com/goldentooth/mcp.git"},
        "mirrors[0].cloneAddr",
        "non-ASCII host name",
    ),
    ({**MCP, "interval": "2562048h"}, "mirrors[0].interval", "longer than Go's longest duration"),
    ({**MCP, "dispatchWorkflow": "ci.yml", "dispatchRef": "main..next"}, "mirrors[0].dispatchRef", "not a git branch"),
    ({**MCP, "dispatchWorkflow": "ci.yml", "dispatchRef": "feature/.x"}, "mirrors[0].dispatchRef", "not a git branch"),
    ({**MCP, "clone_addr": "x"}, "mirrors[0]", "unknown field"),
    ({"owner": "forgejo_admin", "name": "mcp"}, "mirrors[0].cloneAddr", "is required"),
]


@pytest.mark.parametrize(("mirror", "key", "reason"), BAD_MIRRORS, ids=[row[1] + ":" + row[2] for row in BAD_MIRRORS])
def test_bad_mirror_is_refused_at_preview_naming_the_key(mirror: dict[str, object], key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), "mirrors": json.dumps([mirror])})

    messages = [str(problem) for problem in refused.value.problems]
    assert any(m.startswith(f"goldentooth-forgejo:{key}: ") and reason in m for m in messages), messages


def test_credentials_in_a_clone_address_are_never_echoed() -> None:
    bad = {**MCP, "cloneAddr": "https://user:hunter2-sentinel@github.com/goldentooth/mcp.git"}

    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), "mirrors": json.dumps([bad])})

    assert "hunter2-sentinel" not in str(refused.value)


def test_two_mirrors_with_the_same_resource_name_are_refused_naming_the_key() -> None:
    # Forgejo's names, and so the resource names, are case-insensitive.
    with pytest.raises(ConfigError, match=r"mirrors\[1\]: mirrors forgejo_admin/MCP again \(already mirrors\[0\]\)"):
        parse_settings({**goldentooth_config(), "mirrors": json.dumps([MCP, {**MCP, "name": "MCP"}])})


def test_upstream_token_for_an_unknown_mirror_is_refused_without_echoing_it() -> None:
    tokens = json.dumps({"forgejo_admin/nope": "ghp_secret_sentinel"})

    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), "mirrorUpstreamTokens": tokens}, frozenset({"mirrorUpstreamTokens"}))

    assert "'forgejo_admin/nope', which is not a configured mirror" in str(refused.value)
    assert "ghp_secret_sentinel" not in str(refused.value)


@pytest.mark.parametrize(
    "overrides", [{"forgejoCaFrom": "{}", "forgejoCaBundle": GATEWAY_CA_PEM}, {}], ids=["bundle", "from-the-cluster"]
)
def test_insecure_together_with_a_ca_is_refused(overrides: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="forgejoInsecure: is true while forgejoCaBundle or forgejoCaFrom is set"):
        parse_settings({**goldentooth_config(), **overrides, "forgejoInsecure": "true"})


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("forgejoApiToken", "token-with-newline-sentinel\n", "forgejoApiToken"),
        (
            "mirrorUpstreamTokens",
            json.dumps({"forgejo_admin/mcp": "token with space-sentinel"}),
            "mirrorUpstreamTokens.forgejo_admin/mcp",
        ),
    ],
)
def test_token_with_whitespace_is_refused_without_echoing_it(key: str, value: str, named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), key: value}, secret_keys=frozenset({key}))

    assert [problem.key for problem in refused.value.problems] == [named]
    assert "without spaces, newlines or control characters" in str(refused.value)
    assert "sentinel" not in str(refused.value)
