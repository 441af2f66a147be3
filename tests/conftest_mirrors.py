"""Shared helpers for the mirror provider tests (imported explicitly; tests/conftest.py is not ours)."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
import pytest
import trustme
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor

from components.forgejo_api import ForgejoConnection
from components.mirror_provider import ForgejoMirror, ForgejoMirrorProvider
from components.mirror_spec import MirrorConfig
from components.mirrors import Mirrors
from tests.fake_forgejo import FakeForgejo

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Distinctive credentials, so a scan for them cannot match anything by accident.
ADMIN_USER = "forgejo_admin"
ADMIN_PASSWORD = "SENTINEL-admin-password-7f3a1c"
API_TOKEN = "SENTINEL-api-token-91cd44"
UPSTREAM_TOKEN = "SENTINEL-upstream-token-5be2e0"
SENTINELS = (ADMIN_PASSWORD, API_TOKEN, UPSTREAM_TOKEN)

FAST_BACKOFF = 0.001  # turns every retry sleep and poll interval into milliseconds
CLONE_ADDR = "https://github.com/goldentooth/mcp.git"
# The migrate body the goldentooth mirror sends: the seed's curl, made complete.
MIGRATE_OPTIONS = {
    "clone_addr": CLONE_ADDR,
    "repo_name": "mcp",
    "repo_owner": "forgejo_admin",
    "service": "github",
    "mirror": True,
    "mirror_interval": "5m",
    "private": False,
    "description": "",
    "lfs": False,
    "wiki": False,
}


@contextmanager
def running_fake(**options: Any) -> Iterator[FakeForgejo]:
    """A started fake; on exit, fails the test if the client ever sent a body the swagger schema refuses."""
    with FakeForgejo(password=ADMIN_PASSWORD, token=API_TOKEN, **options) as fake:
        yield fake
    assert fake.schema_violations == [], "the client sent bodies that Forgejo's API schema refuses"


def raw_props(api_url: str, /, **overrides: Any) -> dict[str, Any]:
    """The goldentooth mirror as the program declares it (forgejo_admin/mcp, github, every 5m)."""
    props: dict[str, Any] = {
        "api_url": api_url,
        "api_auth": {"username": ADMIN_USER, "password": ADMIN_PASSWORD},
        "repo_owner": "forgejo_admin",
        "repo_name": "mcp",
        "clone_addr": CLONE_ADDR,
        "service": "github",
        "mirror_interval": "5m",
        "min_interval": "5m",
        "retry_backoff_factor": FAST_BACKOFF,
        "request_timeout": 2.0,
    }
    props.update(overrides)
    return props


def checked_props(api_url: str, /, **overrides: Any) -> dict[str, Any]:
    """``raw_props`` after ``check``, which is what the engine hands to create/update."""
    result = ForgejoMirrorProvider().check({}, raw_props(api_url, **overrides))
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def make_tls_files(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own CA) and its key, in ``folder``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


# -- the Mirrors component under Pulumi mocks --------------------------------

MIRROR_TYPE = "pulumi-python:dynamic/forgejo:Mirror"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # the key of Pulumi's secret wrapper on the wire
CA_PEM = trustme.CA().cert_pem.bytes().decode()
MCP = MirrorConfig(
    repo_owner="forgejo_admin", repo_name="mcp", clone_addr="https://github.com/goldentooth/mcp.git",
    mirror_interval="5m", service="github",
)  # fmt: skip
PRIVATE = MirrorConfig(
    repo_owner="goldentooth", repo_name="secrets", clone_addr="https://github.com/goldentooth/secrets.git",
    retain=False, has_actions=False, private=True,
)  # fmt: skip
CONNECTION = ForgejoConnection(
    api_url="https://git.goldentooth.net/api/v1", username="forgejo_admin", password=ADMIN_PASSWORD, ca_bundle=CA_PEM
)


def secret(value: Any) -> dict[str, Any]:
    """``value`` wrapped as the engine and the mocks carry a secret."""
    return {SECRET_SIG: rpc._special_secret_sig, "value": value}


@dataclasses.dataclass
class Registration:
    typ: str
    name: str
    inputs: dict[str, Any]
    parent: str
    dependencies: list[str]
    retain_on_delete: bool | None
    additional_secret_outputs: list[str]
    aliases: list[str]
    """Each alias spec's name ("" for an alias that keeps the name)."""
    urn: str = ""


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping the resource options that MockResourceArgs leaves out."""

    def __init__(self) -> None:
        super().__init__(_EchoMocks())
        self.registered: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registered.append(
                Registration(
                    typ=request.type,
                    name=request.name,
                    inputs=rpc.deserialize_properties(request.object),
                    parent=request.parent,
                    dependencies=list(request.dependencies),
                    retain_on_delete=request.retainOnDelete if request.HasField("retainOnDelete") else None,
                    additional_secret_outputs=list(request.additionalSecretOutputs),
                    aliases=[alias.spec.name for alias in request.aliases],
                    urn=response.urn,
                )
            )
        return response

    def one(self, typ: str, name: str) -> Registration:
        [found] = [r for r in self.registered if r.typ == typ and r.name == name]
        return found


class _EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def run_under_mocks(program: Callable[[], None]) -> RecordingMonitor:
    """Run ``program`` under Pulumi mocks and return the monitor that recorded its registrations."""
    monitor = RecordingMonitor()
    # A fresh loop and a fresh root Stack: pulumi.runtime.test runs on the thread's current loop, which
    # another test may have closed or unset, and the root Stack's futures belong to the loop it was made on.
    asyncio.set_event_loop(asyncio.new_event_loop())
    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(monitor.mocks, project="goldentooth-forgejo", stack="test", preview=False, monitor=monitor)
    pulumi.runtime.test(program)()
    return monitor


def run_mirrors(
    specs: list[MirrorConfig],
    connection: ForgejoConnection = CONNECTION,
    upstream_tokens: Mapping[str, pulumi.Input[str]] | None = None,
) -> tuple[RecordingMonitor, dict[str, ForgejoMirror]]:
    """Mirrors("mirrors", ...) depending on a Helm release named "forgejo", with min_interval 5m."""
    built: dict[str, ForgejoMirror] = {}

    def program() -> None:
        release = pulumi.CustomResource("kubernetes:helm.sh/v3:Release", "forgejo", {})
        mirrors = Mirrors(
            "mirrors", specs, connection, "5m", upstream_tokens, opts=pulumi.ResourceOptions(depends_on=[release])
        )
        built.update(mirrors.mirrors)

    return run_under_mocks(program), built
