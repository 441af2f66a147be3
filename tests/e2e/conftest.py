"""Fixtures of the e2e tier: the built tools, a loopback cluster per scenario, and the Forgejo API stand-in.

Every test under tests/e2e is marked ``e2e``; the unit tier is ``pytest -m "not e2e"``.
"""

from __future__ import annotations

import base64
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.e2e.cluster import Cluster
from tests.e2e.pulumi_cli import PulumiProject, register_plugins
from tests.fake_forgejo import FakeForgejo

BUILD_TOOLS = Path(__file__).parent / "tools" / "build_tools.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def tools() -> Path:
    """The pinned tools' folder: found or built by the same script CI runs first (warm, it only checks them)."""
    completed = subprocess.run(
        [sys.executable, str(BUILD_TOOLS)], capture_output=True, text=True, timeout=3 * 3600, check=False
    )
    if completed.returncode != 0:
        pytest.fail(f"the e2e tools did not build:\n{completed.stdout}{completed.stderr}")
    return Path(completed.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def tools_bin(tools: Path) -> Path:
    return tools / "bin"


@pytest.fixture(scope="session")
def pulumi_home(tools: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("pulumi-home")
    register_plugins(tools, home)
    return home


@pytest.fixture(scope="module")
def cluster(tools: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A fresh control plane per scenario module: each starts from an empty cluster like goldentooth's."""
    with Cluster(tools, tmp_path_factory.mktemp("cluster")) as started:
        yield started


@pytest.fixture(scope="session")
def forgejo_ca() -> trustme.CA:
    """The CA that signs the Forgejo stand-in's certificate, as Step-CA signs goldentooth's."""
    return trustme.CA(organization_name="goldentooth e2e")


class ClusterForgejo(FakeForgejo):
    """The Forgejo API stand-in, whose admin password is the one the chart would set: the cluster's admin Secret.

    The program creates that Secret during the same ``up`` that creates the
    mirrors, so the password is read when a request needs it.
    """

    def __init__(self, cluster: Cluster, tls: ssl.SSLContext, secret_path: str) -> None:
        self._cluster = cluster
        self._secret_path = secret_path
        super().__init__(tls_context=tls)

    @property
    def password(self) -> str:
        try:
            data = self._cluster.get(self._secret_path).get("data", {})
        except Exception:  # not created yet: nobody can log in
            return ""
        return base64.b64decode(data.get("password", "")).decode()

    @password.setter
    def password(self, _value: str) -> None:
        """The constructor's default; the live Secret decides instead."""


@pytest.fixture(scope="module")
def forgejo(cluster: Cluster, forgejo_ca: trustme.CA) -> Iterator[ClusterForgejo]:
    # cert-manager writes the issuing CA as ca.crt beside the gateway's certificate; the goldentooth stack's
    # forgejoCaFrom reads it from there.
    ca_pem = forgejo_ca.cert_pem.bytes()
    cluster.post(
        "/api/v1/namespaces/gateway/secrets",
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "gateway-tls"}, "type": "kubernetes.io/tls",
         "data": {key: base64.b64encode(ca_pem).decode() for key in ("ca.crt", "tls.crt", "tls.key")}},
    )  # fmt: skip
    # The namespace of the git-sync CronJob, where the stack delivers its token: the consumer's, so it exists first.
    cluster.post("/api/v1/namespaces", {"metadata": {"name": "git-sync"}})
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    forgejo_ca.issue_cert("127.0.0.1").configure_cert(tls)
    fake = ClusterForgejo(cluster, tls, "/api/v1/namespaces/forgejo/secrets/forgejo-admin")
    with fake:
        yield fake


def new_project(workdir: Path, tools_bin: Path, pulumi_home: Path, cluster: Cluster) -> PulumiProject:
    return PulumiProject.copy(workdir, tools_bin=tools_bin, pulumi_home=pulumi_home, kubeconfig=cluster.kubeconfig)
