"""The access token provider against the loopback fake Forgejo: its requests, its answers, its refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.runtime import rpc

from components import api_token_provider
from components.api_token_provider import SCOPES, ApiTokenError, ForgejoApiTokenProvider
from tests.conftest_mirrors import ADMIN_PASSWORD, ADMIN_USER, API_TOKEN, FAST_BACKOFF, running_fake
from tests.fake_forgejo import TOKEN_SCOPE_ORDER, FakeForgejo, Reply

TOKENS = "/api/v1/users/forgejo_admin/tokens"
DRAWN = "c0ffee00"  # the suffix, where a test must know it in advance


@pytest.fixture
def fake() -> Iterator[FakeForgejo]:
    with running_fake() as server:
        yield server


@pytest.fixture
def drawn_suffix(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(api_token_provider.secrets, "token_hex", lambda _n: DRAWN)
    return f"git-sync-{DRAWN}"


def token_props(api_url: str, /, **overrides: Any) -> dict[str, Any]:
    """goldentooth's git-sync token as the program declares it, with fast retries."""
    props: dict[str, Any] = {
        "api_url": api_url,
        "api_auth": {"username": ADMIN_USER, "password": ADMIN_PASSWORD},
        "name": "git-sync",
        "user": "forgejo_admin",
        "scopes": ["read:repository"],
        "retry_backoff_factor": FAST_BACKOFF,
        "request_timeout": 2.0,
        **dict.fromkeys(api_token_provider.OUTPUTS),
    }
    return {**props, **overrides}


def checked(api_url: str, /, **overrides: Any) -> dict[str, Any]:
    result = ForgejoApiTokenProvider().check({}, token_props(api_url, **overrides))
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def test_the_scope_list_is_forgejos() -> None:
    assert sorted(SCOPES) == sorted(("all", *TOKEN_SCOPE_ORDER))


def test_create_signs_in_with_the_password_and_sends_one_post(fake: FakeForgejo) -> None:
    created = ForgejoApiTokenProvider().create(checked(fake.api_url))

    outs = created.outs or {}
    assert re.fullmatch(r"git-sync-[0-9a-f]{8}", outs["token_name"])
    [token] = fake.tokens.values()
    assert created.id == str(token["id"])
    assert (outs["token"], outs["token_last_eight"], outs["granted_scopes"]) == (
        token["sha1"], token["sha1"][-8:], ["read:repository"]
    )  # fmt: skip
    assert fake.calls() == [("GET", "/api/v1/version"), ("POST", TOKENS)]
    assert fake.bodies("POST", TOKENS) == [{"name": outs["token_name"], "scopes": ["read:repository"]}]
    assert fake.requests[1].headers["Authorization"].startswith("Basic ")


def test_granted_scopes_are_as_forgejo_normalised_them(fake: FakeForgejo) -> None:
    scopes = ["read:repository", "write:repository", "read:user"]
    outs = ForgejoApiTokenProvider().create(checked(fake.api_url, scopes=scopes)).outs or {}

    assert outs["granted_scopes"] == ["write:repository", "read:user"]
    assert outs["scopes"] == scopes  # the inputs stay as configured


def test_check_refuses_a_token_login_because_forgejo_mints_only_for_a_password(fake: FakeForgejo) -> None:
    failures = ForgejoApiTokenProvider().check({}, token_props(fake.api_url, api_auth={"token": API_TOKEN})).failures

    assert [(f.property, f.reason) for f in failures] == [
        (
            "api_auth",
            "must be the admin's username and password: Forgejo creates and revokes access tokens only for a "
            "password login, never for a token",
        )
    ]
    assert fake.calls() == []


@pytest.mark.parametrize(
    ("overrides", "failed"),
    [
        ({"scopes": ["read:repo"]}, ["scopes[0]"]),
        ({"scopes": ["sudo", "write:admin"]}, ["scopes[0]"]),
        ({"scopes": []}, ["scopes"]),
        ({"name": "git sync"}, ["name"]),
        ({"user": "admin user"}, ["user"]),
        ({"api_url": "http://git.goldentooth.net"}, ["api_url"]),
    ],
)
def test_check_refuses_bad_inputs_without_a_call(
    fake: FakeForgejo, overrides: dict[str, Any], failed: list[str]
) -> None:
    failures = ForgejoApiTokenProvider().check({}, token_props(fake.api_url, **overrides)).failures

    assert [f.property for f in failures] == failed
    assert fake.calls() == []


def test_check_leaves_values_unknown_at_preview_alone() -> None:
    news = token_props("https://git.goldentooth.net", api_auth=rpc.UNKNOWN, scopes=rpc.UNKNOWN)

    assert ForgejoApiTokenProvider().check({}, news).failures == []


@pytest.mark.parametrize(
    ("change", "replaces", "changes"),
    [
        ({}, [], False),
        ({"scopes": ["read:repository"]}, ["scopes"], True),
        ({"name": "flux"}, ["name"], True),
        ({"user": "goldentooth"}, ["user"], True),
        ({"user": "Forgejo_Admin"}, [], False),  # Forgejo's user names are case-insensitive
        ({"api_url": "https://forgejo.internal"}, [], True),  # in place: only how to reach Forgejo
        ({"scopes": rpc.UNKNOWN}, ["scopes"], True),
    ],
)
def test_diff_replaces_on_name_user_or_scopes_and_creates_first(
    change: dict[str, Any], replaces: list[str], changes: bool
) -> None:
    olds = {**token_props("https://git.goldentooth.net", scopes=["read:repository", "read:user"]), "token": "v"}
    news = {**token_props("https://git.goldentooth.net", scopes=["read:user", "read:repository"]), **change}

    diff = ForgejoApiTokenProvider().diff("7", olds, news)

    assert (diff.replaces, diff.changes, diff.delete_before_replace) == (replaces, changes, False)


def test_a_replacement_is_made_before_the_old_token_is_revoked(fake: FakeForgejo) -> None:
    provider = ForgejoApiTokenProvider()
    old = provider.create(checked(fake.api_url))
    new = provider.create(checked(fake.api_url, scopes=["write:repository"]))  # the same name, a new scope
    assert len(fake.tokens) == 2  # both exist: each has its own drawn name

    provider.delete(old.id, old.outs or {})

    assert list(fake.token_values("forgejo_admin")) == [(new.outs or {})["token_name"]]
    assert (new.outs or {})["token"] != (old.outs or {})["token"]


def test_read_finds_the_token_by_id_across_pages(fake: FakeForgejo) -> None:
    provider = ForgejoApiTokenProvider()
    for index in range(120):  # the user's other tokens, listed first
        provider.create(checked(fake.api_url, name=f"other{index}"))
    created = provider.create(checked(fake.api_url))
    fake.clear_log()

    read = provider.read(created.id, created.outs or {})

    assert read.id == created.id
    assert (read.outs or {})["token"] == (created.outs or {})["token"]
    assert (read.inputs or {})["scopes"] == ["read:repository"]
    assert [r.path for r in fake.requests] == [TOKENS] * 3  # 50 + 50 + 21


def test_a_token_revoked_in_forgejo_reads_as_gone(fake: FakeForgejo) -> None:
    provider = ForgejoApiTokenProvider()
    created = provider.create(checked(fake.api_url))
    fake.tokens.clear()

    assert provider.read(created.id, created.outs or {}).id is None


def test_a_token_cannot_be_imported_because_its_value_is_never_shown_again(fake: FakeForgejo) -> None:
    with pytest.raises(ApiTokenError, match="cannot be imported"):
        ForgejoApiTokenProvider().read("7", {})

    assert fake.calls() == []


def test_delete_revokes_once_and_a_404_counts_as_done(fake: FakeForgejo) -> None:
    provider = ForgejoApiTokenProvider()
    created = provider.create(checked(fake.api_url))
    fake.clear_log()

    provider.delete(created.id, created.outs or {})
    provider.delete(created.id, created.outs or {})

    assert fake.calls() == [("DELETE", f"{TOKENS}/{created.id}")] * 2
    assert fake.tokens == {}


def test_update_of_the_connection_keeps_the_token_and_calls_nothing(fake: FakeForgejo) -> None:
    provider = ForgejoApiTokenProvider()
    created = provider.create(checked(fake.api_url))
    fake.clear_log()

    updated = provider.update(created.id, created.outs or {}, checked(fake.api_url, request_timeout=5.0))

    assert {k: (updated.outs or {})[k] for k in api_token_provider.OUTPUTS} == {
        k: (created.outs or {})[k] for k in api_token_provider.OUTPUTS
    }
    assert (updated.outs or {})["request_timeout"] == 5.0
    assert fake.calls() == []


def test_a_user_that_does_not_exist_is_named_with_what_to_do(fake: FakeForgejo) -> None:
    with pytest.raises(ApiTokenError) as refused:
        ForgejoApiTokenProvider().create(checked(fake.api_url, user="flux"))

    assert str(refused.value).startswith("token git-sync of flux: POST /api/v1/users/flux/tokens failed with HTTP 404")
    assert str(refused.value).endswith(
        "The user does not exist in Forgejo: create it first, or set `user` to an existing one."
    )
    assert fake.tokens == {}


def test_a_refused_password_says_that_forgejo_needs_a_password_login(fake: FakeForgejo) -> None:
    props = checked(fake.api_url, api_auth={"username": ADMIN_USER, "password": "not-the-password"})

    with pytest.raises(ApiTokenError, match="mints tokens only for a password login"):
        ForgejoApiTokenProvider().create(props)


def test_forgejo_refuses_a_token_header_for_a_create(fake: FakeForgejo) -> None:
    """Why check refuses ``{"token": ...}``: Forgejo's rule, kept by the fake, that the client meets if let through."""
    props = {**checked(fake.api_url), "api_auth": {"token": API_TOKEN}}

    with pytest.raises(ApiTokenError, match="HTTP 401: auth method not allowed"):
        ForgejoApiTokenProvider().create(props)


def test_a_name_taken_by_hand_is_refused_with_what_to_do(fake: FakeForgejo, drawn_suffix: str) -> None:
    fake.tokens[99] = {"id": 99, "user": "forgejo_admin", "name": drawn_suffix, "sha1": "x" * 40,
                       "token_last_eight": "x" * 8, "scope": "read:user"}  # fmt: skip

    with pytest.raises(ApiTokenError) as refused:
        ForgejoApiTokenProvider().create(checked(fake.api_url))

    assert "HTTP 400: access token name has been used already. Forgejo refused the name" in str(refused.value)
    assert list(fake.tokens) == [99]  # someone else's: never deleted


def test_a_lost_answer_revokes_the_token_forgejo_made_and_says_so(fake: FakeForgejo, drawn_suffix: str) -> None:
    # Forgejo makes the token (as its handler would), and a gateway answers 504 in its place: the value is lost.
    fake.tokens[50] = {"id": 50, "user": "forgejo_admin", "name": drawn_suffix, "sha1": "y" * 40,
                       "token_last_eight": "y" * 8, "scope": "read:repository"}  # fmt: skip
    fake.script("POST", TOKENS, Reply(504, "<html><title>504 Gateway Time-out</title></html>"))

    with pytest.raises(ApiTokenError) as refused:
        ForgejoApiTokenProvider().create(checked(fake.api_url))

    assert fake.tokens == {}
    assert str(refused.value).endswith(
        f"Forgejo had made {drawn_suffix}, now revoked, so no token was left behind. Run `pulumi up` again."
    )
    assert fake.calls()[-2:] == [("GET", TOKENS), ("DELETE", f"{TOKENS}/50")]


def test_a_lost_answer_for_a_token_never_made_deletes_nothing(fake: FakeForgejo) -> None:
    other = ForgejoApiTokenProvider().create(checked(fake.api_url, name="flux"))
    fake.script("POST", TOKENS, Reply(502, "bad gateway"))

    with pytest.raises(ApiTokenError, match=r"did not make git-sync-[0-9a-f]{8}, so no token was left behind"):
        ForgejoApiTokenProvider().create(checked(fake.api_url))

    assert list(fake.tokens) == [int(other.id)]
    assert fake.count("POST", TOKENS) == 2  # never re-sent
