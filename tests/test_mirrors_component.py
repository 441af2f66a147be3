"""The Mirrors component under Pulumi mocks: what it registers, with which inputs and options."""

from __future__ import annotations

import pulumi
import pytest

from components.mirror_provider import ForgejoMirror, ForgejoMirrorArgs
from components.mirror_rules import MirrorSpec
from components.mirrors import ForgejoConnection, mirror_resource_name
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
        "upstream_token": secret(UPSTREAM_TOKEN),
        "ca_bundle": CA_PEM,
        "insecure": False,
        "owner": "forgejo_admin",
        "name": "mcp",
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
    args = ForgejoMirrorArgs.from_spec(
        MCP, api_url=CONNECTION.api_url, api_auth={"token": API_TOKEN}, min_interval="5m", upstream_token=UPSTREAM_TOKEN
    )

    def program() -> None:
        ForgejoMirror("bare", args)

    monitor = run_under_mocks(program)
    inputs = monitor.one(MIRROR_TYPE, "bare").inputs
    assert (inputs["api_auth"], inputs["upstream_token"]) == (secret({"token": API_TOKEN}), secret(UPSTREAM_TOKEN))


def test_a_token_connection_sends_the_token_as_the_secret_api_auth() -> None:
    connection = CONNECTION._replace(username="", password=None, token=API_TOKEN)
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
    assert kept.additional_secret_outputs == ["api_auth", "upstream_token"]
    assert "upstream_token" not in kept.inputs  # a public upstream needs none


def test_each_mirror_keeps_its_earlier_name_as_an_alias() -> None:
    # Stacks made before the "/" names have "<component>-<owner>-<name>" children: the alias keeps them.
    monitor, _ = run_mirrors([MCP, PRIVATE._replace(owner="GoldenTooth")])
    assert monitor.one(MIRROR_TYPE, "mirrors/forgejo_admin/mcp").aliases == ["mirrors-forgejo_admin-mcp"]
    assert monitor.one(MIRROR_TYPE, "mirrors/goldentooth/secrets").aliases == ["mirrors-GoldenTooth-secrets"]


def test_names_that_joined_with_dashes_would_collide_stay_apart() -> None:
    # "gt-org/mcp" and "gt/org-mcp" were both "mirrors-gt-org-mcp"; "/" occurs in neither owner nor name.
    first = MCP._replace(owner="gt-org", name="mcp")
    second = MCP._replace(owner="gt", name="org-mcp")
    monitor, mirrors = run_mirrors([first, second])
    assert sorted(r.name for r in monitor.registered if r.typ == MIRROR_TYPE) == [
        "mirrors/gt-org/mcp",
        "mirrors/gt/org-mcp",
    ]
    assert sorted(mirrors) == ["gt-org/mcp", "gt/org-mcp"]


def test_a_change_of_case_in_config_keeps_the_resource_name() -> None:
    monitor, _ = run_mirrors([MCP._replace(owner="Forgejo_Admin", name="MCP")])
    assert [r.name for r in monitor.registered if r.typ == MIRROR_TYPE] == ["mirrors/forgejo_admin/mcp"]


def test_mirror_resource_name_is_the_component_then_owner_and_name_in_lower_case() -> None:
    assert mirror_resource_name("Mirrors", MCP._replace(owner="A.b", name="C_d")) == "Mirrors/a.b/c_d"


def test_insecure_tls_is_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    run_mirrors([MCP], CONNECTION._replace(insecure=True))
    assert len(warnings) == 1
    assert "TLS verification of the Forgejo API is OFF" in warnings[0]


def test_secure_tls_is_not_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    run_mirrors([MCP])
    assert warnings == []


@pytest.mark.parametrize(
    ("specs", "tokens", "connection", "expected"),
    [
        ([MCP, MCP._replace(name="MCP")], None, CONNECTION, "listed more than once: forgejo_admin/MCP"),
        ([MCP], {"forgejo_admin/typo": "t"}, CONNECTION, "not configured: forgejo_admin/typo"),
        ([MCP], None, CONNECTION._replace(password=None), "needs a token, or a username and a password"),
    ],
)
def test_configuration_mistakes_fail_before_anything_is_registered(
    specs: list[MirrorSpec], tokens: dict[str, str] | None, connection: ForgejoConnection, expected: str
) -> None:
    with pytest.raises(ValueError, match=expected):
        run_mirrors(specs, connection, tokens)
