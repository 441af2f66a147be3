"""Taking over the Flux-deployed Forgejo: import IDs, the seed's names, and secrets that are never regenerated.

Imports, forced applies and the runner's ignore_changes come from the program's stack transform, which mocks do not
run: those tests apply it to what the program registers (``ProgramRun.transformed``); tests/test_takeover.py tests
the transform itself."""

from __future__ import annotations

import json

import pytest

from components.config import ConfigError, parse_settings
from tests.program import (
    EXISTING_ADMIN_PASSWORD,
    EXISTING_RUNNER_SECRET,
    GENERATED_SECRET,
    SECRET_SIG_KEY,
    SECRET_SIG_VALUE,
    ProgramRun,
    run_program,
)
from tests.stack import goldentooth_config

ADOPT = {
    "adoption": json.dumps({"enabled": True, "releaseName": "forgejo-forgejo"}),
    "namespaceLayout": "shared",
    "serverPodSecurity": json.dumps({"enforce": "privileged"}),
}
AFTER_TAKEOVER = {**ADOPT, "adoption": json.dumps({"enabled": False, "releaseName": "forgejo-forgejo"})}

# (type, resource name) -> the import ID of the seed's object it takes over.
SEED_OBJECTS = {
    ("kubernetes:core/v1:Namespace", "forgejo-server"): "forgejo",
    ("kubernetes:helm.sh/v3:Release", "forgejo-release"): "forgejo/forgejo-forgejo",
    ("kubernetes:core/v1:Secret", "forgejo-admin"): "forgejo/forgejo-admin",
    ("kubernetes:core/v1:Secret", "forgejo-runner-secret"): "forgejo/forgejo-runner",
    ("kubernetes:core/v1:ConfigMap", "forgejo-runner-config"): "forgejo/forgejo-runner-config",
    ("kubernetes:apps/v1:Deployment", "forgejo-runner-deployment"): "forgejo/forgejo-runner",
    ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "forgejo-route"): "forgejo/forgejo",
    ("kubernetes:core/v1:PersistentVolumeClaim", "forgejo-data"): "forgejo/gitea-shared-storage",
}


@pytest.fixture(scope="module")
def adopting() -> ProgramRun:
    return run_program(ADOPT)


def test_every_seed_object_is_imported_under_its_existing_name(adopting: ProgramRun) -> None:
    imported = {(r.typ, r.name): r.import_id for r in adopting.transformed() if r.import_id}

    assert imported == SEED_OBJECTS
    for (typ, name), import_id in SEED_OBJECTS.items():
        metadata = adopting.one(typ, name).inputs.get("metadata", {})
        expected_name = import_id.split("/")[-1]
        assert metadata.get("name", adopting.one(typ, name).inputs.get("name")) == expected_name


@pytest.mark.parametrize("overrides", [ADOPT, AFTER_TAKEOVER], ids=["takeover", "after-takeover"])
def test_taken_over_objects_force_their_applies_past_fluxs_field_manager(overrides: dict[str, str]) -> None:
    run = run_program(overrides)
    forced = {
        (r.typ, r.name)
        for r in run.transformed()
        if r.inputs.get("metadata", {}).get("annotations", {}).get("pulumi.com/patchForce") == "true"
    }

    assert forced == {key for key in SEED_OBJECTS if key[0] != "kubernetes:helm.sh/v3:Release"}


def test_a_fresh_install_forces_no_apply() -> None:
    run = run_program()

    assert run.transforms == []
    assert [r.name for r in run.transformed() if "patchForce" in str(r.inputs.get("metadata", {}))] == []


@pytest.mark.parametrize("overrides", [{}, AFTER_TAKEOVER], ids=["fresh-install", "after-takeover"])
def test_without_adoption_enabled_nothing_carries_an_import_id(overrides: dict[str, str]) -> None:
    run = run_program(overrides)

    assert [(r.typ, r.name) for r in run.transformed() if r.import_id] == []


def test_adopted_release_keeps_the_flux_service_name_and_the_runner_follows(adopting: ProgramRun) -> None:
    assert adopting.exports["http_service_name"] == "forgejo-forgejo-http"
    assert adopting.exports["internal_url"] == "http://forgejo-forgejo-http.forgejo.svc.cluster.local:3000"
    deployment = adopting.one("kubernetes:apps/v1:Deployment", "forgejo-runner-deployment").inputs["spec"]["template"][
        "spec"
    ]
    register = next(c for c in deployment["initContainers"] if c["name"] == "register")
    assert "http://forgejo-forgejo-http.forgejo.svc.cluster.local:3000" in register["command"]
    route = adopting.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").inputs["spec"]
    assert route["rules"][0]["backendRefs"][0]["name"] == "forgejo-forgejo-http"


@pytest.mark.parametrize("overrides", [ADOPT, AFTER_TAKEOVER], ids=["takeover", "after-takeover"])
def test_adoption_never_generates_a_secret(overrides: dict[str, str]) -> None:
    run = run_program(overrides)

    # Only for the runner group the seed never had: there is nothing existing to read for it.
    assert [r.name for r in run.resources if r.typ == GENERATED_SECRET] == ["forgejo-runner-amd64-runner-secret"]
    admin = run.one("kubernetes:core/v1:Secret", "forgejo-admin").inputs["stringData"]
    assert admin == {
        SECRET_SIG_KEY: SECRET_SIG_VALUE,
        "value": {"username": "forgejo_admin", "password": EXISTING_ADMIN_PASSWORD},
    }
    for secret_name in ("forgejo-runner-secret", "forgejo-runner-registration"):
        token = run.one("kubernetes:core/v1:Secret", secret_name).inputs["stringData"]
        assert token["value"]["token"] == EXISTING_RUNNER_SECRET
    assert run.exports["admin_password"] == EXISTING_ADMIN_PASSWORD
    assert "admin_password" in run.secret_exports


def test_mirror_provider_authenticates_with_the_existing_admin_password(adopting: ProgramRun) -> None:
    api_auth = adopting.one("pulumi-python:dynamic/forgejo:Mirror").inputs["api_auth"]

    assert api_auth == {
        SECRET_SIG_KEY: SECRET_SIG_VALUE,
        "value": {"username": "forgejo_admin", "password": EXISTING_ADMIN_PASSWORD},
    }


def test_supplied_secrets_win_over_the_existing_ones() -> None:
    run = run_program(ADOPT, secrets={"adminPassword": "supplied-admin-password"})

    assert run.exports["admin_password"] == "supplied-admin-password"


def test_data_claim_moves_from_the_chart_to_pulumi_with_the_keep_policy(adopting: ProgramRun) -> None:
    claim = next(r for r in adopting.transformed() if r.name == "forgejo-data")
    values = adopting.one("kubernetes:helm.sh/v3:Release").inputs["values"]

    assert values["persistence"] == {"enabled": True, "create": False, "claimName": "gitea-shared-storage"}
    assert claim.inputs["metadata"] == {
        "name": "gitea-shared-storage",
        "namespace": "forgejo",
        "annotations": {"helm.sh/resource-policy": "keep", "pulumi.com/patchForce": "true"},
    }
    assert claim.inputs["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "10Gi"}},
        "storageClassName": "seaweedfs",
    }
    assert (claim.protect, claim.retain_on_delete) == (True, True)
    release = adopting.one("kubernetes:helm.sh/v3:Release")
    assert any(d.endswith("::forgejo-data") for d in release.dependencies)
    assert release.inputs["name"] == "forgejo-forgejo"


BAD_ADOPTIONS = [
    ({"adoption": json.dumps({"enabled": True})}, "adoption.releaseName", "is required"),
    (
        {"adoption": json.dumps({"enabled": True, "releaseName": "Forgejo_Forgejo"})},
        "adoption.releaseName",
        "not a valid Helm release name",
    ),
    ({"adoption": json.dumps({"enabled": True, "releaseName": "f" * 60})}, "adoption.releaseName", "53"),
    (
        {"adoption": json.dumps({"enabled": "yes", "releaseName": "forgejo-forgejo"})},
        "adoption.enabled",
        "'yes' is not true or false",
    ),
    (
        {"adoption": json.dumps({"releaseName": "forgejo-forgejo"})},
        "adoption.enabled",
        "is required: true (import the existing objects on the takeover run) or false (after it)",
    ),
    (
        {"adoption": json.dumps({"enabled": True, "releaseName": "forgejo-forgejo", "release": "x"})},
        "adoption",
        "unknown field",
    ),
    (
        {"adoption": json.dumps({"enabled": True, "releaseName": "forgejo-forgejo", "adminSecret": "Admin Secret"})},
        "adoption.adminSecret",
        "RFC 1123",
    ),
    (
        {"adoption": json.dumps({"enabled": True, "releaseName": "forgejo-forgejo", "dataClaim": "_data"})},
        "adoption.dataClaim",
        "RFC 1123",
    ),
    (
        {"adoption": json.dumps({"enabled": True, "releaseName": "forgejo-forgejo"}), "namespaceLayout": "separate"},
        "namespaceLayout",
        "must be 'shared' while adopting",
    ),
    ({**ADOPT, "storageClass": "", "existingClaim": "forgejo-data"}, "existingClaim", "while adopting"),
    ({"adoption": '"forgejo-forgejo"'}, "adoption", "must be an object"),
]


@pytest.mark.parametrize(
    ("overrides", "key", "reason"), BAD_ADOPTIONS, ids=[f"{row[1]}:{row[2]}" for row in BAD_ADOPTIONS]
)
def test_bad_adoption_config_is_refused_naming_the_key(overrides: dict[str, str], key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings({**goldentooth_config(), **overrides})

    messages = [str(problem) for problem in refused.value.problems]
    assert any(m.startswith(f"goldentooth-forgejo:{key}: ") and reason in m for m in messages), messages


@pytest.mark.parametrize(
    ("overrides", "kept"),
    [
        (ADOPT, {"forgejo-runner-config": ["metadata", "data"], "forgejo-runner-deployment": ["metadata", "spec"]}),
        (AFTER_TAKEOVER, {}),
    ],
    ids=["takeover", "after-takeover"],
)
def test_the_seed_runner_is_imported_as_it_is_and_replaced_only_after_the_takeover(
    overrides: dict[str, str], kept: dict[str, list[str]]
) -> None:
    run = run_program(overrides)

    assert {r.name: r.ignore_changes for r in run.transformed() if r.ignore_changes} == {
        "forgejo-data": ["spec.volumeName"],
        **kept,
    }
