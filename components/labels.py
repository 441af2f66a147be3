"""Labels every object of this program carries, so `kubectl get -l` finds them all."""

from __future__ import annotations

PART_OF = "goldentooth-forgejo"


def common_labels(component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/component": component,
    }
