"""ForgejoMirrorProvider's methods, called directly against the loopback fake Forgejo."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi.runtime import rpc

from components.forgejo_api import ForgejoApiError
from components.mirror_provider import (
    MIGRATE_ATTEMPTS,
    ForgejoMirrorProvider,
    MirrorError,
)
from tests.conftest_mirrors import (
    ADMIN_PASSWORD,
    CLONE_ADDR,
    MIGRATE_OPTIONS,
    UPSTREAM_TOKEN,
    checked_props,
    raw_props,
    running_fake,
)
from tests.fake_forgejo import FakeForgejo, Reply, SlowMigration

PROVIDER = ForgejoMirrorProvider()
VERSION = ("GET", "/api/v1/version")
MIGRATE = ("POST", "/api/v1/repos/migrate")
REPO_PATH = "/api/v1/repos/forgejo_admin/mcp"
TOPICS = ("PUT", f"{REPO_PATH}/topics")
CLAIM = re.compile(r"pulumi-claim-[0-9a-f]{12}")
CLOSED_PORT_URL = "http://127.0.0.1:9/api/v1"  # discard port: nothing listens, any request would fail


@pytest.fixture
def fake() -> Iterator[FakeForgejo]:
    with running_fake() as server:
        yield server


def create(fake: FakeForgejo, **overrides: Any) -> tuple[str, dict[str, Any]]:
    result = PROVIDER.create(checked_props(fake.api_url, **overrides))
    return result.id, result.outs or {}


def after_readiness(fake: FakeForgejo) -> list[tuple[str, str]]:
    calls = fake.calls()
    assert calls[0] == VERSION, "create must first wait for the API"
    return calls[1:]


def test_the_provider_has_no_instance_state() -> None:
    # dill pickles the instance into state: anything stored on it would end up there.
    assert vars(ForgejoMirrorProvider()) == {}


# -- check -----------------------------------------------------------------


def test_check_accepts_the_goldentooth_mirror_and_fills_defaults() -> None:
    result = PROVIDER.check({}, raw_props(CLOSED_PORT_URL))
    assert result.failures == []
    defaults = {"insecure": False, "private": False, "description": "", "lfs": False, "wiki": False,
                "has_actions": True, "sync_after_create": False}  # fmt: skip
    assert result.inputs == {**defaults, **raw_props(CLOSED_PORT_URL)}
    assert (result.inputs["has_actions"], result.inputs["lfs"], result.inputs["wiki"]) == (True, False, False)


def test_check_reports_problems_under_the_providers_property_names() -> None:
    news = raw_props(CLOSED_PORT_URL, mirror_interval="1m", min_interval="5m", has_actions="yes", repo_name="a b")
    failures = {failure.property: failure.reason for failure in PROVIDER.check({}, news).failures}
    assert sorted(failures) == ["has_actions", "mirror_interval", "repo_name"]
    assert "below the server's minimum mirror interval '5m'" in failures["mirror_interval"]


def test_check_allows_manual_sync_only() -> None:
    assert PROVIDER.check({}, raw_props(CLOSED_PORT_URL, mirror_interval="0", min_interval="1h")).failures == []


@pytest.mark.parametrize(
    ("override", "prop"),
    [
        ({"api_url": "ftp://forgejo"}, "api_url"),
        ({"api_url": "https://admin:pw@forgejo/api/v1"}, "api_url"),
        ({"api_url": "https://git.goldentooth.net/api/v1\n"}, "api_url"),
        ({"api_auth": {"username": "forgejo_admin"}}, "api_auth"),
        ({"api_auth": {"token": ""}}, "api_auth"),
        ({"auth_token": ""}, "auth_token"),
        ({"auth_token": "two words"}, "auth_token"),
        ({"ca_bundle": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}, "ca_bundle"),
        ({"api_url": "https://git.goldentooth.net/?token=x"}, "api_url"),
        ({"dispatch_workflow": "ci.yml", "dispatch_ref": "a..b"}, "dispatch_ref"),
        ({"ca_bundle": "not a pem"}, "ca_bundle"),
        ({"min_interval": "soon"}, "min_interval"),
        ({"request_timeout": 0}, "request_timeout"),
        ({"service": "svn"}, "service"),
        ({"clone_addr": "https://github.com/goldentooth"}, "clone_addr"),
    ],
)
def test_check_refuses_bad_inputs(override: dict[str, Any], prop: str) -> None:
    assert [f.property for f in PROVIDER.check({}, raw_props(CLOSED_PORT_URL, **override)).failures] == [prop]


@pytest.mark.parametrize("size", [1024, 1048576.0])  # numbers cross the wire as floats
def test_check_accepts_a_whole_max_response_bytes(size: float) -> None:
    assert PROVIDER.check({}, raw_props(CLOSED_PORT_URL, max_response_bytes=size)).failures == []


@pytest.mark.parametrize("size", [0, 1023, 2048.5, "4MiB", True])
def test_check_refuses_a_max_response_bytes_that_is_not_a_whole_number_of_bytes(size: object) -> None:
    [failure] = PROVIDER.check({}, raw_props(CLOSED_PORT_URL, max_response_bytes=size)).failures
    assert (failure.property, failure.reason) == (
        "max_response_bytes",
        "must be a whole number of bytes, at least 1024",
    )


def test_check_requires_the_identifying_inputs() -> None:
    news = raw_props(CLOSED_PORT_URL)
    del news["repo_owner"], news["api_auth"]
    assert sorted(f.property for f in PROVIDER.check({}, news).failures) == ["api_auth", "repo_owner"]


def test_check_skips_values_unknown_during_preview() -> None:
    news = raw_props(
        CLOSED_PORT_URL,
        api_auth={"username": "forgejo_admin", "password": Unknown()},
        clone_addr=Unknown(),
        mirror_interval=rpc.wrap_rpc_secret(Unknown()),
        min_interval=Unknown(),
    )
    assert PROVIDER.check({}, news).failures == []


def test_secrets_wrapped_inside_api_auth_are_unwrapped(fake: FakeForgejo) -> None:
    api_auth = {"username": "forgejo_admin", "password": rpc.wrap_rpc_secret(ADMIN_PASSWORD)}
    news = checked_props(fake.api_url, api_auth=api_auth)
    assert PROVIDER.create(news).id == "1"


def test_check_validates_secret_wrapped_inputs_without_repeating_them() -> None:
    news = raw_props(CLOSED_PORT_URL, api_auth=rpc.wrap_rpc_secret({"password": ADMIN_PASSWORD}))
    [failure] = PROVIDER.check({}, news).failures
    assert failure.property == "api_auth"
    assert ADMIN_PASSWORD not in failure.reason


def test_check_makes_no_request(fake: FakeForgejo) -> None:
    [failure] = PROVIDER.check({}, raw_props(fake.api_url, mirror_interval="1m")).failures
    assert failure.property == "mirror_interval"
    assert fake.calls() == []


# -- diff (pure: no network) -------------------------------------------------


def state_and_news(**news_changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stored state as create leaves it (server's canonical interval) and new checked inputs."""
    news = checked_props(CLOSED_PORT_URL)
    state = {**news, "mirror_interval": "5m0s", "full_name": "forgejo_admin/mcp", "html_url": "h", "clone_url": "c"}
    return state, {**news, **news_changes}


def test_diff_sees_no_change_between_5m_and_5m0s() -> None:
    state, news = state_and_news()
    result = PROVIDER.diff("1", state, news)
    assert (result.changes, result.replaces) == (False, [])


@pytest.mark.parametrize(
    ("change", "replaced"),
    [
        ({"clone_addr": "https://github.com/goldentooth/other.git"}, ["clone_addr"]),
        ({"service": "git"}, ["service"]),
        ({"lfs": True}, ["lfs"]),
        ({"wiki": True}, ["wiki"]),
        ({"auth_token": UPSTREAM_TOKEN}, ["auth_token"]),
    ],
)
def test_diff_replaces_in_place_first_deleting_when_the_repo_keeps_its_name(
    change: dict[str, Any], replaced: list[str]
) -> None:
    state, news = state_and_news(**change)
    result = PROVIDER.diff("1", state, news)
    assert (result.changes, result.replaces, result.delete_before_replace) == (True, replaced, True)


@pytest.mark.parametrize(
    ("change", "replaced"), [({"repo_name": "mcp2"}, ["repo_name"]), ({"repo_owner": "goldentooth"}, ["repo_owner"])]
)
def test_diff_replaces_a_renamed_mirror_creating_the_new_one_first(change: dict[str, Any], replaced: list[str]) -> None:
    state, news = state_and_news(**change)
    result = PROVIDER.diff("1", state, news)
    assert (result.changes, result.replaces, result.delete_before_replace) == (True, replaced, False)


@pytest.mark.parametrize(
    "change",
    [
        {"mirror_interval": "10m"},
        {"has_actions": False},
        {"private": True},
        {"description": "mirror"},
        {"api_auth": {"token": "new"}},
        {"api_url": "https://git.goldentooth.net/api/v1"},
        {"ca_bundle": "-----BEGIN CERTIFICATE-----"},
        {"request_timeout": 9.0},
    ],
)
def test_diff_updates_in_place(change: dict[str, Any]) -> None:
    state, news = state_and_news(**change)
    result = PROVIDER.diff("1", state, news)
    assert (result.changes, result.replaces) == (True, [])


@pytest.mark.parametrize("change", [{"repo_owner": "Forgejo_Admin"}, {"repo_name": "MCP"}])
def test_diff_ignores_a_change_of_case_in_owner_and_name(change: dict[str, Any]) -> None:
    state, news = state_and_news(**change)  # Forgejo's names are case-insensitive: it is the same repository
    assert PROVIDER.diff("1", state, news).changes is False


def test_diff_ignores_the_claim_which_is_state_only() -> None:
    state, news = state_and_news()
    assert PROVIDER.diff("1", {**state, "claim": "pulumi-claim-0123456789ab"}, news).changes is False


def test_diff_treats_an_unknown_replacing_input_as_a_replacement() -> None:
    state, news = state_and_news(clone_addr=Unknown())
    assert PROVIDER.diff("1", state, news).replaces == ["clone_addr"]


def test_diff_compares_secret_wrapped_values_by_content() -> None:
    state, news = state_and_news()
    state["auth_token"], news["auth_token"] = UPSTREAM_TOKEN, rpc.wrap_rpc_secret(UPSTREAM_TOKEN)
    assert PROVIDER.diff("1", state, news).changes is False


def legacy(props: dict[str, Any]) -> dict[str, Any]:
    """A state as stacks made before the mirror model kept it: owner, name and upstream_token."""
    renamed = {"repo_owner": "owner", "repo_name": "name", "auth_token": "upstream_token"}
    return {renamed.get(key, key): value for key, value in props.items()}


def test_a_state_from_before_the_mirror_model_shows_no_change_and_reads_in_todays_names(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake, auth_token=rpc.wrap_rpc_secret(UPSTREAM_TOKEN))
    old = legacy(outs)
    news = checked_props(fake.api_url, auth_token=rpc.wrap_rpc_secret(UPSTREAM_TOKEN))
    assert PROVIDER.diff(repo_id, old, news).changes is False
    read = PROVIDER.read(repo_id, old)
    assert {"repo_owner", "repo_name", "auth_token"} <= set(read.inputs or {})
    assert not {"owner", "name", "upstream_token"} & set(read.outs or {})
    PROVIDER.delete(repo_id, old)
    assert fake.repos == {}


def test_check_then_diff_for_an_unchanged_up_makes_no_request(fake: FakeForgejo) -> None:
    _, outs = create(fake)
    fake.clear_log()
    checked = PROVIDER.check(outs, raw_props(fake.api_url)).inputs
    assert PROVIDER.diff("1", outs, checked).changes is False
    assert fake.calls() == []


# -- create ----------------------------------------------------------------


def test_create_migrates_claims_then_enables_actions_in_one_patch(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    assert after_readiness(fake) == [MIGRATE, TOPICS, ("PATCH", REPO_PATH)]
    assert fake.bodies(*MIGRATE) == [MIGRATE_OPTIONS]
    # Actions start off on a mirror, and the github service imported GitHub's description over the empty one.
    assert fake.bodies("PATCH", REPO_PATH) == [{"has_actions": True, "description": ""}]
    assert repo_id == "1"
    assert {key: outs[key] for key in ("full_name", "html_url", "clone_url", "has_actions", "mirror_interval")} == {
        "full_name": "forgejo_admin/mcp",
        "html_url": f"{fake.url}/forgejo_admin/mcp",
        "clone_url": f"{fake.url}/forgejo_admin/mcp.git",
        "has_actions": True,
        "mirror_interval": "5m0s",
    }
    # The claim: in the state, and in the repository beside the topics GitHub's import brought.
    assert CLAIM.fullmatch(outs["claim"])
    assert fake.bodies(*TOPICS) == [{"topics": ["mcp", "model-context-protocol", outs["claim"]]}]
    assert fake.repos[1]["topics"] == ["mcp", "model-context-protocol", outs["claim"]]


def test_every_resource_gets_its_own_claim(fake: FakeForgejo) -> None:
    _, first = create(fake)
    _, second = create(fake, repo_name="gitops")
    assert first["claim"] != second["claim"]


def test_create_sends_no_patch_when_the_server_already_matches(fake: FakeForgejo) -> None:
    fake.actions_on_new_mirrors = True  # e.g. DEFAULT_MIRROR_REPO_UNITS includes repo.actions
    create(fake, service="git")
    assert after_readiness(fake) == [MIGRATE, TOPICS]


def test_create_leaves_actions_off_when_not_wanted(fake: FakeForgejo) -> None:
    _, outs = create(fake, has_actions=False, service="git")
    assert after_readiness(fake) == [MIGRATE, TOPICS]
    assert outs["has_actions"] is False


def test_actions_disabled_server_wide_is_a_warning_on_create_and_an_error_on_update(
    fake: FakeForgejo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.actions_enabled = False
    repo_id, outs = create(fake)  # the repository exists: failing now would leave it outside the state
    assert "Actions are disabled server-wide" in capsys.readouterr().err
    assert outs["has_actions"] is False  # what Forgejo has, so the next diff shows the difference
    news = checked_props(fake.api_url)
    assert PROVIDER.diff(repo_id, outs, news).changes is True
    with pytest.raises(MirrorError, match="Actions are disabled server-wide") as raised:
        PROVIDER.update(repo_id, outs, news)
    assert "set actions: false for this mirror" in str(raised.value)


def test_create_passes_the_upstream_token_for_a_private_upstream(fake: FakeForgejo) -> None:
    create(fake, auth_token=rpc.wrap_rpc_secret(UPSTREAM_TOKEN))
    [body] = fake.bodies(*MIGRATE)
    assert body["auth_token"] == UPSTREAM_TOKEN


def test_create_adopts_an_existing_mirror_of_the_same_upstream_with_one_patch(fake: FakeForgejo) -> None:
    existing = fake.add_repo(
        "forgejo_admin", "mcp", original_url="https://github.com/goldentooth/mcp", mirror_interval="8h0m0s",
        private=True, description="old",
    )  # fmt: skip
    repo_id, outs = create(fake)
    assert after_readiness(fake) == [MIGRATE, ("GET", REPO_PATH), TOPICS, ("PATCH", REPO_PATH)]
    assert fake.bodies("PATCH", REPO_PATH) == [
        {"has_actions": True, "mirror_interval": "5m", "private": False, "description": ""}
    ]
    assert repo_id == str(existing["id"])
    assert (outs["mirror_interval"], outs["private"], outs["has_actions"]) == ("5m0s", False, True)


def test_create_refuses_to_adopt_a_repository_that_is_not_a_mirror(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", mirror=False)
    with pytest.raises(MirrorError) as raised:
        create(fake)
    message = str(raised.value)
    assert "forgejo_admin/mcp already exists in Forgejo and is not a pull mirror" in message
    assert "change `name` for forgejo_admin/mcp in the mirrors config" in message
    assert "delete the existing repository forgejo_admin/mcp in Forgejo" in message
    assert fake.writes()[-1].method == "POST"  # nothing was changed on the existing repository


def test_create_refuses_to_adopt_a_mirror_of_another_upstream(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url="https://github.com/someone/else.git")
    with pytest.raises(MirrorError, match=re.escape("as a mirror of https://github.com/someone/else.git, not of")):
        create(fake)


def test_create_follows_a_migration_that_outlasts_the_request_timeout(fake: FakeForgejo) -> None:
    fake.script(*MIGRATE, SlowMigration(delay=0.35))
    _, outs = create(fake, migrate_timeout=0.15, retry_backoff_factor=0.01)
    assert outs["mirror_interval"] == "5m0s"
    assert fake.count(*MIGRATE) == 1
    assert fake.bodies("PATCH", REPO_PATH) == [{"has_actions": True, "description": ""}]


def test_create_can_kick_the_first_run_by_sync_and_workflow_dispatch(fake: FakeForgejo) -> None:
    create(fake, sync_after_create=True, dispatch_workflow="ci.yml")
    dispatch = f"{REPO_PATH}/actions/workflows/ci.yml/dispatches"
    assert after_readiness(fake) == [MIGRATE, TOPICS, ("PATCH", REPO_PATH), ("POST", f"{REPO_PATH}/mirror-sync"),
                                     ("POST", dispatch)]  # fmt: skip
    assert fake.bodies("POST", dispatch) == [{"ref": "main"}]  # the repository's default branch


def test_create_dispatches_on_the_configured_ref(fake: FakeForgejo) -> None:
    create(fake, dispatch_workflow="ci.yml", dispatch_ref="release")
    assert fake.bodies("POST", f"{REPO_PATH}/actions/workflows/ci.yml/dispatches") == [{"ref": "release"}]


def test_create_surfaces_forgejos_422_with_the_repo_and_call(fake: FakeForgejo) -> None:
    fake.script(*MIGRATE, Reply(422, {"message": "You can not import from disallowed hosts."}))
    with pytest.raises(ForgejoApiError) as raised:
        create(fake)
    assert str(raised.value) == (
        "forgejo_admin/mcp: POST /api/v1/repos/migrate failed with HTTP 422: You can not import from disallowed hosts."
    )


# -- create: gateway hiccups on migrate look before resending -----------------


def test_two_gateway_503s_on_migrate_do_not_fail_the_first_up(fake: FakeForgejo) -> None:
    fake.script(*MIGRATE, Reply(503, "no healthy upstream"), Reply(503, "no healthy upstream"))
    repo_id, outs = create(fake)
    look = ("GET", REPO_PATH)
    assert after_readiness(fake) == [MIGRATE, look, VERSION, MIGRATE, look, VERSION, MIGRATE, TOPICS,
                                     ("PATCH", REPO_PATH)]  # fmt: skip
    assert list(fake.repos) == [int(repo_id)]
    assert outs["mirror_interval"] == "5m0s"


def test_a_gateway_error_after_forgejo_made_the_repository_adopts_it_without_resending(fake: FakeForgejo) -> None:
    fake.script(*MIGRATE, Reply(502, "upstream reset"))
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR, mirror_interval="5m0s")  # it went through after all
    repo_id, outs = create(fake)
    assert fake.count(*MIGRATE) == 1
    assert list(fake.repos) == [int(repo_id)]
    assert CLAIM.fullmatch(outs["claim"])


def test_a_connection_reset_while_forgejo_clones_waits_for_the_clone(fake: FakeForgejo) -> None:
    fake.script(*MIGRATE, SlowMigration(delay=0.3, drop_connection=True))
    repo_id, outs = create(fake, retry_backoff_factor=0.01)  # polls every 0.1 s
    assert fake.count(*MIGRATE) == 1
    assert list(fake.repos) == [int(repo_id)]
    assert (outs["mirror_interval"], fake.repos[int(repo_id)]["empty"]) == ("5m0s", False)


def test_a_gateway_that_never_lets_migrate_through_fails_after_bounded_attempts(fake: FakeForgejo) -> None:
    fake.script(*MIGRATE, *[Reply(503, "no healthy upstream")] * MIGRATE_ATTEMPTS)
    with pytest.raises(MirrorError) as raised:
        create(fake)
    assert fake.count(*MIGRATE) == MIGRATE_ATTEMPTS
    assert fake.repos == {}
    assert str(raised.value) == (
        "forgejo_admin/mcp: POST /api/v1/repos/migrate failed with HTTP 503: no healthy upstream. "
        f"The repository is still absent after {MIGRATE_ATTEMPTS} attempts, so Forgejo never got the request. "
        "Run `pulumi up` again once Forgejo answers through the gateway."
    )


def test_a_timed_out_migrate_still_running_after_the_wait_says_what_to_run(fake: FakeForgejo) -> None:
    fake.script(*MIGRATE, SlowMigration(delay=1.0))
    with pytest.raises(ForgejoApiError) as raised:
        create(fake, migrate_timeout=0.1)  # and polls of 10 ms, 0.3 s in all
    assert fake.count(*MIGRATE) == 1
    message = str(raised.value)
    assert message.startswith("forgejo_admin/mcp: POST /api/v1/repos/migrate got no answer within 0.1 s, and ")
    assert "Run `pulumi up` again once its page in Forgejo lists branches: the mirror will be adopted then." in message


# -- create: adoption waits for the repository and claims it ------------------


def later(seconds: float, change: Any) -> threading.Timer:
    timer = threading.Timer(seconds, change)
    timer.start()
    return timer


@pytest.mark.parametrize(
    ("state", "done"),
    [
        ({"mirror_interval": "", "empty": True}, {"mirror_interval": "8h0m0s", "empty": False}),
        ({"empty": True}, {"empty": False}),
    ],
    ids=["mid-migration", "empty"],
)
def test_adopting_a_repository_still_migrating_or_empty_waits_for_it(
    fake: FakeForgejo, state: dict[str, Any], done: dict[str, Any]
) -> None:
    existing = fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    existing.update(state)
    timer = later(0.3, lambda: existing.update(done))
    _, outs = create(fake, retry_backoff_factor=0.01)  # polls every 0.1 s
    timer.join()
    assert fake.count("GET", REPO_PATH) >= 3  # the 409's look, then polls until it was done
    assert fake.count(*MIGRATE) == 1
    assert outs["mirror_interval"] == "5m0s"  # adopted, then patched to the configured interval


def test_adoption_replaces_another_resources_claim_and_keeps_the_other_topics(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR, topics=("mcp", "pulumi-claim-aaaaaaaaaaaa"))
    _, outs = create(fake)
    assert fake.repos[1]["topics"] == ["mcp", outs["claim"]]
    assert outs["claim"] != "pulumi-claim-aaaaaaaaaaaa"


def test_an_adoption_that_cannot_be_claimed_fails_and_changes_nothing(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR, topics=("pulumi-claim-aaaaaaaaaaaa",))
    fake.script(*TOPICS, Reply(500, {"message": "database is locked"}))
    with pytest.raises(MirrorError) as raised:
        create(fake)
    assert str(raised.value).startswith(
        "forgejo_admin/mcp: PUT /api/v1/repos/forgejo_admin/mcp/topics failed with HTTP 500: database is locked. "
        "The repository exists, but could not be claimed for this resource, so it was not adopted"
    )
    assert [r.method for r in fake.writes()] == ["POST", "PUT"]  # no PATCH
    assert fake.repos[1]["topics"] == ["pulumi-claim-aaaaaaaaaaaa"]


# -- create: once the repository exists, nothing leaves it outside the state --


def test_a_failed_patch_after_migrate_is_a_warning_and_the_next_up_converges(
    fake: FakeForgejo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("PATCH", REPO_PATH, Reply(500, {"message": "database is locked"}))
    repo_id, outs = create(fake)
    warning = capsys.readouterr().err
    assert warning == (
        "warning: forgejo_admin/mcp: PATCH /api/v1/repos/forgejo_admin/mcp failed with HTTP 500: database is locked. "
        "The state holds what Forgejo has, so the next `pulumi up` tries again.\n"
    )
    assert (repo_id, outs["has_actions"]) == ("1", False)  # Forgejo's values: Actions are still off
    news = checked_props(fake.api_url)
    assert PROVIDER.diff(repo_id, outs, news).changes is True
    fake.clear_log()
    updated = PROVIDER.update(repo_id, outs, news).outs or {}
    assert fake.bodies("PATCH", REPO_PATH) == [{"has_actions": True, "description": ""}]
    assert (updated["has_actions"], updated["claim"]) == (True, outs["claim"])


def test_a_failed_claim_after_migrate_is_a_warning_and_the_mirror_is_kept_in_the_state(
    fake: FakeForgejo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script(*TOPICS, Reply(422, {"message": "Exceeding maximum number of topics per repo"}))
    repo_id, outs = create(fake)
    assert (repo_id, outs["claim"], outs["has_actions"]) == ("1", "", True)
    assert "carries no claim: deleting this resource deletes the repository only while no other resource claims it" in (
        capsys.readouterr().err
    )


def test_failed_first_run_kicks_are_warnings_and_not_repeated(
    fake: FakeForgejo, capsys: pytest.CaptureFixture[str]
) -> None:
    dispatch = f"{REPO_PATH}/actions/workflows/ci.yml/dispatches"
    fake.script("POST", f"{REPO_PATH}/mirror-sync", Reply(400, {"message": "Mirror feature is disabled"}))
    fake.script("POST", dispatch, Reply(500, {"message": "workflow not found"}))
    repo_id, outs = create(fake, sync_after_create=True, dispatch_workflow="ci.yml")
    assert (repo_id, outs["has_actions"]) == ("1", True)
    assert capsys.readouterr().err.splitlines() == [
        "warning: forgejo_admin/mcp: POST /api/v1/repos/forgejo_admin/mcp/mirror-sync failed with HTTP 400: "
        "Mirror feature is disabled. The mirror still syncs at its interval; its Settings page syncs it now.",
        f"warning: forgejo_admin/mcp: POST {dispatch} failed with HTTP 500: workflow not found. "
        "ci.yml was not started: run it from the repository's Actions tab.",
    ]
    assert fake.count("POST", dispatch) == 1
    assert (
        PROVIDER.diff(
            repo_id, outs, checked_props(fake.api_url, sync_after_create=True, dispatch_workflow="ci.yml")
        ).changes
        is False
    )


def test_a_timed_out_dispatch_is_a_warning_and_never_sent_twice(
    fake: FakeForgejo, capsys: pytest.CaptureFixture[str]
) -> None:
    dispatch = f"{REPO_PATH}/actions/workflows/ci.yml/dispatches"
    fake.script("POST", dispatch, Reply(204, delay=0.5))
    create(fake, dispatch_workflow="ci.yml", request_timeout=0.2)
    assert "not re-sent" in capsys.readouterr().err
    assert fake.count("POST", dispatch) == 1


# -- read ------------------------------------------------------------------


def test_read_is_one_request_by_id_and_reports_no_drift_when_there_is_none(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.clear_log()
    result = PROVIDER.read(repo_id, outs)
    assert fake.calls() == [("GET", f"/api/v1/repositories/{repo_id}")]
    assert result.id == repo_id
    assert result.outs == outs
    assert result.inputs is not None
    assert PROVIDER.diff(repo_id, result.outs, checked_props(fake.api_url)).changes is False


def test_read_reports_drift_in_outputs_and_inputs(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.repos[int(repo_id)].update(has_actions=False, mirror_interval="1h0m0s", private=True, description="edited")
    result = PROVIDER.read(repo_id, outs)
    drift = {"has_actions": False, "mirror_interval": "1h0m0s", "private": True, "description": "edited"}
    assert {key: (result.outs or {})[key] for key in drift} == drift
    assert {key: (result.inputs or {})[key] for key in drift} == drift
    assert "full_name" not in (result.inputs or {})
    diff = PROVIDER.diff(repo_id, result.outs or {}, checked_props(fake.api_url))
    assert (diff.changes, diff.replaces) == (True, [])


def test_read_of_a_deleted_repository_says_it_is_gone(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    del fake.repos[int(repo_id)]
    result = PROVIDER.read(repo_id, outs)
    assert (result.id, result.outs) == (None, {})


def test_read_without_a_numeric_id_looks_up_owner_and_name(fake: FakeForgejo) -> None:
    _, outs = create(fake)
    fake.clear_log()
    assert PROVIDER.read("", outs).id == "1"
    assert fake.calls() == [("GET", REPO_PATH)]


@pytest.fixture
def elsewhere() -> Iterator[FakeForgejo]:
    """Another Forgejo on another port: another origin, never to be spoken to."""
    with running_fake() as server:
        server.add_repo("victim", "precious", original_url=CLONE_ADDR, private=True, description="foreign")
        yield server


def redirect_elsewhere(fake: FakeForgejo, elsewhere: FakeForgejo, method: str, path: str) -> None:
    fake.script(method, path, Reply(302, None, {"Location": f"{elsewhere.api_url}/repositories/1"}))


def test_read_never_reports_a_foreign_answer_as_drift(fake: FakeForgejo, elsewhere: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    redirect_elsewhere(fake, elsewhere, "GET", f"/api/v1/repositories/{repo_id}")
    with pytest.raises(ForgejoApiError, match="redirecting to another origin"):
        PROVIDER.read(repo_id, outs)
    assert elsewhere.requests == []


def test_read_of_an_answer_about_another_repository_is_an_error_not_drift(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.script("GET", f"/api/v1/repositories/{repo_id}", Reply(200, {**fake.repos[1], "id": 2, "private": True}))
    with pytest.raises(ForgejoApiError, match="answered HTTP 200 with repository id 2, not 1"):
        PROVIDER.read(repo_id, outs)


@pytest.mark.parametrize("body", [[], {}, "<html><title>Sign in</title></html>"])
def test_read_of_an_answer_of_the_wrong_shape_is_a_clear_error(fake: FakeForgejo, body: Any) -> None:
    repo_id, outs = create(fake)
    fake.script("GET", f"/api/v1/repositories/{repo_id}", Reply(200, body))
    with pytest.raises(ForgejoApiError, match=r"^forgejo_admin/mcp: GET /api/v1/repositories/1 answered HTTP 200 with"):
        PROVIDER.read(repo_id, outs)


def test_max_response_bytes_reaches_the_client(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.repos[1]["description"] = "x" * 2000
    with pytest.raises(ForgejoApiError, match=r"larger than max_response_bytes \(1024 bytes\)"):
        PROVIDER.read(repo_id, {**outs, "max_response_bytes": 1024.0})  # a number, as it crosses the wire


# -- update ----------------------------------------------------------------


def test_update_sends_one_patch_with_only_the_changed_fields(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.clear_log()
    result = PROVIDER.update(repo_id, outs, checked_props(fake.api_url, mirror_interval="15m", description="mirror"))
    assert fake.calls() == [("PATCH", REPO_PATH)]
    assert fake.bodies("PATCH", REPO_PATH) == [{"mirror_interval": "15m", "description": "mirror"}]
    assert ((result.outs or {})["mirror_interval"], (result.outs or {})["description"]) == ("15m0s", "mirror")


def test_update_keeps_the_claim(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    result = PROVIDER.update(repo_id, outs, checked_props(fake.api_url, mirror_interval="15m"))
    assert (result.outs or {})["claim"] == outs["claim"]


def test_update_resends_has_actions_only_when_it_changes(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.clear_log()
    PROVIDER.update(repo_id, outs, checked_props(fake.api_url, private=True))
    PROVIDER.update(repo_id, outs, checked_props(fake.api_url, has_actions=False))
    assert fake.bodies("PATCH", REPO_PATH) == [{"private": True}, {"has_actions": False}]


def test_update_of_credentials_or_timeouts_only_sends_nothing(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.clear_log()
    news = checked_props(fake.api_url, api_auth={"token": "rotated"}, request_timeout=9.0, mirror_interval="5m0s")
    result = PROVIDER.update(repo_id, outs, news)
    assert fake.calls() == []
    assert result.outs == {**news, **{key: outs[key] for key in ("full_name", "html_url", "clone_url", "claim")},
                           "mirror_interval": "5m0s"}  # fmt: skip


def test_update_never_sends_archived(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    PROVIDER.update(repo_id, outs, checked_props(fake.api_url, mirror_interval="1h", private=True, has_actions=False))
    assert all("archived" not in (record.body or {}) for record in fake.writes())


def test_update_of_a_renamed_repository_names_the_new_location(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.rename("forgejo_admin/mcp", "mcp-renamed")
    with pytest.raises(ForgejoApiError, match="redirecting to /api/v1/repos/forgejo_admin/mcp-renamed"):
        PROVIDER.update(repo_id, outs, checked_props(fake.api_url, mirror_interval="1h"))


def test_update_after_a_refresh_that_saw_a_ui_rename_patches_the_repository_where_it_is(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.rename("forgejo_admin/mcp", "mcp-renamed")
    refreshed = PROVIDER.read(repo_id, outs).outs or {}
    assert refreshed["full_name"] == "forgejo_admin/mcp-renamed"
    fake.clear_log()
    PROVIDER.update(repo_id, refreshed, checked_props(fake.api_url, mirror_interval="1h"))
    assert fake.calls() == [("PATCH", "/api/v1/repos/forgejo_admin/mcp-renamed")]


def test_update_below_the_servers_minimum_surfaces_the_422(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.min_interval = "10m"
    with pytest.raises(ForgejoApiError, match="HTTP 422: invalid mirror interval: 6m0s is below minimum interval"):
        PROVIDER.update(repo_id, outs, checked_props(fake.api_url, mirror_interval="6m"))


# -- delete ----------------------------------------------------------------


def test_delete_removes_the_repository(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.clear_log()
    PROVIDER.delete(repo_id, outs)
    assert fake.calls() == [("GET", f"/api/v1/repositories/{repo_id}"), ("DELETE", REPO_PATH)]
    assert fake.repos == {}


def test_delete_of_an_already_deleted_repository_succeeds(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    del fake.repos[int(repo_id)]
    fake.clear_log()
    PROVIDER.delete(repo_id, outs)
    assert fake.calls() == [("GET", f"/api/v1/repositories/{repo_id}")]


def test_delete_follows_a_rename_made_in_the_ui(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.rename("forgejo_admin/mcp", "mcp-renamed")
    PROVIDER.delete(repo_id, outs)
    assert fake.writes()[-1].path == "/api/v1/repos/forgejo_admin/mcp-renamed"
    assert fake.repos == {}


def test_delete_never_removes_a_different_repository_that_took_the_name(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    del fake.repos[int(repo_id)]
    newcomer = fake.add_repo("forgejo_admin", "mcp", mirror=False)
    PROVIDER.delete(repo_id, outs)
    assert fake.repo("forgejo_admin/mcp") == newcomer


def test_delete_checks_the_claim_first(fake: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    fake.clear_log()
    PROVIDER.delete(repo_id, outs)
    assert fake.calls() == [("GET", f"/api/v1/repositories/{repo_id}"), ("DELETE", REPO_PATH)]


def test_create_then_delete_as_the_engine_orders_a_urn_change_keeps_the_repository(
    fake: FakeForgejo, capsys: pytest.CaptureFixture[str]
) -> None:
    # The mirror's URN changed (say the component was renamed, with no alias): the engine creates the
    # new resource first -- it meets the repository (409) and adopts it -- then deletes the old one.
    old_id, old = create(fake)
    new_id, new = create(fake)
    assert (new_id, len(fake.repos)) == (old_id, 1)
    assert fake.repos[1]["topics"] == ["mcp", "model-context-protocol", new["claim"]]
    capsys.readouterr()
    PROVIDER.delete(old_id, old)
    assert fake.repo("forgejo_admin/mcp") is not None
    assert [r.method for r in fake.writes()].count("DELETE") == 0
    assert capsys.readouterr().err == (
        f"warning: forgejo_admin/mcp: left in Forgejo, not deleted: it no longer carries this resource's claim topic "
        f"{old['claim']} (it carries {new['claim']}): another resource adopted it, for example after the mirror or "
        "its component was renamed. Delete it in Forgejo if it should go.\n"
    )
    PROVIDER.delete(new_id, new)  # the resource that holds the claim deletes for real
    assert fake.repos == {}


def test_delete_leaves_a_repository_whose_claim_topic_was_removed(
    fake: FakeForgejo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo_id, outs = create(fake)
    fake.repos[1]["topics"] = ["mcp"]
    PROVIDER.delete(repo_id, outs)
    assert fake.repo("forgejo_admin/mcp") is not None
    assert "(it carries no claim at all)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("topics", "deleted"),
    [(("mcp",), True), (("mcp", "pulumi-claim-aaaaaaaaaaaa"), False)],
    ids=["unclaimed", "claimed"],
)
def test_a_state_without_a_claim_deletes_only_an_unclaimed_repository(
    fake: FakeForgejo, topics: tuple[str, ...], deleted: bool
) -> None:
    repo_id, outs = create(fake)
    del outs["claim"]  # as a mirror created before claims has it
    fake.repos[1]["topics"] = list(topics)
    PROVIDER.delete(repo_id, outs)
    assert (fake.repo("forgejo_admin/mcp") is None) is deleted


def test_delete_never_follows_a_redirect_to_another_origin(fake: FakeForgejo, elsewhere: FakeForgejo) -> None:
    repo_id, outs = create(fake)
    redirect_elsewhere(fake, elsewhere, "GET", f"/api/v1/repositories/{repo_id}")
    fake.clear_log()
    with pytest.raises(ForgejoApiError, match="redirecting to another origin"):
        PROVIDER.delete(repo_id, outs)
    assert elsewhere.requests == []
    assert fake.writes() == []
    assert elsewhere.repo("victim/precious") is not None


def test_delete_without_a_repository_id_leaves_it(fake: FakeForgejo, capsys: pytest.CaptureFixture[str]) -> None:
    _, outs = create(fake)
    fake.clear_log()
    PROVIDER.delete("forgejo_admin/mcp", outs)
    assert fake.calls() == []
    assert "left in Forgejo, not deleted: the state holds no repository id" in capsys.readouterr().err
