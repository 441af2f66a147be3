"""The mirror model: Forgejo's rules for a pull mirror, shared by the config loader and the provider's check."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from components.mirror_spec import (
    CREATE,
    EDIT,
    IN_PLACE,
    MIRROR_SERVICES,
    MirrorConfig,
    MirrorSpec,
    normalised_clone_addr,
    same_clone_addr,
)
from components.values import validation_problems
from tests.fake_forgejo import SWAGGER

GOLDENTOOTH = {
    "owner": "forgejo_admin",
    "name": "mcp",
    "cloneAddr": "https://github.com/goldentooth/mcp.git",
    "interval": "5m",
    "service": "github",
}


def problems_with(min_interval: str | None = "5m", **changes: Any) -> list[tuple[str, str]]:
    """(config key, reason) for the goldentooth mirror with ``changes`` (config names)."""
    try:
        MirrorConfig.model_validate(
            {**GOLDENTOOTH, **changes}, by_alias=True, by_name=False, context={"min_interval": min_interval}
        )
    except ValidationError as error:
        return validation_problems(error, MirrorConfig)
    return []


def fields_named(problems: list[tuple[str, str]]) -> list[str]:
    return [name for name, _ in problems]


def test_the_goldentooth_mirror_is_valid() -> None:
    assert problems_with() == []


def test_spec_defaults_match_the_documented_interface() -> None:
    spec = MirrorConfig.model_validate({"owner": "o", "name": "n", "cloneAddr": "https://example.org/r.git"})
    assert (spec.mirror_interval, spec.service, spec.has_actions, spec.private, spec.description) == (
        "8h", "git", True, False, ""
    )  # fmt: skip
    # retain: None means "as protectData says", which the Mirrors component applies.
    assert (spec.lfs, spec.wiki, spec.retain, spec.sync_after_create) == (False, False, None, False)
    assert (spec.dispatch_workflow, spec.dispatch_ref, spec.full_name) == (None, None, "o/n")


def test_every_field_is_named_as_forgejo_names_it_in_the_api() -> None:
    options = SWAGGER["definitions"]["MigrateRepoOptions"]["properties"]
    edits = SWAGGER["definitions"]["EditRepoOption"]["properties"]
    assert set(MirrorSpec.marked(CREATE, IN_PLACE)) <= set(options)
    assert set(MirrorSpec.marked(IN_PLACE, EDIT)) <= set(edits)


def test_spec_is_frozen() -> None:
    spec = MirrorSpec(repo_owner="o", repo_name="n", clone_addr="https://example.org/r.git")
    with pytest.raises(ValidationError, match="frozen"):
        spec.repo_name = "other"  # type: ignore[misc]


def test_services_are_the_swagger_enum() -> None:
    assert list(MIRROR_SERVICES) == SWAGGER["definitions"]["MigrateRepoOptions"]["properties"]["service"]["enum"]


@pytest.mark.parametrize(
    ("interval", "min_interval"),
    [("5m", "5m"), ("5m0s", "5m"), ("1h30m", "10m"), ("0", "10m"), ("0s", "1h"), ("1m", "30s")],
)
def test_intervals_at_or_above_the_minimum_or_zero_are_accepted(interval: str, min_interval: str) -> None:
    assert problems_with(min_interval, interval=interval) == []


def test_an_interval_below_the_server_minimum_is_refused_before_any_clone() -> None:
    [(name, reason)] = problems_with("10m", interval="5m")
    assert name == "interval"
    assert "'5m' is below the server's minimum mirror interval '10m'" in reason
    assert "'0' for manual sync only" in reason


def test_the_server_never_accepts_less_than_one_minute_whatever_min_interval_says() -> None:
    assert fields_named(problems_with("10s", interval="30s")) == ["interval"]


@pytest.mark.parametrize("interval", ["5x", "", "-5m", "5", "2562048h"])
def test_an_interval_that_is_not_a_go_duration_is_refused(interval: str) -> None:
    [(name, reason)] = problems_with(interval=interval)
    assert name == "interval"
    assert "Go" in reason


def test_a_minimum_that_is_not_a_duration_skips_only_the_comparison() -> None:
    assert problems_with("ten minutes") == []
    assert problems_with(None) == []


@pytest.mark.parametrize("name", ["mcp", "My_Repo-2.0", "a" * 100, "x.gitx"])
def test_repo_names_forgejo_accepts(name: str) -> None:
    assert problems_with(name=name) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("my repo", "letters, digits"),
        ("mcp/x", "letters, digits"),
        ("ünïcode", "letters, digits"),
        ("a" * 101, "at most 100"),
        (".", "reserved"),
        ("..", "reserved"),
        ("-", "reserved"),
        ("mcp.git", "reserved"),
        ("Wiki.WIKI", "reserved"),
        ("feed.rss", "reserved"),
        ("", "repository name"),
    ],
)
def test_repo_names_forgejo_refuses(name: str, expected: str) -> None:
    [(field, reason)] = problems_with(name=name)
    assert field == "name"
    assert expected in reason


@pytest.mark.parametrize("owner", ["forgejo_admin", "goldentooth", "a.b-c_d", "X1"])
def test_owner_names_forgejo_accepts(owner: str) -> None:
    assert problems_with(owner=owner) == []


@pytest.mark.parametrize("owner", ["", "-lead", "_lead", "trail.", "two..dots", "sp ace", "a/b"])
def test_owner_names_forgejo_refuses(owner: str) -> None:
    assert fields_named(problems_with(owner=owner)) == ["owner"]


@pytest.mark.parametrize(
    ("clone_addr", "expected"),
    [
        ("http://github.com/goldentooth/mcp.git", "https://"),
        ("git://github.com/goldentooth/mcp.git", "https://"),
        ("git@github.com:goldentooth/mcp.git", "https://"),
        ("https:///goldentooth/mcp.git", "host"),
        ("https://github.com:notaport/goldentooth/mcp.git", "port"),
        ("https://github.com:0/goldentooth/mcp.git", "port"),
        ("", "https:// address"),
        ("https://github.com/goldentooth/mcp.git\n", "whitespace"),
        ("https://github.com/golden\ttooth/mcp.git", "whitespace"),
        ("https://g\u0456thub.com/goldentooth/mcp.git", "non-ASCII host name"),  # a Cyrillic i
        ("https://xn--gthub-n4a.com/goldentooth/mcp.git", None),  # the same name written as IDNA: meant, so kept
    ],
)
def test_clone_addresses_that_are_refused(clone_addr: str, expected: str | None) -> None:
    problems = problems_with(cloneAddr=clone_addr, service="git")
    if expected is None:
        assert problems == []
        return
    [(field, reason)] = problems
    assert field == "cloneAddr"
    assert expected in reason


def test_credentials_in_the_clone_address_are_refused_without_repeating_them() -> None:
    [(field, reason)] = problems_with(cloneAddr="https://oauth2:ghp_SECRET123@github.com/goldentooth/mcp.git")
    assert field == "cloneAddr"
    assert "credentials" in reason
    assert "mirrorUpstreamTokens" in reason
    assert "ghp_SECRET123" not in reason


def test_an_unknown_service_is_refused() -> None:
    [(field, reason)] = problems_with(service="bitbucket")
    assert field == "service"
    assert "git, github, gitea" in reason


@pytest.mark.parametrize(
    "clone_addr",
    [
        "https://github.com/goldentooth",
        "https://github.com/goldentooth/mcp/tree/main",
        "https://github.com/",
        "https://github.com/goldentooth/mcp?tab=readme",
    ],
)
def test_a_github_service_needs_an_owner_and_repo_path(clone_addr: str) -> None:
    [(field, reason)] = problems_with(cloneAddr=clone_addr)
    assert field == "cloneAddr"
    assert "<owner>/<repo>" in reason


def test_plain_git_service_does_not_need_the_github_path_shape() -> None:
    assert problems_with(cloneAddr="https://git.example.org/deep/group/repo.git", service="git") == []


def test_description_longer_than_forgejo_allows_is_refused() -> None:
    assert problems_with(description="d" * 2048) == []
    assert fields_named(problems_with(description="d" * 2049)) == ["description"]


@pytest.mark.parametrize(
    ("workflow", "ok"), [("ci.yml", True), ("build.yaml", True), ("ci", False), ("w/ci.yml", False)]
)
def test_dispatch_workflow_is_a_workflow_file_name(workflow: str, ok: bool) -> None:
    assert (problems_with(dispatchWorkflow=workflow) == []) is ok


def test_dispatching_a_workflow_needs_actions() -> None:
    assert fields_named(problems_with(dispatchWorkflow="ci.yml", actions=False)) == ["dispatchWorkflow"]


def test_dispatch_ref_without_a_workflow_is_a_mistake() -> None:
    assert fields_named(problems_with(dispatchRef="main")) == ["dispatchRef"]
    assert problems_with(dispatchRef="main", dispatchWorkflow="ci.yml") == []


@pytest.mark.parametrize("ref", ["main", "release/1.0", "refs/tags/v1.0", "feature-x", "v1.2.3"])
def test_dispatch_refs_git_accepts(ref: str) -> None:
    assert problems_with(dispatchRef=ref, dispatchWorkflow="ci.yml") == []


@pytest.mark.parametrize(
    "ref",
    ["", "ma in", "main..next", "main~1", "a^b", "a:b", "wh?", "a*", "a[b", "a\\b", "/main", "main/", "a//b", "main.",
     "main.lock", "x/.hidden", ".hidden", "@", "a@{1}", "main\n"],
)  # fmt: skip
def test_dispatch_refs_git_refuses(ref: str) -> None:
    [(field, reason)] = problems_with(dispatchRef=ref, dispatchWorkflow="ci.yml")
    assert field == "dispatchRef"
    assert "not a git branch or tag name" in reason


def test_wrong_types_are_named_rather_than_crashing() -> None:
    problems = problems_with(actions="yes", private=1, interval=5)
    assert sorted(fields_named(problems)) == ["actions", "interval", "private"]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("https://github.com/goldentooth/mcp.git", "https://github.com/goldentooth/mcp"),
        ("https://github.com/goldentooth/mcp/", "https://GitHub.com/goldentooth/mcp.git"),
        ("https://oauth2:tok@github.com/goldentooth/mcp.git", "https://github.com/goldentooth/mcp"),
    ],
)
def test_clone_addresses_that_name_the_same_upstream(left: str, right: str) -> None:
    assert same_clone_addr(left, right)


def test_clone_addresses_of_different_upstreams() -> None:
    assert not same_clone_addr("https://github.com/goldentooth/mcp.git", "https://github.com/goldentooth/mcp2.git")
    assert not same_clone_addr("https://github.com/goldentooth/mcp", "https://gitlab.com/goldentooth/mcp")


def test_normalised_clone_addr_drops_credentials() -> None:
    assert normalised_clone_addr("https://u:p@github.com:8443/o/r.git/") == "https://github.com:8443/o/r"
