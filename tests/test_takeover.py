"""The takeover table from config, and the stack transform that applies it, called directly (mocks never run it)."""

from __future__ import annotations

import functools
import json
from typing import Any

import pulumi
import pytest

from components.config import parse_settings
from components.takeover import TakenOver, take_over, takeover_table
from tests.program import run_program
from tests.stack import goldentooth_config
from tests.test_adoption import ADOPT, AFTER_TAKEOVER

NAMESPACE = "kubernetes:core/v1:Namespace"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"

TAKEOVER_RUN = {
    (NAMESPACE, "forgejo"): TakenOver("forgejo", True),
    (RELEASE, "forgejo/forgejo-forgejo"): TakenOver("forgejo/forgejo-forgejo", False),
    (SECRET, "forgejo/forgejo-admin"): TakenOver("forgejo/forgejo-admin", True),
    (CLAIM, "forgejo/gitea-shared-storage"): TakenOver("forgejo/gitea-shared-storage", True),
    (ROUTE, "forgejo/forgejo"): TakenOver("forgejo/forgejo", True),
    (SECRET, "forgejo/forgejo-runner"): TakenOver("forgejo/forgejo-runner", True),
    (CONFIG_MAP, "forgejo/forgejo-runner-config"): TakenOver(
        "forgejo/forgejo-runner-config", True, ("metadata", "data")
    ),
    (DEPLOYMENT, "forgejo/forgejo-runner"): TakenOver("forgejo/forgejo-runner", True, ("metadata", "spec")),
}


def _table(overrides: dict[str, str]) -> dict[tuple[str, str], TakenOver]:
    return takeover_table(parse_settings({**goldentooth_config(), **overrides}))


def test_the_takeover_run_imports_each_seed_object_and_keeps_the_seed_runner_as_it_is() -> None:
    assert _table(ADOPT) == TAKEOVER_RUN


def test_after_the_takeover_the_seed_objects_are_only_force_applied() -> None:
    assert _table(AFTER_TAKEOVER) == {key: TakenOver(None, row.forced) for key, row in TAKEOVER_RUN.items()}


def test_a_fresh_install_takes_nothing_over() -> None:
    assert _table({}) == {}


def test_the_table_follows_the_configured_seed_names() -> None:
    adoption = {"enabled": True, "releaseName": "git-forgejo", "adminSecret": "admin", "dataClaim": "data"}
    table = _table({**ADOPT, "adoption": json.dumps(adoption), "serverNamespace": "git"})

    assert sorted(table) == [
        (DEPLOYMENT, "git/forgejo-runner"),
        (CONFIG_MAP, "git/forgejo-runner-config"),
        (NAMESPACE, "git"),
        (CLAIM, "git/data"),
        (SECRET, "git/admin"),
        (SECRET, "git/forgejo-runner"),
        (ROUTE, "git/forgejo"),
        (RELEASE, "git/git-forgejo"),
    ]


def _args(typ: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> pulumi.ResourceTransformArgs:
    return pulumi.ResourceTransformArgs(True, typ, "subject", props, opts or pulumi.ResourceOptions())


def _applied(
    typ: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None
) -> tuple[dict[str, Any], str | None, list[str] | None]:
    result = take_over(TAKEOVER_RUN, _args(typ, props, opts))
    assert isinstance(result, pulumi.ResourceTransformResult)
    return dict(result.props), result.opts.import_, result.opts.ignore_changes


@pytest.mark.parametrize("key", list(TAKEOVER_RUN), ids=[f"{typ.split(':')[-1]}:{oid}" for typ, oid in TAKEOVER_RUN])
def test_each_row_gets_its_import_id_annotation_and_ignored_inputs(key: tuple[str, str]) -> None:
    typ, object_id = key
    namespace, _, name = object_id.rpartition("/")
    if typ == RELEASE:
        props: dict[str, Any] = {"name": name, "namespace": namespace, "chart": "oci://forgejo"}
        assert _applied(typ, props) == (props, object_id, None)
        return
    metadata = {"name": name, "labels": {"app": "x"}, **({"namespace": namespace} if namespace else {})}
    kept = list(TAKEOVER_RUN[key].ignore_changes) or None

    assert _applied(typ, {"metadata": metadata, "data": {"k": "v"}}) == (
        {"metadata": {**metadata, "annotations": {"pulumi.com/patchForce": "true"}}, "data": {"k": "v"}},
        object_id,
        kept,
    )


def test_annotations_and_options_the_resource_has_are_kept() -> None:
    metadata = {
        "name": "gitea-shared-storage",
        "namespace": "forgejo",
        "annotations": {"helm.sh/resource-policy": "keep"},
    }
    opts = pulumi.ResourceOptions(protect=True, retain_on_delete=True, ignore_changes=["spec.volumeName"])
    result = take_over(TAKEOVER_RUN, _args(CLAIM, {"metadata": metadata}, opts))

    assert result is not None
    assert result.props == {
        "metadata": {**metadata, "annotations": {"helm.sh/resource-policy": "keep", "pulumi.com/patchForce": "true"}}
    }
    assert (result.opts.import_, result.opts.ignore_changes) == ("forgejo/gitea-shared-storage", ["spec.volumeName"])
    assert (result.opts.protect, result.opts.retain_on_delete) == (True, True)


def test_after_the_takeover_nothing_is_imported_or_ignored() -> None:
    table = _table(AFTER_TAKEOVER)
    metadata = {"name": "forgejo-runner", "namespace": "forgejo"}
    result = take_over(table, _args(DEPLOYMENT, {"metadata": metadata}))

    assert result is not None
    assert (result.opts.import_, result.opts.ignore_changes) == (None, None)
    assert result.props == {"metadata": {**metadata, "annotations": {"pulumi.com/patchForce": "true"}}}


@pytest.mark.parametrize(
    ("typ", "props"),
    [
        (DEPLOYMENT, {"metadata": {"name": "forgejo-runner", "namespace": "other"}}),  # another namespace
        (DEPLOYMENT, {"metadata": {"name": "forgejo-runner-2", "namespace": "forgejo"}}),  # another name
        (SECRET, {"metadata": {"name": "forgejo-runner-registration", "namespace": "forgejo"}}),  # made by the program
        (CONFIG_MAP, {"metadata": {"name": "forgejo-runner", "namespace": "forgejo"}}),  # a row's name, another kind
        (NAMESPACE, {"metadata": {"name": "forgejo-runner"}}),
        ("pulumi-python:dynamic/forgejo:Mirror", {"name": "forgejo"}),
        (SECRET, {"metadata": "not a mapping"}),
    ],
)
def test_an_unrelated_resource_is_left_alone(typ: str, props: dict[str, Any]) -> None:
    assert take_over(TAKEOVER_RUN, _args(typ, props)) is None


@pytest.mark.parametrize("overrides", [ADOPT, AFTER_TAKEOVER], ids=["takeover", "after-takeover"])
def test_the_program_registers_the_transform_once_with_the_table_from_its_config(overrides: dict[str, str]) -> None:
    (transform,) = run_program(overrides).transforms

    assert isinstance(transform, functools.partial)
    assert (transform.func, transform.args) == (take_over, (_table(overrides),))
