"""Pulumi dynamic provider for a Forgejo pull mirror: ``ForgejoMirrorProvider`` and ``ForgejoMirror``.

README ("Mirrors") tells the lifecycle: create adopts a mirror of the same upstream and claims the repository with a
topic, update is one PATCH of the changed fields, delete removes only a repository that still carries this resource's
claim. Once the repository exists nothing fails a create (a failed create keeps no state): a later failure is a
warning, and the next ``up`` converges. With Actions on, every sync that brings commits runs the *upstream's*
workflows on your runners as the mirror owner (go-gitea/gitea#32412): mirror only what you trust.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from components import forgejo_api as api
from components.durations import same_duration
from components.mirror_spec import CREATE, EDIT, IN_PLACE, MirrorSpec, same_clone_addr
from components.values import GoDuration, Token

if TYPE_CHECKING:
    from components.forgejo_client import ForgejoClient


class MirrorInputs(MirrorSpec, api.ApiInputs):
    """The resource's inputs: the mirror, and how to reach Forgejo's API."""

    min_interval: GoDuration = "10m"
    """The server's [mirror] MIN_INTERVAL (Forgejo's default); check refuses a shorter mirror_interval."""
    auth_token: Annotated[Token | None, CREATE] = None
    """A private upstream's token, sent as MigrateRepoOptions.auth_token; changing it replaces the mirror."""


PATCHED = MirrorInputs.marked(EDIT, IN_PLACE)  # never archived: Forgejo answers 422 for a mirror
SECRET_PROPERTIES = ("api_auth", "auth_token")
SERVER_OUTPUTS = ("full_name", "html_url", "clone_url", *PATCHED)
CLAIM_PREFIX = "pulumi-claim-"  # + 12 hex digits: a valid Forgejo topic (lower case, at most 35 characters)
_CLAIM_TOPIC = re.compile(re.escape(CLAIM_PREFIX) + "[0-9a-f]{12}")
MIGRATE_ATTEMPTS = 4  # sends of the migrate while gateways answer 502/503/504 and the repository stays absent


class MirrorError(Exception):
    """A mirror cannot be created or updated as configured; ``str()`` says what to do."""


class ForgejoMirrorProvider(api.ForgejoProvider):
    """CRUD for one Forgejo pull mirror; its id is Forgejo's repository id."""

    model = MirrorInputs
    replaced = MirrorInputs.marked(CREATE)  # no API changes a pull mirror's remote
    outputs = ("full_name", "html_url", "clone_url", "claim")
    same: ClassVar[api.Comparisons] = {
        "mirror_interval": same_duration,
        "repo_owner": api.same_name,
        "repo_name": api.same_name,
    }
    renamed: ClassVar[dict[str, str]] = {"owner": "repo_owner", "name": "repo_name", "upstream_token": "auth_token"}
    secret = "auth_token"

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(id_, olds, news)
        # Keeping owner/name means the new repository takes the old one's place: delete it first, or the
        # create would meet the old repository (409) and adopt it just before the old one is deleted.
        moved = {"repo_owner", "repo_name"} & set(result.replaces or ())
        result.delete_before_replace = bool(result.replaces) and not moved
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        mirror: MirrorInputs = self.read_inputs(props)
        with self.client(props) as client:
            client.wait_until_ready()
            repo, adopted = _migrate_or_adopt(client, mirror)
            # The repository exists now, and a failed create keeps no state: from here on, only an adoption
            # whose claim cannot be written may fail (the repository was there before).
            claim = _claim(client, repo, adopted)
            try:
                repo = _patch(client, repo["full_name"], _changes(mirror, self.server_state(repo))) or repo
            except (api.ForgejoApiError, MirrorError) as error:
                api.warn(error, "The state holds what Forgejo has, so the next `pulumi up` tries again.")
            _kick_first_run(client, mirror, repo)
        return CreateResult(str(repo["id"]), {**props, **self.server_state(repo), "claim": claim})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = self.current(props)
        with self.client(props) as client:
            repo = client.get_repo(int(id_) if id_.isdigit() else self.subject(props))
        return self.found(props, repo, *PATCHED)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds = self.current(olds)
        kept = {key: olds[key] for key in (*SERVER_OUTPUTS, "claim") if key in olds}
        if not (changes := _changes(self.read_inputs(news), kept)):  # e.g. new credentials or timeouts only
            return UpdateResult({**news, **kept})
        with self.client(news, target := self.subject(olds)) as client:
            repo = _patch(client, target, changes)
        return UpdateResult({**news, **kept, **self.server_state(repo or {})})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        props = self.current(props)
        if not id_.isdigit():
            api.warn(
                f"{self.subject(props)}: left in Forgejo, not deleted: the state holds no repository id ({id_!r})."
            )
            return
        with self.client(props) as client:
            # By id, from the configured origin only: it follows a rename made in the UI.
            if (repo := client.get_repo(int(id_))) is None:
                return  # already gone
            if reason := _not_ours(repo, str(api.plain(props.get("claim")) or "")):
                api.warn(f"{repo['full_name']}: left in Forgejo, not deleted: {reason}")
            else:
                client.delete_repo(repo["full_name"])

    def subject(self, props: dict[str, Any]) -> str:
        """Where the repository was last seen: the server's full_name, else owner/name from the inputs."""
        owner_name = f"{api.plain(props.get('repo_owner'))}/{api.plain(props.get('repo_name'))}"
        return str(api.plain(props.get("full_name")) or owner_name)

    def server_state(self, repo: dict[str, Any]) -> dict[str, Any]:
        """The outputs as Forgejo reports them (mirror_interval in Go's canonical form)."""
        return {key: api.REPOSITORY_FIELDS[key](repo.get(key) or "") for key in SERVER_OUTPUTS}


class ForgejoMirror(api.ForgejoResource, module="forgejo", name="Mirror"):
    """A Forgejo pull mirror (type ``pulumi-python:dynamic/forgejo:Mirror``); its id is Forgejo's repository id. Its
    further inputs are ``min_interval`` (the server's) and ``auth_token`` (a private upstream's, or None)."""

    provider_class = ForgejoMirrorProvider
    spec_model = MirrorSpec
    secret_properties = SECRET_PROPERTIES
    unset = ("full_name", "html_url", "clone_url")

    html_url: pulumi.Output[str]
    clone_url: pulumi.Output[str]
    has_actions: pulumi.Output[bool]
    mirror_interval: pulumi.Output[str]
    """As Forgejo reports it, in Go's canonical form: "5m" reads back as "5m0s"."""


def _migrate_or_adopt(client: ForgejoClient, mirror: MirrorInputs) -> tuple[dict[str, Any], bool]:
    """The repository, migrated now or adopted (True: it may have existed before). A migrate whose answer a gateway
    replaced or cut off is looked after before it is sent again, so a hiccup makes neither a failure nor a second
    repository: absent, send it again once /version answers; present, adopt it."""
    options = {**mirror.model_dump(include={*MirrorInputs.marked(CREATE, IN_PLACE)}, exclude_none=True), "mirror": True}
    lost: api.MigrateAnswerLost | None = None
    for _ in range(MIGRATE_ATTEMPTS):
        if lost is not None:
            client.wait_until_ready()
        try:
            return client.migrate(options), False
        except api.MigrateAnswerLost as error:
            if not error.resendable:  # timed out: Forgejo may still be cloning
                return client.wait_for_migration(str(error)), False
            if (existing := client.get_repo(mirror.full_name)) is not None:
                return _adopt(client, mirror, existing), True
            lost = error
        except api.ForgejoApiError as error:
            if error.status != 409:
                raise
            return _adopt(client, mirror, client.get_repo(mirror.full_name)), True
    advice = (
        f"The repository is still absent after {MIGRATE_ATTEMPTS} attempts, so Forgejo never got the request. "
        "Run `pulumi up` again once Forgejo answers through the gateway."
    )
    raise MirrorError(api.then(lost, advice))


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
    if not same_clone_addr(upstream := str(existing.get("original_url", "")), mirror.clone_addr):
        raise MirrorError(
            f"{mirror.full_name} already exists in Forgejo as a mirror of {upstream or 'an unknown address'}, "
            f"not of {mirror.clone_addr}. {way_out}"
        )
    if not existing.get("mirror_interval") or existing.get("empty"):  # still cloning, or nothing cloned yet
        return client.wait_for_migration(f"{mirror.full_name} exists in Forgejo but is still being migrated or empty")
    return existing


def _claim(client: ForgejoClient, repo: dict[str, Any], adopted: bool) -> str:
    """Write a new claim topic into the repository, replacing any other claim; return it ("" if unwritten).
    When a URN changes without an alias, the engine creates the new resource (which adopts the repository) before
    it deletes the old one, which names the same repository: the claim tells the old one to leave it."""
    claim = f"{CLAIM_PREFIX}{secrets.token_hex(6)}"
    topics = [topic for topic in repo.get("topics") or [] if not _CLAIM_TOPIC.fullmatch(topic)]
    try:
        client.set_topics(repo["full_name"], [*topics, claim])
    except api.ForgejoApiError as error:
        if adopted:  # the old resource's claim is still on it: adopting without ours would let it delete
            advice = (
                "The repository exists, but could not be claimed for this resource, so it was not adopted and nothing "
                "in it was changed. Run `pulumi up` again."
            )
            raise MirrorError(api.then(error, advice)) from None
        api.warn(
            error,
            "The mirror was created but carries no claim: deleting this resource deletes the repository only while no "
            "other resource claims it.",
        )
        return ""
    return claim


def _not_ours(repo: dict[str, Any], claim: str) -> str | None:
    """Why ``delete`` must leave ``repo`` alone, or None when it carries this resource's claim (or, for a state from
    before claims, when nobody claimed it)."""
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


def _changes(mirror: MirrorInputs, current: dict[str, Any]) -> dict[str, Any]:
    """The PATCH body: the fields of ``mirror`` that differ from ``current``."""
    wanted = {key: getattr(mirror, key) for key in PATCHED}
    return {key: value for key, value in wanted.items() if ForgejoMirrorProvider().differs(current, wanted, key)}


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


def _kick_first_run(client: ForgejoClient, mirror: MirrorInputs, repo: dict[str, Any]) -> None:
    """Opt-in pushes for the first workflow run, which a fresh mirror never gets on its own (neither the clone nor
    enabling Actions makes a push event); failures are warnings."""
    full_name = repo["full_name"]
    if mirror.sync_after_create:
        try:
            client.sync_mirror(full_name)
        except api.ForgejoApiError as error:
            api.warn(error, "The mirror still syncs at its interval; its Settings page syncs it now.")
    if not (workflow := mirror.dispatch_workflow):
        return
    if not (ref := mirror.dispatch_ref or repo.get("default_branch")):
        api.warn(
            f"{full_name}: the mirror has no default branch yet, so {workflow} was not started; "
            "set dispatchRef, or run it from the repository's Actions tab."
        )
        return
    try:
        client.dispatch_workflow(full_name, workflow, str(ref))
    except api.ForgejoApiError as error:
        api.warn(error, f"{workflow} was not started: run it from the repository's Actions tab.")
