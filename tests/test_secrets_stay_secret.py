"""No secret value reaches a registered input or an output outside a secret wrapper."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.program import (
    EXISTING_ADMIN_PASSWORD,
    EXISTING_RUNNER_SECRET,
    GENERATED_ADMIN_PASSWORD,
    GENERATED_RUNNER_SECRET,
    MINTED_API_TOKEN,
    SECRET_SIG_KEY,
    ProgramRun,
    run_program,
)

SUPPLIED_PASSWORD = "supplied-admin-password-sentinel"


def plaintext_paths(value: Any, needle: str, path: str = "") -> list[str]:
    """Paths where ``needle`` appears in plain text; secret-wrapped subtrees are skipped."""
    if isinstance(value, dict):
        if SECRET_SIG_KEY in value:
            return []
        return [hit for key, item in value.items() for hit in plaintext_paths(item, needle, f"{path}.{key}")]
    if isinstance(value, list):
        return [hit for index, item in enumerate(value) for hit in plaintext_paths(item, needle, f"{path}[{index}]")]
    return [path] if isinstance(value, str) and needle in value else []


def test_generated_admin_password_appears_only_inside_secret_wrappers() -> None:
    run = run_program()

    leaks = [
        f"{r.typ}::{r.name}{path}"
        for r in run.resources
        for path in plaintext_paths(r.inputs, GENERATED_ADMIN_PASSWORD)
    ]
    assert leaks == []
    assert "admin_password" in run.secret_exports


def test_supplied_admin_password_appears_only_inside_secret_wrappers() -> None:
    run = run_program(secrets={"adminPassword": SUPPLIED_PASSWORD})

    leaks = [f"{r.typ}::{r.name}{path}" for r in run.resources for path in plaintext_paths(r.inputs, SUPPLIED_PASSWORD)]
    assert leaks == []
    assert [key for key, value in run.exports.items() if SUPPLIED_PASSWORD in str(value)] == ["admin_password"]
    assert "admin_password" in run.secret_exports


def test_scanner_finds_a_plaintext_value() -> None:
    inputs = {"env": [{"name": "P", "value": "x-sentinel-x"}], "ok": {SECRET_SIG_KEY: "sig", "value": "sentinel"}}

    assert plaintext_paths(inputs, "sentinel") == [".env[0].value"]


SUPPLIED = {
    "adminPassword": "supplied-admin-password-sentinel",
    "runnerSecret": "abcdefabcdefabcdefabcdefabcdefabcdefabcd",
    "forgejoApiToken": "api-token-sentinel",
    "mirrorUpstreamTokens": json.dumps({"forgejo_admin/mcp": "upstream-token-sentinel"}),
}
ADOPTION = {
    "adoption": '{"enabled": true, "releaseName": "forgejo-forgejo"}',
    "namespaceLayout": "shared",
    "serverPodSecurity": '{"enforce": "privileged"}',
}


def _leaks(run: ProgramRun, needle: str) -> list[str]:
    return [f"{r.typ}::{r.name}{path}" for r in run.resources for path in plaintext_paths(r.inputs, needle)]


@pytest.mark.parametrize(
    ("overrides", "secrets", "needles"),
    [
        ({}, {}, [GENERATED_ADMIN_PASSWORD, GENERATED_RUNNER_SECRET, MINTED_API_TOKEN]),
        (
            {},
            SUPPLIED,
            [
                "supplied-admin-password-sentinel",
                SUPPLIED["runnerSecret"],
                "api-token-sentinel",
                "upstream-token-sentinel",
            ],
        ),
        (ADOPTION, {}, [EXISTING_ADMIN_PASSWORD, EXISTING_RUNNER_SECRET]),
    ],
    ids=["generated", "supplied", "adopted"],
)
def test_no_secret_reaches_an_input_or_a_plain_output(
    overrides: dict[str, str], secrets: dict[str, str], needles: list[str]
) -> None:
    run = run_program(overrides, secrets=secrets)

    for needle in needles:
        assert _leaks(run, needle) == [], needle
        plain_exports = [key for key, value in run.exports.items() if needle in str(value)]
        assert set(plain_exports) <= run.secret_exports, needle
