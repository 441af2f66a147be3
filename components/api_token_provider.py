"""Pulumi dynamic provider for a Forgejo access token: ``ForgejoApiTokenProvider`` and ``ForgejoApiToken``.

README ("Access tokens") tells what Forgejo v13 decides (routers/api/v1/api.go, user/app.go,
models/auth/access_token_scope.go): tokens are made and revoked only for a *password* login, by the user or a site
admin, so the provider signs in as the admin with its password, even when ``forgejoApiToken`` is set. The value is
shown once, in the create answer, and kept only as the secret output ``token``. A replacement must exist before
the old token is revoked and names are unique per user, so each token is named ``<name>-<8 hex>``: the suffix is
the marker this resource owns, and the only name it ever deletes by.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from components import forgejo_api as api
from components.values import ForgejoName, Model, matching, one_of, rule

if TYPE_CHECKING:
    from components.forgejo_client import ForgejoClient

# Forgejo's scope categories (AllAccessTokenScopeCategories); write implies read, "all" is every write scope.
SCOPE_CATEGORIES = (
    "activitypub", "admin", "issue", "misc", "notification", "organization", "package", "repository", "user"
)  # fmt: skip
SCOPES = ("all", "public-only", *(f"{level}:{kind}" for level in ("read", "write") for kind in SCOPE_CATEGORIES))
_NAME = matching(r"[A-Za-z0-9][-._A-Za-z0-9]{0,63}", "{v!r} is not a token name: use at most 64 letters, digits, "
                 "'-', '_' and '.', starting with a letter or digit")  # fmt: skip
OUTPUTS = ("token", "token_name", "token_last_eight", "granted_scopes")
SECRET_PROPERTIES = ("api_auth", "token")
_PASSWORD_LOGIN = (
    "must be the admin's username and password: Forgejo creates and revokes access tokens only for a password login, "
    "never for a token"
)
# What a refusal from Forgejo means for a token create, by status.
_ADVICE = {
    400: "Forgejo refused the name or the scopes; run `pulumi up` again (a new name suffix is drawn each time).",
    401: "Forgejo mints tokens only for a password login: check that the admin's password still works and that the "
    "admin has no 2FA or security key enrolled.",
    403: "Only the user itself or a site admin may create its tokens: the configured admin is not a site admin.",
    404: "The user does not exist in Forgejo: create it first, or set `user` to an existing one.",
}


class ApiTokenSpec(Model):
    """A token Forgejo makes for ``user`` with exactly ``scopes``; a change of any of these replaces it."""

    name: Annotated[str, rule(_NAME)]
    user: ForgejoName
    scopes: Annotated[
        list[Annotated[str, one_of(*SCOPES, what="a Forgejo access token scope; use one of")]],
        rule(lambda v: None if v else "needs at least one scope, e.g. ['read:repository']"),
    ]


class TokenInputs(ApiTokenSpec, api.ApiInputs):
    """The resource's inputs: the token, and how to reach Forgejo's API (a password login)."""

    api_auth: Annotated[api.ApiAuth, rule(lambda v: _PASSWORD_LOGIN if "token" in v else None)]


class ApiTokenError(Exception):
    """A token cannot be created as configured; ``str()`` says what to do."""


class ForgejoApiTokenProvider(api.ForgejoProvider):
    """CRUD for one Forgejo access token; its id is Forgejo's token id. The connection changes in place."""

    model = TokenInputs
    replaced = tuple(ApiTokenSpec.model_fields)  # the new token is made before the old one is revoked
    outputs = OUTPUTS
    same: ClassVar[api.Comparisons] = {"scopes": lambda old, new: set(old) == set(new), "user": api.same_name}
    secret = "token"

    def create(self, props: dict[str, Any]) -> CreateResult:
        token: TokenInputs = self.read_inputs(props)
        name = f"{token.name}-{secrets.token_hex(4)}"
        with self.client(props) as client:
            client.wait_until_ready()
            created = _create(client, token, name)
        outputs = {"token": created["sha1"], "token_name": name, **self.server_state(created)}
        return CreateResult(str(created["id"]), {**props, **outputs})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not props.get("token"):  # `pulumi import`: Forgejo never shows an existing token's value again
            raise ApiTokenError(f"token {id_}: an access token cannot be imported; let `pulumi up` make a new one")
        if not id_.isdigit():
            return ReadResult(None, {})
        with self.client(props) as client:
            tokens = client.list_tokens(self.read_inputs(props).user)
        # Revoked in Forgejo, it reads as gone: the next `up` makes a new one.
        return self.found(props, next((t for t in tokens if t.get("id") == int(id_)), None))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Only how to reach Forgejo changed (diff replaces on anything else): nothing to tell Forgejo.
        return UpdateResult({**news, **{key: olds[key] for key in OUTPUTS if key in olds}})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if not id_.isdigit():
            api.warn(f"{self.subject(props)}: left in Forgejo, not revoked: the state holds no token id ({id_!r}).")
            return
        with self.client(props) as client:
            client.delete_token(self.read_inputs(props).user, int(id_))  # a 404 counts as done

    def subject(self, props: dict[str, Any]) -> str:
        return f"token {api.plain(props.get('name'))} of {api.plain(props.get('user'))}"

    def server_state(self, token: dict[str, Any]) -> dict[str, Any]:
        return {
            "token_last_eight": str(token.get("token_last_eight") or ""),
            "granted_scopes": token.get("scopes") or [],
        }


class ForgejoApiToken(api.ForgejoResource, module="forgejo", name="ApiToken"):
    """A Forgejo access token (type ``pulumi-python:dynamic/forgejo:ApiToken``), made by a password login."""

    provider_class = ForgejoApiTokenProvider
    spec_model = ApiTokenSpec
    secret_properties = SECRET_PROPERTIES
    unset = OUTPUTS
    password_login = True

    token: pulumi.Output[str]
    """The value: a secret output."""
    token_name: pulumi.Output[str]
    """The name in Forgejo, ``<name>-<8 hex>``; ``granted_scopes`` are the scopes as Forgejo normalised them."""


def _create(client: ForgejoClient, token: TokenInputs, name: str) -> dict[str, Any]:
    """The new token; a refusal is explained, and a lost answer is looked after so that no token is left behind."""
    try:
        return client.create_token(token.user, name, list(token.scopes))
    except api.ForgejoApiError as error:
        if error.status is not None and error.status < 500:
            raise ApiTokenError(api.then(error, _ADVICE.get(error.status, "Run `pulumi up` again."))) from None
        lost = error
    # The request may have reached Forgejo, whose answer (the only sight of the value) is lost: revoke what it made.
    try:
        leftover = [t for t in client.list_tokens(token.user) if t.get("name") == name]
        for made in leftover:
            client.delete_token(token.user, int(made["id"]))
    except api.ForgejoApiError as error:
        unknown = f"Whether Forgejo made {name} is unknown ({error}); if the user's Applications settings list it, "
        raise ApiTokenError(api.then(lost, f"{unknown}delete it there. Run `pulumi up` again.")) from None
    gone = f"Forgejo had made {name}, now revoked" if leftover else f"Forgejo did not make {name}"
    raise ApiTokenError(api.then(lost, f"{gone}, so no token was left behind. Run `pulumi up` again.")) from None
