"""Validate registered Kubernetes objects against real schemas.

Core kinds go through kubernetes-validate's strict schemas (unknown fields
fail). HTTPRoute, Certificate and Flux's ImageRepository and ImagePolicy go
through the openAPIV3Schema of the CRDs in tests/reference/crds with
jsonschema, made strict the same way: the API server silently prunes fields a
structural schema doesn't declare, so an unknown field (a snake_case
``parent_refs``, say) would vanish without an error. CEL rules
(x-kubernetes-validations) are not evaluated: jsonschema ignores them, and
only the API server runs them (the e2e tier's does).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import yaml

from tests import reference

# kubernetes-validate re-reads and re-parses its multi-megabyte definitions file
# on every call; the files never change, so parse each once per test session.
kubernetes_validate.utils.schema_contents = cache(kubernetes_validate.utils.schema_contents)

# The oldest Kubernetes this program supports: native sidecars need 1.29.
KUBERNETES_VERSION = "1.29"
CRD_DIR = reference.CRD_DIR
CRD_KINDS = {
    ("gateway.networking.k8s.io", "HTTPRoute"),
    ("cert-manager.io", "Certificate"),
    ("image.toolkit.fluxcd.io", "ImageRepository"),
    ("image.toolkit.fluxcd.io", "ImagePolicy"),
}


def as_manifest(inputs: dict[str, Any]) -> dict[str, Any]:
    """Registered inputs as the object the provider would send: integral floats back to ints.

    Numbers cross Pulumi's wire as floats; the provider turns whole ones back
    into integers, so the schemas see what the API server would.
    """

    def convert(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, list):
            return [convert(item) for item in value]
        return value

    return convert(inputs)


def _strict(schema: Any) -> Any:
    """Forbid undeclared fields wherever the API server would prune them."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {key: _strict(value) for key, value in schema.items()}
    if (
        "properties" in strict
        and "additionalProperties" not in strict
        and not strict.get("x-kubernetes-preserve-unknown-fields")
    ):
        strict["additionalProperties"] = False
    return strict


@cache
def _crd_schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    schemas = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for document in yaml.safe_load_all(Path(path).read_text()):
            if not document or document.get("kind") != "CustomResourceDefinition":
                continue
            spec = document["spec"]
            for version in spec["versions"]:
                key = (spec["group"], version["name"], spec["names"]["kind"])
                schemas[key] = _strict(version["schema"]["openAPIV3Schema"])
    return schemas


def validate(inputs: dict[str, Any]) -> None:
    """Raise if the object does not match its schema."""
    manifest = as_manifest(inputs)
    group, _, version = manifest["apiVersion"].rpartition("/")
    if (group, manifest["kind"]) in CRD_KINDS:
        jsonschema.validate(manifest, _crd_schemas()[(group, version, manifest["kind"])])
    else:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
