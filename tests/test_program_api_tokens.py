"""The program's access tokens under mocks: one token per entry, its Secret, its exports."""

from __future__ import annotations

import json

from tests.program import (
    GATEWAY_CA_PEM,
    GENERATED_ADMIN_PASSWORD,
    MINTED_API_TOKEN,
    SECRET_SIG_KEY,
    SECRET_SIG_VALUE,
    TOKEN_SUFFIX,
    ProgramRun,
    run_program,
    secret,
)

TOKEN = "pulumi-python:dynamic/forgejo:ApiToken"
SECRET = "kubernetes:core/v1:Secret"
COMPONENT = "goldentooth:index:ApiTokens"


def test_goldentooth_makes_a_read_only_token_for_git_sync(goldentooth: ProgramRun) -> None:
    token = goldentooth.one(TOKEN, "api-tokens/forgejo_admin/git-sync")

    inputs = {key: value for key, value in token.inputs.items() if key != "__provider"}
    assert inputs == {
        "api_url": "https://git.goldentooth.net",
        "api_auth": secret({"username": "forgejo_admin", "password": GENERATED_ADMIN_PASSWORD}),
        "name": "git-sync",
        "user": "forgejo_admin",
        "scopes": ["read:repository"],
        "ca_bundle": secret(GATEWAY_CA_PEM),
        "insecure": False,
    }
    assert token.parent_type_and_name == (COMPONENT, "api-tokens")
    assert token.additional_secret_outputs == ["api_auth", "token"]
    assert token.inputs["__provider"][SECRET_SIG_KEY] == SECRET_SIG_VALUE


def test_the_token_waits_for_the_release_and_the_route(goldentooth: ProgramRun) -> None:
    dependencies = goldentooth.one(TOKEN).dependencies

    assert any(d.endswith("$kubernetes:helm.sh/v3:Release::forgejo-release") for d in dependencies)
    assert any(d.endswith("$kubernetes:gateway.networking.k8s.io/v1:HTTPRoute::forgejo-route") for d in dependencies)


def test_the_value_is_delivered_as_a_secret_in_the_consumers_namespace(goldentooth: ProgramRun) -> None:
    delivered = goldentooth.one(SECRET, "api-tokens/forgejo_admin/git-sync/secret")

    assert delivered.inputs == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "forgejo-git-sync-token",
            "namespace": "git-sync",
            "labels": {
                "app.kubernetes.io/part-of": "goldentooth-forgejo",
                "app.kubernetes.io/managed-by": "pulumi",
                "app.kubernetes.io/component": "secret",
            },
        },
        "type": "Opaque",
        "stringData": secret({"token": MINTED_API_TOKEN}),  # the whole map, as the SDK sends a secret in it
    }
    assert delivered.parent_type_and_name == (COMPONENT, "api-tokens")
    # No Namespace is made for it: the consumer's must exist.
    assert not [r for r in goldentooth.of_type("kubernetes:core/v1:Namespace") if r.name == "git-sync"]


def test_the_admin_password_signs_in_even_when_an_api_token_is_configured() -> None:
    run = run_program(secrets={"forgejoApiToken": "api-token-sentinel"})

    assert run.one(TOKEN).inputs["api_auth"] == secret(
        {"username": "forgejo_admin", "password": GENERATED_ADMIN_PASSWORD}
    )
    assert run.one("pulumi-python:dynamic/forgejo:Mirror").inputs["api_auth"] == secret({"token": "api-token-sentinel"})


def test_tokens_for_two_users_and_one_without_a_secret() -> None:
    tokens = [
        {"name": "ci", "user": "goldentooth", "scopes": ["write:package", "read:repository"]},
        {"name": "Renovate", "user": "Goldentooth", "scopes": ["write:repository"],
         "secret": {"namespace": "renovate", "name": "forgejo", "key": "RENOVATE_TOKEN"}},
    ]  # fmt: skip
    run = run_program({"apiTokens": json.dumps(tokens)})

    assert sorted(r.name for r in run.of_type(TOKEN)) == [
        "api-tokens/goldentooth/Renovate",
        "api-tokens/goldentooth/ci",
    ]
    assert run.one(TOKEN, "api-tokens/goldentooth/ci").inputs["scopes"] == ["write:package", "read:repository"]
    [delivered] = [r for r in run.of_type(SECRET) if r.name.startswith("api-tokens/")]
    assert delivered.name == "api-tokens/goldentooth/Renovate/secret"
    assert delivered.inputs["metadata"]["namespace"] == "renovate"
    assert delivered.inputs["stringData"] == secret({"RENOVATE_TOKEN": MINTED_API_TOKEN})
    assert run.exports["api_tokens"]["goldentooth/ci"]["secret"] is None


def test_token_metadata_is_exported_and_values_only_as_a_secret(goldentooth: ProgramRun) -> None:
    assert goldentooth.exports["api_tokens"] == {
        "forgejo_admin/git-sync": {
            "user": "forgejo_admin",
            "name": "git-sync",
            "token_name": f"git-sync-{TOKEN_SUFFIX}",
            "scopes": ["read:repository"],
            "secret": {"namespace": "git-sync", "name": "forgejo-git-sync-token", "key": "token"},
        }
    }
    assert MINTED_API_TOKEN not in json.dumps(goldentooth.exports["api_tokens"])
    assert goldentooth.exports["api_token_values"] == {"forgejo_admin/git-sync": MINTED_API_TOKEN}
    assert "api_token_values" in goldentooth.secret_exports


def test_no_tokens_configured_registers_none() -> None:
    run = run_program({"apiTokens": "[]"})

    assert run.of_type(TOKEN) == []
    assert [r for r in run.of_type(SECRET) if r.name.startswith("api-tokens/")] == []
    assert (run.exports["api_tokens"], run.exports["api_token_values"]) == ({}, {})
