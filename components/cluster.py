"""Kubernetes helpers: every object's metadata, opaque Secrets, and reads of what already runs.

A Pulumi ``get`` reads the live object and manages nothing: an adopted Forgejo's admin password and runner secret
(a generated password would lock the mirror provider out, a new runner secret would unregister the runner), and
the CA that signed Forgejo's certificate.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

PART_OF = "goldentooth-forgejo"
# The runner side's Secret, named as in the seed (Secret forgejo-runner, key token).
RUNNER_SECRET_NAME = "forgejo-runner"
RUNNER_SECRET_KEY = "token"


def metadata(
    name: str, namespace: str | None, component: str, labels: Mapping[str, str] | None = None
) -> k8s.meta.v1.ObjectMetaArgs:
    """The labels that let `kubectl get -l app.kubernetes.io/part-of=goldentooth-forgejo` find every object."""
    common = {"app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi"}
    labels = {**common, "app.kubernetes.io/component": component, **(labels or {})}
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels)


def claim_spec(size: str, storage_class: str) -> k8s.core.v1.PersistentVolumeClaimSpecArgs:
    """One pod's volume; an empty storage class is the cluster's default."""
    return k8s.core.v1.PersistentVolumeClaimSpecArgs(
        access_modes=["ReadWriteOnce"],
        resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": size}),
        storage_class_name=storage_class or None,
    )


def opaque_secret(
    resource_name: str,
    secret_name: str,
    namespace: str,
    string_data: Mapping[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """A Secret for pods to read by secretKeyRef or volume; pulumi-kubernetes keeps its data secret in state."""
    meta = metadata(secret_name, namespace, "secret")
    return k8s.core.v1.Secret(resource_name, metadata=meta, type="Opaque", string_data=string_data, opts=opts)


def existing_value(
    resource_name: str,
    namespace: str,
    name: str,
    key: str,
    opts: pulumi.ResourceOptions | None = None,
    *,
    config_map: bool = False,
) -> pulumi.Output[str]:
    """One key of an existing Secret (decoded, a secret Output) or ConfigMap; fails clearly if the key is missing."""
    kind = "ConfigMap" if config_map else "Secret"

    def value(data: Mapping[str, str] | None) -> str:
        if not data or key not in data:
            raise ValueError(
                f"{kind} {namespace}/{name} has no key {key!r}; the program reads "
                "the existing value from it (or supply it with `pulumi config set ...`)"
            )
        return data[key] if config_map else base64.b64decode(data[key]).decode()

    # A read (the `id` option) whose inputs name the object: a bare `Secret.get` stores no inputs, and
    # pulumi-kubernetes then reports apiVersion, kind and metadata as changes on every `pulumi refresh`.
    read = pulumi.CustomResource(
        f"kubernetes:core/v1:{kind}",
        resource_name,
        {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}, "data": None},
        pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=f"{namespace}/{name}")),
    )
    data: pulumi.Output[Mapping[str, str] | None] = read.data  # type: ignore[attr-defined]
    return data.apply(value) if config_map else pulumi.Output.secret(data.apply(value))
