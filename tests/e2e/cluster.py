"""A real Kubernetes control plane on loopback, with simulated goldentooth nodes, for the e2e tier.

    with Cluster(tools, workdir) as cluster:
        cluster.get("/api/v1/namespaces/forgejo")  # helm and pulumi use cluster.kubeconfig

etcd, kube-apiserver (default admission plugins, PodSecurity included; RBAC),
kube-controller-manager and kube-scheduler are the real ones. kwok plays the
kubelets, with its own "fast" Stages: nodes Ready, pods Running and Ready as
soon as they are scheduled, Job pods completed, deleted pods gone at once. So
Deployments become Available and Pulumi's and Helm's await logic runs unmodified.

The nodes are goldentooth's (three NVMe Raspberry Pi 5s, one without NVMe, one
amd64 machine); the Gateway API, cert-manager and Flux CRDs come from
tests/reference/crds, with the Gateway gateway/goldentooth (listeners http and
https) and Flux's namespace flux-system; claims of the classes seaweedfs and local-path (the default) bind to
pre-made PersistentVolumes. Everything listens on 127.0.0.1 only; each wait has
a deadline and names what it waited for; the logs stay in workdir/logs.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import requests
import trustme
import yaml

from tests.e2e.tools.build_tools import KUBERNETES_VERSION, tool_folder

CRD_DIR = Path(__file__).resolve().parents[1] / "reference" / "crds"
LOOPBACK = "127.0.0.1"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
WAIT = 60.0
"""Deadline of each start-up wait, in seconds."""

NODES = (
    *((f"bramble-{index}", "arm64", "4", "8Gi", True) for index in (1, 2, 3)),
    ("bramble-sd", "arm64", "4", "8Gi", False),
    ("velaryon", "amd64", "16", "64Gi", False),
)
"""(name, architecture, cpu, memory, has NVMe) of goldentooth's nodes."""

VOLUMES = (
    ("seaweedfs-10gi-1", "10Gi", "seaweedfs"),
    ("seaweedfs-10gi-2", "10Gi", "seaweedfs"),
    ("local-path-10gi-1", "10Gi", "local-path"),
    ("local-path-10gi-2", "10Gi", "local-path"),
    ("local-path-20gi-1", "20Gi", "local-path"),
    ("local-path-20gi-2", "20Gi", "local-path"),
)
"""(name, size, storage class) of the PersistentVolumes claims bind to."""

JSON = dict[str, Any]
T = TypeVar("T")


class ClusterError(RuntimeError):
    """The cluster did not start, a component died, or a wait ran out of time."""


class ApiError(Exception):
    """The API server answered with a status other than 2xx."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.status = status
        self.message = body.get("message", "") if isinstance(body, dict) else str(body)
        super().__init__(f"{method} {path}: HTTP {status}: {self.message}")


def _node(name: str, arch: str, cpu: str, memory: str, nvme: bool) -> JSON:
    labels = {"kubernetes.io/arch": arch, "kubernetes.io/os": "linux", "kubernetes.io/hostname": name}
    if nvme:
        labels["node.kubernetes.io/disk-type"] = "nvme"
    resources = {"cpu": cpu, "memory": memory, "pods": "110", "ephemeral-storage": "100Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": {"kwok.x-k8s.io/node": "fake"}},
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "nodeInfo": {"architecture": arch, "operatingSystem": "linux", "kubeletVersion": KUBERNETES_VERSION},
        },
    }


def _gateway() -> JSON:
    """goldentooth's shared Gateway. Its class and certificate Secret need not exist: the API server checks neither."""
    all_routes = {"namespaces": {"from": "All"}}
    tls = {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "gateway-tls"}]}
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "goldentooth", "namespace": "gateway"},
        "spec": {
            "gatewayClassName": "cilium",
            "listeners": [
                {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": all_routes},
                {"name": "https", "port": 443, "protocol": "HTTPS", "tls": tls, "allowedRoutes": all_routes},
            ],
        },
    }


def _crds() -> list[JSON]:
    """The reference CRDs; Helm markers in the cert-manager labels become the group's first label."""
    # libyaml's loader when PyYAML has it: the reference CRDs are 9,000 lines, a second in pure Python.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    crds = []
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for crd in yaml.load_all(path.read_text(), Loader=loader):
            if isinstance(crd, dict) and crd.get("kind") == "CustomResourceDefinition":
                product = crd["spec"]["group"].split(".")[0]
                labels = crd["metadata"].get("labels") or {}
                crd["metadata"]["labels"] = {k: product if "{{" in str(v) else v for k, v in labels.items()}
                crds.append(crd)
    return crds


def _true_since(obj: JSON, condition: str) -> str | None:
    """When the object's condition became True (its lastTransitionTime); None while it is not True."""
    conditions = obj.get("status", {}).get("conditions") or []
    return next((c["lastTransitionTime"] for c in conditions if c["type"] == condition and c["status"] == "True"), None)


def _free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 now; all bound at once, so they differ."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [sock.getsockname()[1] for sock in sockets]


def _die_with_parent() -> Callable[[], None] | None:
    """For Popen: the child gets SIGKILL if the test process dies without ``stop()`` (Linux).

    The kernel sends it when the *thread* that started the child ends, so only from the main thread.
    """
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, called after it
    return lambda: prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Cluster:
    """The control plane and its simulated nodes, started by ``with`` and stopped at its end.

    ``tools`` is the tools cache root that tests/e2e/tools/build_tools.py fills: binaries in its bin/,
    kwok's Stages in kwok's folder.
    """

    def __init__(self, tools: Path, workdir: Path) -> None:
        self.tools = Path(tools).resolve()
        self.workdir = Path(workdir).resolve()
        self.pki = self.workdir / "pki"
        self.logs = self.workdir / "logs"
        self.kubeconfig = self.workdir / "kubeconfig"
        self.server = ""
        self._processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy for loopback, no ~/.netrc

    def __enter__(self) -> Cluster:
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """End every process started, the last first (SIGTERM to its group, SIGKILL after 10 s). Safe to repeat."""
        atexit.unregister(self.stop)
        self._session.close()
        while self._processes:
            _, process = self._processes.pop()
            if process.poll() is None:  # not reaped yet, so the group is still its own
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=5)

    # -- start-up ------------------------------------------------------------

    def _start(self) -> None:
        bin_dir, kwok = self.tools / "bin", tool_folder(self.tools, "kwok")
        stages = sorted(kwok.glob("*.yaml"))
        missing = [name for name in BINARIES if not (bin_dir / name).exists()] + ([] if stages else ["kwok's stages"])
        if missing:
            raise ClusterError(f"{self.tools} lacks {', '.join(missing)}: run tests/e2e/tools/build_tools.py")
        self.logs.mkdir(parents=True, exist_ok=True)
        etcd_port, peer_port, api_port, *ports = _free_ports(5)
        self.server = f"https://{LOOPBACK}:{api_port}"
        self._make_pki()
        etcd = f"http://{LOOPBACK}:{etcd_port}"
        peer = f"http://{LOOPBACK}:{peer_port}"
        self._spawn(
            "etcd",
            f"--data-dir={self.workdir / 'etcd'}",
            f"--listen-client-urls={etcd}",
            f"--advertise-client-urls={etcd}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=default={peer}",
            # A throwaway cluster: losing writes on a host crash does not matter, fsync latency does.
            "--unsafe-no-fsync",
            "--log-level=warn",
        )
        self._spawn(
            "kube-apiserver",
            f"--etcd-servers={etcd}",
            f"--bind-address={LOOPBACK}",
            f"--advertise-address={LOOPBACK}",
            f"--secure-port={api_port}",
            # The endpoint reconcilers refuse a loopback advertise address; nothing in the cluster
            # dials the kubernetes Service, so it keeps no endpoints.
            "--endpoint-reconciler-type=none",
            f"--cert-dir={self.pki / 'generated'}",
            f"--tls-cert-file={self.pki / 'serving.crt'}",
            f"--tls-private-key-file={self.pki / 'serving.key'}",
            f"--client-ca-file={self.pki / 'ca.crt'}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={self.pki / 'service-accounts.key'}",
            f"--service-account-signing-key-file={self.pki / 'service-accounts.key'}",
            "--service-cluster-ip-range=10.96.0.0/16",
            # As on a kubeadm cluster: privileged pods are possible, PodSecurity decides per namespace.
            "--allow-privileged=true",
        )
        self.wait_for("kube-apiserver /readyz", self._ready, logs_of=("kube-apiserver", "etcd"))

        def serving(port: int) -> list[str]:
            return [
                f"--kubeconfig={self.kubeconfig}",
                f"--bind-address={LOOPBACK}",
                f"--secure-port={port}",
                f"--tls-cert-file={self.pki / 'serving.crt'}",
                f"--tls-private-key-file={self.pki / 'serving.key'}",
                "--leader-elect=false",
            ]

        self._spawn(
            "kube-controller-manager",
            *serving(ports[0]),
            # Published in every namespace as kube-root-ca.crt (the kubeconfig names the CA's file, not its data).
            f"--root-ca-file={self.pki / 'ca.crt'}",
            # The default 20 requests/s slows namespace deletion and the rollouts of a deploy.
            "--kube-api-qps=100",
            "--kube-api-burst=200",
        )
        self._spawn("kube-scheduler", *serving(ports[1]))
        config = self.workdir / "kwok.yaml"
        config.write_text("---\n".join(path.read_text() for path in stages))
        self._spawn(
            "kwok",
            f"--config={config}",
            f"--kubeconfig={self.kubeconfig}",
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            # The address the nodes report, which the API server would dial for logs and exec: never off-host.
            f"--node-ip={LOOPBACK}",
            # Nodes keep Leases in kube-node-lease, as kubelets do; the lifecycle controller reads them.
            "--node-lease-duration-seconds=40",
        )
        # Nodes first, so kwok and the controllers work on them while the CRDs (slow to admit) go in.
        for node in NODES:
            self.post("/api/v1/nodes", _node(*node))
        # Flux's namespace, as goldentooth has it: the stack's ImageRepository and ImagePolicy go there.
        for namespace in ("gateway", "flux-system"):
            self.post("/api/v1/namespaces", {"metadata": {"name": namespace}})
        for storage_class in ("seaweedfs", "local-path"):
            default = {"storageclass.kubernetes.io/is-default-class": str(storage_class == "local-path").lower()}
            self.post(
                "/apis/storage.k8s.io/v1/storageclasses",
                {
                    "metadata": {"name": storage_class, "annotations": default},
                    "provisioner": "kubernetes.io/no-provisioner",
                    "volumeBindingMode": "Immediate",
                },
            )
        for name, size, storage_class in VOLUMES:
            self.post("/api/v1/persistentvolumes", self._volume(name, size, storage_class))
        crds = [self.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd) for crd in _crds()]
        components = ("kube-controller-manager", "kube-scheduler")
        self.wait_for(
            " and ".join(components) + " /healthz",
            lambda: all(self._session.get(f"https://{LOOPBACK}:{port}/healthz", timeout=5).ok for port in ports),
            logs_of=components,
        )
        self.wait_for("nodes Ready and untainted", self._nodes_ready, logs_of=("kwok", "kube-controller-manager"))
        # Pods need their ServiceAccount (ServiceAccount admission): the controller makes one per namespace.
        self.wait_for(
            "ServiceAccount default/default",
            lambda: self.get("/api/v1/namespaces/default/serviceaccounts/default"),
            logs_of=("kube-controller-manager",),
        )
        names = [crd["metadata"]["name"] for crd in crds]
        established = self.wait_for(f"{len(names)} CRDs Established", lambda: self._established(names))
        # The API server holds the first create of a custom resource 2 s if its CRD became Established less
        # than 2 s before (apiextensions customresource_handler.go); waiting out the rest is shorter.
        time.sleep(max(0.0, established + 2.05 - time.time()))
        self.post("/apis/gateway.networking.k8s.io/v1/namespaces/gateway/gateways", _gateway())

    def _make_pki(self) -> None:
        """A CA, one serving certificate for every component, the admin's client certificate, the kubeconfig."""
        self.pki.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA(organization_name="goldentooth-e2e")

        def write(name: str, data: bytes) -> None:
            (self.pki / name).write_bytes(data)
            (self.pki / name).chmod(0o600)

        def issue(name: str, *identities: str, organization: str | None = None) -> None:
            leaf = ca.issue_cert(*identities, common_name=identities[0], organization_name=organization)
            write(f"{name}.crt", leaf.cert_chain_pems[0].bytes())
            write(f"{name}.key", leaf.private_key_pem.bytes())

        write("ca.crt", ca.cert_pem.bytes())
        issue("serving", LOOPBACK, "localhost")
        issue("admin", "goldentooth-e2e-admin", organization="system:masters")
        issue("service-accounts", "service-accounts")  # only its key is used: it signs the tokens
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "e2e", "cluster": {"server": self.server, "certificate-authority": str(self.pki / "ca.crt")}}
            ],
            "users": [
                {
                    "name": "admin",
                    "user": {
                        "client-certificate": str(self.pki / "admin.crt"),
                        "client-key": str(self.pki / "admin.key"),
                    },
                }
            ],
            "contexts": [{"name": "goldentooth-e2e", "context": {"cluster": "e2e", "user": "admin"}}],
            "current-context": "goldentooth-e2e",
        }
        self.kubeconfig.write_text(yaml.safe_dump(kubeconfig, sort_keys=False))
        self.kubeconfig.chmod(0o600)
        self._session.cert = (str(self.pki / "admin.crt"), str(self.pki / "admin.key"))
        self._session.verify = str(self.pki / "ca.crt")

    def _spawn(self, name: str, *args: str) -> None:
        with (self.logs / f"{name}.log").open("ab") as log:
            log.write(f"$ {name} {' '.join(args)}\n".encode())
            log.flush()
            process = subprocess.Popen(
                [str(self.tools / "bin" / name), *args],
                cwd=self.workdir,
                # Only what the components need: no KUBECONFIG, proxies or ~/.kwok from the caller's environment.
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.workdir), "LANG": "C"},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )
        self._processes.append((name, process))

    def _volume(self, name: str, size: str, storage_class: str) -> JSON:
        return {
            "metadata": {"name": name},
            "spec": {
                "capacity": {"storage": size},
                "accessModes": ["ReadWriteOnce", "ReadWriteMany"],
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": storage_class,
                "hostPath": {"path": str(self.workdir / "volumes" / name)},  # never mounted: no kubelet
            },
        }

    def _ready(self) -> bool:
        reply = self._session.get(f"{self.server}/readyz?verbose=1", timeout=5)
        if not reply.ok:
            raise ValueError("failing: " + ", ".join(line for line in reply.text.splitlines() if "failed" in line))
        return True

    def _nodes_ready(self) -> bool:
        found = {node["metadata"]["name"]: node for node in self.get("/api/v1/nodes")["items"]}
        return all(
            name in found
            and _true_since(found[name], "Ready")
            # The lifecycle controller lifts the not-ready taint once kwok reports Ready.
            and not any(t["key"] == "node.kubernetes.io/not-ready" for t in found[name]["spec"].get("taints", []))
            for name, *_ in NODES
        )

    def _established(self, names: list[str]) -> float | None:
        """When the last of the CRDs became Established (epoch seconds, whole seconds); None while one is not."""
        stamps = [
            _true_since(self.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"), "Established")
            for name in names
        ]
        if None in stamps:
            return None
        return max(datetime.fromisoformat(str(stamp)).timestamp() for stamp in stamps)

    def wait_for(
        self, what: str, check: Callable[[], T | None], timeout: float = WAIT, *, logs_of: tuple[str, ...] = ()
    ) -> T:
        """Call ``check`` until it returns something truthy, and return that; ClusterError after ``timeout`` s.

        Connection and API errors count as "not yet" (the last one is in the timeout message, with the end
        of the logs of the components in ``logs_of``). A component that exits ends the wait at once.
        """
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            for name, process in self._processes:
                if process.poll() is not None:
                    raise ClusterError(f"{name} exited with {process.returncode}; {self._log_end(name)}")
            try:
                result = check()
            except (requests.RequestException, ApiError, KeyError, ValueError) as error:
                last = f"; last error: {type(error).__name__}: {error}"
            else:
                if result:
                    return result
                last = ""
            if time.monotonic() >= deadline:
                ends = "".join(f"\n{self._log_end(name)}" for name in logs_of)
                raise ClusterError(f"timed out after {timeout:g} s waiting for {what}{last}{ends}")
            time.sleep(0.1)

    def _log_end(self, name: str, lines: int = 40) -> str:
        log = self.logs / f"{name}.log"
        try:
            return f"end of {log}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
        except OSError as error:
            return f"no log {log}: {error}"

    # -- API client ------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        """One API call as admin; the decoded reply, ApiError unless its status is 2xx."""
        reply = self._session.request(
            method,
            self.server + path,
            data=None if body is None else json.dumps(body),
            headers={"Accept": "application/json", "Content-Type": content_type},
            timeout=(5, 30),
        )
        try:
            decoded = reply.json()
        except ValueError:
            decoded = reply.text
        if not reply.ok:
            raise ApiError(method, path, reply.status_code, decoded)
        return decoded

    def get(self, path: str) -> JSON:
        return self.request("GET", path)

    def post(self, path: str, body: JSON) -> JSON:
        return self.request("POST", path, body)

    def patch(self, path: str, body: JSON, patch: str = "merge") -> JSON:
        """``patch``: merge, strategic-merge or json."""
        return self.request("PATCH", path, body, f"application/{patch}-patch+json")
