"""Every Kubernetes object the program registers matches the real schema for its kind."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from tests import manifests
from tests.program import SECRET_SIG_KEY, Registered, run_program

NON_KUBERNETES_PREFIXES = ("goldentooth:", "pulumi-python:dynamic", "kubernetes:helm.sh/")


def _kubernetes_objects(resources: list[Registered]) -> list[Registered]:
    return [r for r in resources if r.typ.startswith("kubernetes:") and not r.typ.startswith(NON_KUBERNETES_PREFIXES)]


def _unwrap_secrets(value: object) -> object:
    """The object as the provider sends it: secret wrappers replaced by their values."""
    if isinstance(value, dict):
        if SECRET_SIG_KEY in value:
            return _unwrap_secrets(value["value"])
        return {key: _unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(item) for item in value]
    return value


CONFIGS = {
    "goldentooth": {},
    "shared-layout": {"namespaceLayout": "shared", "serverPodSecurity": '{"enforce": "privileged"}'},
    "existing-claim": {"storageClass": "", "existingClaim": "forgejo-data"},
    "adoption": {
        "adoption": '{"enabled": true, "releaseName": "forgejo-forgejo"}',
        "namespaceLayout": "shared",
        "serverPodSecurity": '{"enforce": "privileged"}',
    },
    "runner-group-with-cache-and-replicas": {
        "runnerGroups": '[{"name": "cached", "labels": ["c:host"], "dockerCacheSize": "20Gi", '
        '"dockerCacheStorageClass": "local-path"}, {"name": "many", "labels": ["m:host"], "replicas": 3}]'
    },
    "runner-cache-and-ca": {
        "runnerDockerCacheSize": "50Gi",
        "registryCa": '{"registry": "registry.goldentooth.net:5000", "configMapName": "step-ca"}',
    },
}


@pytest.mark.parametrize("overrides", CONFIGS.values(), ids=CONFIGS.keys())
def test_every_kubernetes_object_validates_against_its_schema(overrides: dict[str, str]) -> None:
    objects = _kubernetes_objects(run_program(overrides).resources)

    assert objects, "the program registered no Kubernetes objects"
    for registered in objects:
        manifests.validate(_unwrap_secrets(registered.inputs))  # type: ignore[arg-type]


def test_core_validation_is_strict_about_unknown_fields() -> None:
    with pytest.raises(kubernetes_validate.ValidationError):
        manifests.validate({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "lables": {}}})


def test_httproute_validation_uses_the_crd_schema() -> None:
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "forgejo", "namespace": "forgejo"},
        # snake_case is what the typed SDK classes would accept, but a CustomResource passes it through as is.
        "spec": {"parent_refs": [{"name": "goldentooth"}]},
    }
    with pytest.raises(jsonschema.ValidationError):
        manifests.validate(route)


def test_network_policy_validation_catches_the_sdks_python_name_for_except() -> None:
    """`except` is a Python keyword, so the SDK's argument is `except_`; a dict passed through as is would keep it."""
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "forgejo-runner-egress", "namespace": "forgejo-runner"},
        "spec": {
            "podSelector": {},
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except_": ["10.0.0.0/8"]}}]}],
        },
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        manifests.validate(policy)


@pytest.mark.parametrize(
    ("kind", "spec"),
    [
        # spec.interval and spec.image are required; certSecretRef takes only a name (the key is always ca.crt).
        ("ImageRepository", {"image": "registry.goldentooth.net/goldentooth-mcp"}),
        ("ImageRepository", {"image": "r/i", "interval": "5m", "certSecretRef": {"name": "ca", "key": "ca.crt"}}),
        ("ImageRepository", {"image": "r/i", "interval": "1d"}),  # the CRD's duration pattern: ms, s, m, h
        ("ImagePolicy", {"imageRepositoryRef": {"name": "i"}, "policy": {"alphabetical": {"order": "newest"}}}),
        ("ImagePolicy", {"imageRepositoryRef": {"name": "i"}, "filterTags": {"regex": "^x"}, "policy": {}}),
    ],
)
def test_flux_objects_are_validated_against_their_crds(kind: str, spec: dict[str, object]) -> None:
    manifest = {"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": kind, "metadata": {"name": "i"}, "spec": spec}

    with pytest.raises(jsonschema.ValidationError):
        manifests.validate(manifest)
