"""How the Forgejo resources and their providers reach Forgejo's API: the inputs they share, the resource base, the
provider base (whose ``check`` and ``diff`` are pure), and the errors every call raises.

The HTTP client itself is ``components/forgejo_client.py``; a provider loads it when it first talks to Forgejo. A
preview or a no-op ``up`` asks the provider host only for ``check`` and ``diff``, so its two starts (one per phase)
never import requests and urllib3 (README, Performance, has what that saves).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure, CheckResult, DiffResult, ReadResult
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pydantic import ConfigDict, ValidationError

from components.values import ApiUrl, Model, OptionalCaBundle, rule, single_token, validation_problems

if TYPE_CHECKING:
    from components.forgejo_client import ForgejoClient

# The types of the Repository fields the provider reads; id and full_name are required.
REPOSITORY_FIELDS: dict[str, type] = {
    "id": int, "full_name": str, "mirror": bool, "mirror_interval": str, "empty": bool, "has_actions": bool,
    "private": bool, "description": str, "html_url": str, "clone_url": str, "original_url": str,
    "default_branch": str, "topics": list,
}  # fmt: skip


class ForgejoApiError(Exception):
    """A failed call; ``str()`` is the whole, credential-free explanation."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class MigrateAnswerLost(ForgejoApiError):
    """``POST /repos/migrate`` went out, but Forgejo's answer did not come back. ``resendable``: a gateway answered
    502/503/504 or the connection dropped, so Forgejo may never have got it (look, and send it again if the
    repository is absent); otherwise the call timed out while Forgejo may still be cloning (wait for it)."""

    def __init__(self, message: str, *, resendable: bool, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.resendable = resendable


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _api_auth(auth: dict[str, str]) -> str | None:
    # Never echo the value: it is the credential. A token travels in a header, so it must be one token.
    token = set(auth) == {"token"} and single_token(auth["token"])
    if token or (set(auth) == {"username", "password"} and all(auth.values())):
        return None
    return 'must be {"username": ..., "password": ...} or {"token": ...}, all non-empty'


_SECONDS = rule(lambda value: None if _number(value) and value > 0 else "must be a positive number of seconds")
# Numbers cross the wire as floats, so a whole float counts as whole.
_BYTES = rule(
    lambda v: None if _number(v) and v >= 1024 and v == int(v) else "must be a whole number of bytes, at least 1024"
)
ApiAuth = Annotated[dict[str, str], rule(_api_auth)]


class ApiInputs(Model):
    """How a resource reaches Forgejo's API: the inputs both Forgejo providers share. Tests shrink the timeouts."""

    model_config = ConfigDict(loc_by_alias=False)

    api_url: ApiUrl
    api_auth: ApiAuth
    """{"username": ..., "password": ...} or {"token": ...}; made secret by the resource."""
    ca_bundle: OptionalCaBundle | None = None
    insecure: bool = False
    request_timeout: Annotated[Any, _SECONDS] = None  # 30 s
    migrate_timeout: Annotated[Any, _SECONDS] = None  # 660 s: the migrate clones, up to Forgejo's 600 s
    retry_backoff_factor: Annotated[Any, _SECONDS] = None  # 1: sleeps of 0, 2, 4, 8 s
    max_response_bytes: Annotated[Any, _BYTES] = None  # 4 MiB; a bigger answer is an error


@dataclass(frozen=True)
class ForgejoConnection:
    """How the program reaches Forgejo's API: ``username`` + ``password`` (admin basic auth) or ``token``, both
    wrapped as secrets before they reach any resource."""

    api_url: str
    username: str = ""
    password: pulumi.Input[str] | None = None
    token: pulumi.Input[str] | None = None
    ca_bundle: pulumi.Input[str] | None = None
    """PEM of the CA that signed Forgejo's certificate (goldentooth's Step-CA root)."""
    insecure: bool = False
    """Skip TLS verification. Never the default; the Mirrors component warns when it is on."""

    def inputs(self, *, password_login: bool = False) -> dict[str, Any]:
        """A resource's ApiInputs; ``password_login``: basic auth even when a token is configured, which is what
        Forgejo's token endpoints need."""
        if self.token is not None and not password_login:
            auth = pulumi.Output.secret({"token": self.token})
        elif self.username and self.password is not None:
            auth = pulumi.Output.secret({"username": self.username, "password": self.password})
        else:
            raise ValueError("ForgejoConnection needs a token, or a username and a password")
        return {"api_url": self.api_url, "api_auth": auth, "ca_bundle": self.ca_bundle, "insecure": self.insecure}


def plain(value: Any) -> Any:
    """The value without the engine's secret wrapper (at any depth: api_auth is a dict)."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return [plain(item) for item in value] if isinstance(value, list) else value


def has_unknown(value: Any) -> bool:
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict | list):
        return any(has_unknown(item) for item in (value.values() if isinstance(value, dict) else value))
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


Comparisons = dict[str, Callable[[Any, Any], bool]]


def same_name(old: str, new: str) -> bool:
    return old.lower() == new.lower()  # Forgejo's user and repository names are case-insensitive


class ForgejoProvider(pulumi.dynamic.ResourceProvider):
    """What both Forgejo providers share; each states its model and how its properties compare. dill pickles a
    provider by reference (module path and class name) into every resource's state, and refresh and destroy unpickle
    it without the program: so a provider class never moves and keeps no instance state."""

    model: ClassVar[type[ApiInputs]]
    replaced: ClassVar[tuple[str, ...]]  # the inputs whose change replaces the resource
    outputs: ClassVar[tuple[str, ...]]  # outputs only: never inputs, never diffed
    same: ClassVar[Comparisons] = {}  # how an input compares where == is too strict
    renamed: ClassVar[dict[str, str]] = {}  # property names of older states -> today's
    secret: ClassVar[str]  # the property (besides api_auth) that holds a credential
    subject: Callable[[dict[str, Any]], str]  # what the resource with these props is, as every error names it
    server_state: Callable[[dict[str, Any]], dict[str, Any]]  # the outputs as Forgejo's answer reports them

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        fields = cls.model.model_fields.items()
        return {name: field.default for name, field in fields if not field.is_required() and field.default is not None}

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """The same model as the config, and pure like ``diff``: a pull request's preview needs no credentials.
        Values still unknown at preview are not checked."""
        inputs = {**self.defaults(), **news}
        unknown = {key for key, value in inputs.items() if has_unknown(value)}
        known = {k: plain(v) for k, v in inputs.items() if k not in unknown and k in self.model.model_fields}
        try:
            context = {"min_interval": known.get("min_interval")}
            self.model.model_validate(known, by_name=True, by_alias=False, context=context)
        except ValidationError as error:
            problems = validation_problems(error, self.model)
            return CheckResult(inputs, [CheckFailure(k, why) for k, why in problems if k.split(".")[0] not in unknown])
        return CheckResult(inputs, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds = self.current(olds)
        keys = (olds.keys() | news.keys()) - {*self.outputs, "__provider"}
        changed = {key for key in keys if self.differs(olds, news, key)}
        replaces = [key for key in self.replaced if key in changed]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def differs(self, olds: dict[str, Any], news: dict[str, Any], key: str) -> bool:
        defaults = self.defaults()
        if has_unknown(new := news.get(key, defaults.get(key))):
            return True
        old, new = plain(olds.get(key, defaults.get(key))), plain(new)
        try:
            return not (old == new or (key in self.same and self.same[key](old, new)))
        except (AttributeError, TypeError, ValueError):  # not of the type compared: a change
            return True

    def current(self, props: dict[str, Any]) -> dict[str, Any]:
        return {self.renamed.get(key, key): value for key, value in props.items()}

    def read_inputs(self, props: dict[str, Any]) -> Any:
        """The checked (or stored) inputs, secrets unwrapped; not validated again, so an old state always reads."""
        fields = self.model.model_fields
        return self.model.model_construct(**{k: plain(v) for k, v in self.current(props).items() if k in fields})

    def client(self, props: dict[str, Any], subject: str = "") -> AbstractContextManager[ForgejoClient]:
        """A client from the (current) ``props``; the value of the ``secret`` property is redacted from every error."""
        from components.forgejo_client import connect  # here, not at the top: see this module's docstring

        secret = str(plain(props.get(self.secret)) or "")
        return connect(self.read_inputs(props), subject or self.subject(props), secret)

    def found(self, props: dict[str, Any], answer: dict[str, Any] | None, *refreshed: str) -> ReadResult:
        """``read``'s result: gone (no ``answer``), or the outputs as Forgejo reports them and the stored inputs, the
        ``refreshed`` ones as Forgejo has them."""
        if answer is None:
            return ReadResult(None, {})
        server = self.server_state(answer)
        inputs = {key: value for key, value in props.items() if key in self.model.model_fields}
        return ReadResult(str(answer["id"]), {**props, **server}, {**inputs, **{key: server[key] for key in refreshed}})


class ForgejoResource(pulumi.dynamic.Resource):
    """What both Forgejo resources register: the spec's fields, how to reach the API and the further ``inputs``,
    then the ``unset`` outputs (registered empty so that their Output attributes exist) for the provider to fill.
    The ``secret_properties`` are secret in the inputs as in the outputs, even when given as plain values."""

    provider_class: ClassVar[type[ForgejoProvider]]
    spec_model: ClassVar[type[Model]]
    secret_properties: ClassVar[tuple[str, ...]]
    unset: ClassVar[tuple[str, ...]]
    password_login: ClassVar[bool] = False  # see ForgejoConnection.inputs

    def __init__(
        self,
        resource_name: str,
        spec: Model,
        connection: ForgejoConnection,
        opts: pulumi.ResourceOptions | None = None,
        **inputs: pulumi.Input[Any] | None,
    ) -> None:
        props: dict[str, Any] = {
            **spec.model_dump(include=set(self.spec_model.model_fields)),
            **connection.inputs(password_login=self.password_login),
            **inputs,
            **dict.fromkeys(self.unset),
        }
        secrets = {key: value for key in self.secret_properties if (value := props[key]) is not None}
        props.update({key: pulumi.Output.secret(value) for key, value in secrets.items()})
        secret = pulumi.ResourceOptions(additional_secret_outputs=list(self.secret_properties))
        super().__init__(self.provider_class(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret))


def then(error: object, advice: str) -> str:
    """An error's text, then what follows from it."""
    return f"{str(error).rstrip('.')}. {advice}"


def warn(message: object, advice: str = "") -> None:
    """A warning for the user (``message``, then ``advice``): the provider host has no engine connection, and the CLI
    shows its stderr."""
    print(f"warning: {then(message, advice) if advice else message}", file=sys.stderr, flush=True)
