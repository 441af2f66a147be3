"""Object metadata: the labels every object of this program carries, so `kubectl get -l` finds them all."""

from __future__ import annotations

from pulumi_kubernetes.meta.v1 import ObjectMetaArgs

PART_OF = "goldentooth-forgejo"


def common_labels(component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/component": component,
    }


# An adopted object's fields are still owned by the field manager that created it (Flux's kustomize-controller),
# and server-side apply refuses to change them (an HTTPRoute's atomic rules, say) without force.
TAKEN_OVER = {"pulumi.com/patchForce": "true"}


def object_meta(
    name: str,
    namespace: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    *,
    adopted: bool = False,
) -> ObjectMetaArgs:
    """Metadata as the SDK's typed args class, so mypy checks the field names (unset fields are left out).

    ``adopted`` marks an object this stack took over from another manager (see ``TAKEN_OVER``).
    """
    if adopted:
        annotations = {**(annotations or {}), **TAKEN_OVER}
    return ObjectMetaArgs(name=name, namespace=namespace, labels=labels, annotations=annotations)
