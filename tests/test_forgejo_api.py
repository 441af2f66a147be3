"""The Forgejo API client against the loopback fake: bodies, retries, timeouts, errors and TLS."""

from __future__ import annotations

import base64
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from components import forgejo_api
from components.forgejo_api import (
    ApiCredentials,
    ForgejoApiError,
    ForgejoClient,
    RepoAlreadyExists,
    Timing,
    redact,
    tls_verify,
)
from tests.conftest_mirrors import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    API_TOKEN,
    CLONE_ADDR,
    FAST_BACKOFF,
    MIGRATE_OPTIONS,
    make_tls_files,
    running_fake,
    server_tls_context,
)
from tests.fake_forgejo import FakeForgejo, Reply, SlowMigration

BASIC = ApiCredentials(username=ADMIN_USER, password=ADMIN_PASSWORD)
FAST = Timing(request_timeout=2.0, backoff_factor=FAST_BACKOFF)
MIGRATE = "/api/v1/repos/migrate"
REPO = "/api/v1/repos/forgejo_admin/mcp"


@pytest.fixture
def fake() -> Iterator[FakeForgejo]:
    with running_fake() as server:
        yield server


def client_for(url: str, timing: Timing = FAST, **options: Any) -> ForgejoClient:
    return ForgejoClient(url, options.pop("credentials", BASIC), subject="forgejo_admin/mcp", timing=timing, **options)


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
    fake.script("GET", "/api/v1/version", *[Reply(503, "no healthy upstream")] * (forgejo_api.READY_RETRIES + 5))
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError) as raised:
        client.wait_until_ready()
    assert str(raised.value) == "forgejo_admin/mcp: GET /api/v1/version failed with HTTP 503: no healthy upstream"
    assert fake.count("GET", "/api/v1/version") == forgejo_api.READY_RETRIES + 1


def test_readiness_waits_for_forgejo_that_starts_moments_later() -> None:
    port = free_port()
    late: list[FakeForgejo] = []

    def start_late() -> None:
        late.append(FakeForgejo(port=port).__enter__())

    timer = threading.Timer(0.3, start_late)
    timer.start()
    try:
        with client_for(f"http://127.0.0.1:{port}", Timing(request_timeout=2.0, backoff_factor=0.05)) as client:
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


def test_migrate_is_never_resent_after_a_503(fake: FakeForgejo) -> None:
    fake.script("POST", MIGRATE, Reply(503, {"message": "upstream connect error"}))
    with client_for(fake.api_url) as client, pytest.raises(ForgejoApiError, match="HTTP 503: upstream connect error"):
        client.migrate(dict(MIGRATE_OPTIONS))
    assert fake.count("POST", MIGRATE) == 1


def test_migrate_reports_an_existing_repository_as_such(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR)
    with client_for(fake.api_url) as client, pytest.raises(RepoAlreadyExists) as raised:
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


def test_a_migrate_that_outlasts_the_client_timeout_is_followed_until_done(fake: FakeForgejo) -> None:
    fake.script("POST", MIGRATE, SlowMigration(delay=0.4))
    timing = Timing(request_timeout=2.0, migrate_timeout=0.15, backoff_factor=0.01)  # polls every 0.1 s
    with client_for(fake.api_url, timing) as client:
        repo = client.migrate(dict(MIGRATE_OPTIONS))
    assert repo["mirror_interval"] == "5m0s"
    assert fake.count("POST", MIGRATE) == 1
    assert fake.count("GET", REPO) >= 2  # saw it still migrating, then finished


def test_a_migrate_that_times_out_and_then_fails_on_the_server_says_so(fake: FakeForgejo) -> None:
    fake.script("POST", MIGRATE, SlowMigration(delay=0.3, succeed=False))
    timing = Timing(request_timeout=2.0, migrate_timeout=0.15, backoff_factor=0.01)
    with client_for(fake.api_url, timing) as client, pytest.raises(ForgejoApiError) as raised:
        client.migrate(dict(MIGRATE_OPTIONS))
    assert "no answer within 0.15 s" in str(raised.value)
    assert "the migration failed on the server" in str(raised.value)
    assert fake.count("POST", MIGRATE) == 1


def test_a_migrate_whose_connection_drops_is_followed_until_done(fake: FakeForgejo) -> None:
    fake.script("POST", MIGRATE, SlowMigration(delay=0.2, drop_connection=True))
    with client_for(fake.api_url, Timing(request_timeout=2.0, backoff_factor=0.01)) as client:
        repo = client.migrate(dict(MIGRATE_OPTIONS))
    assert repo["mirror_interval"] == "5m0s"
    assert fake.count("POST", MIGRATE) == 1


def test_a_migrate_that_cannot_connect_fails_without_polling() -> None:
    with client_for(f"http://127.0.0.1:{free_port()}") as client, pytest.raises(ForgejoApiError) as raised:
        client.migrate(dict(MIGRATE_OPTIONS))
    assert str(raised.value).startswith("forgejo_admin/mcp: POST /api/v1/repos/migrate failed: ")
    assert "Connection refused" in str(raised.value)


def test_polling_an_interrupted_migration_is_bounded(fake: FakeForgejo) -> None:
    fake.script("POST", MIGRATE, SlowMigration(delay=1.5))
    timing = Timing(request_timeout=2.0, migrate_timeout=0.1, backoff_factor=FAST_BACKOFF)
    with client_for(fake.api_url, timing) as client, pytest.raises(ForgejoApiError, match="still running"):
        client.migrate(dict(MIGRATE_OPTIONS))
    assert fake.count("GET", REPO) == forgejo_api.MIGRATION_POLLS


def test_a_proxy_504_on_migrate_is_treated_as_maybe_created(fake: FakeForgejo) -> None:
    fake.add_repo("forgejo_admin", "mcp", original_url=CLONE_ADDR, mirror_interval="5m0s")
    fake.script("POST", MIGRATE, Reply(504, "upstream request timeout"))
    with client_for(fake.api_url) as client:
        repo = client.migrate(dict(MIGRATE_OPTIONS))
    assert repo["full_name"] == "forgejo_admin/mcp"
    assert fake.calls() == [("POST", MIGRATE), ("GET", REPO)]


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
    with client_for(fake.api_url, Timing(request_timeout=0.2, backoff_factor=FAST_BACKOFF)) as client:
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
    timing = Timing(request_timeout=0.2, backoff_factor=FAST_BACKOFF)
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
    with client_for(fake.api_url, Timing(request_timeout=7.0, migrate_timeout=660.0)) as client:
        client.wait_until_ready()
        client.migrate(dict(MIGRATE_OPTIONS))
        client.get_repo("forgejo_admin/mcp")
        client.get_repo_by_id(1)
        client.edit_repo("forgejo_admin/mcp", {"has_actions": True})
        client.sync_mirror("forgejo_admin/mcp")
        client.dispatch_workflow("forgejo_admin/mcp", "ci.yml", "main")
        client.delete_repo("forgejo_admin/mcp")
    assert timeouts == [("GET", 7.0), ("POST", 660.0), ("GET", 7.0), ("GET", 7.0), ("PATCH", 7.0), ("POST", 7.0),
                        ("POST", 7.0), ("DELETE", 7.0)]  # fmt: skip


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
    with client_for(fake.api_url, credentials=ApiCredentials(token=API_TOKEN)) as client:
        assert client.get_repo("forgejo_admin/mcp") is None
    assert fake.requests[0].headers["Authorization"] == f"token {API_TOKEN}"


def test_wrong_credentials_fail_with_the_401(fake: FakeForgejo) -> None:
    wrong = ApiCredentials(username=ADMIN_USER, password="wrong")
    with client_for(fake.api_url, credentials=wrong) as client, pytest.raises(ForgejoApiError, match="HTTP 401"):
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
    with tls_verify(pem, insecure=False) as verify, client_for(tls_fake.api_url, verify=verify) as client:
        assert client.wait_until_ready() == "13.0.3+gitea-1.22.0"


def test_tls_is_verified_by_default_and_the_error_says_what_to_set(tls_fake: FakeForgejo) -> None:
    with tls_verify(None, insecure=False) as verify, client_for(tls_fake.api_url, verify=verify) as client:
        assert verify is True
        with pytest.raises(ForgejoApiError, match="TLS verification failed; set ca_bundle"):
            client.wait_until_ready()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_insecure_skips_verification_only_when_asked(tls_fake: FakeForgejo) -> None:
    with tls_verify("ignored", insecure=True) as verify, client_for(tls_fake.api_url, verify=verify) as client:
        assert verify is False
        client.wait_until_ready()


def test_the_ca_bundle_file_exists_only_while_in_use() -> None:
    with tls_verify("-----BEGIN CERTIFICATE-----\nX\n", insecure=False) as verify:
        assert isinstance(verify, str)
        assert Path(verify).read_text() == "-----BEGIN CERTIFICATE-----\nX\n"
        assert oct(os.stat(verify).st_mode & 0o777) == "0o600"
    assert not Path(verify).exists()


# -- redaction -------------------------------------------------------------


def test_redact_removes_url_userinfo_and_known_secrets() -> None:
    text = "fatal: could not read from https://oauth2:ghp_x@github.com/o/r.git (user:SECRETPW@host)"
    assert redact(text, ["SECRETPW"]) == "fatal: could not read from https://***@github.com/o/r.git (user:***@host)"
