"""What a Forgejo pull mirror may look like: the spec and its validation rules.

Pure Python on purpose (no pulumi import): the config loader runs these rules
at preview time, and the mirror provider's ``check`` runs the very same rules
on the resource inputs, so a bad value fails before any request is made --
including the ones Forgejo would only refuse *after* a full clone (a mirror
interval below ``[mirror] MIN_INTERVAL`` is an HTTP 500 at the end of the
migration; notes/forgejo-api.md 3.1).

The rules follow Forgejo v13's source: repository names are ``AlphaDashDot``,
at most 100 characters and not reserved (``models/repo/repo.go``); owner names
follow ``modules/validation/helpers.go`` IsValidUsername (with dots allowed).
"""

import re
from collections.abc import Callable, Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from components import rules
from components.durations import DurationError, parse_duration

# The enum of MigrateRepoOptions.service in Forgejo 13.0.3's swagger.
MIRROR_SERVICES: tuple[str, ...] = ("git", "github", "gitea", "gitlab", "gogs", "onedev", "gitbucket", "codebase")

# Forgejo clamps [mirror] MIN_INTERVAL to at least one minute (modules/setting/mirror.go).
_SERVER_FLOOR_NANOSECONDS = parse_duration("1m")

_REPO_NAME_MAX = 100
_DESCRIPTION_MAX = 2048  # MigrateRepoOptions binding MaxSize(2048)
_REPO_NAME_CHARS = re.compile(r"[-.\w]+", re.ASCII)
_RESERVED_REPO_NAMES = frozenset({".", "..", "-"})
_RESERVED_REPO_SUFFIXES = (".git", ".wiki", ".rss", ".atom")
_OWNER_CHARS = re.compile(r"[0-9A-Za-z][-.\w]*", re.ASCII)
_OWNER_BAD_PUNCTUATION = re.compile(r"[-._]{2,}|[-._]$")
# GitHub's downloader indexes path segments 1 and 2; anything else panics or clones the wrong thing.
_GITHUB_REPO_PATH = re.compile(r"/[^/]+/[^/]+")

Problem = tuple[str, str]
"""(MirrorSpec field name, reason)."""


class MirrorSpec(NamedTuple):
    """One GitHub (or other) repository mirrored into Forgejo.

    ``retain`` is not sent to Forgejo: the Mirrors component turns it into
    Pulumi's ``retain_on_delete`` option, so removing the mirror from config
    (or destroying the stack) leaves the Forgejo repository in place. The
    config loader sets it from ``protectData`` unless the mirror says
    otherwise; only an explicit ``False`` lets the repository be deleted.
    ``sync_after_create`` and ``dispatch_workflow``/``dispatch_ref`` only act
    when the mirror is created: neither the initial clone nor enabling Actions
    produces a push event, so without one of them the first workflow run waits
    for the next upstream commit.
    """

    owner: str
    name: str
    clone_addr: str
    interval: str = "8h"
    service: str = "git"
    actions: bool = True
    private: bool = False
    description: str = ""
    lfs: bool = False
    wiki: bool = False
    retain: bool = True
    sync_after_create: bool = False
    dispatch_workflow: str | None = None
    dispatch_ref: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def mirror_spec_problems(spec: MirrorSpec, min_interval: str) -> list[Problem]:
    """Every rule ``spec`` breaks, as (field name, reason) pairs; empty when it is valid.

    ``min_interval`` is the server's ``[mirror] MIN_INTERVAL``. It must itself be
    a Go duration (validate that once, where it is read): a bad one raises
    ``DurationError`` here.
    """
    parse_duration(min_interval)
    return field_problems(spec._asdict(), min_interval)


def field_problems(values: Mapping[str, object], min_interval: str | None) -> list[Problem]:
    """Check the MirrorSpec fields present in ``values`` (keyed by MirrorSpec field names).

    A field that is absent is skipped, and so is a rule that needs it: the
    provider leaves out values that are still unknown during a preview.
    ``min_interval=None`` skips only the comparison with the server minimum.
    """
    problems: list[Problem] = []
    for name, rule in _FIELD_RULES.items():
        if name in values:
            reason = rule(values[name])
            if reason:
                problems.append((name, reason))
    bad = {name for name, _ in problems}

    interval = values.get("interval")
    if "interval" in values and "interval" not in bad and min_interval is not None:
        reason = _interval_below_minimum(str(interval), min_interval)
        if reason:
            problems.append(("interval", reason))

    github_checkable = {"service", "clone_addr"} <= values.keys() and not {"service", "clone_addr"} & bad
    if github_checkable and values["service"] == "github" and not _github_repo_url(str(values["clone_addr"])):
        problems.append(("clone_addr", "for service 'github' it must be https://<host>/<owner>/<repo>[.git]"))

    if values.get("dispatch_workflow") is not None and values.get("actions") is False:
        problems.append(("dispatch_workflow", "needs actions: true (a workflow cannot run while Actions are off)"))
    if values.get("dispatch_ref") is not None and "dispatch_workflow" in values and not values["dispatch_workflow"]:
        problems.append(("dispatch_ref", "is only used together with dispatch_workflow"))
    return problems


def normalised_clone_addr(url: str) -> str:
    """The clone address without credentials, a trailing slash or ``.git``; host in lower case.

    Forgejo reports ``original_url`` with the userinfo stripped, and
    ``.../mcp.git`` and ``.../mcp`` clone the same repository.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{parts.port}" if parts.port else host
    path = parts.path.rstrip("/")
    path = path.removesuffix(".git").rstrip("/")
    return f"{parts.scheme.lower()}://{netloc}{path}"


def same_clone_addr(left: str, right: str) -> bool:
    return normalised_clone_addr(left) == normalised_clone_addr(right)


def _github_repo_url(url: str) -> bool:
    parts = urlsplit(url)
    return bool(_GITHUB_REPO_PATH.fullmatch(parts.path)) and not parts.query and not parts.fragment


def _interval_below_minimum(interval: str, min_interval: str) -> str | None:
    nanoseconds = parse_duration(interval)
    if nanoseconds == 0:  # "0" turns periodic sync off; Forgejo accepts it whatever the minimum
        return None
    try:
        minimum = max(parse_duration(min_interval), _SERVER_FLOOR_NANOSECONDS)
    except DurationError:
        return None  # the caller reports the bad minimum itself
    if nanoseconds < minimum:
        return (
            f"{interval!r} is below the server's minimum mirror interval {min_interval!r} "
            "([mirror] MIN_INTERVAL, never below 1m); Forgejo would refuse it only after cloning. "
            "Use a longer interval, '0' for manual sync only, or lower MIN_INTERVAL"
        )
    return None


def _text(value: object) -> str | None:
    return None if isinstance(value, str) else f"must be a string, got {type(value).__name__}"


def _boolean(value: object) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {value!r}"


def _owner(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return "must be the name of an existing Forgejo user or organisation"
    if not _OWNER_CHARS.fullmatch(value) or _OWNER_BAD_PUNCTUATION.search(value):
        return (
            f"{value!r} is not a Forgejo user or organisation name: use letters, digits, '-', '_' and '.', "
            "start with a letter or digit, and do not repeat or end with '-', '_' or '.'"
        )
    return None


def _repo_name(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return "must be a repository name such as 'mcp'"
    if not _REPO_NAME_CHARS.fullmatch(value):
        return f"{value!r} may only contain letters, digits, '-', '_' and '.'"
    if len(value) > _REPO_NAME_MAX:
        return f"is {len(value)} characters long; Forgejo allows at most {_REPO_NAME_MAX}"
    lowered = value.lower()
    if lowered in _RESERVED_REPO_NAMES or lowered.endswith(_RESERVED_REPO_SUFFIXES):
        suffixes = ", ".join(_RESERVED_REPO_SUFFIXES)
        return f"{value!r} is reserved by Forgejo (not '.', '..', '-', nor ending in {suffixes})"
    return None


def _clone_addr(value: object) -> str | None:
    # Never echo the value: a URL with userinfo carries a credential.
    if not isinstance(value, str) or not value:
        return "must be the https:// address of the upstream repository"
    if not rules.single_token(value):  # urlsplit would quietly drop a tab or newline
        return "must be a URL without whitespace or control characters"
    parts = urlsplit(value)
    if "@" in parts.netloc:
        return (
            "must not contain credentials (user info before '@'): Forgejo refuses them and would store them. "
            "Give a token for a private upstream through upstream_tokens instead"
        )
    if parts.scheme != "https":
        return "must use https:// (a token for a private upstream would otherwise travel in clear text)"
    try:
        host = parts.hostname
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return "is not a valid URL"
    if not host:
        return "must name a host, such as https://github.com/<owner>/<repo>.git"
    return None


def _service(value: object) -> str | None:
    if value in MIRROR_SERVICES:
        return None
    return f"{value!r} is not a Forgejo migration service; use one of {', '.join(MIRROR_SERVICES)}"


def _interval(value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be a Go duration string such as '5m', got {value!r}"
    return rules.go_duration(value)


def _description(value: object) -> str | None:
    if not isinstance(value, str):
        return _text(value)
    if len(value) > _DESCRIPTION_MAX:
        return f"is {len(value)} characters long; Forgejo allows at most {_DESCRIPTION_MAX}"
    return None


def _workflow_file(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or "/" in value or "\\" in value:
        return "must be a workflow file name such as 'ci.yml' (Forgejo looks it up in the workflows directory)"
    if not value.endswith((".yml", ".yaml")):
        return f"{value!r} is not a workflow file: Forgejo only runs files ending in .yml or .yaml"
    return None


def _optional_ref(value: object) -> str | None:
    if value is None or (isinstance(value, str) and value):
        return None
    return "must be a branch or tag name, or left out to use the repository's default branch"


_FIELD_RULES: dict[str, Callable[[object], str | None]] = {
    "owner": _owner,
    "name": _repo_name,
    "clone_addr": _clone_addr,
    "interval": _interval,
    "service": _service,
    "actions": _boolean,
    "private": _boolean,
    "description": _description,
    "lfs": _boolean,
    "wiki": _boolean,
    "retain": _boolean,
    "sync_after_create": _boolean,
    "dispatch_workflow": _workflow_file,
    "dispatch_ref": _optional_ref,
}
