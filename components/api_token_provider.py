"""Pulumi dynamic provider for a Forgejo access token: ``ForgejoApiTokenProvider`` and ``ForgejoApiToken``.

PERMANENT NAMES, as for the mirror provider: dill pickles ``ForgejoApiTokenProvider`` by reference into every token's
state, so neither this module nor the class may move, and the provider keeps no instance state. Forgejo v13.0.3
(routers/api/v1/api.go, user/app.go, models/auth/access_token_scope.go) decides the rest:

* ``POST`` and ``DELETE /users/{username}/tokens[/{id}]`` need a *password* login (``reqBasicOrRevProxyAuth``: a token
  is answered 401 "auth method not allowed"), by the user or a site admin (``reqSelfOrAdmin``). So the provider signs
  in as the admin with its password, even when ``forgejoApiToken`` is set, and can make a token for any user. An admin
  enrolled in 2FA or with a security key cannot sign in so; then the create fails with Forgejo's 401.
* The value (``sha1``) is shown once, in the create answer: it is kept only as the secret output ``token``
  (``additional_secret_outputs``), never on the provider object, never in an error (``forgejo_api.redact``).
* Forgejo refuses a second token of one name for a user (400 "access token name has been used already"), and a
  replacement must exist before the old token is revoked (the consumer's Secret switches in between). So each token
  is named ``<name>-<8 hex>``, drawn at create; the suffix is the marker this resource owns. A create whose answer was
  lost (a timeout, a gateway's 5xx) looks for its own name and revokes what it finds, so a failed create leaves no
  token behind; nothing else is ever deleted by name.
* ``check`` (the same model as the config: Forgejo's scope list) and ``diff`` are pure. A change of name, user or
  scopes (compared as sets) replaces the token, which rotates the value; the connection changes in place. ``read``
  finds the token by id in the user's list (revoked in the UI: gone from the state, and the next ``up`` makes a new
  one); ``delete`` revokes it, a 404 counting as done.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Annotated, Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import field_validator

from components.mirror_provider import (
    ApiInputs,
    ForgejoConnection,
    api_client,
    has_unknown,
    input_problems,
    plain,
    then,
    warn,
)
from components.values import ForgejoName, Model, matching, one_of, rule

if TYPE_CHECKING:
    from components.forgejo_api import ForgejoClient

# Forgejo's scope categories (AllAccessTokenScopeCategories); write implies read, "all" is every write scope.
SCOPE_CATEGORIES = (
    "activitypub", "admin", "issue", "misc", "notification", "organization", "package", "repository", "user"
)  # fmt: skip
SCOPES = (
    "all",
    "public-only",
    *(f"{level}:{category}" for level in ("read", "write") for category in SCOPE_CATEGORIES),
)
_NAME = matching(r"[A-Za-z0-9][-._A-Za-z0-9]{0,63}", "{v!r} is not a token name: use at most 64 letters, digits, "
                 "'-', '_' and '.', starting with a letter or digit")  # fmt: skip
_SCOPE = one_of(*SCOPES, what="a Forgejo access token scope; use one of")
_SCOPES = rule(lambda v: None if v else "needs at least one scope, e.g. ['read:repository']")
SUFFIX_BYTES = 4  # <name>-<8 hex>


class ApiTokenSpec(Model):
    """A token Forgejo makes for ``user`` with exactly ``scopes``; a change of any of these replaces it."""

    name: Annotated[str, rule(_NAME)]
    user: ForgejoName
    scopes: Annotated[list[Annotated[str, _SCOPE]], _SCOPES]


class TokenInputs(ApiTokenSpec, ApiInputs):
    """The resource's inputs: the token, and how to reach Forgejo's API (a password login)."""

    @field_validator("api_auth")
    @classmethod
    def _password_login(cls, value: dict[str, str]) -> dict[str, str]:
        if "token" in value:
            raise ValueError(
                "must be the admin's username and password: Forgejo creates and revokes access tokens only for a "
                "password login, never for a token"
            )
        return value


REPLACE_PROPERTIES = tuple(ApiTokenSpec.model_fields)
OUTPUTS = ("token", "token_name", "token_last_eight", "granted_scopes")  # outputs only: never inputs, never diffed
SECRET_PROPERTIES = ("api_auth", "token")
_PROVIDER_KEY = "__provider"
# What a refusal from Forgejo means for a token create, by status.
_ADVICE = {
    400: "Forgejo refused the name or the scopes; run `pulumi up` again (a new name suffix is drawn each time).",
    401: "Forgejo mints tokens only for a password login: check that the admin's password still works and that the "
    "admin has no 2FA or security key enrolled.",
    403: "Only the user itself or a site admin may create its tokens: the configured admin is not a site admin.",
    404: "The user does not exist in Forgejo: create it first, or set `user` to an existing one.",
}


class ApiTokenError(Exception):
    """A token cannot be created as configured; ``str()`` says what to do."""


def _inputs(props: dict[str, Any]) -> TokenInputs:
    """The checked (or stored) inputs, secrets unwrapped; not validated again, so an old state always reads."""
    return TokenInputs.model_construct(**{k: plain(v) for k, v in props.items() if k in TokenInputs.model_fields})


class ForgejoApiTokenProvider(pulumi.dynamic.ResourceProvider):
    """CRUD for one Forgejo access token. No instance state: everything comes from the props."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [CheckFailure(prop, why) for prop, why in input_problems(news, TokenInputs)])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACE_PROPERTIES if _differs(olds, news, key)]
        others = (olds.keys() | news.keys()) - {*REPLACE_PROPERTIES, *OUTPUTS, _PROVIDER_KEY}
        changed = [key for key in sorted(others) if _differs(olds, news, key)]
        # The new token has its own name, so it is made before the old one is revoked.
        return DiffResult(changes=bool(replaces or changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        token = _inputs(props)
        name = f"{token.name}-{secrets.token_hex(SUFFIX_BYTES)}"
        with api_client(token, _subject(token)) as client:
            client.wait_until_ready()
            created = _create(client, token, name)
        outputs = {"token": created["sha1"], "token_name": name, **_server_state(created)}
        return CreateResult(str(created["id"]), {**props, **outputs})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not props.get("token"):  # `pulumi import`: Forgejo never shows an existing token's value again
            raise ApiTokenError(f"token {id_}: an access token cannot be imported; let `pulumi up` make a new one")
        token = _inputs(props)
        if not id_.isdigit():
            return ReadResult(None, {})
        with api_client(token, _subject(token), [str(plain(props.get("token")) or "")]) as client:
            found = next((t for t in client.list_tokens(token.user) if t.get("id") == int(id_)), None)
        if found is None:  # revoked in Forgejo: the next `up` makes a new one
            return ReadResult(None, {})
        inputs = {key: value for key, value in props.items() if key in TokenInputs.model_fields}
        return ReadResult(id_, {**props, **_server_state(found)}, inputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Only how to reach Forgejo changed (diff replaces on anything else): nothing to tell Forgejo.
        return UpdateResult({**news, **{key: olds[key] for key in OUTPUTS if key in olds}})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        token = _inputs(props)
        if not id_.isdigit():
            warn(f"{_subject(token)}: left in Forgejo, not revoked: the state holds no token id ({id_!r}).")
            return
        with api_client(token, _subject(token), [str(plain(props.get("token")) or "")]) as client:
            client.delete_token(token.user, int(id_))


class ForgejoApiToken(pulumi.dynamic.Resource, module="forgejo", name="ApiToken"):
    """A Forgejo access token (type ``pulumi-python:dynamic/forgejo:ApiToken``); its id is Forgejo's token id."""

    token: pulumi.Output[str]
    """The value: a secret output."""
    token_name: pulumi.Output[str]
    """The name in Forgejo, ``<name>-<8 hex>``."""
    token_last_eight: pulumi.Output[str]
    granted_scopes: pulumi.Output[list[str]]
    """The scopes as Forgejo normalised them (``write:x`` covers ``read:x``)."""

    def __init__(
        self,
        resource_name: str,
        spec: ApiTokenSpec,
        connection: ForgejoConnection,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            **spec.model_dump(include=set(ApiTokenSpec.model_fields)),
            "api_url": connection.api_url,
            "api_auth": connection.password_login(),
            "ca_bundle": connection.ca_bundle,
            "insecure": connection.insecure,
            **dict.fromkeys(OUTPUTS),  # filled by the provider
        }
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_PROPERTIES))
        super().__init__(
            ForgejoApiTokenProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret_outputs)
        )


def _subject(token: TokenInputs) -> str:
    return f"token {token.name} of {token.user}"


def _differs(olds: dict[str, Any], news: dict[str, Any], key: str) -> bool:
    new = news.get(key)
    if has_unknown(new):
        return True
    old, new = plain(olds.get(key)), plain(new)
    if key == "scopes" and isinstance(old, list) and isinstance(new, list):
        return set(old) != set(new)
    if key == "user" and isinstance(old, str) and isinstance(new, str):
        return old.lower() != new.lower()  # Forgejo's user names are case-insensitive
    return bool(old != new)


def _server_state(token: dict[str, Any]) -> dict[str, Any]:
    return {"token_last_eight": str(token.get("token_last_eight") or ""), "granted_scopes": token.get("scopes") or []}


def _create(client: ForgejoClient, token: TokenInputs, name: str) -> dict[str, Any]:
    """The new token; a refusal is explained, and a lost answer is looked after so that no token is left behind."""
    from components.forgejo_api import ForgejoApiError

    try:
        return client.create_token(token.user, name, list(token.scopes))
    except ForgejoApiError as error:
        if error.status is not None and error.status < 500:
            raise ApiTokenError(then(error, _ADVICE.get(error.status, "Run `pulumi up` again."))) from None
        lost = error
    # The request may have reached Forgejo, whose answer (the only sight of the value) is lost: revoke what it made.
    try:
        leftover = [t for t in client.list_tokens(token.user) if t.get("name") == name]
        for made in leftover:
            client.delete_token(token.user, int(made["id"]))
    except ForgejoApiError as error:
        unknown = f"Whether Forgejo made {name} is unknown ({error}); if the user's Applications settings list it, "
        raise ApiTokenError(then(lost, f"{unknown}delete it there. Run `pulumi up` again.")) from None
    gone = f"Forgejo had made {name}, now revoked" if leftover else f"Forgejo did not make {name}"
    raise ApiTokenError(then(lost, f"{gone}, so no token was left behind. Run `pulumi up` again.")) from None
