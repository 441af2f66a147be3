"""The mirror lifecycle through the SDK's real provider host, ``python -m pulumi.dynamic``, over gRPC.

This is what the engine does: the provider is dill-pickled into ``__provider``,
the host (started in the project directory, as the engine starts it)
unpickles it by module path, and every property crosses the wire as a
protobuf Struct -- secrets wrapped with Pulumi's secret signature.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from components.mirror_provider import ForgejoMirrorProvider
from tests.conftest_mirrors import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    PROJECT_ROOT,
    SENTINELS,
    UPSTREAM_TOKEN,
    raw_props,
    running_fake,
    secret,
)
from tests.fake_forgejo import FakeForgejo, Reply

PROJECT = "goldentooth-forgejo"
MIRROR_URN = f"urn:pulumi:test::{PROJECT}::goldentooth:index:Mirrors$pulumi-python:dynamic/forgejo:Mirror::"
URN = f"{MIRROR_URN}mirrors/forgejo_admin/mcp"
REPO_PATH = "/api/v1/repos/forgejo_admin/mcp"
DIFF_NONE, DIFF_SOME = proto.DiffResponse.DIFF_NONE, proto.DiffResponse.DIFF_SOME


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    # A private loop: asyncio.run would unset the thread's loop, which later mock tests rely on.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct))


class HostLog:
    """The provider host's stderr, where its warnings go (the CLI shows them)."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file, self._read = file, 0

    def new_lines(self) -> str:
        self._file.seek(self._read)
        text = self._file.read().decode()
        self._read += len(text.encode())
        return text


@pytest.fixture(scope="module")
def host_process() -> Iterator[tuple[provider_pb2_grpc.ResourceProviderStub, HostLog]]:
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=PROJECT_ROOT,  # as the engine does: the pickled class is imported from the project
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, "PULUMI_PROJECT": PROJECT},
        )
        try:
            assert process.stdout is not None
            port = int(process.stdout.readline())
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(channel).result(timeout=10)
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            configured = stub.Configure(proto.ConfigureRequest(args=to_struct({})))
            assert configured.acceptSecrets is False
            yield stub, HostLog(stderr)
            channel.close()
        finally:
            process.terminate()
            process.wait(timeout=5)


@pytest.fixture
def host(
    host_process: tuple[provider_pb2_grpc.ResourceProviderStub, HostLog],
) -> provider_pb2_grpc.ResourceProviderStub:
    return host_process[0]


@pytest.fixture
def host_log(host_process: tuple[provider_pb2_grpc.ResourceProviderStub, HostLog]) -> HostLog:
    host_process[1].new_lines()  # only what this test causes
    return host_process[1]


@pytest.fixture
def fake() -> Iterator[FakeForgejo]:
    with running_fake() as server:
        yield server


def engine_news(fake: FakeForgejo, **overrides: Any) -> dict[str, Any]:
    """Program inputs as the engine sends them: secrets wrapped, provider pickled."""
    props = raw_props(
        fake.api_url,
        api_auth=secret({"username": ADMIN_USER, "password": ADMIN_PASSWORD}),
        auth_token=secret(UPSTREAM_TOKEN),
        **overrides,
    )
    return {**props, "__provider": serialize_provider(ForgejoMirrorProvider())}


def test_lifecycle_check_create_read_diff_update_delete(
    host: provider_pb2_grpc.ResourceProviderStub, fake: FakeForgejo
) -> None:
    news = engine_news(fake)
    checked = host.Check(proto.CheckRequest(urn=URN, olds=to_struct({}), news=to_struct(news)))
    assert list(checked.failures) == []
    assert fake.calls() == []

    created = host.Create(proto.CreateRequest(urn=URN, properties=checked.inputs, timeout=60))
    outs = from_struct(created.properties)
    assert created.id == "1"
    assert (outs["full_name"], outs["mirror_interval"], outs["has_actions"]) == ("forgejo_admin/mcp", "5m0s", True)
    assert outs["api_auth"] == secret({"username": ADMIN_USER, "password": ADMIN_PASSWORD})  # still secret
    assert outs["auth_token"] == secret(UPSTREAM_TOKEN)
    assert fake.bodies("POST", "/api/v1/repos/migrate")[0]["auth_token"] == UPSTREAM_TOKEN
    assert len(fake.calls()) <= 1 + 3  # readiness, then migrate, claim and one PATCH
    assert outs["claim"] in fake.repos[1]["topics"]

    fake.clear_log()
    read = host.Read(proto.ReadRequest(id=created.id, urn=URN, properties=created.properties, inputs=checked.inputs))
    assert read.id == created.id
    assert from_struct(read.properties)["mirror_interval"] == "5m0s"
    assert from_struct(read.inputs)["mirror_interval"] == "5m0s"
    assert fake.calls() == [("GET", "/api/v1/repositories/1")]

    fake.clear_log()
    unchanged = host.Diff(proto.DiffRequest(id=created.id, urn=URN, olds=created.properties, news=checked.inputs))
    assert (unchanged.changes, list(unchanged.replaces)) == (DIFF_NONE, [])
    renamed_news = to_struct(engine_news(fake, repo_name="mcp2"))
    renamed = host.Diff(proto.DiffRequest(id=created.id, urn=URN, olds=created.properties, news=renamed_news))
    assert (renamed.changes, list(renamed.replaces), renamed.deleteBeforeReplace) == (DIFF_SOME, ["repo_name"], False)
    assert fake.calls() == []

    longer = host.Check(
        proto.CheckRequest(urn=URN, olds=checked.inputs, news=to_struct(engine_news(fake, mirror_interval="15m")))
    ).inputs
    retuned = host.Diff(proto.DiffRequest(id=created.id, urn=URN, olds=created.properties, news=longer))
    assert (retuned.changes, list(retuned.replaces)) == (DIFF_SOME, [])
    updated = host.Update(proto.UpdateRequest(id=created.id, urn=URN, olds=created.properties, news=longer, timeout=60))
    assert fake.calls() == [("PATCH", REPO_PATH)]
    assert fake.bodies("PATCH", REPO_PATH) == [{"mirror_interval": "15m"}]
    assert from_struct(updated.properties)["mirror_interval"] == "15m0s"

    fake.clear_log()
    host.Delete(proto.DeleteRequest(id=created.id, urn=URN, properties=updated.properties))
    assert fake.calls() == [("GET", "/api/v1/repositories/1"), ("DELETE", REPO_PATH)]
    gone = host.Read(proto.ReadRequest(id=created.id, urn=URN, properties=updated.properties))
    assert gone.id == ""


def test_check_failures_cross_the_wire(host: provider_pb2_grpc.ResourceProviderStub, fake: FakeForgejo) -> None:
    news = engine_news(fake, mirror_interval="1m", repo_name="..")
    checked = host.Check(proto.CheckRequest(urn=URN, olds=to_struct({}), news=to_struct(news)))
    assert sorted(failure.property for failure in checked.failures) == ["mirror_interval", "repo_name"]


def test_an_api_error_reaches_the_engine_as_the_message_without_credentials(
    host: provider_pb2_grpc.ResourceProviderStub, fake: FakeForgejo
) -> None:
    leaked_url = f"https://oauth2:{UPSTREAM_TOKEN}@github.com/goldentooth/mcp.git"
    fake.script("POST", "/api/v1/repos/migrate", Reply(422, {"message": f"Authentication failed: {leaked_url}"}))
    checked = host.Check(proto.CheckRequest(urn=URN, olds=to_struct({}), news=to_struct(engine_news(fake))))
    with pytest.raises(grpc.RpcError) as raised:
        host.Create(proto.CreateRequest(urn=URN, properties=checked.inputs, timeout=60))
    details = raised.value.details() or ""
    assert (
        "ForgejoApiError: forgejo_admin/mcp: POST /api/v1/repos/migrate failed with HTTP 422: "
        "Authentication failed: https://***@github.com/goldentooth/mcp.git"
    ) in details
    assert not [sentinel for sentinel in SENTINELS if sentinel in details]


def test_a_urn_change_creates_then_deletes_as_the_engine_does_and_keeps_the_repository(
    host: provider_pb2_grpc.ResourceProviderStub, fake: FakeForgejo, host_log: HostLog
) -> None:
    """The component renamed (or a mirror re-keyed) without an alias, deletion switched on (no retain).

    The engine sees a new URN and an old one. It creates the new resource first -- the create meets the
    repository (409) and adopts it -- and then deletes the old one, whose state names the same repository id.
    """
    old_urn, new_urn = f"{MIRROR_URN}mirrors-forgejo_admin-mcp", f"{MIRROR_URN}forgejo-mirrors/forgejo_admin/mcp"
    news = to_struct(engine_news(fake))
    old_inputs = host.Check(proto.CheckRequest(urn=old_urn, olds=to_struct({}), news=news)).inputs
    old = host.Create(proto.CreateRequest(urn=old_urn, properties=old_inputs, timeout=60))

    new_inputs = host.Check(proto.CheckRequest(urn=new_urn, olds=to_struct({}), news=news)).inputs
    new = host.Create(proto.CreateRequest(urn=new_urn, properties=new_inputs, timeout=60))
    assert (new.id, len(fake.repos)) == (old.id, 1)  # adopted, not a second repository
    old_claim, new_claim = from_struct(old.properties)["claim"], from_struct(new.properties)["claim"]
    assert fake.repos[1]["topics"] == ["mcp", "model-context-protocol", new_claim]  # re-claimed

    fake.clear_log()
    host.Delete(proto.DeleteRequest(id=old.id, urn=old_urn, properties=old.properties))
    assert fake.calls() == [("GET", "/api/v1/repositories/1")]  # looked, and did not delete
    assert fake.repo("forgejo_admin/mcp") is not None
    assert host_log.new_lines() == (
        "warning: forgejo_admin/mcp: left in Forgejo, not deleted: it no longer carries this resource's claim topic "
        f"{old_claim} (it carries {new_claim}): another resource adopted it, for example after the mirror or its "
        "component was renamed. Delete it in Forgejo if it should go.\n"
    )
    read = host.Read(proto.ReadRequest(id=new.id, urn=new_urn, properties=new.properties, inputs=new_inputs))
    assert read.id == new.id  # the new resource still has its repository

    host.Delete(proto.DeleteRequest(id=new.id, urn=new_urn, properties=new.properties))
    assert fake.repos == {}  # the resource holding the claim deletes for real
