"""Object metadata: the labels every object of this program carries, so `kubectl get -l` finds them all."""

from __future__ import annotations

from pulumi_kubernetes.meta.v1 import ObjectMetaArgsDict

PART_OF = "goldentooth-forgejo"


def common_labels(component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/component": component,
    }


def object_meta(
    name: str,
    namespace: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> ObjectMetaArgsDict:
    """Metadata as a typed dict, like every other nested input here: mypy checks
    the keys, and no ObjectMetaArgs object is built only to be turned back into a dict."""
    metadata: ObjectMetaArgsDict = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    if labels is not None:
        metadata["labels"] = labels
    if annotations is not None:
        metadata["annotations"] = annotations
    return metadata
