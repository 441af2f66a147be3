"""No secret value reaches a registered input or an output outside a secret wrapper."""

from __future__ import annotations

from typing import Any

from tests.program import GENERATED_ADMIN_PASSWORD, SECRET_SIG_KEY, run_program

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
