"""No credential leaks: not into the pickled provider, the outputs, nor any error or check text.

The credentials are distinctive sentinels (tests/conftest_mirrors.py), so a
plain substring scan is conclusive.
"""

from __future__ import annotations

import base64
import json
import traceback
from collections.abc import Iterator

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from components.mirror_provider import MIGRATE_ATTEMPTS, SECRET_PROPERTIES, ForgejoMirrorProvider
from tests.conftest_mirrors import (
    ADMIN_PASSWORD,
    API_TOKEN,
    CONNECTION,
    MCP,
    MIRROR_TYPE,
    SENTINELS,
    UPSTREAM_TOKEN,
    checked_props,
    raw_props,
    run_mirrors,
    running_fake,
)
from tests.fake_forgejo import FakeForgejo, Reply

MIGRATE = ("POST", "/api/v1/repos/migrate")
BASIC_CREDENTIALS = base64.b64encode(f"forgejo_admin:{ADMIN_PASSWORD}".encode()).decode()  # a Basic header's value
LEAKY_URL = f"https://oauth2:{UPSTREAM_TOKEN}@github.com/goldentooth/mcp.git"


@pytest.fixture
def fake() -> Iterator[FakeForgejo]:
    with running_fake() as server:
        yield server


def leaked(text: str) -> list[str]:
    return [sentinel for sentinel in (*SENTINELS, BASIC_CREDENTIALS) if sentinel in text]


def test_scanner_finds_a_sentinel() -> None:
    assert leaked(f"x{API_TOKEN}x") == [API_TOKEN]


def test_the_pickled_provider_in_state_holds_no_credentials() -> None:
    tokens = {"forgejo_admin/mcp": UPSTREAM_TOKEN}
    monitor, _ = run_mirrors([MCP], upstream_tokens=tokens)
    [mirror] = [r for r in monitor.registered if r.typ == MIRROR_TYPE]
    blob = base64.b64decode(rpc.unwrap_rpc_secret(mirror.inputs["__provider"]))
    assert leaked(blob.decode("latin-1")) == []
    # Pickled by reference (module path + class), with no instance data: hence a permanent module path.
    assert b"components.mirror_provider" in blob
    assert b"ForgejoMirrorProvider" in blob
    assert len(blob) < 300


def test_a_provider_that_has_worked_still_pickles_without_credentials(fake: FakeForgejo) -> None:
    provider = ForgejoMirrorProvider()
    outs = provider.create(checked_props(fake.api_url, api_auth={"token": API_TOKEN}, auth_token=UPSTREAM_TOKEN))
    provider.read("1", outs.outs or {})
    assert leaked(base64.b64decode(serialize_provider(provider)).decode("latin-1")) == []


def test_outputs_carry_credentials_only_in_the_secret_inputs(fake: FakeForgejo) -> None:
    provider = ForgejoMirrorProvider()
    news = checked_props(
        fake.api_url,
        api_auth=rpc.wrap_rpc_secret({"username": "forgejo_admin", "password": ADMIN_PASSWORD}),
        auth_token=rpc.wrap_rpc_secret(UPSTREAM_TOKEN),
    )
    created = provider.create(news)
    outs = created.outs or {}
    read = provider.read(created.id, outs)
    updated = provider.update(created.id, outs, {**news, "mirror_interval": "1h"})
    for result in (outs, read.outs or {}, read.inputs or {}, updated.outs or {}):
        public = {key: value for key, value in result.items() if key not in SECRET_PROPERTIES}
        assert leaked(json.dumps(public, default=str)) == []
        assert {key: result[key] for key in SECRET_PROPERTIES} == {key: news[key] for key in SECRET_PROPERTIES}


def test_credentials_travel_only_in_the_auth_header_and_the_migrate_body(fake: FakeForgejo) -> None:
    ForgejoMirrorProvider().create(checked_props(fake.api_url, auth_token=UPSTREAM_TOKEN))
    for request in fake.requests:
        assert leaked(request.path) == []
        headers = {key: value for key, value in request.headers.items() if key != "Authorization"}
        assert leaked(json.dumps(headers)) == []
    assert [r.body.get("auth_token") for r in fake.requests if (r.method, r.path) == MIGRATE] == [UPSTREAM_TOKEN]


def error_text(error: BaseException) -> str:
    """What the provider host sends the engine: the formatted traceback, chained causes included."""
    return "".join(traceback.format_exception(error))


@pytest.mark.parametrize(
    ("method", "path", "replies"),
    [
        (*MIGRATE, [Reply(422, {"message": f"Authentication failed: fatal: could not read from {LEAKY_URL}"})]),
        (*MIGRATE, [Reply(500, {"message": f"fatal: unable to look up user:{UPSTREAM_TOKEN}@github.com"})]),
        (*MIGRATE, [Reply(401, {"message": f"password {ADMIN_PASSWORD} is wrong"})]),
        # A gateway's page, on every send of the migrate (it is looked after and sent again).
        (*MIGRATE, [Reply(502, f"<html>proxy saw Authorization: Basic {BASIC_CREDENTIALS}</html>")] * MIGRATE_ATTEMPTS),
        ("GET", "/api/v1/version", [Reply(400, {"message": f"bad {ADMIN_PASSWORD}"})]),
        # After the migrate a failure is a warning, not an error: the warning is scanned too.
        (
            "PATCH",
            "/api/v1/repos/forgejo_admin/mcp",
            [Reply(301, None, {"Location": f"https://u:{UPSTREAM_TOKEN}@x/"})],
        ),
        ("PUT", "/api/v1/repos/forgejo_admin/mcp/topics", [Reply(500, {"message": f"basic {BASIC_CREDENTIALS}"})]),
    ],
)
def test_error_and_warning_text_never_contains_credentials(
    fake: FakeForgejo, capsys: pytest.CaptureFixture[str], method: str, path: str, replies: list[Reply]
) -> None:
    fake.script(method, path, *replies)
    props = checked_props(fake.api_url, api_auth={"username": "forgejo_admin", "password": ADMIN_PASSWORD},
                          auth_token=UPSTREAM_TOKEN)  # fmt: skip
    try:
        ForgejoMirrorProvider().create(props)
        text = ""
    except Exception as error:  # any failure type: the text is what is checked
        text = error_text(error)
    text += capsys.readouterr().err
    assert leaked(text) == []
    assert "forgejo_admin/mcp" in text


def test_a_token_authenticated_error_redacts_the_token(fake: FakeForgejo) -> None:
    fake.script(*MIGRATE, Reply(403, {"message": f"token {API_TOKEN} lacks write:repository"}))
    with pytest.raises(Exception) as raised:  # noqa: PT011 -- the text is what is checked
        ForgejoMirrorProvider().create(checked_props(fake.api_url, api_auth={"token": API_TOKEN}))
    assert leaked(error_text(raised.value)) == []
    assert "token *** lacks write:repository" in str(raised.value)


def test_check_failures_never_repeat_credentials() -> None:
    news = raw_props(
        CONNECTION.api_url,
        clone_addr=LEAKY_URL,
        api_auth={"user": "forgejo_admin", "password": ADMIN_PASSWORD},
        auth_token=UPSTREAM_TOKEN,
        api_url=f"https://admin:{ADMIN_PASSWORD}@git.goldentooth.net/api/v1",
    )
    failures = ForgejoMirrorProvider().check({}, news).failures
    assert sorted(f.property for f in failures) == ["api_auth", "api_url", "clone_addr"]
    assert leaked(" ".join(f.reason for f in failures)) == []


def test_a_token_with_a_newline_is_refused_at_check_without_repeating_it() -> None:
    news = raw_props(CONNECTION.api_url, api_auth={"token": f"{API_TOKEN}\n"})

    failures = ForgejoMirrorProvider().check({}, news).failures

    assert [f.property for f in failures] == ["api_auth"]
    assert leaked(" ".join(f.reason for f in failures)) == []


def test_a_request_that_cannot_be_built_fails_without_quoting_the_header(fake: FakeForgejo) -> None:
    # check() refuses such a token; this is the client's own guard, for a token that got past it.
    from components.forgejo_api import ApiInputs
    from components.forgejo_client import connect

    inputs = ApiInputs.model_construct(api_url=fake.api_url, api_auth={"token": f"{API_TOKEN}\n"})
    with connect(inputs, "forgejo_admin/mcp") as client, pytest.raises(Exception) as raised:  # noqa: PT011 -- the text is what is checked
        client.get_repo("forgejo_admin/mcp")

    assert leaked(error_text(raised.value)) == []
    assert "could not be built (ValueError)" in str(raised.value)
