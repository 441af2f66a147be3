"""The Mirrors component under Pulumi mocks: what it registers, with which inputs and options."""

from __future__ import annotations

from dataclasses import replace

import pulumi
import pytest

from components.mirror_provider import ForgejoMirror
from components.mirrors import Mirrors, mirror_resource_name
from tests.conftest_mirrors import (
    ADMIN_PASSWORD,
    API_TOKEN,
    CA_PEM,
    CONNECTION,
    MCP,
    MIRROR_TYPE,
    PRIVATE,
    SECRET_SIG,
    UPSTREAM_TOKEN,
    run_mirrors,
    run_under_mocks,
    secret,
)


def test_one_mirror_resource_per_spec_named_after_the_component_and_repo() -> None:
    monitor, mirrors = run_mirrors([MCP, PRIVATE])
    names = sorted(r.name for r in monitor.registered if r.typ == MIRROR_TYPE)  # registration is asynchronous
    assert names == ["mirrors/forgejo_admin/mcp", "mirrors/goldentooth/secrets"]
    assert sorted(mirrors) == ["forgejo_admin/mcp", "goldentooth/secrets"]
    component = monitor.one("goldentooth:index:Mirrors", "mirrors")
    assert component.parent.endswith("pulumi:pulumi:Stack::goldentooth-forgejo-test")


def test_mirror_inputs_use_forgejos_names_and_keep_credentials_secret() -> None:
    monitor, _ = run_mirrors([MCP], upstream_tokens={"forgejo_admin/mcp": UPSTREAM_TOKEN})
    inputs = monitor.one(MIRROR_TYPE, "mirrors/forgejo_admin/mcp").inputs
    provider_blob = inputs.pop("__provider")
    assert inputs == {
        "api_url": "https://git.goldentooth.net/api/v1",
        "api_auth": secret({"username": "forgejo_admin", "password": ADMIN_PASSWORD}),
        "auth_token": secret(UPSTREAM_TOKEN),
        "ca_bundle": CA_PEM,
        "insecure": False,
        "repo_owner": "forgejo_admin",
        "repo_name": "mcp",
        "clone_addr": "https://github.com/goldentooth/mcp.git",
        "service": "github",
        "mirror_interval": "5m",
        "min_interval": "5m",
        "has_actions": True,
        "private": False,
        "description": "",
        "lfs": False,
        "wiki": False,
        "sync_after_create": False,
    }
    assert set(provider_blob) == {SECRET_SIG, "value"}  # the pickled provider is stored as a secret too


def test_the_resource_itself_marks_credentials_secret_when_given_plain_values() -> None:
    def program() -> None:
        connection = replace(CONNECTION, password=None, token=API_TOKEN)
        ForgejoMirror("bare", MCP, connection, min_interval="5m", auth_token=UPSTREAM_TOKEN)

    monitor = run_under_mocks(program)
    inputs = monitor.one(MIRROR_TYPE, "bare").inputs
    assert (inputs["api_auth"], inputs["auth_token"]) == (secret({"token": API_TOKEN}), secret(UPSTREAM_TOKEN))


def test_a_token_connection_sends_the_token_as_the_secret_api_auth() -> None:
    connection = replace(CONNECTION, username="", password=None, token=API_TOKEN)
    monitor, _ = run_mirrors([MCP], connection)
    assert monitor.one(MIRROR_TYPE, "mirrors/forgejo_admin/mcp").inputs["api_auth"] == secret({"token": API_TOKEN})


def test_mirrors_are_children_that_wait_for_the_helm_release() -> None:
    monitor, _ = run_mirrors([MCP])
    component = monitor.one("goldentooth:index:Mirrors", "mirrors")
    release = monitor.one("kubernetes:helm.sh/v3:Release", "forgejo")
    mirror = monitor.one(MIRROR_TYPE, "mirrors/forgejo_admin/mcp")
    assert mirror.parent == component.urn
    assert mirror.dependencies == [release.urn]


def test_retain_becomes_retain_on_delete_and_credentials_are_secret_outputs() -> None:
    monitor, _ = run_mirrors([MCP, PRIVATE])  # MCP keeps the default, PRIVATE says retain=False
    kept = monitor.one(MIRROR_TYPE, "mirrors/forgejo_admin/mcp")
    dropped = monitor.one(MIRROR_TYPE, "mirrors/goldentooth/secrets")
    assert (kept.retain_on_delete, dropped.retain_on_delete) == (True, False)
    assert kept.additional_secret_outputs == ["api_auth", "auth_token"]
    assert "auth_token" not in kept.inputs  # a public upstream needs none


def test_each_mirror_keeps_its_earlier_name_as_an_alias() -> None:
    # Stacks made before the "/" names have "<component>-<owner>-<name>" children: the alias keeps them.
    monitor, _ = run_mirrors([MCP, PRIVATE.model_copy(update={"repo_owner": "GoldenTooth"})])
    assert monitor.one(MIRROR_TYPE, "mirrors/forgejo_admin/mcp").aliases == ["mirrors-forgejo_admin-mcp"]
    assert monitor.one(MIRROR_TYPE, "mirrors/goldentooth/secrets").aliases == ["mirrors-GoldenTooth-secrets"]


def test_names_that_joined_with_dashes_would_collide_stay_apart() -> None:
    # "gt-org/mcp" and "gt/org-mcp" were both "mirrors-gt-org-mcp"; "/" occurs in neither owner nor name.
    first = MCP.model_copy(update={"repo_owner": "gt-org", "repo_name": "mcp"})
    second = MCP.model_copy(update={"repo_owner": "gt", "repo_name": "org-mcp"})
    monitor, mirrors = run_mirrors([first, second])
    assert sorted(r.name for r in monitor.registered if r.typ == MIRROR_TYPE) == [
        "mirrors/gt-org/mcp",
        "mirrors/gt/org-mcp",
    ]
    assert sorted(mirrors) == ["gt-org/mcp", "gt/org-mcp"]


def test_a_change_of_case_in_config_keeps_the_resource_name() -> None:
    monitor, _ = run_mirrors([MCP.model_copy(update={"repo_owner": "Forgejo_Admin", "repo_name": "MCP"})])
    assert [r.name for r in monitor.registered if r.typ == MIRROR_TYPE] == ["mirrors/forgejo_admin/mcp"]


def test_mirror_resource_name_is_the_component_then_owner_and_name_in_lower_case() -> None:
    assert mirror_resource_name("Mirrors", MCP.model_copy(update={"repo_owner": "A.b", "repo_name": "C_d"})) == (
        "Mirrors/a.b/c_d"
    )


def test_insecure_tls_is_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    run_mirrors([MCP], replace(CONNECTION, insecure=True))
    assert len(warnings) == 1
    assert "TLS verification of the Forgejo API is OFF" in warnings[0]


def test_secure_tls_is_not_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    run_mirrors([MCP])
    assert warnings == []


def test_a_connection_without_credentials_fails_before_anything_is_registered() -> None:
    # The config loader refuses duplicate mirrors and stray tokens; the component checks nothing again.
    with pytest.raises(ValueError, match="needs a token, or a username and a password"):
        run_mirrors([MCP], replace(CONNECTION, password=None))


def test_a_mirror_without_its_own_retain_follows_protect_data() -> None:
    def program() -> None:
        kept = PRIVATE.model_copy(update={"retain": True})
        Mirrors("mirrors", [MCP, kept], CONNECTION, "5m", retain=False)  # protectData: false

    monitor = run_under_mocks(program)
    retained = {r.name: r.retain_on_delete for r in monitor.registered if r.typ == MIRROR_TYPE}  # asynchronous
    assert retained == {"mirrors/forgejo_admin/mcp": False, "mirrors/goldentooth/secrets": True}
