"""Run ``__main__.py`` under Pulumi mocks and record what it registers and exports."""

from __future__ import annotations

import base64
import copy
import dataclasses
import functools
import runpy
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import trustme
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor

from components.durations import parse_duration
from tests.fake_forgejo import go_duration_string
from tests.stack import PROJECT, ROOT, STACK, goldentooth_config

GENERATED_SECRET = "pulumi-python:dynamic/goldentooth:GeneratedSecret"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270"


def secret(value: object) -> dict[str, object]:
    """``value`` as the mocks carry a secret input."""
    return {SECRET_SIG_KEY: SECRET_SIG_VALUE, "value": value}


# What the mocked providers answer for outputs the program reads back.
GENERATED_ADMIN_PASSWORD = "generated-admin-password-0123456789"
GENERATED_RUNNER_SECRET = "0123456789abcdef0123456789abcdef01234567"
SECRET_RESOURCE_VERSION = "4711"
# What Forgejo answers for an access token: its value (shown once) and the name with the drawn suffix.
MINTED_API_TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed"
TOKEN_SUFFIX = "0a1b2c3d"
# What the live cluster holds for an install taken over from Flux (read by `Secret.get`).
EXISTING_ADMIN_PASSWORD = "existing-admin-password-from-flux"
EXISTING_RUNNER_SECRET = "fedcba9876543210fedcba9876543210fedcba98"
# The CA that signed Forgejo's certificate, as cert-manager keeps it beside the gateway's (forgejoCaFrom).
GATEWAY_CA_PEM = trustme.CA().cert_pem.bytes().decode()
EXISTING_SECRETS = {
    "forgejo/forgejo-admin": {"username": "forgejo_admin", "password": EXISTING_ADMIN_PASSWORD},
    "forgejo/forgejo-runner": {"token": EXISTING_RUNNER_SECRET},
    "gateway/gateway-tls": {"ca.crt": GATEWAY_CA_PEM},
}
EXISTING_CONFIG_MAPS = {"gateway/gateway-ca": {"root.pem": GATEWAY_CA_PEM}}


@dataclass
class Registered:
    """One registration: inputs as the provider would see them, plus the resource options."""

    typ: str
    name: str
    inputs: dict[str, Any]
    parent: str
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    additional_secret_outputs: list[str]
    import_id: str
    ignore_changes: list[str]
    custom: bool = True

    @property
    def parent_type_and_name(self) -> tuple[str, str]:
        """(type, name) of the parent, read from its URN (the last type in a qualified type chain)."""
        qualified_type, name = self.parent.split("::")[-2:]
        return qualified_type.split("$")[-1], name


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping the options that MockResourceArgs leaves out.

    Mocks don't apply engine behaviour (protect, additional_secret_outputs...),
    so tests assert that the program asked for it.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            self.registered.append(
                Registered(
                    typ=request.type,
                    name=request.name,
                    inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
                    parent=request.parent,
                    protect=request.protect,
                    retain_on_delete=request.retainOnDelete,
                    dependencies=list(request.dependencies),
                    additional_secret_outputs=list(request.additionalSecretOutputs),
                    import_id=request.importId,
                    ignore_changes=list(request.ignoreChanges),
                    custom=request.custom,
                )
            )
        return super().RegisterResource(request)


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.transforms: list[pulumi.ResourceTransform] = []

    def register_transform(self, transform: pulumi.ResourceTransform) -> None:
        """Mocks never run stack transforms; the run keeps them for ``ProgramRun.transformed``."""
        self.transforms.append(transform)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.custom is None:  # a `get` of a live object (registrations, imports included, set custom)
            return args.resource_id, self._live_object(args)
        state = dict(args.inputs)
        if args.typ == GENERATED_SECRET:
            state["value"] = GENERATED_ADMIN_PASSWORD if args.inputs["kind"] == "password" else GENERATED_RUNNER_SECRET
        if args.typ == "kubernetes:core/v1:Secret":
            # The API server's version stamp, which changes whenever the data does.
            state["metadata"] = {**state["metadata"], "resourceVersion": SECRET_RESOURCE_VERSION}
        if args.typ == "pulumi-python:dynamic/forgejo:Mirror":
            # What Forgejo answers: URLs from ROOT_URL, the interval in Go's long form.
            repo = f"{args.inputs['repo_owner']}/{args.inputs['repo_name']}"
            state.update(
                full_name=repo,
                html_url=f"https://git.goldentooth.net/{repo}",
                clone_url=f"https://git.goldentooth.net/{repo}.git",
                mirror_interval=go_duration_string(parse_duration(args.inputs["mirror_interval"])),
            )
        if args.typ == "pulumi-python:dynamic/forgejo:ApiToken":
            state.update(
                token=MINTED_API_TOKEN,
                token_name=f"{args.inputs['name']}-{TOKEN_SUFFIX}",
                token_last_eight=MINTED_API_TOKEN[-8:],
                granted_scopes=list(args.inputs["scopes"]),
            )
        return f"{args.name}-id", state

    @staticmethod
    def _live_object(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        if args.typ == "kubernetes:core/v1:ConfigMap":
            return {"data": EXISTING_CONFIG_MAPS[args.resource_id or ""]}
        assert args.typ == "kubernetes:core/v1:Secret", f"unexpected read of {args.typ} {args.resource_id}"
        data = EXISTING_SECRETS[args.resource_id or ""]
        return {"data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@dataclass
class ProgramRun:
    resources: list[Registered]
    exports: dict[str, Any] = field(default_factory=dict)
    secret_exports: set[str] = field(default_factory=set)
    transforms: list[pulumi.ResourceTransform] = field(default_factory=list)

    def transformed(self) -> list[Registered]:
        """The registrations with the program's stack transforms applied in order, as the engine applies them."""
        return [functools.reduce(_transform, self.transforms, resource) for resource in self.resources]

    def of_type(self, typ: str) -> list[Registered]:
        return [resource for resource in self.resources if resource.typ == typ]

    def one(self, typ: str, name: str | None = None) -> Registered:
        matches = [r for r in self.of_type(typ) if name is None or r.name == name]
        assert len(matches) == 1, f"expected one {typ} named {name}, got {[r.name for r in matches]}"
        return matches[0]


class ProgramFailed(Exception):
    def __init__(self, error: BaseException, registered: list[Registered]) -> None:
        super().__init__(str(error))
        self.error = error
        self.registered = registered


_RUNS: dict[tuple[tuple[tuple[str, str], ...], ...], ProgramRun] = {}


def run_program(overrides: dict[str, str] | None = None, secrets: dict[str, str] | None = None) -> ProgramRun:
    """Run the program with the goldentooth config plus ``overrides`` (``secrets`` set as secret config).

    The program is deterministic under mocks, so runs are cached by config and
    each caller gets its own copy to inspect.
    """
    key = (tuple(sorted((overrides or {}).items())), tuple(sorted((secrets or {}).items())))
    if key not in _RUNS:
        _RUNS[key] = _run_program(overrides or {}, secrets or {})
    return copy.deepcopy(_RUNS[key])


def _run_program(overrides: dict[str, str], secrets: dict[str, str]) -> ProgramRun:
    raw = {**goldentooth_config(), **overrides, **secrets}
    config = {f"{PROJECT}:{key}": value for key, value in raw.items()}
    secret_keys = [f"{PROJECT}:{key}" for key in secrets]
    pulumi.runtime.set_all_config(config, secret_keys)

    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    runtime_settings.ROOT.set(None)  # a fresh Stack, so exports don't pile up across runs
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)
    exports: dict[str, Any] = {}
    secret_exports: set[str] = set()

    @pulumi.runtime.test
    def run() -> None:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    try:
        run()
    except Exception as error:
        raise ProgramFailed(error, monitor.registered) from error

    @pulumi.runtime.test
    async def collect() -> None:
        root = runtime_settings.get_root_resource()
        assert root is not None
        for key, output in root.outputs.items():  # type: ignore[attr-defined]
            output = pulumi.Output.from_input(output)
            exports[key] = await output.future()
            if await output.is_secret():
                secret_exports.add(key)

    collect()
    return ProgramRun(monitor.registered, exports, secret_exports, mocks.transforms)


def _transform(resource: Registered, transform: pulumi.ResourceTransform) -> Registered:
    opts = pulumi.ResourceOptions(import_=resource.import_id or None, ignore_changes=resource.ignore_changes or None)
    args = pulumi.ResourceTransformArgs(resource.custom, resource.typ, resource.name, resource.inputs, opts)
    result = transform(args)
    assert not isinstance(result, Awaitable), "the program's transforms are synchronous"
    if result is None:
        return resource
    return dataclasses.replace(
        resource,
        inputs=dict(result.props),
        import_id=result.opts.import_ or "",
        ignore_changes=list(result.opts.ignore_changes or []),
    )
