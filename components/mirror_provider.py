"""Pulumi dynamic provider for a Forgejo pull mirror: ``ForgejoMirrorProvider`` and ``ForgejoMirror``.

PERMANENT NAMES. dill pickles ``ForgejoMirrorProvider`` *by reference* -- this
module path plus the class name -- into every mirror's ``__provider`` state.
``pulumi refresh`` and ``pulumi destroy`` unpickle it from state without
running the program, so moving this module or renaming either class breaks
every existing stack. If one must move, leave an alias here. For the same
reason the provider has no instance state at all (a credential stored on it
would be pickled into state), and importing this module has no side effects
(the provider host, ``python -m pulumi.dynamic``, imports it). The SDK is
pinned in requirements.txt because the same SDK must read the blob back.

Claims: no URN change deletes an adopted repository. When a resource's URN
changes without an alias (the component renamed, a mirror re-keyed), the
engine creates the new resource first -- it meets the existing repository
(409) and adopts it -- and then deletes the old one, which names the very same
repository id. So every resource claims its repository: ``create`` makes a
claim ``pulumi-claim-<12 hex>``, keeps it in the state (``claim``) and writes
it into the repository as a topic, replacing any other resource's claim topic
(one ``PUT .../topics``; the other topics stay). ``delete`` sends ``DELETE``
only if the repository found by id still carries this resource's claim;
otherwise it leaves the repository, and says why. A topic, because Forgejo
keeps it on a mirror, returns it with every ``GET`` of the repository and
does nothing else with it (the description and the other settings belong to
the config). A state without a claim (a mirror created before claims, or one
whose claim could not be written) deletes only a repository that no resource
has claimed. Adopting never succeeds without writing the claim: the old
resource would otherwise still hold one.

The provider trusts only its Forgejo: the client follows no redirect to
another origin and checks every answer's shape, and a repository fetched by
id must carry that id (``components/forgejo_api.py``). Whether a mirror is
deleted at all is decided before the provider is asked: the Mirrors component
sets Pulumi's ``retain_on_delete`` from ``MirrorSpec.retain`` (``protectData``
unless the mirror says otherwise), and a retained mirror's ``delete`` is never
called (the engine shows it as ``delete[retain]``).

Lifecycle (request budget, asserted by the tests):

* ``check`` and ``diff`` are pure -- no network -- so ``pulumi preview`` on a
  pull request needs no credentials. Unknown preview values are not checked.
  Owner and name compare case-insensitively, as Forgejo compares them.
* ``create``: wait until ``GET /version`` answers, then ``POST /repos/migrate``,
  one ``PUT .../topics`` for the claim and at most one ``PATCH`` for whatever
  the server got different (Actions start off on a mirror; GitHub's
  description replaces an empty one). When the repository exists (409) and is
  a mirror of the same clone address, it is adopted: 409 + GET + PUT + PATCH.
  A migrate answered by a gateway (502/503/504) or cut off looks before it is
  sent again: GET the repository; absent, send it again (at most
  ``MIGRATE_ATTEMPTS`` times, after waiting for ``/version``); present, adopt
  it. A migrate that timed out, and a repository adopted while still empty or
  mid-migration, is waited for (``wait_for_migration``, 5 minutes).
  Once the repository exists nothing fails the create, since a failed create
  keeps no state and ``pulumi destroy`` would never see the repository: a
  failed PATCH is a warning and the next ``pulumi up`` converges (the state
  holds what Forgejo has, so the diff shows the difference), and so are the
  opt-in first-run kicks, ``mirror-sync`` and a ``workflow_dispatch``, which
  are not repeated (neither the initial clone nor enabling Actions makes a
  push event, so otherwise the first workflow run waits for the next upstream
  commit). Warnings go to the provider host's stderr, which the CLI shows.
* ``read``: one ``GET /repositories/{id}``; 404 means gone (Pulumi recreates it).
  Drift in has_actions, mirror_interval, private and description is returned
  in both outputs and inputs, so the next diff shows it.
* ``update``: one ``PATCH`` with only the changed fields, never ``archived``
  (a 422 on a mirror). ``has_actions`` is sent only when it changes: enabling
  Actions cancels and re-registers the repository's scheduled runs. Changes
  to credentials, api_url, TLS, timeouts or the size bound alone send nothing.
* ``delete``: ``GET /repositories/{id}`` to find the repository even if it
  was renamed, then ``DELETE`` if it still carries this resource's claim;
  404 means already gone.
* The clone address, name, owner, service, lfs, wiki and the upstream token
  can only change by replacement: Forgejo has no API to change a pull
  mirror's remote or its credentials.

Credentials. ``api_auth`` ({"username", "password"} or {"token"}) and
``upstream_token`` are *secret inputs*, not stack config read in
``configure``: the admin password is generated in the same program, and
``delete`` only receives the stored outputs, so outputs must carry them --
marked secret through ``additional_secret_outputs``. They never appear in any
other output, in error text (``forgejo_api.redact``), or on the provider
object. TLS is verified against ``ca_bundle`` (goldentooth's Step-CA root,
PEM text) unless ``insecure`` is set explicitly.

Security: with Actions enabled, every mirror sync that brings new commits
runs the *upstream's* workflows on your runners, with the mirror owner as the
actor (go-gitea/gitea#32412). Enable Actions only on mirrors of repositories
whose workflows you trust.
"""

import re
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple, Self
from urllib.parse import urlsplit

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import Unknown
from pulumi.runtime import rpc

from components.durations import DurationError, parse_duration, same_duration
from components.mirror_rules import MirrorSpec, field_problems, same_clone_addr
from components.rules import single_token

if TYPE_CHECKING:
    # The HTTP client (and requests, ~0.1 s to import) is loaded only where it
    # is used, in the provider host: `pulumi preview` of the program and the
    # pure check/diff never need it.
    from components.forgejo_api import ForgejoClient

# MirrorSpec field -> provider property, where the names differ (the provider uses Forgejo's names).
_SPEC_TO_PROPERTY = {"interval": "mirror_interval", "actions": "has_actions"}
_PROPERTY_TO_SPEC = {prop: field for field, prop in _SPEC_TO_PROPERTY.items()}
_SPEC_ONLY_FIELDS = frozenset({"retain"})  # a Pulumi resource option, not an input

DEFAULT_MIN_INTERVAL = "10m"  # Forgejo's default [mirror] MIN_INTERVAL
DEFAULTS: dict[str, Any] = {
    **{
        _SPEC_TO_PROPERTY.get(name, name): default
        for name, default in MirrorSpec._field_defaults.items()
        if default is not None and name not in _SPEC_ONLY_FIELDS
    },
    "min_interval": DEFAULT_MIN_INTERVAL,
    "insecure": False,
}

SECRET_PROPERTIES = ("api_auth", "upstream_token")
CONNECTION_PROPERTIES = (
    "api_url",
    "api_auth",
    "ca_bundle",
    "insecure",
    "request_timeout",
    "migrate_timeout",
    "retry_backoff_factor",
    "max_response_bytes",
)
# Changing any of these needs a new repository: no API changes a pull mirror's remote or credentials.
REPLACE_PROPERTIES = ("owner", "name", "clone_addr", "service", "lfs", "wiki", "upstream_token")
PATCH_PROPERTIES = ("has_actions", "mirror_interval", "private", "description")
INPUT_PROPERTIES = (
    *CONNECTION_PROPERTIES,
    "owner", "name", "clone_addr", "service", "mirror_interval", "min_interval", "has_actions", "private",
    "description", "lfs", "wiki", "upstream_token", "sync_after_create", "dispatch_workflow", "dispatch_ref",
)  # fmt: skip
SERVER_OUTPUTS = ("full_name", "html_url", "clone_url", *PATCH_PROPERTIES)
STATE_OUTPUTS = (*SERVER_OUTPUTS, "claim")  # outputs only: never inputs, never diffed
CLAIM_PREFIX = "pulumi-claim-"  # + 12 hex digits: a valid Forgejo topic (lower case, at most 35 characters)
_CLAIM_TOPIC = re.compile(re.escape(CLAIM_PREFIX) + "[0-9a-f]{12}")
# Sends of POST /repos/migrate when gateways keep answering 502/503/504 and the repository stays absent.
MIGRATE_ATTEMPTS = 4
_REQUIRED = ("api_url", "api_auth", "owner", "name", "clone_addr")
_PROVIDER_KEY = "__provider"  # the host's key for the pickled provider


class MirrorError(Exception):
    """A mirror cannot be created or updated as configured; ``str()`` says what to do."""


class ForgejoMirrorProvider(pulumi.dynamic.ResourceProvider):
    """CRUD for one Forgejo pull mirror. No instance state: everything comes from the props."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = {**{key: value for key, value in DEFAULTS.items() if key not in news}, **news}
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in input_problems(inputs)])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACE_PROPERTIES if _differs(olds, news, key)]
        others = (olds.keys() | news.keys()) - {*REPLACE_PROPERTIES, *STATE_OUTPUTS, _PROVIDER_KEY}
        changed = [key for key in (*PATCH_PROPERTIES, *sorted(others)) if _differs(olds, news, key)]
        # Keeping owner/name means the new repository takes the old one's place: delete it first, or the
        # create would meet the old repository (409) and adopt it just before the old one is deleted.
        same_place = "owner" not in replaces and "name" not in replaces
        return DiffResult(
            changes=bool(replaces or changed),
            replaces=replaces,
            delete_before_replace=bool(replaces) and same_place,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        from components.forgejo_api import ForgejoApiError

        mirror = _Mirror.from_props(props)
        warnings: list[str] = []
        with _client(props, mirror.full_name) as client:
            client.wait_until_ready()
            repo, adopted = _migrate_or_adopt(client, mirror)
            # The repository exists now, and a failed create keeps no state: from here on, only
            # an adoption whose claim cannot be written may fail (the repository was there before).
            claim = _claim(client, repo, adopted, warnings)
            try:
                repo = _patch(client, str(repo["full_name"]), _changes(mirror, _server_state(repo))) or repo
            except (ForgejoApiError, MirrorError) as error:
                warnings.append(_then(error, "The state holds what Forgejo has, so the next `pulumi up` tries again."))
            warnings += _kick_first_run(client, mirror, repo)
        for warning in warnings:
            _warn(warning)
        return CreateResult(str(repo["id"]), {**props, **_server_state(repo), "claim": claim})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        subject = _stored_full_name(props)
        with _client(props, subject) as client:
            repo = client.get_repo_by_id(int(id_)) if id_.isdigit() else client.get_repo(subject)
        if repo is None:
            return ReadResult(None, {})
        server = _server_state(repo)
        inputs = {key: value for key, value in props.items() if key in INPUT_PROPERTIES}
        inputs.update({key: server[key] for key in PATCH_PROPERTIES})
        return ReadResult(str(repo["id"]), {**props, **server}, inputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        kept = {key: olds[key] for key in STATE_OUTPUTS if key in olds}
        changes = _changes(_Mirror.from_props(news), kept)
        if not changes:  # e.g. new credentials or timeouts only: nothing to tell Forgejo
            return UpdateResult({**news, **kept})
        target = _stored_full_name(olds)
        with _client(news, target) as client:
            repo = _patch(client, target, changes)
        return UpdateResult({**news, **kept, **_server_state(repo or {})})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        subject = _stored_full_name(props)
        if not id_.isdigit():
            _warn(f"{subject}: left in Forgejo, not deleted: the state holds no repository id ({id_!r}).")
            return
        with _client(props, subject) as client:
            repo = client.get_repo_by_id(int(id_))  # the same id, from the configured origin only
            if repo is None:
                return  # already gone
            full_name = str(repo["full_name"])  # follows a rename made in the UI
            reason = _not_ours(repo, str(_plain(props.get("claim")) or ""))
            if reason:
                _warn(f"{full_name}: left in Forgejo, not deleted: {reason}")
                return
            client.delete_repo(full_name)


class ForgejoMirrorArgs(NamedTuple):
    """The inputs of ``ForgejoMirror``; property names are Forgejo's (mirror_interval, has_actions)."""

    api_url: pulumi.Input[str]
    api_auth: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """{"username": ..., "password": ...} or {"token": ...}; made secret by the resource."""
    owner: pulumi.Input[str]
    name: pulumi.Input[str]
    clone_addr: pulumi.Input[str]
    min_interval: pulumi.Input[str] = DEFAULT_MIN_INTERVAL
    """The server's [mirror] MIN_INTERVAL; check refuses a shorter mirror_interval."""
    mirror_interval: pulumi.Input[str] = DEFAULTS["mirror_interval"]
    service: pulumi.Input[str] = DEFAULTS["service"]
    has_actions: pulumi.Input[bool] = DEFAULTS["has_actions"]
    private: pulumi.Input[bool] = DEFAULTS["private"]
    description: pulumi.Input[str] = DEFAULTS["description"]
    lfs: pulumi.Input[bool] = DEFAULTS["lfs"]
    wiki: pulumi.Input[bool] = DEFAULTS["wiki"]
    upstream_token: pulumi.Input[str] | None = None
    """Token for a private upstream (sent as auth_token); changing it replaces the mirror."""
    ca_bundle: pulumi.Input[str] | None = None
    insecure: pulumi.Input[bool] = False
    sync_after_create: pulumi.Input[bool] = DEFAULTS["sync_after_create"]
    dispatch_workflow: pulumi.Input[str] | None = None
    dispatch_ref: pulumi.Input[str] | None = None
    request_timeout: pulumi.Input[float] | None = None
    migrate_timeout: pulumi.Input[float] | None = None
    retry_backoff_factor: pulumi.Input[float] | None = None
    max_response_bytes: pulumi.Input[int] | None = None
    """The largest answer read from Forgejo (4 MiB by default); a bigger one is an error."""

    @classmethod
    def from_spec(
        cls,
        spec: MirrorSpec,
        *,
        api_url: pulumi.Input[str],
        api_auth: pulumi.Input[Mapping[str, pulumi.Input[str]]],
        min_interval: pulumi.Input[str],
        upstream_token: pulumi.Input[str] | None = None,
        ca_bundle: pulumi.Input[str] | None = None,
        insecure: bool = False,
    ) -> Self:
        fields = {
            _SPEC_TO_PROPERTY.get(name, name): value
            for name, value in spec._asdict().items()
            if name not in _SPEC_ONLY_FIELDS
        }
        return cls(
            api_url=api_url,
            api_auth=api_auth,
            min_interval=min_interval,
            upstream_token=upstream_token,
            ca_bundle=ca_bundle,
            insecure=insecure,
            **fields,
        )


class ForgejoMirror(pulumi.dynamic.Resource, module="forgejo", name="Mirror"):
    """A Forgejo pull mirror (type ``pulumi-python:dynamic/forgejo:Mirror``); its id is Forgejo's repository id."""

    full_name: pulumi.Output[str]
    html_url: pulumi.Output[str]
    clone_url: pulumi.Output[str]
    has_actions: pulumi.Output[bool]
    mirror_interval: pulumi.Output[str]
    """As Forgejo reports it, in Go's canonical form: "5m" reads back as "5m0s"."""

    def __init__(self, resource_name: str, args: ForgejoMirrorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = args._asdict()
        props["api_auth"] = pulumi.Output.secret(args.api_auth)
        if args.upstream_token is not None:
            props["upstream_token"] = pulumi.Output.secret(args.upstream_token)
        props.update(full_name=None, html_url=None, clone_url=None)  # outputs only, filled by the provider
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_PROPERTIES))
        opts = pulumi.ResourceOptions.merge(opts, secret_outputs)
        super().__init__(ForgejoMirrorProvider(), resource_name, props, opts)


# -- validation (check) ------------------------------------------------------


def input_problems(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for every invalid known input; values still unknown at preview are skipped."""
    known = {key: _plain(value) for key, value in inputs.items() if not _has_unknown(value)}
    problems = [(key, "is required") for key in _REQUIRED if key not in inputs]

    min_interval: str | None = None
    if "min_interval" in known:
        try:
            parse_duration(known["min_interval"])
            min_interval = known["min_interval"]
        except DurationError as error:
            problems.append(("min_interval", str(error)))

    spec_values = {_PROPERTY_TO_SPEC.get(key, key): value for key, value in known.items()}
    spec_values = {key: value for key, value in spec_values.items() if key in MirrorSpec._fields}
    problems += [(_SPEC_TO_PROPERTY.get(key, key), reason) for key, reason in field_problems(spec_values, min_interval)]
    problems += _connection_problems(known)
    return problems


def _connection_problems(known: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if "api_url" in known:
        url = known["api_url"]
        # urlsplit quietly drops tabs and newlines, so they are refused before it sees them.
        parts = urlsplit(url) if isinstance(url, str) and single_token(url) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
            problems.append(("api_url", "must be Forgejo's base URL, such as https://git.goldentooth.net/api/v1"))
    if "api_auth" in known and not _valid_auth(known["api_auth"]):
        # Never echo the value: it is the credential.
        problems.append(("api_auth", 'must be {"username": ..., "password": ...} or {"token": ...}, all non-empty'))
    token = known.get("upstream_token")
    if "upstream_token" in known and not (isinstance(token, str) and token):
        problems.append(("upstream_token", "must be a non-empty token, or left out for a public upstream"))
    bundle = known.get("ca_bundle")
    if "ca_bundle" in known and not (isinstance(bundle, str) and "-----BEGIN CERTIFICATE-----" in bundle):
        problems.append(("ca_bundle", "must be PEM text containing -----BEGIN CERTIFICATE-----"))
    if "insecure" in known and not isinstance(known["insecure"], bool):
        problems.append(("insecure", "must be true or false"))
    for key in ("request_timeout", "migrate_timeout", "retry_backoff_factor"):
        value = known.get(key)
        if key in known and (isinstance(value, bool) or not isinstance(value, int | float) or value <= 0):
            problems.append((key, "must be a positive number of seconds"))
    size = known.get("max_response_bytes")
    # Numbers cross the wire as floats, so a whole float counts as whole.
    if "max_response_bytes" in known and (
        isinstance(size, bool) or not isinstance(size, int | float) or size < 1024 or size != int(size)
    ):
        problems.append(("max_response_bytes", "must be a whole number of bytes, at least 1024"))
    return problems


def _valid_auth(auth: object) -> bool:
    if not isinstance(auth, dict):
        return False
    if "token" in auth:
        # The token travels in a header: whitespace or a control character
        # would make the request fail with the token quoted in the error.
        token = auth["token"]
        return isinstance(token, str) and bool(token) and token.isprintable() and not any(c.isspace() for c in token)
    return all(isinstance(auth.get(key), str) and auth[key] for key in ("username", "password"))


# -- props -------------------------------------------------------------------


class _Mirror(NamedTuple):
    """The mirror part of the (checked) props, secrets unwrapped."""

    owner: str
    name: str
    clone_addr: str
    service: str
    mirror_interval: str
    has_actions: bool
    private: bool
    description: str
    lfs: bool
    wiki: bool
    upstream_token: str | None
    sync_after_create: bool
    dispatch_workflow: str | None
    dispatch_ref: str | None

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> Self:
        values: dict[str, Any] = {**DEFAULTS, **{key: _plain(value) for key, value in props.items()}}
        fields: dict[str, Any] = {name: values.get(name) for name in cls._fields}
        return cls(**fields)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def wanted(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in PATCH_PROPERTIES}

    def migrate_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "clone_addr": self.clone_addr,
            "repo_name": self.name,
            "repo_owner": self.owner,
            "service": self.service,
            "mirror": True,
            "mirror_interval": self.mirror_interval,
            "private": self.private,
            "description": self.description,
            "lfs": self.lfs,
            "wiki": self.wiki,
        }
        if self.upstream_token:
            options["auth_token"] = self.upstream_token
        return options


@contextmanager
def _client(props: Mapping[str, Any], subject: str) -> Iterator["ForgejoClient"]:
    """A client built from this call's props: nothing is kept on the provider between calls."""
    from components.forgejo_api import ApiCredentials, ForgejoClient, Timing, tls_verify

    auth = _plain(props.get("api_auth")) or {}
    credentials = ApiCredentials(
        username=str(auth.get("username", "")), password=str(auth.get("password", "")), token=str(auth.get("token", ""))
    )
    defaults = Timing()
    timing = Timing(
        request_timeout=float(_plain(props.get("request_timeout")) or defaults.request_timeout),
        migrate_timeout=float(_plain(props.get("migrate_timeout")) or defaults.migrate_timeout),
        backoff_factor=float(_plain(props.get("retry_backoff_factor")) or defaults.backoff_factor),
        max_response_bytes=int(_plain(props.get("max_response_bytes")) or defaults.max_response_bytes),
    )
    upstream_token = _plain(props.get("upstream_token"))
    with (
        tls_verify(_plain(props.get("ca_bundle")), bool(_plain(props.get("insecure")))) as verify,
        ForgejoClient(
            str(_plain(props["api_url"])),
            credentials,
            subject=subject,
            verify=verify,
            timing=timing,
            extra_secrets=[upstream_token] if upstream_token else [],
        ) as client,
    ):
        yield client


def _plain(value: Any) -> Any:
    """The value without the engine's secret wrapper (at any depth: api_auth is a dict)."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _has_unknown(value: Any) -> bool:
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN):
        return True
    if isinstance(value, dict):
        return any(_has_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_unknown(item) for item in value)
    return False


def _stored_full_name(props: Mapping[str, Any]) -> str:
    """Where the repository was last seen: the server's full_name, else owner/name from the inputs."""
    full_name = _plain(props.get("full_name"))
    return str(full_name) if full_name else f"{_plain(props.get('owner'))}/{_plain(props.get('name'))}"


def _differs(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> bool:
    new = news.get(key, DEFAULTS.get(key))
    if _has_unknown(new):
        return True
    old, new = _plain(olds.get(key, DEFAULTS.get(key))), _plain(new)
    if key == "mirror_interval":
        return not _same_interval(old, new)
    if key in ("owner", "name") and isinstance(old, str) and isinstance(new, str):
        return old.lower() != new.lower()  # Forgejo's names are case-insensitive
    return bool(old != new)


def _same_interval(left: object, right: object) -> bool:
    try:
        return same_duration(str(left), str(right))
    except DurationError:
        return left == right


# -- create / update steps ---------------------------------------------------


def _server_state(repo: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs as Forgejo reports them (mirror_interval in Go's canonical form)."""
    return {
        "full_name": str(repo.get("full_name", "")),
        "html_url": str(repo.get("html_url", "")),
        "clone_url": str(repo.get("clone_url", "")),
        "has_actions": bool(repo.get("has_actions")),
        "mirror_interval": str(repo.get("mirror_interval", "")),
        "private": bool(repo.get("private")),
        "description": str(repo.get("description", "")),
    }


def _migrate_or_adopt(client: "ForgejoClient", mirror: _Mirror) -> tuple[dict[str, Any], bool]:
    """The repository, migrated now or adopted; True when adopted (it may have existed before this call).

    A migrate whose answer a gateway replaced (502/503/504) or cut off is
    looked after before it is sent again, so a hiccup makes neither a failure
    nor a second repository: absent, send it again once /version answers;
    present, adopt it (waiting if it is still migrating).
    """
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
        _then(
            lost,
            f"The repository is still absent after {MIGRATE_ATTEMPTS} attempts, so Forgejo never got the request. "
            "Run `pulumi up` again once Forgejo answers through the gateway.",
        )
    )


def _adopt(client: "ForgejoClient", mirror: _Mirror, existing: dict[str, Any] | None) -> dict[str, Any]:
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


def _claim(client: "ForgejoClient", repo: Mapping[str, Any], adopted: bool, warnings: list[str]) -> str:
    """Write a new claim topic into the repository, replacing any other claim; return it ("" if unwritten)."""
    from components.forgejo_api import ForgejoApiError

    claim = f"{CLAIM_PREFIX}{secrets.token_hex(6)}"
    topics = [topic for topic in repo.get("topics") or [] if not _CLAIM_TOPIC.fullmatch(topic)]
    try:
        client.set_topics(str(repo["full_name"]), [*topics, claim])
    except ForgejoApiError as error:
        if adopted:  # the old resource's claim is still on it: adopting without ours would let it delete
            raise MirrorError(
                _then(
                    error,
                    "The repository exists, but could not be claimed for this resource, so it was not adopted and "
                    "nothing in it was changed. Run `pulumi up` again.",
                )
            ) from None
        warnings.append(
            _then(
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


def _changes(mirror: _Mirror, current: Mapping[str, Any]) -> dict[str, Any]:
    """The PATCH body: the fields of ``mirror`` that differ from ``current`` (never ``archived``)."""
    return {key: value for key, value in mirror.wanted().items() if _differs(current, {key: value}, key)}


def _patch(client: "ForgejoClient", full_name: str, changes: dict[str, Any]) -> dict[str, Any] | None:
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


def _kick_first_run(client: "ForgejoClient", mirror: _Mirror, repo: Mapping[str, Any]) -> list[str]:
    """Opt-in pushes for the first workflow run, which a fresh mirror never gets on its own; failures as warnings."""
    from components.forgejo_api import ForgejoApiError

    full_name = str(repo["full_name"])
    warnings: list[str] = []
    if mirror.sync_after_create:
        try:
            client.sync_mirror(full_name)
        except ForgejoApiError as error:
            warnings.append(_then(error, "The mirror still syncs at its interval; its Settings page syncs it now."))
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
            warnings.append(_then(error, f"{workflow} was not started: run it from the repository's Actions tab."))
    return warnings


def _then(error: BaseException | None, advice: str) -> str:
    """An error's text, then what follows from it."""
    return f"{str(error).rstrip('.')}. {advice}"


def _warn(message: str) -> None:
    """A warning for the user: the provider host has no engine connection, and the CLI shows its stderr."""
    print(f"warning: {message}", file=sys.stderr, flush=True)
