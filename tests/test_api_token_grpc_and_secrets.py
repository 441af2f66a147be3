"""The token provider through the SDK's real provider host over gRPC, and its value kept secret everywhere.

The lifecycle runs as the engine runs it (``python -m pulumi.dynamic``, the provider pickled into ``__provider``,
secrets wrapped on the wire). The value is random, so each scan reads it from the fake's database after the create;
the admin's credentials are the sentinels of tests/conftest_mirrors.py.
"""

from __future__ import annotations

import base64
import json
import traceback
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from components.api_token_provider import OUTPUTS, SECRET_PROPERTIES, ForgejoApiTokenProvider
from tests.conftest_mirrors import ADMIN_PASSWORD, ADMIN_USER, SENTINELS, running_fake, secret
from tests.fake_forgejo import FakeForgejo, Reply
from tests.test_api_token_provider import TOKENS, checked, token_props
from tests.test_mirror_provider_grpc import PROJECT, HostLog, from_struct, host_process, to_struct

__all__ = ["host_process"]  # the module-scoped provider host, shared with the mirror's gRPC tests

URN = f"urn:pulumi:test::{PROJECT}::goldentooth:index:ApiTokens$pulumi-python:dynamic/forgejo:ApiToken::"
URN += "api-tokens/forgejo_admin/git-sync"
BASIC_CREDENTIALS = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
DIFF_NONE, DIFF_SOME = proto.DiffResponse.DIFF_NONE, proto.DiffResponse.DIFF_SOME


@pytest.fixture
def fake() -> Iterator[FakeForgejo]:
    with running_fake() as server:
        yield server


def leaked(text: str, value: str = "") -> list[str]:
    return [s for s in (*SENTINELS, BASIC_CREDENTIALS, value) if s and s in text]


def engine_news(fake: FakeForgejo, **overrides: Any) -> dict[str, Any]:
    props = token_props(fake.api_url, api_auth=secret({"username": ADMIN_USER, "password": ADMIN_PASSWORD}))
    return {**props, **overrides, "__provider": serialize_provider(ForgejoApiTokenProvider())}


def test_lifecycle_through_the_provider_host(
    host_process: tuple[provider_pb2_grpc.ResourceProviderStub, HostLog], fake: FakeForgejo
) -> None:
    host, log = host_process
    log.new_lines()
    checked_inputs = host.Check(proto.CheckRequest(urn=URN, olds=to_struct({}), news=to_struct(engine_news(fake))))
    assert list(checked_inputs.failures) == []
    assert fake.calls() == []

    created = host.Create(proto.CreateRequest(urn=URN, properties=checked_inputs.inputs, timeout=60))
    outs = from_struct(created.properties)
    [made] = fake.tokens.values()
    assert created.id == str(made["id"])
    assert outs["token"] == made["sha1"]  # the host hands the value back; the engine makes it secret (next test)
    assert outs["api_auth"] == secret({"username": ADMIN_USER, "password": ADMIN_PASSWORD})

    fake.clear_log()
    read = host.Read(proto.ReadRequest(id=created.id, urn=URN, properties=created.properties))
    assert read.id == created.id
    unchanged = host.Diff(
        proto.DiffRequest(id=created.id, urn=URN, olds=created.properties, news=checked_inputs.inputs)
    )
    assert (unchanged.changes, list(unchanged.replaces)) == (DIFF_NONE, [])
    rescoped = to_struct(engine_news(fake, scopes=["read:repository", "read:package"]))
    rotated = host.Diff(proto.DiffRequest(id=created.id, urn=URN, olds=created.properties, news=rescoped))
    assert (rotated.changes, list(rotated.replaces), rotated.deleteBeforeReplace) == (DIFF_SOME, ["scopes"], False)
    assert fake.calls() == [("GET", TOKENS)]  # the read only

    host.Delete(proto.DeleteRequest(id=created.id, urn=URN, properties=created.properties))
    assert fake.tokens == {}
    assert leaked(log.new_lines(), made["sha1"]) == []


def test_check_failures_cross_the_wire(
    host_process: tuple[provider_pb2_grpc.ResourceProviderStub, HostLog], fake: FakeForgejo
) -> None:
    news = to_struct(engine_news(fake, scopes=["read:repo"], name="two words"))
    checked_inputs = host_process[0].Check(proto.CheckRequest(urn=URN, olds=to_struct({}), news=news))

    assert sorted(f.property for f in checked_inputs.failures) == ["name", "scopes[0]"]


def test_an_api_error_reaches_the_engine_without_credentials(
    host_process: tuple[provider_pb2_grpc.ResourceProviderStub, HostLog], fake: FakeForgejo
) -> None:
    fake.script("POST", TOKENS, Reply(500, {"message": f"login {ADMIN_PASSWORD} / Basic {BASIC_CREDENTIALS}"}))
    inputs = host_process[0].Check(proto.CheckRequest(urn=URN, olds=to_struct({}), news=to_struct(engine_news(fake))))

    with pytest.raises(grpc.RpcError) as raised:
        host_process[0].Create(proto.CreateRequest(urn=URN, properties=inputs.inputs, timeout=60))

    details = raised.value.details() or ""
    assert "ApiTokenError: token git-sync of forgejo_admin: POST /api/v1/users/forgejo_admin/tokens failed" in details
    assert leaked(details) == []


def test_the_value_is_a_secret_output_and_never_a_plain_one(fake: FakeForgejo) -> None:
    provider = ForgejoApiTokenProvider()
    news = checked(fake.api_url, api_auth=rpc.wrap_rpc_secret({"username": ADMIN_USER, "password": ADMIN_PASSWORD}))
    created = provider.create(news)
    outs = created.outs or {}
    value = outs["token"]
    read = provider.read(created.id, outs)
    updated = provider.update(created.id, outs, {**news, "request_timeout": 3.0})

    assert set(SECRET_PROPERTIES) == {"token", "api_auth"}  # additional_secret_outputs
    for result in (outs, read.outs or {}, updated.outs or {}):
        public = {key: item for key, item in result.items() if key not in SECRET_PROPERTIES}
        assert leaked(json.dumps(public, default=str), value) == []
        assert result["token"] == value
    assert value not in json.dumps(read.inputs, default=str)  # inputs never carry it
    assert "token" in OUTPUTS  # an output only: never an input


def test_the_pickled_provider_holds_nothing_even_after_work(fake: FakeForgejo) -> None:
    provider = ForgejoApiTokenProvider()
    created = provider.create(checked(fake.api_url))
    provider.read(created.id, created.outs or {})

    blob = base64.b64decode(serialize_provider(provider))
    assert leaked(blob.decode("latin-1"), (created.outs or {})["token"]) == []
    assert b"components.api_token_provider" in blob
    assert b"ForgejoApiTokenProvider" in blob
    assert len(blob) < 300


def error_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


@pytest.mark.parametrize(
    ("method", "status"),
    [("GET", 500), ("GET", 502), ("DELETE", 500), ("DELETE", 403)],
    ids=["read-500", "read-502", "delete-500", "delete-403"],
)
def test_read_and_delete_errors_never_echo_the_value_or_the_password(
    fake: FakeForgejo, capsys: pytest.CaptureFixture[str], method: str, status: int
) -> None:
    provider = ForgejoApiTokenProvider()
    created = provider.create(checked(fake.api_url))
    value = (created.outs or {})["token"]
    path = TOKENS if method == "GET" else f"{TOKENS}/{created.id}"
    echo = {"message": f"token {value} for {ADMIN_PASSWORD} ({BASIC_CREDENTIALS})"}
    fake.script(method, path, *[Reply(status, echo)] * 5)

    call = provider.read if method == "GET" else provider.delete
    with pytest.raises(Exception) as raised:  # noqa: PT011 -- the text is what is checked
        call(created.id, created.outs or {})

    text = error_text(raised.value) + capsys.readouterr().err
    assert leaked(text, value) == []
    assert f"HTTP {status}: token *** for ***" in text
