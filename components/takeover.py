"""The takeover of an install Flux deployed (the ``adoption`` block), in one place: a table of the seed's objects,
applied to the program's resources by one stack transform, so that no component needs to know about it.

An object is found by its Pulumi type and Kubernetes ID ("<namespace>/<name>", a cluster-scoped object's name), which
is also Pulumi's import ID for it. While the block is in the config its applies are forced: its fields are still
owned by the field manager that created it (Flux's kustomize-controller), and server-side apply refuses to change
them (an HTTPRoute's atomic rules, say) without force. On the takeover run (``enabled``) it is imported too.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.cluster import RUNNER_SECRET_NAME
from components.config import Settings
from components.runner import CONFIG_MAP_NAME, DEPLOYMENT_NAME

FORCED = {"pulumi.com/patchForce": "true"}
RELEASE = "kubernetes:helm.sh/v3:Release"


@dataclass(frozen=True)
class TakenOver:
    """What the transform adds to one object's resource on this run."""

    import_id: str | None  # the takeover run only
    forced: bool  # the patchForce annotation; a Helm release has no metadata to carry it
    ignore_changes: tuple[str, ...] = ()


def takeover_table(settings: Settings) -> dict[tuple[str, str], TakenOver]:
    """(type, Kubernetes ID) -> what the transform adds, for each object taken over; empty for a fresh install."""
    adoption = settings.adoption
    if adoption is None:
        return {}
    server, runner = settings.server_namespace, settings.runner_namespace
    # The inputs left as they are on the takeover run: the seed's runner differs in what only a replacement can
    # change (its selector; a ConfigMap's data), and Pulumi cannot import an object and replace it in one update.
    # The update after the takeover replaces them.
    kept_as_is = {
        ("kubernetes:core/v1:Namespace", server): (),
        (RELEASE, f"{server}/{settings.release_name}"): (),
        ("kubernetes:core/v1:Secret", f"{server}/{adoption.admin_secret}"): (),
        ("kubernetes:core/v1:PersistentVolumeClaim", f"{server}/{adoption.data_claim}"): (),
        ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", f"{server}/forgejo"): (),
        ("kubernetes:core/v1:Secret", f"{runner}/{RUNNER_SECRET_NAME}"): (),
        ("kubernetes:core/v1:ConfigMap", f"{runner}/{CONFIG_MAP_NAME}"): ("metadata", "data"),
        ("kubernetes:apps/v1:Deployment", f"{runner}/{DEPLOYMENT_NAME}"): ("metadata", "spec"),
    }
    on = adoption.enabled
    return {
        (typ, object_id): TakenOver(object_id if on else None, typ != RELEASE, kept if on else ())
        for (typ, object_id), kept in kept_as_is.items()
    }


def take_over(
    table: Mapping[tuple[str, str], TakenOver], args: pulumi.ResourceTransformArgs
) -> pulumi.ResourceTransformResult | None:
    """The stack transform: a resource in the table gets its row's import ID, annotation and ignore_changes."""
    row = table.get((args.type_, _object_id(args.props)))
    if row is None:
        return None
    props: dict[str, Any] = dict(args.props)
    if row.forced:
        metadata = props["metadata"]
        props["metadata"] = {**metadata, "annotations": {**(metadata.get("annotations") or {}), **FORCED}}
    added = pulumi.ResourceOptions(import_=row.import_id, ignore_changes=list(row.ignore_changes) or None)
    return pulumi.ResourceTransformResult(props, pulumi.ResourceOptions.merge(args.opts, added))


def register_takeover(settings: Settings) -> None:
    """Applies the table to every resource registered after this call (none to apply for a fresh install)."""
    if table := takeover_table(settings):
        pulumi.runtime.register_resource_transform(functools.partial(take_over, table))


def _object_id(props: Mapping[str, Any]) -> str:
    """A Kubernetes object's ID from its inputs (a Helm release names itself at the top level)."""
    meta = props.get("metadata", props)
    if not isinstance(meta, Mapping):
        return ""
    name, namespace = meta.get("name"), meta.get("namespace")
    return f"{namespace}/{name}" if namespace else str(name)
