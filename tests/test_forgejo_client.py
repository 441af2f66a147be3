"""The Forgejo API client against the loopback fake: bodies, retries, timeouts, errors and TLS."""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import requests

from components import forgejo_client
from components.forgejo_api import ApiInputs, ForgejoApiError, MigrateAnswerLost
from components.forgejo_client import ForgejoClient, connect, redact, tls_verify
from tests.conftest_mirrors import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    API_TOKEN,
    CLONE_ADDR,
    FAST_BACKOFF,
    MIGRATE_OPTIONS,
    PROJECT_ROOT,
    make_tls_files,
    running_fake,
    server_tls_context,
)
from tests.fake_forgejo import FakeForgejo, Reply, SlowMigration, Stream

BASIC = {"username": ADMIN_USER, "password": ADMIN_PASSWORD}
FAST = {"request_timeout": 2.0, "retry_backoff_factor": FAST_BACKOFF}
MIGRATE = "/api/v1/repos/migrate"
REPO = "/api/v1/repos/forgejo_admin/mcp"


@pytest.fixture
def fake() -> Iterator[FakeForgejo]:
    with running_fake() as server:
        yield server


def client_for(url: str, timing: dict[str, float] = FAST, **inputs: Any) -> AbstractContextManager[ForgejoClient]:
    """A client for forgejo_admin/mcp at ``url``: the admin's basic auth, fast retries, and ``inputs`` (ApiInputs)."""
    return connect(
        ApiInputs.model_construct(**{"api_url": url, "api_auth": BASIC, **timing, **inputs}), "forgejo_admin/mcp"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- readiness -------------------------------------------------------------


def test_readiness_rides_out_a_burst_of_503s(fake: FakeForgejo) -> None:
    fake.script("GET", "/api/v1/version", *[Reply(503, "no healthy upstream")] * 3)
    with client_for(fake.api_url) as client:
        assert client.wait_until_ready() == "13.0.3+gitea-1.22.0"
    assert fake.count("GET", "/api/v1/version") == 4


def test_readiness_gives_up_after_a_bounded_number_of_attempts(fake: FakeForgejo) -> None:
    fake.script("GET", "/api/v1/version", *[Reply(503, "no healthy upstream")] * (forgejo_client.READY_RETRIES + 5))
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        client.wait_until_ready()
    assert str(raised.value) == "forgejo_admin/mcp: GET /api/v1/version failed with HTTP 503: no healthy upstream"
    assert fake.count("GET", "/api/v1/version") == forgejo_client.READY_RETRIES + 1


def test_readiness_waits_for_forgejo_that_starts_moments_later() -> None:
    port = free_port()
    late: list[FakeForgejo] = []

    def start_late() -> None:
        late.append(FakeForgejo(port=port).__enter__())

    timer = threading.Timer(0.3, start_late)
    timer.start()
    try:
        with client_for(f"http://127.0.0.1:{port}", dict(request_timeout=2.0, retry_backoff_factor=0.05)) as client:
            assert client.wait_until_ready() == "13.0.3+gitea-1.22.0"
    finally:
        timer.join()
        for server in late:
            server.__exit__()


def test_refused_connections_fail_with_the_call_named_after_bounded_retries() -> None:
    with client_for(f"http://127.0.0.1:{free_port()}/api/v1") as client, pytest.raises(ForgejoApiError) as raised:
        client.wait_until_ready()
    message = str(raised.value)
    assert message.startswith("forgejo_admin/mcp: GET /api/v1/version failed: ")
    assert "Connection refused" in message


def test_the_api_prefix_is_added_to_a_bare_server_url(fake: FakeForgejo) -> None:
    with client_for(fake.url) as client:
        client.wait_until_ready()
    assert fake.calls() == [("GET", "/api/v1/version")]


# -- migrate ---------------------------------------------------------------


def test_migrate_sends_the_options_once_and_returns_the_new_mirror(fake: FakeForgejo) -> None:
    with client_for(fake.api_url) as client:
        repo = client.migrate(dict(MIGRATE_OPTIONS))
    assert fake.bodies("POST", MIGRATE) == [MIGRATE_OPTIONS]
    assert (repo["full_name"], repo["mirror_interval"], repo["has_actions"]) == ("forgejo_admin/mcp", "5m0s", False)
    assert repo["original_url"] == CLONE_ADDR


def test_migrate_reports_an_existing_repository_as_such(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        client.migrate(dict(MIGRATE_OPTIONS))
    assert raised.value.status == 409
    assert str(raised.value) == (
        "forgejo_admin/mcp: POST /api/v1/repos/migrate failed with HTTP 409: "
        "The repository with the same name already exists."
    )


def test_migrate_surfaces_the_500_forgejo_sends_after_cloning_with_a_too_short_interval(fake: FakeForgejo) -> None:
    fake.min_interval = "10m"
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        client.migrate(dict(MIGRATE_OPTIONS))
    assert str(raised.value) == (
        "forgejo_admin/mcp: POST /api/v1/repos/migrate failed with HTTP 500: "
        "interval 5m0s is set below Minimum Interval of 10m0s"
    )
    assert fake.repo("forgejo_admin/mcp") is None


def test_a_migrate_that_outlasts_the_client_timeout_is_lost_but_not_resendable(fake: FakeForgejo) -> None:
    fake.script("POST", MIGRATE, SlowMigration(delay=0.4))
    timing = dict(request_timeout=2.0, migrate_timeout=0.15, retry_backoff_factor=0.01)
    with client_for(fake.api_url, timing) as client, pytest.raises(MigrateAnswerLost) as raised:
        client.migrate(dict(MIGRATE_OPTIONS))
    assert str(raised.value) == "forgejo_admin/mcp: POST /api/v1/repos/migrate got no answer within 0.15 s"
    assert raised.value.resendable is False  # Forgejo may still be cloning: wait, do not send it again
    assert fake.count("POST", MIGRATE) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_error_on_migrate_is_lost_and_resendable(fake: FakeForgejo, status: int) -> None:
    fake.script("POST", MIGRATE, Reply(status, "no healthy upstream"))
    with client_for(fake.api_url) as client, pytest.raises(MigrateAnswerLost) as raised:
        client.migrate(dict(MIGRATE_OPTIONS))
    assert str(raised.value) == (
        f"forgejo_admin/mcp: POST /api/v1/repos/migrate failed with HTTP {status}: no healthy upstream"
    )
    assert (raised.value.resendable, raised.value.status) == (True, status)
    assert fake.count("POST", MIGRATE) == 1  # never re-sent blindly: the caller looks first


def test_a_migrate_whose_connection_drops_is_lost_and_resendable(fake: FakeForgejo) -> None:
    fake.script("POST", MIGRATE, SlowMigration(delay=0.2, drop_connection=True))
    timing = dict(request_timeout=2.0, retry_backoff_factor=0.01)
    with (
        client_for(fake.api_url, timing) as client,
        pytest.raises(MigrateAnswerLost, match="connection dropped") as raised,
    ):
        client.migrate(dict(MIGRATE_OPTIONS))
    assert raised.value.resendable is True
    assert fake.count("POST", MIGRATE) == 1


def test_a_migrate_that_cannot_connect_fails_plainly() -> None:
    with client_for(f"http://127.0.0.1:{free_port()}") as client, pytest.raises(ForgejoApiError) as raised:
        client.migrate(dict(MIGRATE_OPTIONS))
    assert not isinstance(raised.value, MigrateAnswerLost)
    assert str(raised.value).startswith("forgejo_admin/mcp: POST /api/v1/repos/migrate failed: ")
    assert "Connection refused" in str(raised.value)


# -- waiting for a migration ------------------------------------------------


def finish_later(repo: dict[str, Any], seconds: float, **changes: Any) -> threading.Timer:
    timer = threading.Timer(seconds, lambda: repo.update(changes))
    timer.start()
    return timer


def test_waiting_for_a_migration_lasts_until_it_is_neither_migrating_nor_empty(fake: FakeForgejo) -> None:
    repo = fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR, mirror_interval="", empty=True)
    first = finish_later(repo, 0.1, mirror_interval="5m0s")  # the mirror row is in, the repository still empty
    second = finish_later(repo, 0.3, empty=False)
    with client_for(fake.api_url, dict(request_timeout=2.0, retry_backoff_factor=0.005)) as client:  # 0.05 s polls
        waited = client.wait_for_migration("forgejo_admin/mcp is being migrated")
    first.join()
    second.join()
    assert (waited["mirror_interval"], waited["empty"]) == ("5m0s", False)
    # Polled before, between and after the two stages: six polls unloaded, fewer when a busy machine stretches them.
    assert fake.count("GET", REPO) >= 3


def test_waiting_for_a_migration_that_fails_on_the_server_says_so(fake: FakeForgejo) -> None:
    repo = fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR, mirror_interval="", empty=True)
    timer = threading.Timer(0.1, lambda: fake.repos.pop(repo["id"]))
    timer.start()
    timing = dict(request_timeout=2.0, retry_backoff_factor=0.005)
    with client_for(fake.api_url, timing) as client, pytest.raises(ForgejoApiError) as raised:
        client.wait_for_migration("POST /api/v1/repos/migrate got no answer within 660 s")
    timer.join()
    assert str(raised.value).startswith("POST /api/v1/repos/migrate got no answer within 660 s, and the repository")
    assert "the migration failed on the server" in str(raised.value)


def test_waiting_for_a_migration_is_bounded_and_says_what_to_run(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR, empty=True)  # e.g. an upstream without commits
    timing = dict(request_timeout=2.0, retry_backoff_factor=FAST_BACKOFF)
    with client_for(fake.api_url, timing) as client, pytest.raises(ForgejoApiError) as raised:
        client.wait_for_migration("forgejo_admin/mcp exists in Forgejo but is still being migrated or empty")
    assert fake.count("GET", REPO) == forgejo_client.MIGRATION_POLLS
    message = str(raised.value)
    assert "still being migrated or still empty 0.3 s later" in message
    assert "Run `pulumi up` again once its page in Forgejo lists branches" in message


# -- retries on idempotent calls -------------------------------------------


def test_get_is_retried_through_gateway_errors(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    fake.script("GET", REPO, Reply(502, "bad gateway"), Reply(504, "gateway timeout"))
    with client_for(fake.api_url) as client:
        assert client.get_repo("forgejo_admin/mcp") is not None
    assert fake.count("GET", REPO) == 3


def test_patch_is_retried_after_a_read_timeout(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    fake.script("PATCH", REPO, Reply(200, {}, delay=0.5))
    with client_for(fake.api_url, dict(request_timeout=0.2, retry_backoff_factor=FAST_BACKOFF)) as client:
        repo = client.edit_repo("forgejo_admin/mcp", {"has_actions": True})
    assert repo["has_actions"] is True
    assert fake.bodies("PATCH", REPO) == [{"has_actions": True}, {"has_actions": True}]


def test_mirror_sync_is_retried_after_a_503(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    fake.script("POST", f"{REPO}/mirror-sync", Reply(503, "unavailable"))
    with client_for(fake.api_url) as client:
        client.sync_mirror("forgejo_admin/mcp")
    assert fake.count("POST", f"{REPO}/mirror-sync") == 2


def test_a_workflow_dispatch_is_never_resent_after_a_read_timeout(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR, has_actions=True)
    dispatch = f"{REPO}/actions/workflows/ci.yml/dispatches"
    fake.script("POST", dispatch, Reply(204, delay=0.5))
    timing = dict(request_timeout=0.2, retry_backoff_factor=FAST_BACKOFF)
    with client_for(fake.api_url, timing) as client, pytest.raises(ForgejoApiError, match="not re-sent"):
        client.dispatch_workflow("forgejo_admin/mcp", "ci.yml", "main")
    assert fake.bodies("POST", dispatch) == [{"ref": "main"}]


def test_every_call_carries_an_explicit_timeout(fake: FakeForgejo, monkeypatch: pytest.MonkeyPatch) -> None:
    timeouts: list[tuple[str, object]] = []
    original = requests.Session.request

    def recording(self: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        timeouts.append((method, kwargs.get("timeout")))
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", recording)
    fake.workflows.add("ci.yml")
    with client_for(fake.api_url, dict(request_timeout=7.0, migrate_timeout=660.0)) as client:
        client.wait_until_ready()
        client.migrate(dict(MIGRATE_OPTIONS))
        client.get_repo("forgejo_admin/mcp")
        client.get_repo(1)
        client.edit_repo("forgejo_admin/mcp", {"has_actions": True})
        client.set_topics("forgejo_admin/mcp", ["mcp"])
        client.sync_mirror("forgejo_admin/mcp")
        client.dispatch_workflow("forgejo_admin/mcp", "ci.yml", "main")
        client.delete_repo("forgejo_admin/mcp")
    assert timeouts == [("GET", 7.0), ("POST", 660.0), ("GET", 7.0), ("GET", 7.0), ("PATCH", 7.0), ("PUT", 7.0),
                        ("POST", 7.0), ("POST", 7.0), ("DELETE", 7.0)]  # fmt: skip


# -- bounded: deadlines and the size cap ------------------------------------


def test_a_body_dripping_a_byte_at_a_time_is_cut_off_at_the_calls_deadline(fake: FakeForgejo) -> None:
    # Each byte comes well within the 0.3 s read timeout; the whole answer would take 20 s.
    fake.script("GET", REPO, Stream(200, size=200, chunk=1, interval=0.1))
    timing = dict(request_timeout=0.3, retry_backoff_factor=FAST_BACKOFF)  # deadline 0.3 + 2 * 0.3 s
    started = time.monotonic()
    with client_for(fake.api_url, timing) as client, pytest.raises(ForgejoApiError) as raised:
        client.get_repo("forgejo_admin/mcp")
    assert time.monotonic() - started < 2.0
    assert str(raised.value) == (
        "forgejo_admin/mcp: GET /api/v1/repos/forgejo_admin/mcp answered HTTP 200 but had not sent its whole answer "
        "within the call's deadline of 0.9 s; something between here and Forgejo is stalling"
    )


def test_retries_stop_at_the_calls_deadline(fake: FakeForgejo) -> None:
    fake.script("GET", REPO, *[Reply(503, "unavailable")] * 10)
    timing = dict(request_timeout=0.2, retry_backoff_factor=1.0)  # backoff 0, 2, 4, 8 s; deadline 0.6 s
    started = time.monotonic()
    with client_for(fake.api_url, timing) as client, pytest.raises(ForgejoApiError, match="HTTP 503: unavailable"):
        client.get_repo("forgejo_admin/mcp")
    assert time.monotonic() - started < 1.5
    assert fake.count("GET", REPO) == 3  # at once, again at once, and once more after a sleep cut to the deadline


def test_the_readiness_wait_has_a_total(fake: FakeForgejo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forgejo_client, "READY_DEADLINE", 0.5)
    fake.script("GET", "/api/v1/version", *[Reply(503, "no healthy upstream")] * (forgejo_client.READY_RETRIES + 5))
    started = time.monotonic()
    timing = dict(request_timeout=2.0, retry_backoff_factor=0.2)
    with client_for(fake.api_url, timing) as client, pytest.raises(ForgejoApiError, match="HTTP 503"):
        client.wait_until_ready()
    assert time.monotonic() - started < 1.5
    assert fake.count("GET", "/api/v1/version") < forgejo_client.READY_RETRIES


@pytest.mark.parametrize("announce_length", [True, False], ids=["with-content-length", "until-close"])
def test_a_huge_body_is_an_error_not_a_memory_spike(fake: FakeForgejo, announce_length: bool) -> None:
    fake.script("GET", REPO, Stream(200, size=400 * 1024 * 1024, announce_length=announce_length))
    tracemalloc.start()
    try:
        with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
            client.get_repo("forgejo_admin/mcp")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024
    announced = f" ({400 * 1024 * 1024} bytes announced)" if announce_length else ""
    assert str(raised.value) == (
        "forgejo_admin/mcp: GET /api/v1/repos/forgejo_admin/mcp answered HTTP 200 with a body larger than "
        f"max_response_bytes (4194304 bytes){announced}, and was not read further; "
        "is api_url pointing at Forgejo's API?"
    )


def test_the_size_cap_is_configurable(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR, description="x" * 3000)
    small = dict(request_timeout=2.0, max_response_bytes=2048)
    with client_for(fake.api_url, small) as client, pytest.raises(ForgejoApiError, match=r"max_response_bytes \(2048 "):
        client.get_repo("forgejo_admin/mcp")
    with client_for(fake.api_url) as client:
        assert client.get_repo("forgejo_admin/mcp") is not None


# -- only the configured origin ---------------------------------------------


@pytest.fixture
def elsewhere() -> Iterator[FakeForgejo]:
    """A second Forgejo on another port: another origin, which must never be spoken to."""
    with running_fake() as server:
        server.add_repo("victim", "other", original_url=CLONE_ADDR)
        yield server


OTHER_ORIGIN_CALLS = [
    ("GET", REPO, lambda client: client.get_repo("forgejo_admin/mcp")),
    ("GET", "/api/v1/repositories/1", lambda client: client.get_repo(1)),
    ("PATCH", REPO, lambda client: client.edit_repo("forgejo_admin/mcp", {"private": True})),
    ("PUT", f"{REPO}/topics", lambda client: client.set_topics("forgejo_admin/mcp", ["mcp"])),
    ("DELETE", REPO, lambda client: client.delete_repo("forgejo_admin/mcp")),
    ("POST", f"{REPO}/mirror-sync", lambda client: client.sync_mirror("forgejo_admin/mcp")),
    ("POST", MIGRATE, lambda client: client.migrate(dict(MIGRATE_OPTIONS))),
]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize(
    ("method", "path", "call"), OTHER_ORIGIN_CALLS, ids=[f"{m} {p}" for m, p, _ in OTHER_ORIGIN_CALLS]
)
def test_no_redirect_to_another_origin_is_followed(
    fake: FakeForgejo, elsewhere: FakeForgejo, status: int, method: str, path: str, call: Any
) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    fake.script(method, path, Reply(status, None, {"Location": f"{elsewhere.api_url}/repos/victim/other"}))
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        call(client)
    assert elsewhere.requests == []  # not even an unauthenticated request
    assert str(raised.value) == (
        f"forgejo_admin/mcp: {method} {path} answered HTTP {status}, redirecting to another origin "
        f"({elsewhere.url}). Not followed, and no credentials were sent there: api_url must be Forgejo's own address."
    )


def test_a_redirect_to_another_port_or_scheme_of_the_same_host_is_another_origin(
    fake: FakeForgejo, elsewhere: FakeForgejo
) -> None:
    https = fake.url.replace("http://", "https://")
    fake.script("GET", REPO, Reply(301, None, {"Location": f"{https}/api/v1/repos/forgejo_admin/mcp"}))
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError, match="redirecting to another origin"):
        client.get_repo("forgejo_admin/mcp")
    assert fake.count("GET", REPO) == 1


def test_same_origin_redirects_are_followed_a_bounded_number_of_times(fake: FakeForgejo) -> None:
    loop = Reply(302, None, {"Location": REPO})  # relative, as Forgejo writes it
    fake.script("GET", REPO, *[loop] * (forgejo_client.MAX_REDIRECTS + 3))
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError, match="answered HTTP 302, redirecting"):
        client.get_repo("forgejo_admin/mcp")
    assert fake.count("GET", REPO) == forgejo_client.MAX_REDIRECTS


# -- answers of the wrong shape ---------------------------------------------


@pytest.mark.parametrize(
    ("reply", "what"),
    [
        (Reply(200, []), "JSON that is not an object (list)"),
        (Reply(200, "null", {"Content-Type": "application/json"}), "JSON that is not an object (NoneType)"),
        (Reply(200, {}), "JSON that is not a Forgejo repository (no id; no full_name)"),
        (Reply(200, {"id": "1", "full_name": "a/b"}), "JSON that is not a Forgejo repository (id is str, not int)"),
        (Reply(200, {"id": True, "full_name": "a/b"}), "(id is bool, not int)"),
        (Reply(200, {"id": 1, "full_name": "ab"}), "(full_name is not owner/name)"),
        (Reply(200, {"id": 1, "full_name": "a/b", "topics": [1]}), "(topics are not all strings)"),
        (Reply(200, {"id": 1, "full_name": "a/b", "mirror": "yes"}), "(mirror is str, not bool)"),
        (Reply(200, "plain words"), "a body that is not JSON"),
        (
            Reply(200, "<!DOCTYPE html><html><title>Forgejo</title></html>", {"Content-Type": "text/html"}),
            "an HTML page",
        ),
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_clear_error(fake: FakeForgejo, reply: Reply, what: str) -> None:
    fake.script("GET", REPO, reply)
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        client.get_repo("forgejo_admin/mcp")
    message = str(raised.value)
    assert message.startswith("forgejo_admin/mcp: GET /api/v1/repos/forgejo_admin/mcp answered HTTP 200 with ")
    assert what in message
    assert message.endswith("?")  # it asks whether api_url points at Forgejo's API
    assert raised.value.status == 200


def test_a_created_mirror_of_the_wrong_shape_is_a_clear_error(fake: FakeForgejo) -> None:
    fake.script("POST", MIGRATE, Reply(201, {}))
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        client.migrate(dict(MIGRATE_OPTIONS))
    assert "POST /api/v1/repos/migrate answered HTTP 201 with JSON that is not a Forgejo repository" in str(
        raised.value
    )


def test_a_repository_fetched_by_id_must_carry_that_id(fake: FakeForgejo) -> None:
    fake.script("GET", "/api/v1/repositories/7", Reply(200, {"id": 8, "full_name": "forgejo_admin/mcp"}))
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        client.get_repo(7)
    assert str(raised.value) == (
        "forgejo_admin/mcp: GET /api/v1/repositories/7 answered HTTP 200 with repository id 8, not 7; "
        "is api_url pointing at Forgejo's API (https://<host>/api/v1)?"
    )


def test_an_html_error_page_is_named_by_its_title(fake: FakeForgejo) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center>" + "x" * 5000
    fake.script("GET", REPO, Reply(502, page, {"Content-Type": "text/html"}), *[Reply(502, page)] * 4)
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        client.get_repo("forgejo_admin/mcp")
    assert str(raised.value) == (
        "forgejo_admin/mcp: GET /api/v1/repos/forgejo_admin/mcp failed with HTTP 502: an HTML page titled "
        "'502 Bad Gateway', not Forgejo's JSON (a proxy or gateway answered)"
    )


# -- topics ----------------------------------------------------------------


def test_topics_are_replaced_in_one_request(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR, topics=("old",))
    with client_for(fake.api_url) as client:
        client.set_topics("forgejo_admin/mcp", ["mcp", "pulumi-claim-0123456789ab"])
    assert fake.bodies("PUT", f"{REPO}/topics") == [{"topics": ["mcp", "pulumi-claim-0123456789ab"]}]
    assert fake.repo("forgejo_admin/mcp")["topics"] == ["mcp", "pulumi-claim-0123456789ab"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("topics", "message"),
    [
        (["Has Space"], "Topic names are invalid"),
        (["-leading-dash"], "Topic names are invalid"),
        (["x" * 36], "Topic names are invalid"),
        ([f"t{n}" for n in range(26)], "Exceeding maximum number of topics per repo"),
    ],
)
def test_topics_follow_forgejos_rules(fake: FakeForgejo, topics: list[str], message: str) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError, match=f"HTTP 422: {message}"):
        client.set_topics("forgejo_admin/mcp", topics)
    assert fake.repo("forgejo_admin/mcp")["topics"] == []  # type: ignore[index]


def test_topics_are_trimmed_lowered_and_deduplicated_as_forgejo_does(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    with client_for(fake.api_url) as client:
        client.set_topics("forgejo_admin/mcp", [" MCP ", "mcp", ""])
    assert fake.repo("forgejo_admin/mcp")["topics"] == ["mcp"]  # type: ignore[index]


# -- writes and errors -----------------------------------------------------


def test_a_write_to_a_renamed_repository_is_not_followed_and_names_the_new_location(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    fake.rename("forgejo_admin/mcp", "mcp-old")
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        client.edit_repo("forgejo_admin/mcp", {"mirror_interval": "10m"})
    assert str(raised.value).startswith(
        "forgejo_admin/mcp: PATCH /api/v1/repos/forgejo_admin/mcp answered HTTP 301, "
        "redirecting to /api/v1/repos/forgejo_admin/mcp-old: the repository was renamed or moved"
    )
    assert fake.calls() == [("PATCH", REPO)]
    assert fake.repo("forgejo_admin/mcp-old")["mirror_interval"] == "8h0m0s"  # type: ignore[index]


def test_a_read_follows_a_rename(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    fake.rename("forgejo_admin/mcp", "mcp-old")
    with client_for(fake.api_url) as client:
        assert client.get_repo("forgejo_admin/mcp")["full_name"] == "forgejo_admin/mcp-old"  # type: ignore[index]


def test_delete_says_whether_there_was_anything_to_delete(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    with client_for(fake.api_url) as client:
        assert client.delete_repo("forgejo_admin/mcp") is True
        assert client.delete_repo("forgejo_admin/mcp") is False
    assert fake.calls() == [("DELETE", REPO), ("DELETE", REPO)]


def test_errors_name_the_repo_the_call_the_status_and_forgejos_message(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    fake.script("PATCH", REPO, Reply(422, {"message": "repo is a mirror, cannot archive/un-archive", "url": "x"}))
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        client.edit_repo("forgejo_admin/mcp", {"description": "x"})
    assert str(raised.value) == (
        "forgejo_admin/mcp: PATCH /api/v1/repos/forgejo_admin/mcp failed with HTTP 422: "
        "repo is a mirror, cannot archive/un-archive"
    )
    assert raised.value.status == 422


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(500, {"message": "", "url": "x"}), "HTTP 500: (Forgejo gave no message; its log has the details)"),
        (Reply(403, {"message": "Given user is not owner of organization."}), "HTTP 403: Given user is not owner"),
        (Reply(404, {"message": "The target couldn't be found."}), "HTTP 404: The target couldn't be found."),
    ],
)
def test_failure_texts(fake: FakeForgejo, reply: Reply, expected: str) -> None:
    fake.script("POST", MIGRATE, reply)
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError, match=re.escape(expected)):
        client.migrate(dict(MIGRATE_OPTIONS))


def test_a_proxy_error_page_is_quoted_rather_than_crashing(fake: FakeForgejo) -> None:
    fake.script("GET", REPO, Reply(400, "Bad Request: plain text from a proxy"))
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError, match=r"HTTP 400: .*plain text"):
        client.get_repo("forgejo_admin/mcp")


def test_basic_auth_is_sent_as_the_admin(fake: FakeForgejo) -> None:
    with client_for(fake.api_url) as client:
        assert client.get_repo("forgejo_admin/mcp") is None
    expected = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
    assert fake.requests[0].headers["Authorization"] == f"Basic {expected}"


def test_a_token_is_sent_in_the_authorization_header(fake: FakeForgejo) -> None:
    with client_for(fake.api_url, api_auth={"token": API_TOKEN}) as client:
        assert client.get_repo("forgejo_admin/mcp") is None
    assert fake.requests[0].headers["Authorization"] == f"token {API_TOKEN}"


def test_wrong_credentials_fail_with_the_401(fake: FakeForgejo) -> None:
    wrong = {"username": ADMIN_USER, "password": "wrong"}
    with client_for(fake.api_url, api_auth=wrong) as client, pytest.raises(ForgejoApiError, match="HTTP 401"):
        client.get_repo("forgejo_admin/mcp")


# -- TLS -------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_fake(tls_files: tuple[Path, Path]) -> Iterator[FakeForgejo]:
    with running_fake(tls_context=server_tls_context(*tls_files)) as server:
        yield server


def test_tls_is_verified_against_the_given_ca_bundle(tls_fake: FakeForgejo, tls_files: tuple[Path, Path]) -> None:
    pem = tls_files[0].read_text()
    with client_for(tls_fake.api_url, ca_bundle=pem) as client:
        assert client.wait_until_ready() == "13.0.3+gitea-1.22.0"


def test_tls_with_an_unknown_ca_and_no_ca_bundle_says_to_set_one(tls_fake: FakeForgejo) -> None:
    with client_for(tls_fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        client.wait_until_ready()
    assert str(raised.value) == (
        "forgejo_admin/mcp: GET /api/v1/version failed: TLS: the server's certificate is signed by a CA this machine "
        "does not trust (self-signed certificate), and no CA is configured; set goldentooth-forgejo:forgejoCaFrom to "
        "the Secret or ConfigMap that holds the CA which signed Forgejo's certificate (goldentooth: `pulumi config set "
        "--path forgejoCaFrom.secretName gateway-tls` and `pulumi config set --path forgejoCaFrom.namespace gateway`; "
        "the key defaults to ca.crt), or goldentooth-forgejo:forgejoCaBundle to its PEM"
    )


def test_tls_with_an_unknown_ca_says_the_ca_bundle_is_not_the_right_one(tls_fake: FakeForgejo, tmp_path: Path) -> None:
    other_ca, _ = make_tls_files(tmp_path)  # a CA, but not the one that signed the server's certificate
    with (
        client_for(tls_fake.api_url, ca_bundle=other_ca.read_text()) as client,
        pytest.raises(ForgejoApiError, match=r"not signed by the CA in ca_bundle \(self-signed certificate\); set"),
    ):
        client.wait_until_ready()


def test_tls_with_a_host_name_the_certificate_does_not_name_says_so(
    tls_fake: FakeForgejo, tls_files: tuple[Path, Path]
) -> None:
    by_name = tls_fake.api_url.replace("127.0.0.1", "localhost")  # the certificate names only IP 127.0.0.1
    with (
        client_for(by_name, ca_bundle=tls_files[0].read_text()) as client,
        pytest.raises(ForgejoApiError) as raised,
    ):
        client.wait_until_ready()
    assert "TLS: the server's certificate is not valid for localhost (Hostname mismatch" in str(raised.value)
    assert "use a host name in api_url that the certificate names" in str(raised.value)


def test_tls_against_a_plain_http_server_says_so(fake: FakeForgejo) -> None:
    with client_for(fake.api_url.replace("http://", "https://")) as client, pytest.raises(ForgejoApiError) as raised:
        client.wait_until_ready()
    assert "it looks like plain http on an https:// URL. Use http:// in api_url" in str(raised.value)
    assert fake.calls() == []  # the fake saw a TLS hello, not a request


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_insecure_skips_verification_only_when_asked(tls_fake: FakeForgejo) -> None:
    with client_for(tls_fake.api_url, ca_bundle="ignored", insecure=True) as client:
        client.wait_until_ready()


def test_the_ca_bundle_file_exists_only_while_in_use() -> None:
    with tls_verify(None, insecure=False) as system, tls_verify("ignored", insecure=True) as off:
        assert (system, off) == (True, False)  # requests' own CA store, or no verification
    with tls_verify("-----BEGIN CERTIFICATE-----\nX\n", insecure=False) as verify:
        assert isinstance(verify, str)
        assert Path(verify).read_text() == "-----BEGIN CERTIFICATE-----\nX\n"
        assert oct(os.stat(verify).st_mode & 0o777) == "0o600"
    assert not Path(verify).exists()


# -- redaction -------------------------------------------------------------


def test_redact_removes_url_userinfo_and_known_secrets() -> None:
    text = "fatal: could not read from https://oauth2:ghp_x@github.com/o/r.git (user:SECRETPW@host)"
    assert redact(text, ["SECRETPW"]) == "fatal: could not read from https://***@github.com/o/r.git (user:***@host)"


ODD_PASSWORD = "SENTINEL p@ss/w:rd%&+"


@pytest.mark.parametrize(
    "echo",
    [
        quote(ODD_PASSWORD, safe=""),
        quote(ODD_PASSWORD, safe="").lower(),  # some servers write the escapes in lower case
        quote(ODD_PASSWORD),
        quote_plus(ODD_PASSWORD),
        base64.b64encode(f"{ADMIN_USER}:{ODD_PASSWORD}".encode()).decode(),  # the Basic header's value
        base64.b64encode(f"{ADMIN_USER}:{ODD_PASSWORD}".encode()).decode().rstrip("="),
    ],
)
def test_an_echoed_credential_is_redacted_in_its_encoded_forms(fake: FakeForgejo, echo: str) -> None:
    fake.password = ODD_PASSWORD
    fake.script("GET", REPO, Reply(400, {"message": f"bad request from ...{echo}... (echoed)"}))
    credentials = {"username": ADMIN_USER, "password": ODD_PASSWORD}
    with client_for(fake.api_url, api_auth=credentials) as client, pytest.raises(ForgejoApiError) as raised:
        client.get_repo("forgejo_admin/mcp")
    assert str(raised.value).endswith("failed with HTTP 400: bad request from ...***... (echoed)")


# In a fresh interpreter, what the provider host does in a preview: load the providers of every dynamic resource
# (unpickling one imports its module), then check and diff. Then a provider's first call to Forgejo. Which of requests
# and urllib3 are loaded is printed after each stage.
PREVIEW_THEN_CALL = """
import sys
import components.generated_secret
from tests.conftest_mirrors import raw_props
from tests.test_api_token_provider import token_props
from components.mirror_provider import ForgejoMirrorProvider
from components.api_token_provider import ForgejoApiTokenProvider

loaded = lambda: [name for name in ("requests", "urllib3") if name in sys.modules]
for provider, props in ((ForgejoMirrorProvider(), raw_props("https://git.example.net/api/v1")),
                        (ForgejoApiTokenProvider(), token_props("https://git.example.net/api/v1"))):
    inputs = provider.check({}, props).inputs
    provider.diff("1", inputs, inputs)
print(loaded())
with ForgejoMirrorProvider().client(inputs):
    print(loaded())
"""


def test_a_preview_loads_no_http_client_in_the_provider_host() -> None:
    # A preview and a no-op `up` ask the provider host only for check and diff (both pure). The host is a Python
    # process started from nothing in each phase, and on two cores its imports are wall time the user waits for.
    # (The program imports requests anyway, through pulumi-kubernetes' helm package.)
    run = subprocess.run(
        [sys.executable, "-c", PREVIEW_THEN_CALL], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["[]", "['requests', 'urllib3']"]
