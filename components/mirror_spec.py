"""One Forgejo pull mirror, declared once, in Forgejo's own names (MigrateRepoOptions, EditRepoOption).

The same fields are the mirror's config (camelCase aliases: ``cloneAddr``, ``owner``, ``interval``...), the
Mirrors component's spec, the dynamic provider's inputs and the API bodies: a new field is one line here, marked
with how Forgejo takes it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator

from components.durations import parse_duration
from components.values import CloneAddr, ForgejoName, GitRef, GoDuration, Model, RepoName, one_of, rule

CREATE = "create"
"""Sent with ``POST /repos/migrate``; a change needs a new repository (no API changes a pull mirror's remote)."""
IN_PLACE = "in place"
"""Sent with ``POST /repos/migrate``, and changed in place with one ``PATCH``."""
EDIT = "edit"
"""Not a migrate option: set with ``PATCH`` after the migrate (a new mirror starts with Actions off)."""
# The enum of MigrateRepoOptions.service in Forgejo 13.0.3's swagger.
MIRROR_SERVICES = ("git", "github", "gitea", "gitlab", "gogs", "onedev", "gitbucket", "codebase")


def _workflow_file(value: str) -> str | None:
    if value and "/" not in value and "\\" not in value and value.endswith((".yml", ".yaml")):
        return None
    return f"{value!r} is not a workflow file name such as 'ci.yml' (Forgejo runs .yml and .yaml files)"


class MirrorSpec(Model):
    """A repository mirrored into Forgejo. ``sync_after_create`` and ``dispatch_*`` act once, on create: neither the
    clone nor enabling Actions makes a push event, so without them the first run waits for an upstream commit."""

    service: Annotated[str, one_of(*MIRROR_SERVICES, what="a Forgejo migration service; use one of"), CREATE] = "git"
    clone_addr: Annotated[CloneAddr, CREATE]
    repo_owner: Annotated[ForgejoName, CREATE] = Field(alias="owner")
    repo_name: Annotated[RepoName, CREATE] = Field(alias="name")
    mirror_interval: Annotated[GoDuration, IN_PLACE] = Field("8h", alias="interval")
    private: Annotated[bool, IN_PLACE] = False
    description: Annotated[  # MigrateRepoOptions binding MaxSize(2048)
        str,
        rule(lambda v: f"is {len(v)} characters long; Forgejo allows at most 2048" if len(v) > 2048 else None),
        IN_PLACE,
    ] = ""
    lfs: Annotated[bool, CREATE] = False
    wiki: Annotated[bool, CREATE] = False
    has_actions: Annotated[bool, EDIT] = Field(True, alias="actions")
    sync_after_create: bool = False
    dispatch_workflow: Annotated[str, rule(_workflow_file)] | None = None
    dispatch_ref: GitRef | None = None

    @property
    def full_name(self) -> str:
        return f"{self.repo_owner}/{self.repo_name}"

    @classmethod
    def marked(cls, *markers: str) -> tuple[str, ...]:
        return tuple(name for name, field in cls.model_fields.items() if set(markers) & set(field.metadata))

    @field_validator("mirror_interval")
    @classmethod
    def _not_below_minimum(cls, value: str, info: ValidationInfo) -> str:
        minimum = (info.context or {}).get("min_interval")
        try:
            floor = max(parse_duration(str(minimum)), 60 * 10**9)  # Forgejo never takes less than 1m
        except (ValueError, TypeError):
            return value  # unknown at preview, or refused where it is set
        if 0 < parse_duration(value) < floor:  # "0": no periodic sync, whatever the minimum
            raise ValueError(
                f"{value!r} is below the server's minimum mirror interval {minimum!r} ([mirror] MIN_INTERVAL, never "
                "below 1m); Forgejo would refuse it only after cloning. Use a longer interval, '0' for manual sync "
                "only, or lower MIN_INTERVAL"
            )
        return value

    @field_validator("clone_addr", "dispatch_workflow", "dispatch_ref")
    @classmethod
    def _related(cls, value: Any, info: ValidationInfo) -> Any:
        """The rules that relate a field to fields before it (absent from ``info.data`` when they failed their own)."""
        data = info.data
        match info.field_name:
            # GitHub's downloader reads path segments 1 and 2; anything else panics or clones the wrong thing.
            case "clone_addr" if data.get("service") == "github" and (
                not re.fullmatch(r"/[^/]+/[^/]+", (parts := urlsplit(value)).path) or parts.query or parts.fragment
            ):
                raise ValueError("for service 'github' it must be https://<host>/<owner>/<repo>[.git]")
            case "dispatch_workflow" if value is not None and data.get("has_actions") is False:
                raise ValueError("needs actions: true (a workflow cannot run while Actions are off)")
            case "dispatch_ref" if value is not None and "dispatch_workflow" in data and not data["dispatch_workflow"]:
                raise ValueError("is only used together with dispatchWorkflow")
        return value


class MirrorConfig(MirrorSpec):
    """A mirror as configured: ``retain`` (default: protectData) becomes Pulumi's ``retain_on_delete``."""

    retain: bool | None = None


def normalised_clone_addr(url: str) -> str:
    """Without credentials, trailing slash or ``.git``, host in lower case: Forgejo's ``original_url`` drops the
    user info, and ``.../mcp.git`` and ``.../mcp`` clone the same repository."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{parts.port}" if parts.port else host
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/').removesuffix('.git').rstrip('/')}"


def same_clone_addr(left: str, right: str) -> bool:
    return normalised_clone_addr(left) == normalised_clone_addr(right)
