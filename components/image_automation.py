"""Flux image automation for the image the build workflow template pushes: an ImageRepository and an ImagePolicy.

The policy picks the newest build by the template's sortable tag, ``<commit time, UTC>-<short sha>``
(``20261201T231500Z-abc1234``): the fixed-width time sorts alphabetically, so ``:latest`` and the bare ``:<sha>``
tags are filtered out and the newest commit wins. Flux's ImageUpdateAutomation, in the user's Flux repository,
writes the tag into the manifests that carry the policy's marker; this program never writes to that repository.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.cluster import metadata
from components.config import ImageAutomationConfig, Settings

API_VERSION = "image.toolkit.fluxcd.io/v1"
# The template's sortable tag; Flux's regexp (Go RE2) extracts the time, which orders the builds.
SORTABLE_TAG = r"^(?P<ts>[0-9]{8}T[0-9]{6}Z)-[0-9a-f]{7,40}$"


class ImageAutomation(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        settings: Settings,
        automation: ImageAutomationConfig,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("goldentooth:index:ImageAutomation", name, None, opts)
        # An image name's last path segment with '_' (which Kubernetes names refuse) as '-' is a valid object name.
        object_name = settings.image_name.rpartition("/")[2].replace("_", "-")
        meta = metadata(object_name, automation.namespace, "image-automation")
        # The registry's private CA through certSecretRef (key ca.crt), never spec.insecure.
        repository = {
            "image": settings.image_repository,
            "interval": automation.interval,
            "certSecretRef": {"name": automation.cert_secret_name},
        }
        policy = {
            "imageRepositoryRef": {"name": object_name},
            "filterTags": {"pattern": SORTABLE_TAG, "extract": "$ts"},
            "policy": {"alphabetical": {"order": "asc"}},
        }
        # CustomResource passes spec through untouched: the keys are the CRDs' own camelCase names.
        for kind, spec in (("ImageRepository", repository), ("ImagePolicy", policy)):
            k8s.apiextensions.CustomResource(
                f"{name}-{kind.removeprefix('Image').lower()}",
                api_version=API_VERSION,
                kind=kind,
                metadata=meta,
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self),
            )
        # As the marker names it: # {"$imagepolicy": "<namespace>:<name>"}
        self.policy: pulumi.Output[str] = pulumi.Output.from_input(f"{automation.namespace}:{object_name}")
        self.register_outputs({"policy": self.policy})
