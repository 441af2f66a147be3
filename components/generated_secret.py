"""Secrets the stack generates once and keeps: the admin password and the runner's shared secret.

A small dynamic provider instead of pulumi-random, whose resource plugin the e2e tier cannot build from source. dill
pickles the provider into the state by reference, so this module's path must never move.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider

PASSWORD = "password"
"""Letters and digits only: the admin password travels through the chart's shell scripts and basic auth."""
HEX = "hex"
"""``length`` random bytes as lower-case hex, the only form forgejo-cli and create-runner-file accept."""


def generate(kind: str, length: int) -> str:
    if kind == PASSWORD:
        return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))
    if kind == HEX:
        return secrets.token_hex(length)
    raise ValueError(f"unknown kind of generated secret {kind!r}; use {PASSWORD!r} or {HEX!r}")


class GeneratedSecretProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        kind, length = props["kind"], int(props["length"])
        # The id carries nothing of the value: ids are never secret.
        return CreateResult(secrets.token_hex(8), {"kind": kind, "length": length, "value": generate(kind, length)})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Pure, like every check and diff here: PR previews run without credentials.
        replaces = [key for key in ("kind", "length") if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)


class GeneratedSecret(pulumi.dynamic.Resource, module="goldentooth", name="GeneratedSecret"):
    """``value`` is generated once, kept secret in the state, and replaced only when ``kind`` or ``length`` changes."""

    value: pulumi.Output[str]

    def __init__(self, name: str, kind: str, length: int, opts: pulumi.ResourceOptions | None = None) -> None:
        secret_value = pulumi.ResourceOptions(additional_secret_outputs=["value"])
        props = {"kind": kind, "length": length, "value": None}
        super().__init__(GeneratedSecretProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret_value))
