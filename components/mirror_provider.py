"""Pulumi dynamic provider for a Forgejo pull mirror: ``ForgejoMirrorProvider`` and ``ForgejoMirror``.

PERMANENT NAMES: dill pickles ``ForgejoMirrorProvider`` by reference (this module path and the class name) into
every mirror's state, and ``refresh``/``destroy`` unpickle it without the program. So neither may move (leave an
alias if one must), the provider keeps no instance state (it would be pickled), importing this module does
nothing, and the SDK is pinned. Inputs are :class:`MirrorInputs`: the mirror's own fields (``mirror_spec.py``,
Forgejo's names) and how to reach Forgejo; states from before kept ``owner``, ``name`` and ``upstream_token``
(``RENAMED``). The README ("Mirrors") describes the lifecycle; the tests assert its request budget:

* ``check`` (the same model as the config) and ``diff`` are pure, so a pull request's preview needs no
  credentials; values unknown at preview are not checked; names compare case-insensitively, intervals as durations.
* ``create``: wait for ``GET /version``, migrate, claim, at most one PATCH. A 409 for a mirror of the same clone
  address adopts it; a migrate a gateway answered or cut off is looked for before it is sent again (at most
  ``MIGRATE_ATTEMPTS``); one that timed out, or an adopted repository still migrating, is waited for. Once the
  repository exists nothing fails the create (a failed create keeps no state): a failed PATCH, sync or dispatch is
  a warning on the host's stderr, which the CLI shows, and the next ``up`` converges.
* Claims: when a URN changes without an alias, the engine creates the new resource first (it adopts the
  repository) and then deletes the old one, which names the same repository. So ``create`` writes a topic
  ``pulumi-claim-<12 hex>`` into the repository (one PUT, replacing any other claim) and keeps it in the state, and
  ``delete`` (``GET /repositories/{id}``, which follows renames) sends ``DELETE`` only while that claim is there.
  A state without a claim deletes only a repository nobody claimed; adopting never succeeds without the claim.
* ``update``: one PATCH with only the changed fields (never ``archived``: a 422 on a mirror); credentials or
  timeouts alone send nothing. The ``CREATE`` fields change only by replacement.

Credentials (``api_auth``, ``auth_token``) are secret inputs, since the admin password is generated in the same
program and ``delete`` sees only the stored outputs (secret there too); they never reach another output, an error
(``forgejo_api.redact``) or the provider object. With Actions on, every sync that brings commits runs the
*upstream's* workflows on your runners as the mirror owner (go-gitea/gitea#32412): mirror only what you trust.
"""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pydantic import ConfigDict, ValidationError

from components.durations import DurationError, same_duration
from components.mirror_spec import CREATE, EDIT, IN_PLACE, MirrorSpec, same_clone_addr

if TYPE_CHECKING:
    from components.forgejo_api import ForgejoClient, MigrateAnswerLost
from components.values import (
    ApiUrl,
    GoDuration,
    Model,
    OptionalCaBundle,
    Token,
    rule,
    single_token,
    validation_problems,
)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _api_auth(auth: dict[str, str]) -> str | None:
    # Never echo the value: it is the credential. A token travels in a header, so it must be one token.
    if (set(auth) == {"token"} and single_token(auth["token"])) or (set(auth) == {"username", "password"} and all(
            auth.values())):  # fmt: skip
        return None
    return 'must be {"username": ..., "password": ...} or {"token": ...}, all non-empty'


_SECONDS = rule(lambda value: None if _number(value) and value > 0 else "must be a positive number of seconds")
# Numbers cross the wire as floats, so a whole float counts as whole.
_BYTES = rule(
    lambda v: None if _number(v) and v >= 1024 and v == int(v) else "must be a whole number of bytes, at least 1024"
)


class ApiInputs(Model):
    """How a provider reaches Forgejo's API: the inputs every Forgejo resource shares (the token provider too)."""

    model_config = ConfigDict(loc_by_alias=False)

    api_url: ApiUrl
    api_auth: Annotated[dict[str, str], rule(_api_auth)]
    """{"username": ..., "password": ...} or {"token": ...}; made secret by the resource."""
    ca_bundle: OptionalCaBundle | None = None
    insecure: bool = False
    request_timeout: Annotated[Any, _SECONDS] = None
    retry_backoff_factor: Annotated[Any, _SECONDS] = None
    max_response_bytes: Annotated[Any, _BYTES] = None
    """The largest answer read from Forgejo (4 MiB by default); a bigger one is an error."""


class MirrorInputs(MirrorSpec, ApiInputs):
    """The resource's inputs: the mirror, and how to reach Forgejo's API."""

    min_interval: GoDuration = "10m"
    """The server's [mirror] MIN_INTERVAL (Forgejo's default); check refuses a shorter mirror_interval."""
    auth_token: Annotated[Token | None, CREATE] = None
    """A private upstream's token, sent as MigrateRepoOptions.auth_token; changing it replaces the mirror."""
    migrate_timeout: Annotated[Any, _SECONDS] = None

    def migrate_options(self) -> dict[str, Any]:
        """The ``POST /repos/migrate`` body: MigrateRepoOptions, a pull mirror."""
        options = self.model_dump(include={*self.marked(CREATE, IN_PLACE)}, exclude_none=True)
        return {**options, "mirror": True}

    def wanted(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in PATCH_PROPERTIES}


DEFAULTS = {name: field.default for name, field in MirrorInputs.model_fields.items() if field.default is not None}
REPLACE_PROPERTIES = MirrorInputs.marked(CREATE)
PATCH_PROPERTIES = MirrorInputs.marked(EDIT, IN_PLACE)
SECRET_PROPERTIES = ("api_auth", "auth_token")
SERVER_OUTPUTS = ("full_name", "html_url", "clone_url", *PATCH_PROPERTIES)
_SERVER_TYPES = {key: bool if key in ("has_actions", "private") else str for key in SERVER_OUTPUTS}
STATE_OUTPUTS = (*SERVER_OUTPUTS, "claim")  # outputs only: never inputs, never diffed
# Property names of stacks made before the mirror model took Forgejo's names.
RENAMED = {"owner": "repo_owner", "name": "repo_name", "upstream_token": "auth_token"}
CLAIM_PREFIX = "pulumi-claim-"  # + 12 hex digits: a valid Forgejo topic (lower case, at most 35 characters)
_CLAIM_TOPIC = re.compile(re.escape(CLAIM_PREFIX) + "[0-9a-f]{12}")
# Sends of POST /repos/migrate when gateways keep answering 502/503/504 and the repository stays absent.
MIGRATE_ATTEMPTS = 4
_PROVIDER_KEY = "__provider"  # the host's key for the pickled provider


class MirrorError(Exception):
    """A mirror cannot be created or updated as configured; ``str()`` says what to do."""


def _current(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` with the property names of today's model."""
    return {RENAMED.get(key, key): value for key, value in props.items()}


def _inputs(props: Mapping[str, Any]) -> MirrorInputs:
    """The (checked, or stored) inputs, secrets unwrapped; not validated again, so an old state always reads."""
    return MirrorInputs.model_construct(
        **{k: plain(v) for k, v in _current(props).items() if k in MirrorInputs.model_fields}
    )


def input_problems(inputs: Mapping[str, Any], model: type[ApiInputs] = MirrorInputs) -> list[tuple[str, str]]:
    """(property, reason) for every invalid input; values still unknown at preview are not checked."""
    unknown = {key for key, value in inputs.items() if has_unknown(value)}
    known = {k: plain(v) for k, v in inputs.items() if k not in unknown and k in model.model_fields}
    try:
        model.model_validate(known, by_name=True, by_alias=False, context={"min_interval": known.get("min_interval")})
    except ValidationError as error:
        return [(key, reason) for key, reason in validation_problems(error, model) if key.split(".")[0] not in unknown]
    return []


class ForgejoMirrorProvider(pulumi.dynamic.ResourceProvider):
    """CRUD for one Forgejo pull mirror. No instance state: everything comes from the props."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = {**{key: value for key, value in DEFAULTS.items() if key not in news}, **news}
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in input_problems(inputs)])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds = _current(olds)
        replaces = [key for key in REPLACE_PROPERTIES if _differs(olds, news, key)]
        others = (olds.keys() | news.keys()) - {*REPLACE_PROPERTIES, *STATE_OUTPUTS, _PROVIDER_KEY}
        changed = [key for key in (*PATCH_PROPERTIES, *sorted(others)) if _differs(olds, news, key)]
        # Keeping owner/name means the new repository takes the old one's place: delete it first, or the
        # create would meet the old repository (409) and adopt it just before the old one is deleted.
        same_place = "repo_owner" not in replaces and "repo_name" not in replaces
        return DiffResult(
            changes=bool(replaces or changed), replaces=replaces, delete_before_replace=bool(replaces) and same_place
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        from components.forgejo_api import ForgejoApiError

        mirror = _inputs(props)
        warnings: list[str] = []
        with api_client(mirror, mirror.full_name) as client:
            client.wait_until_ready()
            repo, adopted = _migrate_or_adopt(client, mirror)
            # The repository exists now, and a failed create keeps no state: from here on, only
            # an adoption whose claim cannot be written may fail (the repository was there before).
            claim = _claim(client, repo, adopted, warnings)
            try:
                repo = _patch(client, str(repo["full_name"]), _changes(mirror, _server_state(repo))) or repo
            except (ForgejoApiError, MirrorError) as error:
                warnings.append(then(error, "The state holds what Forgejo has, so the next `pulumi up` tries again."))
            warnings += _kick_first_run(client, mirror, repo)
        for warning in warnings:
            warn(warning)
        return CreateResult(str(repo["id"]), {**props, **_server_state(repo), "claim": claim})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = _current(props)
        subject = _stored_full_name(props)
        with api_client(_inputs(props), subject) as client:
            repo = client.get_repo_by_id(int(id_)) if id_.isdigit() else client.get_repo(subject)
        if repo is None:
            return ReadResult(None, {})
        server = _server_state(repo)
        inputs = {key: value for key, value in props.items() if key in MirrorInputs.model_fields}
        return ReadResult(
            str(repo["id"]), {**props, **server}, {**inputs, **{key: server[key] for key in PATCH_PROPERTIES}}
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds = _current(olds)
        kept = {key: olds[key] for key in STATE_OUTPUTS if key in olds}
        changes = _changes(_inputs(news), kept)
        if not changes:  # e.g. new credentials or timeouts only: nothing to tell Forgejo
            return UpdateResult({**news, **kept})
        target = _stored_full_name(olds)
        with api_client(_inputs(news), target) as client:
            repo = _patch(client, target, changes)
        return UpdateResult({**news, **kept, **_server_state(repo or {})})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        props = _current(props)
        subject = _stored_full_name(props)
        if not id_.isdigit():
            warn(f"{subject}: left in Forgejo, not deleted: the state holds no repository id ({id_!r}).")
            return
        with api_client(_inputs(props), subject) as client:
            repo = client.get_repo_by_id(int(id_))  # the same id, from the configured origin only
            if repo is None:
                return  # already gone
            full_name = str(repo["full_name"])  # follows a rename made in the UI
            reason = _not_ours(repo, str(plain(props.get("claim")) or ""))
            if reason:
                warn(f"{full_name}: left in Forgejo, not deleted: {reason}")
                return
            client.delete_repo(full_name)


@dataclass(frozen=True)
class ForgejoConnection:
    """How the mirror provider reaches Forgejo's API: ``username`` + ``password`` (admin basic auth) or ``token``,
    both wrapped as secrets before they reach any resource."""

    api_url: str
    username: str = ""
    password: pulumi.Input[str] | None = None
    token: pulumi.Input[str] | None = None
    ca_bundle: pulumi.Input[str] | None = None
    """PEM of the CA that signed Forgejo's certificate (goldentooth's Step-CA root)."""
    insecure: bool = False
    """Skip TLS verification. Never the default; the Mirrors component warns when it is on."""

    def api_auth(self) -> pulumi.Output[Mapping[str, pulumi.Input[str]]]:
        return pulumi.Output.secret({"token": self.token}) if self.token is not None else self.password_login()

    def password_login(self) -> pulumi.Output[Mapping[str, pulumi.Input[str]]]:
        """Basic auth with the password, even when a token is configured: what Forgejo's token endpoints need."""
        if self.username and self.password is not None:
            return pulumi.Output.secret({"username": self.username, "password": self.password})
        raise ValueError("ForgejoConnection needs a token, or a username and a password")


class ForgejoMirror(pulumi.dynamic.Resource, module="forgejo", name="Mirror"):
    """A Forgejo pull mirror (type ``pulumi-python:dynamic/forgejo:Mirror``); its id is Forgejo's repository id."""

    full_name: pulumi.Output[str]
    html_url: pulumi.Output[str]
    clone_url: pulumi.Output[str]
    has_actions: pulumi.Output[bool]
    mirror_interval: pulumi.Output[str]
    """As Forgejo reports it, in Go's canonical form: "5m" reads back as "5m0s"."""

    def __init__(
        self,
        resource_name: str,
        spec: MirrorSpec,
        connection: ForgejoConnection,
        min_interval: str,
        auth_token: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            **spec.model_dump(include=set(MirrorSpec.model_fields)),
            "api_url": connection.api_url,
            "api_auth": connection.api_auth(),
            "min_interval": min_interval,
            "auth_token": pulumi.Output.secret(auth_token) if auth_token is not None else None,
            "ca_bundle": connection.ca_bundle,
            "insecure": connection.insecure,
            **dict.fromkeys(("full_name", "html_url", "clone_url")),  # outputs only, filled by the provider
        }
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_PROPERTIES))
        super().__init__(
            ForgejoMirrorProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret_outputs)
        )


@contextmanager
def api_client(mirror: ApiInputs, subject: str, extra_secrets: Sequence[str] = ()) -> Iterator[ForgejoClient]:
    """A client built from this call's props: nothing is kept on the provider between calls. ``extra_secrets`` are
    redacted from every error, as the credentials are."""
    # The HTTP client loads here, where a call talks to Forgejo: check and diff, which are all that a no-op `up`
    # or a pull request's preview runs, never need it (the e2e tier holds a no-op `up` to a time budget).
    from components.forgejo_api import ApiCredentials, ForgejoClient, Timing, tls_verify

    auth = mirror.api_auth or {}
    defaults = Timing()
    timing = Timing(
        request_timeout=float(mirror.request_timeout or defaults.request_timeout),
        migrate_timeout=float(getattr(mirror, "migrate_timeout", None) or defaults.migrate_timeout),
        backoff_factor=float(mirror.retry_backoff_factor or defaults.backoff_factor),
        max_response_bytes=int(mirror.max_response_bytes or defaults.max_response_bytes),
    )
    credentials = ApiCredentials(auth.get("username", ""), auth.get("password", ""), auth.get("token", ""))
    with (
        tls_verify(mirror.ca_bundle, bool(mirror.insecure)) as verify,
        ForgejoClient(
            str(mirror.api_url), credentials, subject=subject, verify=verify, timing=timing,
            extra_secrets=[*extra_secrets, getattr(mirror, "auth_token", None) or ""],
        ) as client,
    ):  # fmt: skip
        yield client


def plain(value: Any) -> Any:
    """The value without the engine's secret wrapper (at any depth: api_auth is a dict)."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def has_unknown(value: Any) -> bool:
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN):
        return True
    if isinstance(value, dict | list):
        return any(has_unknown(item) for item in (value.values() if isinstance(value, dict) else value))
    return False


def _stored_full_name(props: Mapping[str, Any]) -> str:
    """Where the repository was last seen: the server's full_name, else owner/name from the inputs."""
    full_name = plain(props.get("full_name"))
    return str(full_name) if full_name else f"{plain(props.get('repo_owner'))}/{plain(props.get('repo_name'))}"


def _differs(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> bool:
    new = news.get(key, DEFAULTS.get(key))
    if has_unknown(new):
        return True
    old, new = plain(olds.get(key, DEFAULTS.get(key))), plain(new)
    if key == "mirror_interval":
        return not _same_interval(old, new)
    if key in ("repo_owner", "repo_name") and isinstance(old, str) and isinstance(new, str):
        return old.lower() != new.lower()  # Forgejo's names are case-insensitive
    return bool(old != new)


def _same_interval(left: object, right: object) -> bool:
    try:
        return same_duration(str(left), str(right))
    except DurationError:
        return left == right


def _server_state(repo: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs as Forgejo reports them (mirror_interval in Go's canonical form)."""
    return {key: kind(repo.get(key) or kind()) for key, kind in _SERVER_TYPES.items()}


def _migrate_or_adopt(client: ForgejoClient, mirror: MirrorInputs) -> tuple[dict[str, Any], bool]:
    """The repository, migrated now or adopted; True when adopted (it may have existed before this call). A migrate
    whose answer a gateway replaced or cut off is looked after before it is sent again, so a hiccup makes neither a
    failure nor a second repository: absent, send it again once /version answers; present, adopt it."""
    from components.forgejo_api import MigrateAnswerLost, RepoAlreadyExists

    lost: MigrateAnswerLost | None = None
    for _ in range(MIGRATE_ATTEMPTS):
        if lost is not None:
            client.wait_until_ready()
        try:
            return client.migrate(mirror.migrate_options()), False
        except RepoAlreadyExists:
            return _adopt(client, mirror, client.get_repo(mirror.full_name)), True
        except MigrateAnswerLost as error:
            if not error.resendable:  # timed out: Forgejo may still be cloning
                return client.wait_for_migration(str(error)), False
            existing = client.get_repo(mirror.full_name)
            if existing is not None:
                return _adopt(client, mirror, existing), True
            lost = error
    raise MirrorError(
        then(
            lost,
            f"The repository is still absent after {MIGRATE_ATTEMPTS} attempts, so Forgejo never got the request. "
            "Run `pulumi up` again once Forgejo answers through the gateway.",
        )
    )


def _adopt(client: ForgejoClient, mirror: MirrorInputs, existing: dict[str, Any] | None) -> dict[str, Any]:
    """The existing repository, if it is a pull mirror of the same upstream; otherwise fail with a way out."""
    way_out = (
        f"Give this mirror another name (change `name` for {mirror.full_name} in the mirrors config) "
        f"or delete the existing repository {mirror.full_name} in Forgejo, then run `pulumi up` again."
    )
    if existing is None:
        raise MirrorError(f"{mirror.full_name}: Forgejo said the repository exists (409) but it is gone now. {way_out}")
    if not existing.get("mirror"):
        raise MirrorError(f"{mirror.full_name} already exists in Forgejo and is not a pull mirror. {way_out}")
    upstream = str(existing.get("original_url", ""))
    if not same_clone_addr(upstream, mirror.clone_addr):
        raise MirrorError(
            f"{mirror.full_name} already exists in Forgejo as a mirror of {upstream or 'an unknown address'}, "
            f"not of {mirror.clone_addr}. {way_out}"
        )
    if not existing.get("mirror_interval") or existing.get("empty"):  # still cloning, or nothing cloned yet
        return client.wait_for_migration(f"{mirror.full_name} exists in Forgejo but is still being migrated or empty")
    return existing


def _claim(client: ForgejoClient, repo: Mapping[str, Any], adopted: bool, warnings: list[str]) -> str:
    """Write a new claim topic into the repository, replacing any other claim; return it ("" if unwritten)."""
    from components.forgejo_api import ForgejoApiError

    claim = f"{CLAIM_PREFIX}{secrets.token_hex(6)}"
    topics = [topic for topic in repo.get("topics") or [] if not _CLAIM_TOPIC.fullmatch(topic)]
    try:
        client.set_topics(str(repo["full_name"]), [*topics, claim])
    except ForgejoApiError as error:
        if adopted:  # the old resource's claim is still on it: adopting without ours would let it delete
            raise MirrorError(
                then(
                    error,
                    "The repository exists, but could not be claimed for this resource, so it was not adopted and "
                    "nothing in it was changed. Run `pulumi up` again.",
                )
            ) from None
        warnings.append(
            then(
                error,
                "The mirror was created but carries no claim: deleting this resource deletes the repository only "
                "while no other resource claims it.",
            )
        )
        return ""
    return claim


def _not_ours(repo: Mapping[str, Any], claim: str) -> str | None:
    """Why ``delete`` must leave ``repo`` alone, or None when it carries this resource's claim."""
    claims = sorted(topic for topic in repo.get("topics") or [] if _CLAIM_TOPIC.fullmatch(topic))
    if claim and claim not in claims:
        now = f"it carries {', '.join(claims)}" if claims else "it carries no claim at all"
        return (
            f"it no longer carries this resource's claim topic {claim} ({now}): another resource adopted it, "
            "for example after the mirror or its component was renamed. Delete it in Forgejo if it should go."
        )
    if not claim and claims:
        return (
            f"this resource recorded no claim and another resource has claimed the repository ({', '.join(claims)}). "
            "Delete it in Forgejo if it should go."
        )
    return None


def _changes(mirror: MirrorInputs, current: Mapping[str, Any]) -> dict[str, Any]:
    """The PATCH body: the fields of ``mirror`` that differ from ``current`` (never ``archived``)."""
    return {key: value for key, value in mirror.wanted().items() if _differs(current, {key: value}, key)}


def _patch(client: ForgejoClient, full_name: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Send ``changes`` as one PATCH and return the repository, or None when there is nothing to send."""
    if not changes:
        return None
    updated = client.edit_repo(full_name, changes)
    if changes.get("has_actions") and not updated.get("has_actions"):
        # Forgejo answers 200 and ignores has_actions when Actions are off for the whole instance.
        raise MirrorError(
            f"{full_name}: Forgejo did not enable Actions (PATCH has_actions=true was ignored), so Actions are "
            "disabled server-wide: [actions] ENABLED=false, or repo.actions in [repository] DISABLED_REPO_UNITS. "
            "Enable Actions in the Forgejo Helm values, or set actions: false for this mirror."
        )
    return updated


def _kick_first_run(client: ForgejoClient, mirror: MirrorInputs, repo: Mapping[str, Any]) -> list[str]:
    """Opt-in pushes for the first workflow run, which a fresh mirror never gets on its own; failures as warnings."""
    from components.forgejo_api import ForgejoApiError

    full_name = str(repo["full_name"])
    warnings: list[str] = []
    if mirror.sync_after_create:
        try:
            client.sync_mirror(full_name)
        except ForgejoApiError as error:
            warnings.append(then(error, "The mirror still syncs at its interval; its Settings page syncs it now."))
    workflow, ref = mirror.dispatch_workflow, mirror.dispatch_ref or repo.get("default_branch")
    if workflow and not ref:
        warnings.append(
            f"{full_name}: the mirror has no default branch yet, so {workflow} was not started; "
            "set dispatchRef, or run it from the repository's Actions tab."
        )
    elif workflow:
        try:
            client.dispatch_workflow(full_name, workflow, str(ref))
        except ForgejoApiError as error:
            warnings.append(then(error, f"{workflow} was not started: run it from the repository's Actions tab."))
    return warnings


def then(error: BaseException | None, advice: str) -> str:
    """An error's text, then what follows from it."""
    return f"{str(error).rstrip('.')}. {advice}"


def warn(message: str) -> None:
    """A warning for the user: the provider host has no engine connection, and the CLI shows its stderr."""
    print(f"warning: {message}", file=sys.stderr, flush=True)
